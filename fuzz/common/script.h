// The structured input of the send-path fuzz targets: an SA table to program into a NIC and a
// script of sends, each with its NDIS_IPSEC_PACKET_INFO handles, a framing plan from which the
// frame is built consistently (framing.h), deliberate deviations from that plan, and the
// buffer-chain cuts.
//
// Any byte string decodes to a Script (tail_reader.h: missing bytes read as zero), and
// EncodeScript writes the bytes that decode back to the same Script, so the custom mutator can
// edit the structure and libFuzzer's own byte mutations still land on valid scripts.
#pragma once

#include "fuzz/common/bounded.h"
#include "sendpath/algorithms.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sendpath::fuzz {

inline constexpr std::size_t kMaxSas = 6;
inline constexpr std::size_t kMaxSends = 4;
inline constexpr std::size_t kMaxDisabled = 3;
inline constexpr std::size_t kMaxOptions = 4;
inline constexpr std::size_t kMaxDeviations = 4;
inline constexpr std::size_t kMaxCuts = 4;
inline constexpr std::size_t kMaxUdpDeviations = 2;
inline constexpr std::uint8_t kNoSa = 0xff;

// The algorithms a fuzzed SA may name (vectors/README.md names) with their KeyMat length, read
// from the algorithm table (include/sendpath/algorithms.def; an unknown name does not compile).
struct AlgorithmChoice {
  const char* name;
  std::size_t key_length;
};
consteval AlgorithmChoice ConfChoice(const char* name) { return {name, table::FindConf(std::string_view(name))->keymat_length}; }
consteval AlgorithmChoice IntegrityChoice(const char* name) {
  return {name, table::FindIntegrity(std::string_view(name))->keymat_length};
}
// A script stores the index: append only, so that the committed seed corpora keep their meaning.
inline constexpr std::array kConfChoices = {
    ConfChoice("AES_CBC_128"), ConfChoice("AES_GCM_128"), ConfChoice("3_DES"),
    ConfChoice("NONE"),        ConfChoice("AES_CBC_192"), ConfChoice("AES_CBC_256"),
    ConfChoice("AES_GCM_192"), ConfChoice("AES_GCM_256"), ConfChoice("DES"),
};
inline constexpr std::array kIntegrityChoices = {
    IntegrityChoice("SHA_1"),        IntegrityChoice("NONE"),         IntegrityChoice("MD5"),
    IntegrityChoice("SHA_256"),      IntegrityChoice("AES_GMAC_128"), IntegrityChoice("AES_GMAC_192"),
    IntegrityChoice("AES_GMAC_256"),
};

// The lists of a script have small fixed bounds: kept in place (Bounded, bounded.h), so that
// decoding, mutating and copying a script (several times per fuzz execution) allocates nothing.

enum class SaShape : std::uint8_t { kEsp, kAh, kEspAh, kCount };

// One OID_TCP_TASK_IPSEC_ADD_SA. The keys are derived from the SA's index, not fuzzed: their
// values never change a parsing decision.
struct SaDef {
  SaShape shape = SaShape::kEsp;
  std::uint8_t conf = 0;          // kConfChoices index (ESP)
  std::uint8_t esp_integrity = 0; // kIntegrityChoices index (ESP)
  std::uint8_t ah_integrity = 0;  // kIntegrityChoices index (AH)
  bool tunnel = false;            // SrcTunnelAddr / DestTunnelAddr set
  bool inbound = false;           // OFFLOAD_INBOUND_SA
  bool integrity_first = false;   // KeyMat order (SENDPATH_ADD_SA_EXTENSION.KeyOrder)
  bool esn = false;               // IPSEC_OFFLOAD_V2_ESN_SA on every element
  bool deleted = false;           // OID_TCP_TASK_IPSEC_DELETE_SA before the sends
  std::uint32_t esn_high = 0;
  std::uint32_t esp_spi = 0x100;
  std::uint32_t ah_spi = 0x200;
  bool operator==(const SaDef&) const = default;
};

// UDP-encapsulated ESP (RFC 3948; docs §5.7) on top of the SA table: which SAs are added by
// OID_TCP_TASK_IPSEC_ADD_UDPESP_SA, the EncapTypeEntryOffldHandle each inbound one names, and which
// deletes (OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA) name the SA's entry. Encoded after everything
// else, so that an input written before UDP-ESP decodes as it did (no UDP-ESP SA).
inline constexpr std::uint8_t kParserEntryNull = 0;  // NULL: the NIC creates an entry [S15a]
// 1..kMaxSas: the entry SA (value - 1) got back; this: a handle the NIC never issued.
inline constexpr std::uint8_t kParserEntryNeverIssued = static_cast<std::uint8_t>(kMaxSas + 1);
struct UdpEspSetup {
  std::uint8_t sas = 0;  // bit i: SA i is a UDP-ESP SA
  std::array<std::uint8_t, kMaxSas> parser_entry{};  // per SA (inbound UDP-ESP SAs use it)
  std::uint8_t delete_entry = 0;  // bit i: SA i's delete names its parser entry too
  bool UdpEsp(std::size_t sa) const { return sa < kMaxSas && ((sas >> sa) & 1u) != 0; }
  bool operator==(const UdpEspSetup&) const = default;
};

// Everything before the first send: the OID_TCP_TASK_OFFLOAD set and the SA table. Two inputs
// with equal Setups leave a NIC in the same state, which lets a fuzz target reuse it.
struct Setup {
  bool ethernet = false;              // IEEE 802.3 encapsulation instead of NULL
  Bounded<std::uint8_t, kMaxDisabled> disabled; // capabilities (vectors::AllCapabilityNames() index) left out of the set
  bool second_set = false;            // a second OID_TCP_TASK_OFFLOAD set, which must fail [S16c]
  std::uint8_t churn = 0;             // ADD_SA + DELETE_SA cycles before the SAs: slots must be reclaimed
  Bounded<SaDef, kMaxSas> sas;
  UdpEspSetup udp;
  bool operator==(const Setup&) const = default;
};

// A HANDLE in NDIS_IPSEC_PACKET_INFO.Transmit.
enum class HandleKind : std::uint8_t { kZero, kSa, kNeverIssued, kCount };
struct HandleRef {
  HandleKind kind = HandleKind::kZero;
  std::uint8_t sa = 0;  // for kSa: index into Setup::sas (whatever its state: deleted, inbound, refused)
  bool operator==(const HandleRef&) const = default;
};

// IPv4 options the plan may carry (RFC 791; RFC 4302 Appendix A classes them).
enum class OptionKind : std::uint8_t {
  kNop, kEol, kRecordRoute, kTimestamp, kLsrr, kSsrr, kSecurity, kRouterAlert, kUnknown, kCount
};
struct OptionDef {
  OptionKind kind = OptionKind::kNop;
  std::uint8_t size = 0;     // route / timestamp slots; data bytes for kSecurity and kUnknown
  std::uint8_t pointer = 4;  // LSRR/SSRR/RR/TS pointer (4 = nothing used yet)
  bool operator==(const OptionDef&) const = default;
};

// How the transport framed the packet. The builder keeps every length, offset and checksum
// consistent with these choices.
struct FramePlan {
  std::uint8_t outer_sa = 0;           // SA whose headers follow the outer IPv4 header (kNoSa: none)
  std::uint8_t inner_sa = kNoSa;       // SA of an IPsec portion inside the tunnelled packet
  bool tunnel_payload = false;         // the outer portion carries an IPv4 packet (next header 4)
  std::uint8_t upper_protocol = 17;    // of the innermost payload
  std::uint16_t payload_length = 32;   // bytes of upper-layer payload
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;
  std::uint16_t ip_id = 0x1234;
  std::uint32_t outer_sequence = 1;
  std::uint32_t inner_sequence = 1;
  std::uint8_t extra_pad_blocks = 0;   // ESP padding beyond the minimum, in blocks (outer portion)
  std::int8_t icv_delta = 0;           // ICV space reserved minus the SA's ICV length (outer ESP/AH)
  std::uint8_t cipher_delta = 0;       // bytes added to the ESP padding, breaking the block alignment
  std::uint8_t trailing = 0;           // bytes after the IPv4 packet (link padding)
  Bounded<OptionDef, kMaxOptions> outer_options;
  Bounded<OptionDef, kMaxOptions> inner_options;
  bool operator==(const FramePlan&) const = default;
};

// A deliberate deviation written over the built frame. `level` 0 is the outer IPv4 packet and its
// IPsec headers, 1 the tunnelled one.
// Every byte a rule of the contract reads can be changed: the IPv4 header (version, IHL, TOS
// whole / DSCP / ECN, total length, identification, flags, fragment offset, TTL, protocol,
// checksum; RFC 791 §3.1, RFC 4302 §3.3.3.1), each option's type, length and pointer, the SPI and
// sequence number of AH and ESP, ESP padding, pad length and next header (RFC 4303 §2.4), the AH
// payload length and next header, the EtherType, the IVs and the frame's length.
enum class Field : std::uint8_t {
  kVersion, kIhl, kTotalLength, kProtocol, kFragment, kTtl, kChecksum, kOptionLength, kSpi, kSequence,
  kPadLength, kNextHeader, kAhPayloadLength, kAhNextHeader, kEtherType, kTruncate, kIv,
  kTos, kDscp, kEcn, kFlags, kFragmentOffset, kIdentification, kOptionType, kOptionPointer, kPadding, kCount
};
struct Deviation {
  Field field = Field::kTtl;
  std::uint8_t level = 0;
  std::uint32_t value = 0;
  bool operator==(const Deviation&) const = default;
};

// The UDP header in front of a UDP-ESP portion's ESP (RFC 3948 §2.1, §2.2), changed after the
// frame is built: ports (the source must be 4500), UDP Length (absolute with bit 16 set, else a
// signed change), checksum (left as framed by the NIC), and the non-ESP marker (four zero bytes
// where the SPI belongs).
enum class UdpField : std::uint8_t { kSourcePort, kDestinationPort, kLength, kChecksum, kNonEspMarker, kCount };
struct UdpDeviation {
  UdpField field = UdpField::kChecksum;
  std::uint8_t level = 0;
  std::uint32_t value = 0;
  bool operator==(const UdpDeviation&) const = default;
};

// Places in a built frame that buffer-chain cuts are anchored to.
enum class Anchor : std::uint8_t {
  kStart, kIp, kAh, kEsp, kEspIv, kEspPayload, kEspTrailer, kIcv, kInnerIp, kInnerEsp, kEnd, kCount
};
struct Cut {
  Anchor anchor = Anchor::kStart;
  std::int8_t delta = 0;
  bool operator==(const Cut&) const = default;
};

struct SendDef {
  bool has_info = true;  // false: the IpSecPacketInfo slot is NULL
  HandleRef offload;
  HandleRef next;
  FramePlan plan;
  Bounded<Deviation, kMaxDeviations> deviations;
  Bounded<Cut, kMaxCuts> cuts;
  // UDP-ESP framing (encoded after the script's other fields): bit l set frames portion l the
  // other way - plain ESP for a UDP-ESP SA, ESP behind UDP for a plain one.
  std::uint8_t udp_flip = 0;
  Bounded<UdpDeviation, kMaxUdpDeviations> udp_deviations;
  bool operator==(const SendDef&) const = default;
};

struct Script {
  Setup setup;
  Bounded<SendDef, kMaxSends> sends;
  std::uint32_t iv_seed = 0;
  bool operator==(const Script&) const = default;
};

// A hash of everything a Setup holds, so that caches of programmed NICs find theirs without
// comparing every Setup they keep.
std::uint64_t HashSetup(const Setup& setup);

Script DecodeScript(std::span<const std::uint8_t> data);
std::vector<std::uint8_t> EncodeScript(const Script& script);

// One structure-aware mutation: handles (zero, deleted, never issued, inbound, swapped roles,
// NextOffloadHandle without a tunnel payload), the plan (TOS, TTL, identification, sequence
// numbers, options, lengths, padding, ICV space) and its deviations (every Field), buffer-chain
// cuts, the SA table (shapes, algorithms, modes, SPIs, ESN and its high bits, deletions), or
// UDP-ESP (SAs added by ADD_UDPESP_SA, parser-entry handles, entries named by deletes, UDP framing
// flipped, ports, length, checksum, the non-ESP marker).
// Everything not chosen stays.
void MutateScript(Script& script, std::minstd_rand& random);

// Six SAs covering every shape, mode and algorithm family (CBC, GCM, 3DES, HMAC, GMAC): the
// setup of the seed corpora and of the pcap target's receive check.
Setup BaseSetup();

// A plan whose frame matches `offload` / `next` as the transport would frame it.
FramePlan PlanFor(const Setup& setup, const HandleRef& offload, const HandleRef& next);

// One line per element, for crash reports and regression vector titles.
std::string DescribeScript(const Script& script);
const char* FieldName(Field field);
const char* UdpFieldName(UdpField field);

}  // namespace sendpath::fuzz
