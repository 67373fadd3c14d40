// The sendpath reference NIC: a software model of an NDIS 5.1 miniport that offloads the IPsec
// send path. It is the oracle every candidate is judged against, so it implements the whole
// contract (docs/ndis51-ipsec-offload.md) and nothing else.
//
// The NIC depends on nothing of the harness: it takes OID buffers and packets exactly as the
// transport hands them over, and answers with NDIS_STATUS values plus a Reason saying why.
#pragma once

#include <sendpath/ndis51.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sendpath::nic {

using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;
// A packet as NDIS hands it over: a chain of buffers (NDIS_BUFFERs), split at any offset.
using BufferChain = std::span<const ByteSpan>;

// Why an OID or a send ended the way it did. Each reason maps to exactly one NDIS_STATUS
// (StatusOf); the table is documented in reference_nic/README.md.
enum class Reason : std::uint16_t {
  kOk = 0,
  kNoOffloadRequested,  // no per-packet info, or OffloadHandle == 0: the frame goes out unchanged

  // OID_TCP_TASK_OFFLOAD
  kOffloadAlreadySet,          // the transport enables with a single set; later sets fail
  kCapabilityNotSupported,     // a set enables something the NIC did not report
  kEncapsulationNotSupported,  // only NULL and IEEE 802.3 encapsulation

  // OID_TCP_TASK_IPSEC_ADD_SA / DELETE_SA
  kBufferTooShort,           // InformationBufferLength below the structure (or KeyLen) size
  kBadSaFlags,               // Flags is not exactly OFFLOAD_INBOUND_SA or OFFLOAD_OUTBOUND_SA
  kBadNumSAs,                // NumSAs outside 1..2
  kBadOperation,             // Operation neither AUTHENTICATE nor ENCRYPT
  kBundleOrder,              // two elements that are not ESP then AH
  kAhHasConfAlgo,            // an AH element must have an all-zero ConfAlgo
  kAhWithoutIntegrity,       // an AH element needs an integrity algorithm
  kUnknownConfAlgo,          // ConfAlgo.algoIdentifier not recognised
  kUnknownIntegrityAlgo,     // IntegrityAlgo.algoIdentifier not recognised
  kGcmIntegrityMismatch,     // AES-GCM ESP with an integrity algorithm other than none / its GMAC
  kNothingToDo,              // ESP with neither encryption nor integrity
  kKeyLengthMismatch,        // algoKeylen differs from the algorithm's key length
  kKeyMaterialMismatch,      // KeyLen differs from the sum of the algoKeylen values
  kAlgorithmNotSupported,    // an algorithm this NIC does not report
  kModeNotSupported,         // transport/tunnel mode this NIC does not report
  kEsnNotSupported,          // IPSEC_OFFLOAD_V2_ESN_SA without SENDPATH_EXT_ESN
  kKeyOrderNotSupported,     // integrity-first KeyMat without SENDPATH_EXT_KEYMAT_INTEGRITY_FIRST
  kAuthenticationRequired,   // ESP without integrity and no AH in the bundle (contract section 3)
  kLegacyProviderMissing,    // DES-CBC needs OpenSSL's legacy provider
  kKeyScheduleFailed,        // OpenSSL refused the key
  kSaTableFull,              // the configured capacity is reached
  kUnknownHandle,            // DELETE_SA of a handle that names no live SA

  // Send: handles and capabilities
  kNextHandleWithoutOffloadHandle,  // NextOffloadHandle != 0 while OffloadHandle == 0
  kOffloadNotEnabled,               // IPsec send offload not enabled by OID_TCP_TASK_OFFLOAD
  kHandleNeverIssued,               // no SA was ever added under this handle
  kHandleDeleted,                   // the SA was deleted; handles are never reused
  kHandleInbound,                   // the handle names an inbound SA
  kNextHandleNotTunnelSa,           // NextOffloadHandle names an SA without tunnel addresses
  kOffloadHandleNotTransportSa,     // both handles given but OffloadHandle names a tunnel SA
  kCapabilityNotEnabled,            // an algorithm, mode, combination or ESN the set did not enable
  kOptionsNotEnabled,               // IPv4 options without V4_OPTIONS enabled
  kFragment,                        // MF set or fragment offset != 0: fragments are not offloaded

  // Send: framing
  kNotIpv4Ethertype,          // IEEE 802.3 frame whose EtherType is not 0x0800
  kFrameTooShort,             // shorter than the encapsulation plus an IPv4 header
  kNotIpv4,                   // IP version != 4
  kBadIhl,                    // IHL < 5 or the header runs past the frame
  kTotalLengthMismatch,       // IPv4 total length beyond the frame, or below the header
  kMalformedOption,           // an IPv4 option with a bad length
  kProtocolMismatch,          // the header where the SA's AH/ESP should be is something else
  kSpiMismatch,               // the SPI in the frame is not the SA's
  kAhTruncated,               // the AH header runs past the packet
  kAhLengthMismatch,          // AH Payload Len does not fit the SA's ICV (and IV) size
  kAhNextHeaderMismatch,      // bundle: AH's Next Header is not ESP (50)
  kEspTruncated,              // ESP header and IV run past the packet
  kEspNoRoomForIcv,           // fewer bytes than ICV + pad length + next header
  kEspNotBlockAligned,        // ciphertext not a multiple of the block size (or of 4 bytes)
  kEspPadLengthPastPayload,   // Pad Length points before the start of the payload
  kNoTunnelPayload,           // NextOffloadHandle given but the tunnel carries no IPv4 packet
  kInnerPacketOverrun,        // the inner IPv4 total length runs past the tunnel payload
  kPacketTooLong,             // beyond the largest IPv4 packet
  kWireBufferTooSmall,        // the caller's output buffer cannot hold the frame
  kIvSourceFailed,            // the IV source could not supply an IV
  kCryptoFailure,             // OpenSSL reported an error during the send

  // UDP-encapsulated ESP (RFC 3948; docs section 5.7). Appended so the values above keep their
  // numbers.
  // OID_TCP_TASK_IPSEC_ADD_UDPESP_SA / DELETE_UDPESP_SA
  kUdpEspNotSupported,           // no reported subtype can use this SA (transport or tunnel)
  kUdpEspEncapTypeNotSupported,  // UdpEncapType is not OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER
  kUdpEspPortNotSupported,       // inbound SA with DstEncapPort other than 4500
  kUdpEspWithAh,                 // an AUTHENTICATE element: only ESP is UDP-encapsulated
  kUdpEspZeroSpi,                // SPI 0 would read as the non-ESP marker (RFC 3948 2.2)
  kUnknownParserEntry,           // EncapTypeEntryOffldHandle names no live parser entry
  kWrongDeleteOid,               // DELETE_SA of a UDP-ESP SA, or DELETE_UDPESP_SA of a plain SA
  // Send
  kUdpEspOverUdpEsp,             // both handles name UDP-ESP SAs: not a subtype [S15b]
  kUdpTruncated,                 // the UDP header runs past the packet
  kUdpLengthMismatch,            // UDP Length differs from what the IPv4 total length leaves
  kUdpEspPortMismatch,           // UDP source port is not 4500
  kUdpEspNonEspMarker,           // four zero bytes where the SPI belongs: an IKE packet
};
constexpr Reason kLastReason = Reason::kUdpEspNonEspMarker;

std::string_view ReasonName(Reason reason);
NDIS_STATUS StatusOf(Reason reason);
std::string_view StatusName(NDIS_STATUS status);
// Parses "NDIS_STATUS_FAILURE" (or "FAILURE"); nullopt for unknown names.
std::optional<NDIS_STATUS> StatusFromName(std::string_view name);

// Result of an OID request.
struct OidResult {
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  Reason reason = Reason::kOk;
  std::string detail;  // names the field, e.g. "SecAssoc[1].IntegrityAlgo.algoKeylen = 16, HMAC-SHA1 needs 20"
  bool ok() const { return status == NDIS_STATUS_SUCCESS; }
};

// Result of a send. On success `length` bytes of the wire buffer are the frame to transmit; on
// any other status nothing was emitted and `length` is 0.
struct SendResult {
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  Reason reason = Reason::kOk;
  std::size_t length = 0;
  std::size_t offset = 0;  // byte offset in the frame that the reason points at
  bool ok() const { return status == NDIS_STATUS_SUCCESS; }
};

// What a NIC can do (query) or what the transport enables (set).
struct Capabilities {
  NDIS_TASK_IPSEC task{};
  SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
};

// Everything this reference NIC implements. DES is left out when OpenSSL's legacy provider
// cannot be loaded.
Capabilities FullCapabilities();
// True when every capability enabled in `sub` is also present in `super`.
bool IsSubset(const Capabilities& sub, const Capabilities& super);

// The NIC generates ESP (and AH-GMAC) IVs. The source is injectable so that vectors can supply
// them for deterministic comparison. `sec_assoc_index` is the element of the SA's bundle.
class IvSource {
 public:
  virtual ~IvSource() = default;
  // Fills `iv`; false when no IV can be supplied (the send then fails with kIvSourceFailed).
  virtual bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, MutableByteSpan iv) = 0;
};

// Cryptographically random IVs from OpenSSL's DRBG. The default. IVs are drawn from a pool
// filled 4 KiB at a time (one RAND_bytes call costs as much as sealing a 1500-byte packet);
// the pool is discarded in a forked child so that parent and child never share IVs.
class RandomIvSource final : public IvSource {
 public:
  RandomIvSource() = default;
  ~RandomIvSource() override;
  RandomIvSource(const RandomIvSource&) = delete;
  RandomIvSource& operator=(const RandomIvSource&) = delete;
  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, MutableByteSpan iv) override;

 private:
  static constexpr std::size_t kPoolBytes = 4096;
  std::uint8_t pool_[kPoolBytes] = {};
  std::size_t used_ = kPoolBytes;
  unsigned fork_generation_ = 0;
};

struct NicOptions {
  std::size_t sa_capacity = 4096;  // live SAs; NDIS_STATUS_RESOURCES beyond
  // The capability profile this NIC reports; must be a subset of FullCapabilities(). Unset:
  // report everything.
  std::optional<Capabilities> reported;
};

class ReferenceNic {
 public:
  explicit ReferenceNic(NicOptions options = {});
  ~ReferenceNic();
  ReferenceNic(const ReferenceNic&) = delete;
  ReferenceNic& operator=(const ReferenceNic&) = delete;
  ReferenceNic(ReferenceNic&&) noexcept;
  ReferenceNic& operator=(ReferenceNic&&) noexcept;

  // OID_TCP_TASK_OFFLOAD query: the NDIS_TASK_IPSEC (plus extension) this NIC reports.
  Capabilities QueryCapabilities() const;
  // OID_TCP_TASK_OFFLOAD set: what the transport enables, and the frame encapsulation. Only the
  // first set succeeds (S16c).
  OidResult SetCapabilities(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enabled);

  // OID_TCP_TASK_IPSEC_ADD_SA. `buffer` is the InformationBuffer: an OFFLOAD_IPSEC_ADD_SA
  // followed by its key material. On success OffloadHandle in the buffer is filled in.
  // `extension` may be null (conf-first KeyMat, no ESN).
  OidResult AddSa(MutableByteSpan buffer, const SENDPATH_ADD_SA_EXTENSION* extension = nullptr);
  // Convenience for C++ callers: the same request with the key material separate.
  OidResult AddSa(OFFLOAD_IPSEC_ADD_SA& request, ByteSpan key_mat,
                  const SENDPATH_ADD_SA_EXTENSION* extension = nullptr);
  // OID_TCP_TASK_IPSEC_DELETE_SA.
  OidResult DeleteSa(ByteSpan buffer);
  OidResult DeleteSa(NDIS_HANDLE handle);

  // OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: an OFFLOAD_IPSEC_ADD_UDPESP_SA followed by its key
  // material. On success OffloadHandle is filled in; for an inbound SA whose
  // EncapTypeEntryOffldHandle is NULL a new parser entry is created and its handle filled in
  // too [S15a]. A refused request adds neither SA nor parser entry.
  OidResult AddUdpEspSa(MutableByteSpan buffer, const SENDPATH_ADD_SA_EXTENSION* extension = nullptr);
  OidResult AddUdpEspSa(OFFLOAD_IPSEC_ADD_UDPESP_SA& request, ByteSpan key_mat,
                        const SENDPATH_ADD_SA_EXTENSION* extension = nullptr);
  // OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA: deletes the SA and, when the entry handle is non-NULL,
  // that parser entry, both or neither.
  OidResult DeleteUdpEspSa(ByteSpan buffer);
  OidResult DeleteUdpEspSa(NDIS_HANDLE sa, NDIS_HANDLE parser_entry);

  // MiniportSend: `packet` is the frame as the transport framed it, `info` the packet's
  // NDIS_IPSEC_PACKET_INFO (null when the packet has none). The frame to transmit is written
  // to `wire`, which must hold the whole packet. Never allocates.
  SendResult Send(BufferChain packet, const NDIS_IPSEC_PACKET_INFO* info, MutableByteSpan wire);

  // Null restores the default RandomIvSource. The source must outlive its use.
  void SetIvSource(IvSource* source);

  std::size_t LiveSaCount() const;
  std::size_t LiveParserEntryCount() const;
  std::size_t SaCapacity() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sendpath::nic
