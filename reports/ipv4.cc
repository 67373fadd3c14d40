#include "reports/ipv4.h"

namespace sendpath::report::ipv4 {

std::uint32_t ChecksumAdd(std::uint32_t sum, ByteSpan bytes) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += static_cast<std::uint32_t>((bytes[i] << 8) | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i] << 8);
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

std::uint16_t ChecksumFinish(std::uint32_t sum) {
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

const char* OptionName(std::uint8_t type) {
  switch (type) {
    case 0: return "eol";
    case 1: return "nop";
    case 7: return "rr";
    case 10: return "zsu";
    case 11: return "mtu_probe";
    case 12: return "mtu_reply";
    case 15: return "encode";
    case 25: return "quick_start";
    case 68: return "timestamp";
    case 82: return "traceroute";
    case 130: return "security";
    case 131: return "lsrr";
    case 133: return "extended_security";
    case 134: return "cipso";  // Commercial Security
    case 136: return "stream_id";
    case 137: return "ssrr";
    case 142: return "visa";
    case 144: return "imi_traffic_descriptor";
    case 145: return "extended_ip";
    case 147: return "address_extension";
    case 148: return "router_alert";
    case 149: return "sdmdd";
    case 151: return "dynamic_packet_state";
    case 152: return "upstream_multicast";
    case 205: return "finn";
    default: return nullptr;
  }
}

bool OptionIsImmutableForAh(std::uint8_t type) {
  // RFC 4302 Appendix A.1 "IMMUTABLE -- included in ICV calculation".
  switch (type) {
    case 0:    // End of Options List
    case 1:    // No Operation
    case 130:  // Security (RFC 1108)
    case 133:  // Extended Security (RFC 1108)
    case 134:  // Commercial Security
    case 148:  // Router Alert (RFC 2113)
    case 149:  // Sender Directed Multi-Destination Delivery (RFC 1770)
      return true;
    default:
      return false;
  }
}

std::optional<Header> ParseHeader(ByteSpan packet) {
  if (packet.size() < 20 || (packet[0] >> 4) != 4) return std::nullopt;
  Header header;
  header.header_length = std::size_t{packet[0] & 0x0fu} * 4;
  if (header.header_length < 20 || header.header_length > packet.size()) return std::nullopt;
  header.total_length = Be16(packet, 2);
  const std::uint16_t flags_fragment = Be16(packet, 6);
  header.more_fragments = (flags_fragment & 0x2000) != 0;
  header.fragment_offset = static_cast<std::uint16_t>(flags_fragment & 0x1fff);
  header.protocol = packet[9];
  header.source = Be32(packet, 12);
  header.destination = Be32(packet, 16);
  return header;
}

std::optional<std::uint32_t> SourceRouteFinalDestination(ByteSpan header, bool lsrr, bool ssrr) {
  std::optional<std::uint32_t> final_destination;
  const bool well_formed = WalkOptions(header, [&](std::size_t offset, std::uint8_t type, std::size_t length) {
    // type, length, pointer, then route data. While the route has addresses left (pointer
    // within the option) the last one is the final destination; once it is used up the header's
    // destination already is (RFC 4302 3.3.3.1.1.1: the value it has on arrival).
    if (((type == 131 && lsrr) || (type == 137 && ssrr)) && length >= 7 && header[offset + 2] <= length) {
      const std::size_t addresses = (length - 3) / 4;
      final_destination = Be32(header, offset + 3 + (addresses - 1) * 4);
    }
  });
  if (!well_formed) return std::nullopt;
  return final_destination;
}

}  // namespace sendpath::report::ipv4
