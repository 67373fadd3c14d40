// IPv4 header parsing and the AH view of a header (RFC 4302 section 3.3.3.1 and Appendix A).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "reference_nic/reference_nic.h"

namespace sendpath::nic::detail {

constexpr std::uint8_t kProtocolIpv4 = 4;  // IP-in-IP: the tunnel's payload
constexpr std::uint8_t kProtocolEsp = 50;
constexpr std::uint8_t kProtocolAh = 51;
constexpr std::uint8_t kProtocolUdp = 17;
constexpr std::size_t kUdpHeader = 8;        // RFC 768
constexpr std::uint16_t kUdpEspPort = 4500;  // RFC 3948 2.1; the only port NDIS 5.1 supports [S15a]
constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv4MaxHeader = 60;

struct Ipv4Header {
  std::size_t offset = 0;         // of the header in the frame
  std::size_t header_length = 0;  // IHL * 4
  std::size_t total_length = 0;
  std::uint8_t protocol = 0;
  bool has_options = false;
  bool fragment = false;  // MF set or fragment offset != 0
  std::size_t end() const { return offset + total_length; }
};

struct ParseFailure {
  Reason reason = Reason::kOk;
  std::size_t offset = 0;
};

inline std::uint32_t LoadBe32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
inline std::uint16_t LoadBe16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline void StoreBe32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// Parses the IPv4 header at `offset`; the packet must end by `limit`. Options are walked and
// their lengths checked, so a later AH computation cannot meet a malformed option.
ParseFailure ParseIpv4(ByteSpan frame, std::size_t offset, std::size_t limit, Ipv4Header& header);

// Copies the header into `out` (header_length bytes) as AH's ICV sees it: TOS, flags, fragment
// offset, TTL and checksum zeroed; mutable options zeroed entirely (type and length too); with
// LSRR/SSRR the destination replaced by the address the packet will carry at its final
// destination. The header must have passed ParseIpv4.
void AhHeaderView(ByteSpan header, std::span<std::uint8_t, kIpv4MaxHeader> out);

}  // namespace sendpath::nic::detail
