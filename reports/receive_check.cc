#include "reports/receive_check.h"

#include "reports/ipv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace sendpath::report {
namespace {

using ipv4::Be16;
using ipv4::Be32;

std::string Hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}
std::string Hex16(std::uint16_t value) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", value);
  return text;
}

std::string HeaderName(IpsecProtocol protocol, unsigned level) {
  std::string name = protocol == IpsecProtocol::kAh ? "AH" : "ESP";
  if (level > 0) name += " (tunnel level " + std::to_string(level) + ")";
  return name;
}

// Builds the RFC 4302 §3.3.3.1 view of an IPv4 header for the AH ICV: TOS, flags, fragment
// offset, TTL and checksum zeroed; mutable options (Appendix A.1) zeroed entirely; with LSRR or
// SSRR the destination replaced by the route's final address. `rules` departs from that only to
// recompute a known mistake (reports/causes.h).
bool ZeroMutableFields(std::span<const std::uint8_t> header, std::span<std::uint8_t> out, const AhIcvRules& rules,
                       std::string* why) {
  if (header.size() < 20 || header.size() > 60 || out.size() < header.size()) {
    if (why != nullptr) *why = "IPv4 header of " + std::to_string(header.size()) + " bytes";
    return false;
  }
  std::copy(header.begin(), header.end(), out.begin());
  switch (rules.tos) {
    case AhIcvRules::Tos::kZeroed: out[1] = 0; break;
    case AhIcvRules::Tos::kKeptWhole: break;
    case AhIcvRules::Tos::kDscpKept: out[1] = static_cast<std::uint8_t>(out[1] & 0xfc); break;  // RFC 2474 DSCP
    case AhIcvRules::Tos::kEcnKept: out[1] = static_cast<std::uint8_t>(out[1] & 0x03); break;   // RFC 3168 ECN
  }
  if (!rules.keep_flags_offset) {
    out[6] = 0;
    out[7] = 0;
  }
  if (!rules.keep_ttl) out[8] = 0;
  if (!rules.keep_checksum) {
    out[10] = 0;
    out[11] = 0;
  }
  const bool well_formed = ipv4::WalkOptions(header, [&](std::size_t offset, std::uint8_t type, std::size_t length) {
    bool immutable = ipv4::OptionIsImmutableForAh(type);
    if (rules.options_by_copied_flag && type > 1) immutable = (type & 0x80) != 0;
    if (rules.keep_mutable_options || rules.kept_mutable_types.test(type)) immutable = true;
    if (rules.zero_immutable_options && !(rules.nop_eol_kept && type <= 1)) immutable = false;
    if (!immutable) std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(offset), length, 0);
  });
  if (!well_formed) {
    if (why != nullptr) *why = "malformed IPv4 option";
    return false;
  }
  // LSRR/SSRR: the destination as it arrives at the final one (RFC 4302 3.3.3.1.1.1). A NIC
  // that knows the rule for one kind only takes that kind's last route.
  using Route = AhIcvRules::SourceRoute;
  const bool lsrr = rules.source_route == Route::kFinalDestination || rules.source_route == Route::kLsrrOnly;
  const bool ssrr = rules.source_route == Route::kFinalDestination || rules.source_route == Route::kSsrrOnly;
  if (const auto final_destination = ipv4::SourceRouteFinalDestination(header, lsrr, ssrr)) {
    ipv4::PutBe32(out, 16, *final_destination);
  }
  return true;
}

}  // namespace

bool AhHeaderView(std::span<const std::uint8_t> header, std::span<std::uint8_t> out, std::string* why,
                  const AhIcvRules& rules) {
  return ZeroMutableFields(header, out, rules, why);
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (std::uint8_t byte : bytes) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 15]);
  }
  return text;
}

const char* FrameStatusName(FrameStatus status) {
  switch (status) {
    case FrameStatus::kVerified: return "verified";
    case FrameStatus::kFailed: return "failed";
    case FrameStatus::kUnknownSa: return "unknown SA";
    case FrameStatus::kNoIpsec: return "no IPsec";
    case FrameStatus::kNotIpv4: return "not IPv4";
  }
  return "?";
}

void CheckResult::Reset() {
  status = FrameStatus::kNoIpsec;
  ip_offset = 0;
  headers.clear();
  ip_packets.clear();
  plaintext.clear();
  plaintext_ranges.clear();
  reason.clear();
  offset = 0;
  unknown_spi_count = 0;
  left_for_software = 0;
}

bool ComputeAhIcv(SaCrypto& crypto, const SaKeys& keys, std::span<const std::uint8_t> packet, std::size_t ip_offset,
                  std::size_t ah_offset, std::size_t end, std::span<std::uint8_t> icv, std::string* why,
                  const AhIcvRules& rules) {
  if (ip_offset >= packet.size()) {
    if (why != nullptr) *why = "no IPv4 header";
    return false;
  }
  const std::size_t header_length = rules.ihl_ignored ? 20 : std::size_t{packet[ip_offset] & 0x0fu} * 4;
  if (rules.ihl_ignored) ah_offset = ip_offset + 20;
  if (header_length < 20 || ip_offset + header_length > ah_offset || end > packet.size() || ah_offset + 12 > end) {
    if (why != nullptr) *why = "bad IPv4 header length";
    return false;
  }
  std::array<std::uint8_t, 60> zeroed{};
  if (!ZeroMutableFields(packet.subspan(ip_offset, header_length), zeroed, rules, why)) return false;
  const std::size_t iv_offset = ah_offset + 12;
  const std::size_t icv_offset = iv_offset + keys.IvLength();
  const std::size_t ah_length = (std::size_t{packet[ah_offset + 1]} + 2) * 4;
  if (icv_offset + icv.size() > ah_offset + ah_length || ah_offset + ah_length > end) {
    if (why != nullptr) *why = "AH too short for its IV and ICV";
    return false;
  }
  // A tunnel's inner header zeroed as well (a mistake: RFC 4302 §3.3.3.1 zeroes the outer only).
  std::array<std::uint8_t, 60> inner{};
  std::size_t inner_length = 0;
  const std::size_t payload = ah_offset + ah_length;
  if (rules.zero_inner_header && packet[ah_offset] == ipv4::kProtoIpInIp && payload + 20 <= end) {
    inner_length = std::size_t{packet[payload] & 0x0fu} * 4;
    if (inner_length < 20 || payload + inner_length > end ||
        !ZeroMutableFields(packet.subspan(payload, inner_length), inner, AhIcvRules{}, why)) {
      return false;
    }
  }
  static constexpr std::array<std::uint8_t, 64> kZeros{};
  // The zeroed ICV field and AH padding: a length byte read from the wrong place (IHL ignored, a
  // candidate's frame) can claim more than any AH holds.
  if (ah_offset + ah_length - icv_offset > kZeros.size()) {
    if (why != nullptr) *why = "AH ICV field and padding longer than 64 bytes";
    return false;
  }
  std::uint8_t esn[4] = {};
  if (keys.esn_high) ipv4::PutBe32(esn, 0, *keys.esn_high);
  // ICV input: zeroed IP header (options included), bytes between it and AH (none in IPv4), the AH
  // header with the IV but a zero ICV field (padding included), the rest of the packet, and
  // the ESN high bits when used. RFC 4543 §5 keeps the GMAC IV in the AAD as well.
  // A header hashed as 20 bytes leaves the options (the bytes up to AH) out.
  const std::size_t hashed_length = rules.options_omitted ? 20 : header_length;
  const std::size_t after_header = rules.options_omitted ? ah_offset : ip_offset + header_length;
  const bool ok = crypto.MacBegin(packet.subspan(iv_offset, keys.IvLength())) &&
                  crypto.MacUpdate(std::span<const std::uint8_t>(zeroed.data(), hashed_length)) &&
                  crypto.MacUpdate(packet.subspan(after_header, icv_offset - after_header)) &&
                  crypto.MacUpdate(std::span<const std::uint8_t>(kZeros.data(), ah_offset + ah_length - icv_offset)) &&
                  crypto.MacUpdate(std::span<const std::uint8_t>(inner.data(), inner_length)) &&
                  crypto.MacUpdate(packet.subspan(payload + inner_length, end - (payload + inner_length))) &&
                  (!keys.esn_high || rules.esn_high_omitted || crypto.MacUpdate(esn)) && crypto.MacFinish(icv);
  if (!ok && why != nullptr) *why = "OpenSSL failed computing the ICV";
  return ok;
}

bool ComputeEspIcv(SaCrypto& crypto, const SaKeys& keys, std::span<const std::uint8_t> packet, std::size_t esp_offset,
                   std::size_t icv_offset, std::span<std::uint8_t> icv, const EspIcvRules& rules,
                   std::span<const std::uint8_t> gmac_nonce_iv) {
  const auto coverage_end = static_cast<std::ptrdiff_t>(icv_offset) + rules.coverage_delta;
  const std::size_t iv_end = esp_offset + 8 + keys.IvLength();
  if (coverage_end < static_cast<std::ptrdiff_t>(esp_offset) || static_cast<std::size_t>(coverage_end) > packet.size()) {
    return false;
  }
  const auto end = static_cast<std::size_t>(coverage_end);
  std::uint8_t esn[4] = {};
  if (keys.esn_high) ipv4::PutBe32(esn, 0, *keys.esn_high);
  const bool with_esn = keys.esn_high.has_value() && !rules.esn_high_omitted;
  // A coverage that ends inside the ESP header or IV (N bytes too few of a short payload): only
  // an HMAC started at the SPI stops there.
  if (end < iv_end) {
    if (keys.integrity == IntegrityAlgorithm::kAesGmac || rules.without_header || rules.without_iv) return false;
    return crypto.MacBegin({}) && crypto.MacUpdate(packet.subspan(esp_offset, end - esp_offset)) &&
           (!with_esn || crypto.MacUpdate(esn)) && crypto.MacFinish(icv);
  }
  const auto iv = packet.subspan(esp_offset + 8, keys.IvLength());
  const auto body = rules.without_iv ? packet.subspan(iv_end, end - iv_end) : packet.subspan(esp_offset + 8, end - (esp_offset + 8));
  if (keys.integrity == IntegrityAlgorithm::kAesGmac) {
    // RFC 4543 §3.3: AAD = SPI || [ESN high] || sequence || IV || payload .. next header.
    return crypto.MacBegin(gmac_nonce_iv.empty() ? iv : gmac_nonce_iv) &&
           (rules.without_header || rules.aad_without_spi || crypto.MacUpdate(packet.subspan(esp_offset, 4))) &&
           (!with_esn || crypto.MacUpdate(esn)) &&
           (rules.without_header || rules.aad_without_sequence || crypto.MacUpdate(packet.subspan(esp_offset + 4, 4))) &&
           crypto.MacUpdate(body) && crypto.MacFinish(icv);
  }
  // RFC 4303 §2.8 / §3.3.2.2: HMAC over ESP header, IV and ciphertext, then the ESN high bits.
  return crypto.MacBegin({}) && (rules.without_header || crypto.MacUpdate(packet.subspan(esp_offset, 8))) &&
         crypto.MacUpdate(body) && (!with_esn || crypto.MacUpdate(esn)) && crypto.MacFinish(icv);
}

struct ReceiveChecker::Walk {
  std::span<const std::uint8_t> frame;
  CheckResult& result;
  bool failed = false;
  bool saw_ipsec = false;
  bool unauthenticated = false;  // inside ESP without ICV and without a verified AH around it

  std::span<std::uint8_t> plain() { return result.plaintext; }
  void Fail(std::size_t offset, std::string reason) {
    if (failed) return;
    failed = true;
    result.offset = offset;
    result.reason = std::move(reason);
  }
};

ReceiveChecker::ReceiveChecker(SaTable& sas, CheckOptions options) : sas_(sas), options_(options) {}

bool ReceiveChecker::Sealed(std::uint32_t spi) const {
  return !sealed_spis_ || std::find(sealed_spis_->begin(), sealed_spis_->end(), spi) != sealed_spis_->end();
}

void ReceiveChecker::Check(std::span<const std::uint8_t> frame, LinkType link, CheckResult& result) {
  result.Reset();
  result.plaintext.assign(frame.begin(), frame.end());
  std::string why;
  const auto ip_offset = Ipv4Offset(frame, link, &why);
  if (!ip_offset) {
    result.status = FrameStatus::kNotIpv4;
    result.reason = why;
    return;
  }
  result.ip_offset = *ip_offset;
  Walk walk{frame, result};
  CheckIp(walk, *ip_offset, frame.size(), 0, false);
  if (walk.failed) {
    result.status = FrameStatus::kFailed;
  } else if (result.unknown_spi_count > 0) {
    result.status = FrameStatus::kUnknownSa;
  } else {
    result.status = walk.saw_ipsec ? FrameStatus::kVerified : FrameStatus::kNoIpsec;
  }
}

constexpr std::size_t kUdpHeaderBytes = 8;  // RFC 768

// RFC 3948 2.1 / 2.2: UDP port 4500 (either end: a NAT may map the other) followed by an SPI
// (not the four-zero non-ESP marker) that names a known ESP SA. Requiring the SA keeps an
// ordinary datagram to port 4500 an upper-layer payload.
bool ReceiveChecker::IsUdpEncapsulatedEsp(std::span<const std::uint8_t> packet, std::size_t offset,
                                          std::size_t end) const {
  constexpr std::uint16_t kNatTraversalPort = 4500;
  if (end < offset || end - offset < kUdpHeaderBytes + 8) return false;
  if (Be16(packet, offset) != kNatTraversalPort && Be16(packet, offset + 2) != kNatTraversalPort) return false;
  const std::uint32_t spi = Be32(packet, offset + kUdpHeaderBytes);
  if (spi == 0) return false;
  const auto [first, last] = sas_.Find(IpsecProtocol::kEsp, spi);
  return first != last;
}

void ReceiveChecker::CheckIp(Walk& walk, std::size_t ip_offset, std::size_t limit, unsigned level, bool in_plaintext) {
  auto packet = walk.plain().subspan(0, limit);
  const auto header = ipv4::ParseHeader(packet.subspan(ip_offset));
  const std::string where = level == 0 ? "IPv4" : "inner IPv4 (level " + std::to_string(level) + ")";
  if (!header) {
    walk.Fail(ip_offset, where + " header at byte " + std::to_string(ip_offset) +
                             " is malformed (version, IHL or length beyond the data)");
    return;
  }
  if (header->total_length < header->header_length || ip_offset + header->total_length > limit) {
    walk.Fail(ip_offset + 2, where + " total length " + std::to_string(header->total_length) + " does not fit the " +
                                 std::to_string(limit - ip_offset) + " bytes " +
                                 (level == 0 ? "captured" : "of the enclosing payload"));
    return;
  }
  const std::size_t end = ip_offset + header->total_length;
  walk.result.ip_packets.push_back({level, ip_offset, end, in_plaintext});
  if (options_.check_ipv4_checksums && ipv4::InternetChecksum(packet.subspan(ip_offset, header->header_length)) != 0) {
    walk.Fail(ip_offset + 10, where + " header checksum " + Hex16(Be16(packet, ip_offset + 10)) + " is wrong");
    return;
  }
  if (!ipv4::WalkOptions(packet.subspan(ip_offset, header->header_length), [](std::size_t, std::uint8_t, std::size_t) {})) {
    walk.Fail(ip_offset + 20, where + " options are malformed");
    return;
  }

  std::uint8_t protocol = header->protocol;
  std::size_t offset = ip_offset + header->header_length;
  std::size_t payload_end = end;
  const bool outer_unauthenticated = walk.unauthenticated;
  for (;;) {
    if (protocol == ipv4::kProtoAh) {
      HeaderCheck check;
      if (!CheckAh(walk, ip_offset, offset, payload_end, level, check)) return;
      if (check.sa == kNoSa) {
        // The AH payload is plaintext, so the walk goes on even without the SA.
      } else {
        walk.unauthenticated = false;
      }
      protocol = check.next_header;
      offset = check.offset + check.header_length;
    } else if (protocol == ipv4::kProtoEsp) {
      HeaderCheck check;
      if (!CheckEsp(walk, offset, payload_end, level, check)) return;
      if (check.sa == kNoSa) return;  // unknown SA: nothing beyond can be read
      if (check.icv_length == 0) walk.unauthenticated = true;
      protocol = check.next_header;
      offset = check.data_offset;
      payload_end = check.padding_offset;
    } else if (protocol == ipv4::kProtoIpInIp) {
      CheckIp(walk, offset, payload_end, level + 1, in_plaintext || !walk.result.plaintext_ranges.empty());
      break;
    } else if (protocol == ipv4::kProtoUdp && IsUdpEncapsulatedEsp(packet, offset, payload_end)) {
      // RFC 3948 2.1: ESP behind a UDP header; the header itself is not IPsec's to check.
      offset += kUdpHeaderBytes;
      protocol = ipv4::kProtoEsp;
    } else {
      CheckUpperLayer(walk, protocol, ip_offset, offset, payload_end);
      break;
    }
  }
  walk.unauthenticated = outer_unauthenticated;
}

bool ReceiveChecker::CheckAh(Walk& walk, std::size_t ip_offset, std::size_t offset, std::size_t end, unsigned level,
                             HeaderCheck& check) {
  auto packet = walk.plain();
  const std::string name = HeaderName(IpsecProtocol::kAh, level);
  if (offset + 12 > end) {
    walk.Fail(offset, name + " at byte " + std::to_string(offset) + " is truncated (" + std::to_string(end - offset) +
                          " bytes left, the fixed header needs 12)");
    return false;
  }
  walk.saw_ipsec = true;
  check.protocol = IpsecProtocol::kAh;
  check.level = level;
  check.offset = offset;
  check.next_header = packet[offset];
  check.header_length = (std::size_t{packet[offset + 1]} + 2) * 4;
  check.spi = Be32(packet, offset + 4);
  check.sequence = Be32(packet, offset + 8);
  check.coverage_begin = ip_offset;
  check.coverage_end = end;
  if (offset + check.header_length > end) {
    walk.Fail(offset + 1, name + " SPI " + Hex32(check.spi) + ": Payload Len " + std::to_string(packet[offset + 1]) +
                              " runs past the packet");
    return false;
  }
  auto [first, last] = sas_.Find(IpsecProtocol::kAh, check.spi);
  if (first != last && !Sealed(check.spi)) {
    // Not the NIC's to seal in this frame (an inner ESP left for software): payload, like a
    // header of an unknown SA, but known to be meant so.
    ++walk.result.left_for_software;
    walk.result.headers.push_back(check);
    return true;
  }
  if (first == last) {
    ++walk.result.unknown_spi_count;
    if (walk.result.reason.empty()) {
      walk.result.reason = name + " SPI " + Hex32(check.spi) + " at byte " + std::to_string(offset) + ": no SA has this SPI";
      walk.result.offset = offset + 4;
    }
    walk.result.headers.push_back(check);
    return true;
  }
  std::string first_failure;
  std::size_t first_failure_offset = offset;
  HeaderCheck first_failed = check;
  for (auto it = first; it != last; ++it) {
    const std::size_t index = it->second;
    const SaKeys& keys = sas_.keys(index);
    HeaderCheck attempt = check;
    attempt.sa = index;
    attempt.iv_offset = offset + 12;
    attempt.iv_length = keys.IvLength();
    attempt.icv_offset = attempt.iv_offset + attempt.iv_length;
    attempt.icv_length = keys.IcvLength();
    const std::size_t needed = 12 + attempt.iv_length + attempt.icv_length;
    std::string failure;
    std::size_t failure_offset = offset;
    if (check.header_length != ((needed + 3) / 4) * 4) {
      failure = "Payload Len " + std::to_string(packet[offset + 1]) + " gives " + std::to_string(check.header_length) +
                " bytes, " + keys.Description() + " needs " + std::to_string(((needed + 3) / 4) * 4);
      failure_offset = offset + 1;
    } else {
      std::string error;
      SaCrypto* crypto = sas_.crypto(index, error);
      std::array<std::uint8_t, 16> computed{};
      auto icv = std::span<std::uint8_t>(computed.data(), attempt.icv_length);
      std::string why;
      if (crypto == nullptr) {
        failure = error;
      } else if (!ComputeAhIcv(*crypto, keys, packet, ip_offset, offset, end, icv, &why)) {
        failure = why;
      } else {
        attempt.icv_checked = true;
        attempt.icv_ok = CRYPTO_memcmp(computed.data(), packet.data() + attempt.icv_offset, attempt.icv_length) == 0;
        if (!attempt.icv_ok) {
          failure = "ICV does not verify (" + keys.name + ", " + keys.Description() + "): found " +
                    ToHex(packet.subspan(attempt.icv_offset, attempt.icv_length)) + ", computed " + ToHex(icv);
          failure_offset = attempt.icv_offset;
        }
      }
    }
    if (failure.empty()) {
      walk.result.headers.push_back(attempt);
      check = attempt;
      return true;
    }
    if (first_failure.empty()) {
      first_failure = failure;
      first_failure_offset = failure_offset;
      first_failed = attempt;
    }
  }
  const auto candidates = static_cast<std::size_t>(std::distance(first, last));
  walk.result.headers.push_back(first_failed);
  walk.Fail(first_failure_offset, name + " SPI " + Hex32(check.spi) + " at byte " + std::to_string(offset) + ": " +
                                      first_failure +
                                      (candidates > 1 ? " (and " + std::to_string(candidates - 1) + " other SAs with this SPI do not verify either)" : ""));
  // A wrong ICV leaves the structure readable: the walk goes on so reports can show the rest.
  check = first_failed;
  return first_failed.icv_checked;
}

bool ReceiveChecker::CheckEsp(Walk& walk, std::size_t offset, std::size_t end, unsigned level, HeaderCheck& check) {
  auto packet = walk.plain();
  const std::string name = HeaderName(IpsecProtocol::kEsp, level);
  if (offset + 8 > end) {
    walk.Fail(offset, name + " at byte " + std::to_string(offset) + " is truncated (" + std::to_string(end - offset) +
                          " bytes left, SPI and sequence number need 8)");
    return false;
  }
  walk.saw_ipsec = true;
  check.protocol = IpsecProtocol::kEsp;
  check.level = level;
  check.offset = offset;
  check.spi = Be32(packet, offset);
  check.sequence = Be32(packet, offset + 4);
  check.header_length = 8;
  auto [first, last] = sas_.Find(IpsecProtocol::kEsp, check.spi);
  if (first != last && !Sealed(check.spi)) {
    // Not the NIC's to seal in this frame (an inner ESP left for software): payload, like a
    // header of an unknown SA, but known to be meant so.
    ++walk.result.left_for_software;
    walk.result.headers.push_back(check);
    return true;
  }
  if (first == last) {
    ++walk.result.unknown_spi_count;
    if (walk.result.reason.empty()) {
      walk.result.reason = name + " SPI " + Hex32(check.spi) + " at byte " + std::to_string(offset) + ": no SA has this SPI";
      walk.result.offset = offset;
    }
    walk.result.headers.push_back(check);
    return true;
  }
  const auto candidates = static_cast<std::size_t>(std::distance(first, last));
  if (candidates > 1) backup_.assign(packet.begin() + static_cast<std::ptrdiff_t>(offset), packet.begin() + static_cast<std::ptrdiff_t>(end));

  std::string first_failure;
  std::size_t first_failure_offset = offset;
  HeaderCheck first_failed = check;
  for (auto it = first; it != last; ++it) {
    if (it != first) std::copy(backup_.begin(), backup_.end(), packet.begin() + static_cast<std::ptrdiff_t>(offset));
    const std::size_t index = it->second;
    const SaKeys& keys = sas_.keys(index);
    HeaderCheck attempt = check;
    attempt.sa = index;
    attempt.iv_offset = offset + 8;
    attempt.iv_length = keys.IvLength();
    attempt.header_length = 8 + attempt.iv_length;
    attempt.icv_length = keys.IcvLength();
    attempt.coverage_begin = offset;
    std::string failure;
    std::size_t failure_offset = offset;
    auto fail = [&](std::size_t at, std::string text) {
      failure_offset = at;
      failure = std::move(text);
    };
    std::string icv_failure;
    const std::size_t data_offset = attempt.iv_offset + attempt.iv_length;
    if (data_offset + 2 + attempt.icv_length > end) {
      fail(offset, "too short for " + keys.Description() + ": " + std::to_string(end - offset) +
                       " bytes cannot hold header, IV, pad length, next header and ICV");
    } else {
      attempt.icv_offset = end - attempt.icv_length;
      attempt.coverage_end = attempt.icv_offset;
      attempt.data_offset = data_offset;
      attempt.data_length = attempt.icv_offset - data_offset;
      std::string error;
      SaCrypto* crypto = sas_.crypto(index, error);
      auto data = packet.subspan(attempt.data_offset, attempt.data_length);
      const auto iv = std::span<const std::uint8_t>(packet.data() + attempt.iv_offset, attempt.iv_length);
      if (crypto == nullptr) {
        fail(offset, error);
      } else if ((keys.cipher == CipherAlgorithm::kDesCbc || keys.cipher == CipherAlgorithm::kTripleDesCbc ||
                  keys.cipher == CipherAlgorithm::kAesCbc) &&
                 attempt.data_length % keys.Alignment() != 0) {
        fail(attempt.data_offset, "ciphertext length " + std::to_string(attempt.data_length) +
                                      " is not a multiple of the " + std::to_string(keys.Alignment()) + "-byte block (" +
                                      keys.Description() + ")");
      } else if ((attempt.iv_length + attempt.data_length) % 4 != 0) {
        fail(attempt.data_offset, "IV + ciphertext (" + std::to_string(attempt.iv_length + attempt.data_length) +
                                      " bytes) do not end on a 4-byte boundary (RFC 4303 §2.4)");
      } else if (keys.cipher == CipherAlgorithm::kAesGcm) {
        // RFC 4106 §5: AAD = SPI || [ESN high] || sequence number.
        std::uint8_t aad[12];
        std::size_t aad_length = 0;
        ipv4::PutBe32(aad, 0, check.spi);
        if (keys.esn_high) {
          ipv4::PutBe32(aad, 4, *keys.esn_high);
          ipv4::PutBe32(aad, 8, check.sequence);
          aad_length = 12;
        } else {
          ipv4::PutBe32(aad, 4, check.sequence);
          aad_length = 8;
        }
        std::array<std::uint8_t, 16> tag{};
        std::copy_n(packet.begin() + static_cast<std::ptrdiff_t>(attempt.icv_offset), 16, tag.begin());
        attempt.icv_checked = true;
        attempt.icv_ok = crypto->GcmCrypt(false, iv, std::span<const std::uint8_t>(aad, aad_length), data, tag);
        attempt.decrypted = true;
        if (!attempt.icv_ok) {
          fail(attempt.icv_offset, "ICV (GCM tag) does not verify (" + keys.name + ", " + keys.Description() + ")");
        }
      } else {
        if (attempt.icv_length > 0) {
          std::array<std::uint8_t, 16> computed{};
          auto icv = std::span<std::uint8_t>(computed.data(), attempt.icv_length);
          if (!ComputeEspIcv(*crypto, keys, packet, offset, attempt.icv_offset, icv)) {
            fail(offset, "OpenSSL failed computing the ICV");
          } else {
            attempt.icv_checked = true;
            attempt.icv_ok = CRYPTO_memcmp(computed.data(), packet.data() + attempt.icv_offset, attempt.icv_length) == 0;
            if (!attempt.icv_ok) {
              // Decryption still goes ahead so a report can show what the payload holds.
              icv_failure = "ICV does not verify (" + keys.name + ", " + keys.Description() + "): found " +
                            ToHex(packet.subspan(attempt.icv_offset, attempt.icv_length)) + ", computed " + ToHex(icv);
            }
          }
        }
        if (failure.empty() && keys.cipher != CipherAlgorithm::kNull) {
          if (!crypto->CbcCrypt(false, iv, data)) {
            fail(attempt.data_offset, "OpenSSL failed decrypting (" + keys.Description() + ")");
          } else {
            attempt.decrypted = true;
          }
        }
      }
      if (failure.empty()) {
        // RFC 4303 §2.4-2.6: ... padding, Pad Length, Next Header end the (decrypted) payload.
        attempt.pad_length = packet[attempt.icv_offset - 2];
        attempt.next_header = packet[attempt.icv_offset - 1];
        if (std::size_t{attempt.pad_length} + 2 > attempt.data_length) {
          fail(attempt.icv_offset - 2, "decrypted Pad Length " + std::to_string(attempt.pad_length) +
                                           " runs past the start of the payload (" + std::to_string(attempt.data_length) +
                                           " bytes) — wrong key, IV or ciphertext?");
        } else {
          attempt.padding_offset = attempt.icv_offset - 2 - attempt.pad_length;
          attempt.trailer_ok = true;
          if (options_.check_padding) {
            for (std::size_t i = 0; i < attempt.pad_length; ++i) {
              if (packet[attempt.padding_offset + i] != static_cast<std::uint8_t>(i + 1)) {
                attempt.trailer_ok = false;
                fail(attempt.padding_offset + i,
                     "decrypted padding byte " + std::to_string(i + 1) + " is " +
                         std::to_string(packet[attempt.padding_offset + i]) + ", RFC 4303 §2.4 default padding has " +
                         std::to_string(i + 1) + " — wrong key, IV or ciphertext?");
                break;
              }
            }
          }
        }
      }
    }
    if (!icv_failure.empty()) {
      failure_offset = attempt.icv_offset;
      failure = icv_failure;
    }
    if (failure.empty()) {
      if (attempt.decrypted) walk.result.plaintext_ranges.emplace_back(attempt.data_offset, attempt.data_length);
      walk.result.headers.push_back(attempt);
      check = attempt;
      return true;
    }
    if (first_failure.empty()) {
      first_failure = failure;
      first_failure_offset = failure_offset;
      first_failed = attempt;
    }
  }
  if (candidates > 1) {
    // Leave the bytes as the first candidate decrypted them, so a report shows that attempt.
    std::copy(backup_.begin(), backup_.end(), packet.begin() + static_cast<std::ptrdiff_t>(offset));
  }
  if (first_failed.decrypted && candidates == 1) {
    walk.result.plaintext_ranges.emplace_back(first_failed.data_offset, first_failed.data_length);
  }
  walk.result.headers.push_back(first_failed);
  walk.Fail(first_failure_offset, name + " SPI " + Hex32(check.spi) + " at byte " + std::to_string(offset) + ": " +
                                      first_failure +
                                      (candidates > 1 ? " (and " + std::to_string(candidates - 1) + " other SAs with this SPI do not verify either)" : ""));
  // Only an ICV failure over a payload that decrypted to a sound trailer leaves it readable.
  check = first_failed;
  return candidates == 1 && first_failed.icv_checked && !first_failed.icv_ok && first_failed.trailer_ok;
}

void ReceiveChecker::CheckUpperLayer(Walk& walk, std::uint8_t protocol, std::size_t ip_offset, std::size_t offset,
                                     std::size_t end) {
  if (!walk.unauthenticated || !options_.check_plaintext_checksums || offset > end) return;
  // Encryption-only ESP: no ICV vouches for the plaintext, so the transport's checksums (which the
  // NIC must not touch) are the check that decryption produced the original bytes.
  auto packet = std::span<const std::uint8_t>(walk.result.plaintext);
  const auto segment = packet.subspan(offset, end - offset);
  const char* name = nullptr;
  std::uint32_t sum = 0;
  std::size_t checksum_offset = 0;
  if (protocol == ipv4::kProtoTcp || protocol == ipv4::kProtoUdp) {
    name = protocol == ipv4::kProtoTcp ? "TCP" : "UDP";
    checksum_offset = protocol == ipv4::kProtoTcp ? 16 : 6;
    if (segment.size() < checksum_offset + 2) {
      walk.Fail(offset, std::string("decrypted ") + name + " header is truncated — wrong key, IV or ciphertext?");
      return;
    }
    if (protocol == ipv4::kProtoUdp && Be16(segment, 6) == 0) return;  // no checksum sent (RFC 768)
    const auto ip_header = packet.subspan(ip_offset, std::size_t{packet[ip_offset] & 0x0fu} * 4);
    std::uint8_t pseudo[12];
    std::copy_n(ip_header.begin() + 12, 8, pseudo);
    if (auto final_destination = ipv4::SourceRouteFinalDestination(ip_header)) ipv4::PutBe32(pseudo, 4, *final_destination);
    pseudo[8] = 0;
    pseudo[9] = protocol;
    ipv4::PutBe16(pseudo, 10, static_cast<std::uint16_t>(segment.size()));
    sum = ipv4::ChecksumAdd(0, pseudo);
  } else if (protocol == ipv4::kProtoIcmp) {
    name = "ICMP";
    checksum_offset = 2;
    if (segment.size() < 4) {
      walk.Fail(offset, "decrypted ICMP header is truncated — wrong key, IV or ciphertext?");
      return;
    }
  } else {
    return;
  }
  if (ipv4::ChecksumFinish(ipv4::ChecksumAdd(sum, segment)) != 0) {
    walk.Fail(offset + checksum_offset, std::string("decrypted ") + name + " checksum " +
                                            Hex16(Be16(segment, checksum_offset)) +
                                            " does not match the plaintext (encryption-only ESP: no ICV) — wrong key, IV or ciphertext?");
  }
}

}  // namespace sendpath::report
