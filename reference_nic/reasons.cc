#include <array>
#include <utility>

#include "reference_nic/reference_nic.h"

namespace sendpath::nic {
namespace {

struct ReasonRow {
  Reason reason;
  std::string_view name;
  NDIS_STATUS status;
};

// One row per Reason, in enum order (checked at compile time). The statuses follow the table in
// reference_nic/README.md.
constexpr std::array kReasons = {
    ReasonRow{Reason::kOk, "ok", NDIS_STATUS_SUCCESS},
    ReasonRow{Reason::kNoOffloadRequested, "no offload requested", NDIS_STATUS_SUCCESS},
    ReasonRow{Reason::kOffloadAlreadySet, "OID_TCP_TASK_OFFLOAD was already set once", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kCapabilityNotSupported, "enables a capability the NIC does not report", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kEncapsulationNotSupported, "encapsulation not supported", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kBufferTooShort, "information buffer too short", NDIS_STATUS_INVALID_LENGTH},
    ReasonRow{Reason::kBadSaFlags, "Flags is neither OFFLOAD_INBOUND_SA nor OFFLOAD_OUTBOUND_SA", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kBadNumSAs, "NumSAs outside 1..2", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kBadOperation, "Operation is neither AUTHENTICATE nor ENCRYPT", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kBundleOrder, "bundle is not ESP followed by AH", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kAhHasConfAlgo, "AH element with a ConfAlgo", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kAhWithoutIntegrity, "AH element without an integrity algorithm", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kUnknownConfAlgo, "unknown ConfAlgo identifier", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kUnknownIntegrityAlgo, "unknown IntegrityAlgo identifier", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kGcmIntegrityMismatch, "AES-GCM with a different integrity algorithm", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kNothingToDo, "ESP with neither encryption nor integrity", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kKeyLengthMismatch, "algoKeylen does not fit the algorithm", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kKeyMaterialMismatch, "KeyLen differs from the sum of algoKeylen", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kAlgorithmNotSupported, "algorithm not supported", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kModeNotSupported, "transport/tunnel mode not supported", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kEsnNotSupported, "extended sequence numbers not supported", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kKeyOrderNotSupported, "integrity-first KeyMat not supported", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kAuthenticationRequired, "IPsec without authentication is not permitted", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kLegacyProviderMissing, "DES-CBC needs OpenSSL's legacy provider, which could not be loaded", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kKeyScheduleFailed, "OpenSSL refused the key", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kSaTableFull, "SA table full", NDIS_STATUS_RESOURCES},
    ReasonRow{Reason::kUnknownHandle, "no live SA has this handle", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kNextHandleWithoutOffloadHandle, "NextOffloadHandle set while OffloadHandle is 0", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kOffloadNotEnabled, "IPsec send offload not enabled", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kHandleNeverIssued, "handle never issued", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kHandleDeleted, "handle of a deleted SA", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kHandleInbound, "handle of an inbound SA", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kNextHandleNotTunnelSa, "NextOffloadHandle names a transport SA", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kOffloadHandleNotTransportSa, "OffloadHandle names a tunnel SA while NextOffloadHandle is set", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kCapabilityNotEnabled, "capability not enabled", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kOptionsNotEnabled, "IPv4 options without V4_OPTIONS enabled", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kFragment, "fragments are not offloaded", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kNotIpv4Ethertype, "EtherType is not IPv4", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kFrameTooShort, "frame too short for an IPv4 header", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kNotIpv4, "IP version is not 4", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kBadIhl, "bad IHL", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kTotalLengthMismatch, "IPv4 total length does not fit the frame", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kMalformedOption, "malformed IPv4 option", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kProtocolMismatch, "header is not the SA's AH/ESP", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kSpiMismatch, "SPI differs from the SA's", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kAhTruncated, "AH header truncated", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kAhLengthMismatch, "AH Payload Len does not fit the ICV", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kAhNextHeaderMismatch, "bundle AH is not followed by ESP", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kEspTruncated, "ESP header or IV truncated", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kEspNoRoomForIcv, "no room for the ESP trailer and ICV", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kEspNotBlockAligned, "ESP payload not block-aligned", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kEspPadLengthPastPayload, "ESP Pad Length runs past the payload", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kNoTunnelPayload, "NextOffloadHandle given but no tunnel payload", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kInnerPacketOverrun, "inner IPv4 packet runs past the tunnel payload", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kPacketTooLong, "packet too long", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kWireBufferTooSmall, "output buffer too small", NDIS_STATUS_BUFFER_TOO_SHORT},
    ReasonRow{Reason::kIvSourceFailed, "IV source supplied no IV", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kCryptoFailure, "OpenSSL failed during the send", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kUdpEspNotSupported, "UDP-ESP subtype not supported", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kUdpEspEncapTypeNotSupported, "UdpEncapType is not OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kUdpEspPortNotSupported, "DstEncapPort is not 4500", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kUdpEspWithAh, "AH element in a UDP-ESP SA", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kUdpEspZeroSpi, "UDP-ESP SA with SPI 0", NDIS_STATUS_INVALID_DATA},
    ReasonRow{Reason::kUnknownParserEntry, "no live parser entry has this handle", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kWrongDeleteOid, "the delete OID does not match how the SA was added", NDIS_STATUS_FAILURE},
    ReasonRow{Reason::kUdpEspOverUdpEsp, "UDP-encapsulated transport over a UDP-encapsulated tunnel", NDIS_STATUS_NOT_SUPPORTED},
    ReasonRow{Reason::kUdpTruncated, "UDP header truncated", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kUdpLengthMismatch, "UDP Length does not fit the IPv4 total length", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kUdpEspPortMismatch, "UDP source port is not 4500", NDIS_STATUS_INVALID_PACKET},
    ReasonRow{Reason::kUdpEspNonEspMarker, "non-ESP marker where the SPI belongs", NDIS_STATUS_INVALID_PACKET},
};

constexpr bool RowsInEnumOrder() {
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    if (static_cast<std::size_t>(kReasons[i].reason) != i) return false;
  }
  return kReasons.size() == static_cast<std::size_t>(kLastReason) + 1;
}
static_assert(RowsInEnumOrder(), "one row per Reason, in enum order");

constexpr std::array<std::pair<NDIS_STATUS, std::string_view>, 12> kStatuses = {{
    {NDIS_STATUS_SUCCESS, "NDIS_STATUS_SUCCESS"},
    {NDIS_STATUS_PENDING, "NDIS_STATUS_PENDING"},
    {NDIS_STATUS_NOT_ACCEPTED, "NDIS_STATUS_NOT_ACCEPTED"},
    {NDIS_STATUS_FAILURE, "NDIS_STATUS_FAILURE"},
    {NDIS_STATUS_RESOURCES, "NDIS_STATUS_RESOURCES"},
    {NDIS_STATUS_NOT_SUPPORTED, "NDIS_STATUS_NOT_SUPPORTED"},
    {NDIS_STATUS_REQUEST_ABORTED, "NDIS_STATUS_REQUEST_ABORTED"},
    {NDIS_STATUS_INVALID_PACKET, "NDIS_STATUS_INVALID_PACKET"},
    {NDIS_STATUS_INVALID_LENGTH, "NDIS_STATUS_INVALID_LENGTH"},
    {NDIS_STATUS_INVALID_DATA, "NDIS_STATUS_INVALID_DATA"},
    {NDIS_STATUS_BUFFER_TOO_SHORT, "NDIS_STATUS_BUFFER_TOO_SHORT"},
    {NDIS_STATUS_INVALID_OID, "NDIS_STATUS_INVALID_OID"},
}};

}  // namespace

std::string_view ReasonName(Reason reason) {
  const auto index = static_cast<std::size_t>(reason);
  return index < kReasons.size() ? kReasons[index].name : "unknown reason";
}

NDIS_STATUS StatusOf(Reason reason) {
  const auto index = static_cast<std::size_t>(reason);
  return index < kReasons.size() ? kReasons[index].status : NDIS_STATUS_FAILURE;
}

std::string_view StatusName(NDIS_STATUS status) {
  for (const auto& [value, name] : kStatuses) {
    if (value == status) return name;
  }
  return "NDIS_STATUS_UNKNOWN";
}

std::optional<NDIS_STATUS> StatusFromName(std::string_view name) {
  constexpr std::string_view kPrefix = "NDIS_STATUS_";
  for (const auto& [value, full] : kStatuses) {
    if (name == full || name == full.substr(kPrefix.size())) return value;
  }
  return std::nullopt;
}

}  // namespace sendpath::nic
