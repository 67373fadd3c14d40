// Small IPv4 facts shared by the dissector and the receive-side check: big-endian reads, the
// Internet checksum (RFC 1071), option names and their RFC 4302 Appendix A mutability.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sendpath::report::ipv4 {

using ByteSpan = std::span<const std::uint8_t>;

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoIpInIp = 4;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoEsp = 50;
constexpr std::uint8_t kProtoAh = 51;
constexpr std::uint8_t kProtoNone = 59;

inline std::uint16_t Be16(ByteSpan bytes, std::size_t offset) {
  return static_cast<std::uint16_t>((bytes[offset] << 8) | bytes[offset + 1]);
}
inline std::uint32_t Be32(ByteSpan bytes, std::size_t offset) {
  return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
         (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}
inline void PutBe32(std::span<std::uint8_t> bytes, std::size_t offset, std::uint32_t value) {
  bytes[offset] = static_cast<std::uint8_t>(value >> 24);
  bytes[offset + 1] = static_cast<std::uint8_t>(value >> 16);
  bytes[offset + 2] = static_cast<std::uint8_t>(value >> 8);
  bytes[offset + 3] = static_cast<std::uint8_t>(value);
}
inline void PutBe16(std::span<std::uint8_t> bytes, std::size_t offset, std::uint16_t value) {
  bytes[offset] = static_cast<std::uint8_t>(value >> 8);
  bytes[offset + 1] = static_cast<std::uint8_t>(value);
}

// One's-complement sum of 16-bit words (RFC 1071), not yet complemented.
std::uint32_t ChecksumAdd(std::uint32_t sum, ByteSpan bytes);
std::uint16_t ChecksumFinish(std::uint32_t sum);
inline std::uint16_t InternetChecksum(ByteSpan bytes) { return ChecksumFinish(ChecksumAdd(0, bytes)); }

// Option names: "eol", "nop", "security", "lsrr", "ssrr", "rr", "timestamp", "router_alert",
// "cipso" (Commercial Security, 134) ... ; nullptr for an unassigned type.
const char* OptionName(std::uint8_t type);

// RFC 4302 Appendix A.1: options whose whole bytes stay in the AH ICV computation. Every other
// option (mutable, experimental, superseded, unknown) is zeroed entirely.
bool OptionIsImmutableForAh(std::uint8_t type);

// The IPv4 header at the start of `packet`, checked for version 4, IHL >= 5 and that the header
// fits. total_length is the header's field; the caller checks it against what it has.
struct Header {
  std::size_t header_length = 0;
  std::uint16_t total_length = 0;
  std::uint8_t protocol = 0;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;
  std::uint32_t source = 0;
  std::uint32_t destination = 0;
};
std::optional<Header> ParseHeader(ByteSpan packet);

// The route's final destination when the options carry LSRR or SSRR (RFC 4302 §3.3.3.1.1.1:
// the AH ICV uses it in place of the destination address), else nullopt. Malformed options: nullopt.
// With both, the last route counts; `lsrr` / `ssrr` false pass over routes of that kind (a NIC
// that applies the rule to one kind only, reports/causes.h).
std::optional<std::uint32_t> SourceRouteFinalDestination(ByteSpan header, bool lsrr = true, bool ssrr = true);

// Walks the options of a header (bytes 20..IHL*4). Calls visit(offset_in_header, type, length)
// for each option (EOL and NOP have length 1; after EOL the rest is reported as one option of
// type 0 covering the remaining bytes). Returns false on a malformed option (length < 2 or past
// the header), after visiting the options before it.
template <class Visit>
bool WalkOptions(ByteSpan header, Visit&& visit) {
  std::size_t offset = 20;
  while (offset < header.size()) {
    const std::uint8_t type = header[offset];
    if (type == 0) {  // End of Option List: the rest is padding
      visit(offset, type, header.size() - offset);
      return true;
    }
    if (type == 1) {
      visit(offset, type, std::size_t{1});
      ++offset;
      continue;
    }
    if (offset + 1 >= header.size()) return false;
    const std::size_t length = header[offset + 1];
    if (length < 2 || offset + length > header.size()) return false;
    visit(offset, type, length);
    offset += length;
  }
  return true;
}

}  // namespace sendpath::report::ipv4
