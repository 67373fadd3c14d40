#include "reports/reseal.h"

#include "reports/ipsec_crypto.h"
#include "reports/ipv4.h"

#include <algorithm>
#include <array>

namespace sendpath::report {
namespace {

bool Fail(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
  return false;
}

// Puts the GCM/GMAC nonce order back however the header's processing ends.
class NonceOrder {
 public:
  NonceOrder(SaCrypto& crypto, bool iv_first) : crypto_(crypto) { crypto_.set_nonce_iv_first(iv_first); }
  ~NonceOrder() { crypto_.set_nonce_iv_first(false); }
  NonceOrder(const NonceOrder&) = delete;
  NonceOrder& operator=(const NonceOrder&) = delete;

 private:
  SaCrypto& crypto_;
};

// The order the headers are processed in: RFC 4301 §5.1.2 (innermost packet first, and within a
// packet the header nearest the payload first), or one of the known wrong orders.
std::vector<std::size_t> ProcessingOrder(const CheckResult& layout, Deviation::Order order) {
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < layout.headers.size(); ++i) {
    if (layout.headers[i].sa != kNoSa) indices.push_back(i);
  }
  std::sort(indices.begin(), indices.end(), [&](std::size_t a, std::size_t b) {
    const HeaderCheck& x = layout.headers[a];
    const HeaderCheck& y = layout.headers[b];
    if (x.level != y.level) return order == Deviation::Order::kTunnelFirst ? x.level < y.level : x.level > y.level;
    return order == Deviation::Order::kAhFirst ? x.offset < y.offset : x.offset > y.offset;
  });
  return indices;
}

constexpr std::size_t kUdpHeader = 8;  // RFC 768

// The UDP header rewritten the way a deviation says, after its ESP was sealed.
void RewriteUdp(const UdpEncapsulation& udp, const Deviation& deviation, std::vector<std::uint8_t>& out) {
  const std::size_t datagram = udp.ip_end - udp.udp_offset;
  if (deviation.udp_length_without_header) {
    ipv4::PutBe16(out, udp.udp_offset + 4, static_cast<std::uint16_t>(datagram - kUdpHeader));
  }
  if (deviation.udp_checksum_recomputed) {
    // RFC 768: pseudo-header (source, destination, zero, protocol 17, UDP Length), then the
    // header with a zero checksum and the data; a computed zero is sent as all ones.
    const auto frame = std::span<const std::uint8_t>(out);
    std::uint32_t sum = ipv4::ChecksumAdd(0, frame.subspan(udp.ip_offset + 12, 8));
    sum += ipv4::kProtoUdp + ipv4::Be16(frame, udp.udp_offset + 4);
    ipv4::PutBe16(out, udp.udp_offset + 6, 0);
    sum = ipv4::ChecksumAdd(sum, frame.subspan(udp.udp_offset, datagram));
    const std::uint16_t checksum = ipv4::ChecksumFinish(sum);
    ipv4::PutBe16(out, udp.udp_offset + 6, checksum == 0 ? 0xffff : checksum);
  }
}

}  // namespace

std::optional<UdpEncapsulation> UdpHeaderOf(const CheckResult& layout, std::span<const std::uint8_t> frame,
                                           std::size_t header_index) {
  const HeaderCheck& header = layout.headers[header_index];
  if (header.protocol != IpsecProtocol::kEsp || header.offset < kUdpHeader + 20) return std::nullopt;
  const IpPacket* packet = nullptr;
  for (const IpPacket& candidate : layout.ip_packets) {
    if (candidate.level == header.level && candidate.offset < header.offset && header.offset <= candidate.end &&
        (packet == nullptr || candidate.offset > packet->offset)) {
      packet = &candidate;
    }
  }
  if (packet == nullptr || packet->end > frame.size() || packet->offset + 20 > frame.size()) return std::nullopt;
  const std::size_t ihl = static_cast<std::size_t>(frame[packet->offset] & 0x0f) * 4;
  if (frame[packet->offset + 9] != ipv4::kProtoUdp || packet->offset + ihl + kUdpHeader != header.offset) return std::nullopt;
  return UdpEncapsulation{header.offset - kUdpHeader, packet->offset, packet->end};
}

std::string SaNameOf(const SaKeys& keys) {
  const auto slash = keys.name.rfind('/');
  return slash == std::string::npos ? keys.name : keys.name.substr(0, slash);
}

bool Reseal(const ResealInput& input, const Deviation& deviation, std::vector<std::uint8_t>& out, std::string* why) {
  out.assign(input.input.begin(), input.input.end());
  if (input.ivs.size() != out.size()) return Fail(why, "the IV source is not the input's length");
  for (const std::size_t index : ProcessingOrder(input.layout, deviation.order)) {
    const HeaderCheck& header = input.layout.headers[index];
    const std::string where = std::string(ProtocolName(header.protocol)) + " header at byte " + std::to_string(header.offset);
    if (!deviation.skipped_sa.empty() && SaNameOf(input.sas.keys(header.sa)) == deviation.skipped_sa) continue;
    SaTable* table = &input.sas;
    std::size_t sa = header.sa;
    for (const auto& [which, other] : deviation.sa_overrides) {
      if (which == index && deviation.override_table != nullptr) {
        table = deviation.override_table;
        sa = other;
      }
    }
    const SaKeys& keys = table->keys(sa);
    if (keys.protocol != header.protocol || keys.IvLength() != header.iv_length || keys.IcvLength() != header.icv_length) {
      return Fail(why, where + ": " + keys.Description() + " does not fit its IV and ICV fields");
    }
    const std::size_t last = std::max({header.iv_offset + header.iv_length, header.icv_offset + header.icv_length,
                                       header.data_offset + header.data_length, header.coverage_end});
    if (last > out.size() || header.icv_length > 16 || header.iv_length > 16) return Fail(why, where + ": outside the frame");
    std::string error;
    SaCrypto* crypto = table->crypto(sa, error);
    if (crypto == nullptr) return Fail(why, error);
    const bool here = deviation.Applies(index);
    const NonceOrder nonce_order(*crypto, here && deviation.nonce_iv_first);
    std::size_t iv_from = header.iv_offset;
    if (deviation.ivs_follow_sa && table == &input.sas && sa != header.sa) {
      for (const HeaderCheck& other : input.layout.headers) {
        if (other.sa == sa && other.iv_length == header.iv_length) iv_from = other.iv_offset;
      }
    }
    std::array<std::uint8_t, 16> iv{};
    std::copy_n(input.ivs.begin() + static_cast<std::ptrdiff_t>(iv_from), header.iv_length, iv.begin());
    const auto iv_span = std::span<const std::uint8_t>(iv.data(), header.iv_length);
    std::array<std::uint8_t, 16> icv{};
    const auto icv_span = std::span<std::uint8_t>(icv.data(), header.icv_length);
    std::size_t icv_at = header.icv_offset;

    if (header.protocol == IpsecProtocol::kEsp) {
      const EspIcvRules rules = here ? deviation.esp : EspIcvRules{};
      std::array<std::uint8_t, 16> used_iv = iv;
      if (here && deviation.iv == Deviation::Iv::kNotLoaded) used_iv.fill(0);
      const auto used_iv_span = std::span<const std::uint8_t>(used_iv.data(), header.iv_length);
      if (!(here && deviation.iv == Deviation::Iv::kNotWritten)) {
        std::copy(iv_span.begin(), iv_span.end(), out.begin() + static_cast<std::ptrdiff_t>(header.iv_offset));
      }
      if (here && deviation.padding != Deviation::Padding::kAsFramed) {
        if (header.padding_offset == 0 || header.padding_offset + header.pad_length > out.size()) {
          return Fail(why, where + ": no padding to rewrite");
        }
        for (std::size_t i = 0; i < header.pad_length; ++i) {
          out[header.padding_offset + i] =
              deviation.padding == Deviation::Padding::kZeros ? 0 : static_cast<std::uint8_t>(i + 1);
        }
      }
      std::size_t encrypted_end = header.data_offset + header.data_length;
      if (here && deviation.trailer_in_clear) {
        if (header.padding_offset < header.data_offset) return Fail(why, where + ": no trailer");
        encrypted_end = header.padding_offset;
      }
      auto data = std::span<std::uint8_t>(out).subspan(header.data_offset, encrypted_end - header.data_offset);
      const bool gcm = keys.cipher == CipherAlgorithm::kAesGcm;
      const bool mac = !gcm && keys.integrity != IntegrityAlgorithm::kNone;
      // GMAC: the nonce takes the IV the NIC used, whatever went into the field.
      const auto nonce_iv = here && deviation.iv != Deviation::Iv::kWritten ? used_iv_span : std::span<const std::uint8_t>{};
      if (mac && rules.over_plaintext &&
          !ComputeEspIcv(*crypto, keys, out, header.offset, header.icv_offset, icv_span, rules, nonce_iv)) {
        return Fail(why, where + ": ICV computation failed");
      }
      if (gcm) {
        // RFC 4106 §5: AAD = SPI || [ESN high] || sequence number.
        std::array<std::uint8_t, 12> aad{};
        std::size_t aad_length = 0;
        const auto put = [&](std::uint32_t value) {
          ipv4::PutBe32(aad, aad_length, value);
          aad_length += 4;
        };
        if (!(here && deviation.aad_without_spi)) put(header.spi);
        if (keys.esn_high && !rules.esn_high_omitted) put(*keys.esn_high);
        if (!(here && deviation.aad_without_sequence)) put(header.sequence);
        std::array<std::uint8_t, 16> tag{};
        if (!crypto->GcmCrypt(true, used_iv_span, std::span<const std::uint8_t>(aad.data(), aad_length), data, tag)) {
          return Fail(why, where + ": GCM encryption failed");
        }
        std::copy_n(tag.begin(), header.icv_length, icv.begin());
      } else if (keys.cipher != CipherAlgorithm::kNull) {
        if (data.size() % keys.Alignment() != 0) return Fail(why, where + ": the encrypted range is not whole blocks");
        if (!crypto->CbcCrypt(true, used_iv_span, data)) return Fail(why, where + ": CBC encryption failed");
      }
      if (mac && !rules.over_plaintext &&
          !ComputeEspIcv(*crypto, keys, out, header.offset, header.icv_offset, icv_span, rules, nonce_iv)) {
        return Fail(why, where + ": ICV computation failed (coverage outside the frame?)");
      }
    } else {
      const AhIcvRules rules = here ? deviation.ah : AhIcvRules{};
      std::copy(iv_span.begin(), iv_span.end(), out.begin() + static_cast<std::ptrdiff_t>(header.iv_offset));
      std::string reason;
      if (!ComputeAhIcv(*crypto, keys, out, header.coverage_begin, header.offset, header.coverage_end, icv_span, &reason,
                        rules)) {
        return Fail(why, where + ": " + reason);
      }
      // A 20-byte header assumed: the ICV goes where that AH header's ICV field would be.
      if (rules.ihl_ignored) icv_at = header.coverage_begin + 20 + 12 + header.iv_length;
    }
    const std::size_t written = here && deviation.icv_written > 0 ? std::min(deviation.icv_written, header.icv_length)
                                                                  : header.icv_length;
    if (icv_at + written > out.size()) return Fail(why, where + ": ICV outside the frame");
    std::copy_n(icv.begin(), written, out.begin() + static_cast<std::ptrdiff_t>(icv_at));
    if (here && (deviation.udp_checksum_recomputed || deviation.udp_length_without_header)) {
      const auto udp = UdpHeaderOf(input.layout, input.input, index);
      if (!udp) return Fail(why, where + ": no UDP header in front of it");
      RewriteUdp(*udp, deviation, out);
    }
  }
  return true;
}

}  // namespace sendpath::report
