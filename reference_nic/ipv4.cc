#include "reference_nic/ipv4.h"

#include <cstring>

namespace sendpath::nic::detail {
namespace {

constexpr std::uint8_t kOptionEol = 0;
constexpr std::uint8_t kOptionNop = 1;
constexpr std::uint8_t kOptionLsrr = 131;
constexpr std::uint8_t kOptionSsrr = 137;

// RFC 4302 Appendix A.1: options kept in the ICV. Every other option, including the ones the
// appendix lists as mutable or experimental and any unknown one, is zeroed.
bool IsImmutableOption(std::uint8_t type) {
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

}  // namespace

ParseFailure ParseIpv4(ByteSpan frame, std::size_t offset, std::size_t limit, Ipv4Header& header) {
  if (limit > frame.size() || offset > limit || limit - offset < kIpv4MinHeader) {
    return {Reason::kFrameTooShort, offset};
  }
  const std::uint8_t* p = frame.data() + offset;
  if ((p[0] >> 4) != 4) return {Reason::kNotIpv4, offset};
  header.offset = offset;
  header.header_length = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  if (header.header_length < kIpv4MinHeader || header.header_length > limit - offset) {
    return {Reason::kBadIhl, offset};
  }
  header.total_length = static_cast<std::size_t>(p[2]) << 8 | p[3];
  if (header.total_length < header.header_length || header.total_length > limit - offset) {
    return {Reason::kTotalLengthMismatch, offset + 2};
  }
  header.protocol = p[9];
  const std::uint16_t flags_fragment = static_cast<std::uint16_t>(p[6] << 8 | p[7]);
  header.fragment = (flags_fragment & 0x2000) != 0 || (flags_fragment & 0x1fff) != 0;
  header.has_options = header.header_length > kIpv4MinHeader;

  for (std::size_t i = kIpv4MinHeader; i < header.header_length;) {
    const std::uint8_t type = p[i];
    if (type == kOptionEol) break;  // the rest of the header is padding
    if (type == kOptionNop) {
      ++i;
      continue;
    }
    if (i + 1 >= header.header_length) return {Reason::kMalformedOption, offset + i};
    const std::size_t length = p[i + 1];
    if (length < 2 || i + length > header.header_length) return {Reason::kMalformedOption, offset + i + 1};
    // RFC 791 3.1: a source route is type, length, pointer and whole 4-byte addresses.
    if ((type == kOptionLsrr || type == kOptionSsrr) && (length < 3 || (length - 3) % 4 != 0)) {
      return {Reason::kMalformedOption, offset + i + 1};
    }
    i += length;
  }
  return {};
}

void AhHeaderView(ByteSpan header, std::span<std::uint8_t, kIpv4MaxHeader> out) {
  const std::size_t length = header.size();
  std::memcpy(out.data(), header.data(), length);
  // RFC 4302 3.3.3.1.1.1: mutable base-header fields are zeroed.
  out[1] = 0;            // Type of Service
  out[6] = out[7] = 0;   // Flags, Fragment Offset
  out[8] = 0;            // Time to Live
  out[10] = out[11] = 0; // Header Checksum

  for (std::size_t i = kIpv4MinHeader; i < length;) {
    const std::uint8_t type = header[i];
    if (type == kOptionEol) break;
    if (type == kOptionNop) {
      ++i;
      continue;
    }
    const std::size_t option_length = header[i + 1];
    if (type == kOptionLsrr || type == kOptionSsrr) {
      // RFC 4302 3.3.3.1.1.1: the destination is "mutable but predictable": the ICV uses the
      // address the packet will have on arrival. While the route has addresses left (pointer
      // within the option) that is the route's last address; once the route is used up the
      // header already holds it.
      const std::size_t pointer = header[i + 2];
      if (option_length >= 7 && pointer <= option_length) {
        std::memcpy(out.data() + 16, header.data() + i + option_length - 4, 4);
      }
    }
    // RFC 4302 3.3.3.1.1.2: a mutable option is zeroed as a unit, type and length included.
    if (!IsImmutableOption(type)) std::memset(out.data() + i, 0, option_length);
    i += option_length;
  }
}

}  // namespace sendpath::nic::detail
