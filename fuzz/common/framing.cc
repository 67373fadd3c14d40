#include "fuzz/common/framing.h"

#include <algorithm>
#include <array>

namespace sendpath::fuzz {
namespace {

constexpr std::uint32_t kHostSrc = 0xc0000201;     // 192.0.2.1
constexpr std::uint32_t kHostDst = 0xc6336407;     // 198.51.100.7
constexpr std::uint32_t kGatewaySrc = 0xcb007101;  // 203.0.113.1
constexpr std::uint32_t kGatewayDst = 0xcb007102;  // 203.0.113.2
constexpr std::uint32_t kFirstHop = 0x0a0100ff;    // 10.1.0.255: a source route's first hop
constexpr std::uint8_t kProtocolIpInIp = 4;
constexpr std::uint8_t kProtocolUdp = 17;
constexpr std::uint8_t kProtocolEsp = 50;
constexpr std::uint16_t kUdpEspPort = 4500;  // RFC 3948 §2.1
constexpr std::uint8_t kProtocolAh = 51;
constexpr std::size_t kMaxOptionBytes = 40;  // RFC 791: IHL 15 leaves 40 bytes of options

void Put16(std::vector<std::uint8_t>& out, std::uint32_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}
void Put32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  Put16(out, value >> 16);
  Put16(out, value & 0xffff);
}
void Store16(std::span<std::uint8_t> bytes, std::size_t offset, std::uint32_t value) {
  bytes[offset] = static_cast<std::uint8_t>(value >> 8);
  bytes[offset + 1] = static_cast<std::uint8_t>(value);
}
void Store32(std::span<std::uint8_t> bytes, std::size_t offset, std::uint32_t value) {
  Store16(bytes, offset, value >> 16);
  Store16(bytes, offset + 2, value & 0xffff);
}
std::uint32_t Load16(std::span<const std::uint8_t> bytes, std::size_t offset) {
  return static_cast<std::uint32_t>(bytes[offset] << 8 | bytes[offset + 1]);
}

// Within the frame: writes of a deviation that points past a truncated or absent part are dropped.
bool Fits(std::size_t offset, std::size_t length, std::size_t size) {
  return offset != kNowhere && offset <= size && length <= size - offset;
}

}  // namespace

void FixIpv4Checksum(std::span<std::uint8_t> frame, std::size_t offset, std::size_t header_length) {
  if (!Fits(offset, header_length, frame.size()) || header_length < 20) return;
  Store16(frame, offset + 10, 0);
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < header_length; i += 2) sum += Load16(frame, offset + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  Store16(frame, offset + 10, ~sum & 0xffff);
}

void FrameBuilder::Build(const Setup& setup, std::span<const SaFraming> sas, const SendDef& send,
                         std::vector<std::uint8_t>& frame, Layout& layout) {
  frame_ = &frame;
  layout_ = &layout;
  frame.clear();
  layout.link = 0;
  layout.levels[0] = {};
  layout.levels[1] = {};
  layout.option_offsets[0].clear();
  layout.option_offsets[1].clear();
  if (setup.ethernet) {
    // Ethernet II: destination, source, EtherType IPv4.
    static constexpr std::uint8_t kEthernet[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    frame.insert(frame.end(), std::begin(kEthernet), std::end(kEthernet));
    layout.link = 14;
  }
  const FramePlan& plan = send.plan;
  const SaFraming* outer = plan.outer_sa < sas.size() ? &sas[plan.outer_sa] : nullptr;
  const SaFraming* inner = plan.inner_sa < sas.size() ? &sas[plan.inner_sa] : nullptr;
  const bool tunnel = plan.tunnel_payload || inner != nullptr;
  const std::uint8_t upper = plan.upper_protocol;
  const std::uint8_t outer_next = tunnel ? kProtocolIpInIp : upper;
  // RFC 3948 §2.1: a UDP-ESP SA's ESP follows a UDP header; udp_flip frames a portion the other way.
  const auto udp_framed = [&](const SaFraming* sa, unsigned level) {
    return sa != nullptr && sa->HasEsp() && sa->udp_esp != (((send.udp_flip >> level) & 1u) != 0);
  };
  const bool outer_udp = udp_framed(outer, 0), inner_udp = udp_framed(inner, 1);
  const auto first_protocol = [](const SaFraming* sa, std::uint8_t next, bool udp) {
    return sa == nullptr ? next : (sa->HasAh() ? kProtocolAh : (udp ? kProtocolUdp : kProtocolEsp));
  };

  std::uint32_t src = kHostSrc, dst = kHostDst;
  if (tunnel) {
    // RFC 4301 §5.1.2.1: the outer header carries the tunnel endpoints.
    const bool named = outer != nullptr && outer->tunnel && (outer->tunnel_src | outer->tunnel_dst) != 0;
    src = named ? outer->tunnel_src : kGatewaySrc;
    dst = named ? outer->tunnel_dst : kGatewayDst;
  }
  Ipv4Header(0, plan, src, dst, first_protocol(outer, outer_next, outer_udp));
  OpenPortion(0, outer, plan.outer_sequence, outer_next, plan.icv_delta, outer_udp);
  if (tunnel) {
    Ipv4Header(1, plan, kHostSrc, kHostDst, first_protocol(inner, upper, inner_udp));
    OpenPortion(1, inner, plan.inner_sequence, upper, 0, inner_udp);
    Payload(upper, plan.payload_length);
    ClosePortion(1, inner, upper, 0, 0, 0);
    FinishIpv4(1);
  } else {
    Payload(upper, plan.payload_length);
  }
  ClosePortion(0, outer, outer_next, plan.extra_pad_blocks, plan.cipher_delta, plan.icv_delta);
  FinishIpv4(0);
  frame.insert(frame.end(), plan.trailing, 0);

  bool checksum_deviates[2] = {false, false};
  for (const Deviation& deviation : send.deviations) {
    if (deviation.field == Field::kTruncate) continue;
    if (deviation.field == Field::kChecksum) checksum_deviates[deviation.level & 1] = true;
    if (deviation.field != Field::kChecksum) Deviate(deviation, sas);
  }
  for (const UdpDeviation& deviation : send.udp_deviations) DeviateUdp(deviation);
  for (unsigned level = 0; level < 2; ++level) {
    if (!checksum_deviates[level]) FixIpv4Checksum(frame, layout.levels[level].ip, layout.levels[level].ip_header);
  }
  for (const Deviation& deviation : send.deviations) {
    if (deviation.field == Field::kChecksum || deviation.field == Field::kTruncate) Deviate(deviation, sas);
  }
}

void FrameBuilder::Ipv4Header(unsigned level, const FramePlan& plan, std::uint32_t src, std::uint32_t dst,
                              std::uint8_t protocol) {
  std::vector<std::uint8_t>& frame = *frame_;
  Layout::Level& at = layout_->levels[level];
  at.ip = frame.size();
  frame.push_back(0x45);
  frame.push_back(plan.tos);
  Put16(frame, 0);  // total length: FinishIpv4
  Put16(frame, plan.ip_id + level);
  Put16(frame, 0x4000);  // DF, no fragment
  frame.push_back(plan.ttl);
  frame.push_back(protocol);
  Put16(frame, 0);  // checksum: FixIpv4Checksum
  Put32(frame, src);
  Put32(frame, dst);
  const auto& options = level == 0 ? plan.outer_options : plan.inner_options;
  if (Options(level, std::span<const OptionDef>(options.data(), options.size()), dst)) {
    // RFC 791 source routing: the header carries the first hop; the final destination is the
    // route's last address.
    Store32(frame, at.ip + 16, kFirstHop);
  }
  at.ip_header = frame.size() - at.ip;
  frame[at.ip] = static_cast<std::uint8_t>(0x40 | (at.ip_header / 4));
}

bool FrameBuilder::Options(unsigned level, std::span<const OptionDef> options, std::uint32_t final_destination) {
  std::vector<std::uint8_t>& frame = *frame_;
  const std::size_t start = frame.size();
  bool source_route = false;
  for (const OptionDef& option : options) {
    const std::size_t slots = std::max<std::size_t>(1, option.size % 10);
    std::size_t length = 1;
    switch (option.kind) {
      case OptionKind::kNop:
      case OptionKind::kEol: length = 1; break;
      case OptionKind::kRecordRoute:
      case OptionKind::kLsrr:
      case OptionKind::kSsrr: length = 3 + 4 * slots; break;
      case OptionKind::kTimestamp: length = 4 + 4 * slots; break;
      case OptionKind::kRouterAlert: length = 4; break;
      case OptionKind::kSecurity:
      case OptionKind::kUnknown: length = 2 + option.size % 10; break;
      case OptionKind::kCount: continue;
    }
    if (frame.size() - start + length > kMaxOptionBytes) break;
    layout_->option_offsets[level].push_back(frame.size());
    switch (option.kind) {
      case OptionKind::kNop: frame.push_back(1); break;
      case OptionKind::kEol: frame.push_back(0); break;
      case OptionKind::kRecordRoute:
      case OptionKind::kLsrr:
      case OptionKind::kSsrr: {
        // RFC 791: type, length, pointer, route data. A source route's last address is where
        // the packet finally goes (RFC 4302 §3.3.3.1.1.1 computes the AH ICV with it).
        frame.push_back(option.kind == OptionKind::kRecordRoute ? 7 : (option.kind == OptionKind::kLsrr ? 131 : 137));
        source_route = source_route || option.kind != OptionKind::kRecordRoute;
        frame.push_back(static_cast<std::uint8_t>(length));
        frame.push_back(option.pointer);
        for (std::size_t i = 0; i < slots; ++i) {
          const bool last = i + 1 == slots;
          Put32(frame, option.kind == OptionKind::kRecordRoute ? 0 : (last ? final_destination : 0x0a010000u + static_cast<std::uint32_t>(i)));
        }
        break;
      }
      case OptionKind::kTimestamp:
        frame.push_back(68);
        frame.push_back(static_cast<std::uint8_t>(length));
        frame.push_back(option.pointer);
        frame.push_back(0);  // overflow, flags: timestamps only
        frame.insert(frame.end(), 4 * slots, 0);
        break;
      case OptionKind::kRouterAlert:
        frame.insert(frame.end(), {148, 4, 0, 0});  // RFC 2113
        break;
      case OptionKind::kSecurity:
      case OptionKind::kUnknown:
        frame.push_back(option.kind == OptionKind::kSecurity ? 130 : 0x9f);
        frame.push_back(static_cast<std::uint8_t>(length));
        frame.insert(frame.end(), length - 2, 0xab);
        break;
      case OptionKind::kCount: break;
    }
  }
  while ((frame.size() - start) % 4 != 0) frame.push_back(0);  // End of Option List padding
  return source_route;
}

void FrameBuilder::OpenPortion(unsigned level, const SaFraming* sa, std::uint32_t sequence, std::uint8_t next_header,
                               int icv_delta, bool udp) {
  if (sa == nullptr) return;
  std::vector<std::uint8_t>& frame = *frame_;
  Layout::Level& at = layout_->levels[level];
  if (sa->HasAh()) {
    // RFC 4302 §2: the ICV space follows the (GMAC) IV; the header is a multiple of 4 bytes.
    std::size_t icv = sa->ah_icv;
    if (!sa->HasEsp()) icv = static_cast<std::size_t>(std::max<int>(0, static_cast<int>(icv) + icv_delta));
    const std::size_t length = (12 + sa->ah_iv + icv + 3) / 4 * 4;
    at.ah = frame.size();
    frame.push_back(sa->HasEsp() ? (udp ? kProtocolUdp : kProtocolEsp) : next_header);
    frame.push_back(static_cast<std::uint8_t>(length / 4 - 2));
    Put16(frame, 0);
    Put32(frame, sa->ah_spi);
    Put32(frame, sequence);
    at.ah_iv = frame.size();
    at.ah_iv_length = sa->ah_iv;
    if (!sa->HasEsp()) at.icv = at.ah_iv + sa->ah_iv;
    frame.insert(frame.end(), length - 12, 0);
  }
  if (sa->HasEsp() && udp) {
    // RFC 3948 §2.1: source and destination port 4500, UDP Length (FinishIpv4), checksum zero
    // (§3.1: an IPv4 sender SHOULD send zero).
    at.udp = frame.size();
    Put16(frame, kUdpEspPort);
    Put16(frame, kUdpEspPort);
    Put16(frame, 0);
    Put16(frame, 0);
  }
  if (sa->HasEsp()) {
    at.esp = frame.size();
    Put32(frame, sa->esp_spi);
    Put32(frame, sequence);
    at.esp_iv = frame.size();
    frame.insert(frame.end(), sa->esp_iv, 0);
    at.esp_payload = frame.size();
  }
}

void FrameBuilder::ClosePortion(unsigned level, const SaFraming* sa, std::uint8_t next_header,
                                std::size_t extra_pad_blocks, std::size_t cipher_delta, int icv_delta) {
  if (sa == nullptr || !sa->HasEsp()) return;
  std::vector<std::uint8_t>& frame = *frame_;
  Layout::Level& at = layout_->levels[level];
  // RFC 4303 §2.4: payload, padding, Pad Length and Next Header fill whole cipher blocks and end
  // on a 4-byte boundary; padding bytes are 1, 2, 3, ...
  const std::size_t align = std::max<std::size_t>(sa->esp_alignment, 4);
  const std::size_t content = frame.size() - at.esp_payload;
  std::size_t pad = (align - (content + 2) % align) % align + extra_pad_blocks * align + cipher_delta;
  pad = std::min<std::size_t>(pad, 255);
  static const auto kPadding = [] {
    std::array<std::uint8_t, 255> padding{};
    for (std::size_t i = 0; i < padding.size(); ++i) padding[i] = static_cast<std::uint8_t>(i + 1);
    return padding;
  }();
  frame.insert(frame.end(), kPadding.begin(), kPadding.begin() + static_cast<std::ptrdiff_t>(pad));
  at.esp_trailer = frame.size();
  frame.push_back(static_cast<std::uint8_t>(pad));
  frame.push_back(next_header);
  at.icv = frame.size();
  frame.insert(frame.end(), static_cast<std::size_t>(std::max<int>(0, static_cast<int>(sa->esp_icv) + icv_delta)), 0);
}

void FrameBuilder::Payload(std::uint8_t protocol, std::size_t length) {
  std::vector<std::uint8_t>& frame = *frame_;
  const std::size_t start = frame.size();
  if (protocol == 17 && length >= 8) {
    Put16(frame, 0x1234);  // UDP: ports, length, no checksum
    Put16(frame, 53);
    Put16(frame, static_cast<std::uint32_t>(length));
    Put16(frame, 0);
  } else if (protocol == 6 && length >= 20) {
    Put16(frame, 0x1234);  // TCP: ports, sequence, ack, data offset 5, ACK, window
    Put16(frame, 80);
    Put32(frame, 0x01020304);
    Put32(frame, 0x05060708);
    Put16(frame, 0x5010);
    Put16(frame, 0xffff);
    Put32(frame, 0);
  }
  // Byte i of every payload is i * 31 + 7: one table, copied, keeps this off the per-byte path.
  static const auto kPattern = [] {
    std::array<std::uint8_t, 2048> pattern{};
    for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<std::uint8_t>(i * 31 + 7);
    return pattern;
  }();
  const std::size_t have = frame.size() - start;
  const std::size_t want = std::min(length, kPattern.size());
  if (have < want) {
    frame.insert(frame.end(), kPattern.begin() + static_cast<std::ptrdiff_t>(have),
                 kPattern.begin() + static_cast<std::ptrdiff_t>(want));
  }
}

void FrameBuilder::FinishIpv4(unsigned level) {
  std::vector<std::uint8_t>& frame = *frame_;
  Layout::Level& at = layout_->levels[level];
  at.end = frame.size();
  Store16(frame, at.ip + 2, static_cast<std::uint32_t>(std::min<std::size_t>(at.end - at.ip, 0xffff)));
  if (at.udp != kNowhere) Store16(frame, at.udp + 4, static_cast<std::uint32_t>(std::min<std::size_t>(at.end - at.udp, 0xffff)));
}

void FrameBuilder::DeviateUdp(const UdpDeviation& deviation) {
  std::vector<std::uint8_t>& frame = *frame_;
  const std::size_t udp = layout_->levels[deviation.level & 1].udp;
  if (!Fits(udp, 8, frame.size())) return;
  const std::uint32_t value = deviation.value;
  switch (deviation.field) {
    case UdpField::kSourcePort: Store16(frame, udp, value & 0xffff); break;
    case UdpField::kDestinationPort: Store16(frame, udp + 2, value & 0xffff); break;
    case UdpField::kLength: {
      const std::uint32_t length = value >= 0x10000 ? value : Load16(frame, udp + 4) + static_cast<std::uint32_t>(static_cast<std::int16_t>(value));
      Store16(frame, udp + 4, length & 0xffff);
      break;
    }
    case UdpField::kChecksum: Store16(frame, udp + 6, value & 0xffff); break;
    case UdpField::kNonEspMarker:  // RFC 3948 §2.2: four zero bytes where the SPI belongs
      if (Fits(udp + 8, 4, frame.size())) Store32(frame, udp + 8, 0);
      break;
    case UdpField::kCount: break;
  }
}

void FrameBuilder::Deviate(const Deviation& deviation, std::span<const SaFraming> sas) {
  std::vector<std::uint8_t>& frame = *frame_;
  const std::size_t size = frame.size();
  const Layout::Level& at = layout_->levels[deviation.level & 1];
  const std::uint32_t value = deviation.value;
  // AH fields when the portion has AH, ESP fields when it has ESP.
  const bool ah_only = at.esp == kNowhere;
  switch (deviation.field) {
    case Field::kVersion:
      if (Fits(at.ip, 1, size)) frame[at.ip] = static_cast<std::uint8_t>((value << 4) | (frame[at.ip] & 0x0f));
      break;
    case Field::kIhl:
      if (Fits(at.ip, 1, size)) frame[at.ip] = static_cast<std::uint8_t>((frame[at.ip] & 0xf0) | (value & 0x0f));
      break;
    case Field::kTotalLength:
      if (Fits(at.ip, 4, size)) {
        // Absolute with bit 16 set, else a signed change of the consistent value.
        const std::uint32_t length = value >= 0x10000 ? value : Load16(frame, at.ip + 2) + static_cast<std::uint32_t>(static_cast<std::int16_t>(value));
        Store16(frame, at.ip + 2, length & 0xffff);
      }
      break;
    case Field::kProtocol:
      if (Fits(at.ip, 10, size)) frame[at.ip + 9] = static_cast<std::uint8_t>(value);
      break;
    case Field::kFragment:
      if (Fits(at.ip, 8, size)) Store16(frame, at.ip + 6, value & 0xffff);
      break;
    case Field::kTtl:
      if (Fits(at.ip, 9, size)) frame[at.ip + 8] = static_cast<std::uint8_t>(value);
      break;
    case Field::kChecksum:
      if (Fits(at.ip, 12, size)) Store16(frame, at.ip + 10, Load16(frame, at.ip + 10) ^ (value & 0xffff));
      break;
    case Field::kOptionLength: {
      const auto& options = layout_->option_offsets[deviation.level & 1];
      if (options.empty()) break;
      const std::size_t option = options[(value >> 8) % options.size()];
      if (Fits(option, 2, size)) frame[option + 1] = static_cast<std::uint8_t>(value);
      break;
    }
    case Field::kSpi: {
      const std::size_t offset = ah_only ? (at.ah == kNowhere ? kNowhere : at.ah + 4) : at.esp;
      if (!Fits(offset, 4, size)) break;
      std::uint32_t spi = static_cast<std::uint32_t>(frame[offset] << 24) | (Load16(frame, offset + 1) << 8) | frame[offset + 3];
      if (value < sas.size()) {
        spi = ah_only ? sas[value].ah_spi : sas[value].esp_spi;  // another SA's SPI
      } else if (value < 16) {
        spi = value;
      } else {
        spi ^= value;
      }
      Store32(frame, offset, spi);
      break;
    }
    case Field::kSequence: {
      const std::size_t offset = ah_only ? (at.ah == kNowhere ? kNowhere : at.ah + 8) : at.esp + 4;
      if (at.esp != kNowhere || at.ah != kNowhere) {
        if (Fits(offset, 4, size)) Store32(frame, offset, value);
      }
      break;
    }
    case Field::kPadLength:
      if (Fits(at.esp_trailer, 1, size)) frame[at.esp_trailer] = static_cast<std::uint8_t>(value);
      break;
    case Field::kNextHeader:
      if (Fits(at.esp_trailer, 2, size)) frame[at.esp_trailer + 1] = static_cast<std::uint8_t>(value);
      break;
    case Field::kAhPayloadLength:
      if (Fits(at.ah, 2, size)) frame[at.ah + 1] = static_cast<std::uint8_t>(value);
      break;
    case Field::kAhNextHeader:
      if (Fits(at.ah, 1, size)) frame[at.ah] = static_cast<std::uint8_t>(value);
      break;
    case Field::kEtherType:
      if (layout_->link == 14) Store16(frame, 12, value & 0xffff);
      break;
    case Field::kTruncate:
      frame.resize(size - std::min<std::size_t>(size, 1 + value % 64));
      break;
    case Field::kIv: {
      // Only where there is an IV: NULL ESP and HMAC AH have none.
      const bool has_iv = ah_only ? at.ah_iv_length > 0 : (at.esp_iv != kNowhere && at.esp_payload > at.esp_iv);
      const std::size_t offset = ah_only ? at.ah_iv : at.esp_iv;
      if (has_iv && Fits(offset, 1, size)) frame[offset] ^= static_cast<std::uint8_t>(value | 1);
      break;
    }
    case Field::kTos:
      if (Fits(at.ip, 2, size)) frame[at.ip + 1] = static_cast<std::uint8_t>(value);
      break;
    case Field::kDscp:  // RFC 2474: the upper six bits
      if (Fits(at.ip, 2, size)) frame[at.ip + 1] = static_cast<std::uint8_t>(((value << 2) & 0xfc) | (frame[at.ip + 1] & 0x03));
      break;
    case Field::kEcn:  // RFC 3168: the lower two bits
      if (Fits(at.ip, 2, size)) frame[at.ip + 1] = static_cast<std::uint8_t>((frame[at.ip + 1] & 0xfc) | (value & 0x03));
      break;
    case Field::kFlags:  // RFC 791: reserved, DF, MF
      if (Fits(at.ip, 7, size)) frame[at.ip + 6] = static_cast<std::uint8_t>(((value << 5) & 0xe0) | (frame[at.ip + 6] & 0x1f));
      break;
    case Field::kFragmentOffset:
      if (Fits(at.ip, 8, size)) Store16(frame, at.ip + 6, (Load16(frame, at.ip + 6) & 0xe000u) | (value & 0x1fffu));
      break;
    case Field::kIdentification:
      if (Fits(at.ip, 6, size)) Store16(frame, at.ip + 4, value & 0xffff);
      break;
    case Field::kOptionType:
    case Field::kOptionPointer: {
      const auto& options = layout_->option_offsets[deviation.level & 1];
      if (options.empty()) break;
      const std::size_t option = options[(value >> 8) % options.size()];
      const std::size_t at_byte = deviation.field == Field::kOptionType ? 0 : 2;
      if (Fits(option + at_byte, 1, size)) frame[option + at_byte] = static_cast<std::uint8_t>(value);
      break;
    }
    case Field::kPadding: {
      // RFC 4303 §2.4: the padding bytes before the pad length, 1, 2, 3, ... as framed.
      if (!Fits(at.esp_trailer, 1, size) || at.esp_payload == kNowhere) break;
      const std::size_t pad_length = frame[at.esp_trailer];
      if (pad_length == 0 || pad_length > at.esp_trailer - at.esp_payload) break;
      frame[at.esp_trailer - 1 - (value >> 8) % pad_length] = static_cast<std::uint8_t>(value);
      break;
    }
    case Field::kCount: break;
  }
}

void FrameBuilder::Cuts(const SendDef& send, const Layout& layout, std::size_t frame_size, std::vector<std::size_t>& out) {
  out.clear();
  const Layout::Level& outer = layout.levels[0];
  for (const Cut& cut : send.cuts) {
    std::size_t anchor = kNowhere;
    switch (cut.anchor) {
      case Anchor::kStart: anchor = 0; break;
      case Anchor::kIp: anchor = outer.ip; break;
      case Anchor::kAh: anchor = outer.ah; break;
      case Anchor::kEsp: anchor = outer.esp; break;
      case Anchor::kEspIv: anchor = outer.esp_iv; break;
      case Anchor::kEspPayload: anchor = outer.esp_payload; break;
      case Anchor::kEspTrailer: anchor = outer.esp_trailer; break;
      case Anchor::kIcv: anchor = outer.icv; break;
      case Anchor::kInnerIp: anchor = layout.levels[1].ip; break;
      case Anchor::kInnerEsp: anchor = layout.levels[1].esp; break;
      case Anchor::kEnd: anchor = frame_size; break;
      case Anchor::kCount: break;
    }
    if (anchor == kNowhere) continue;
    const auto offset = static_cast<std::ptrdiff_t>(anchor) + cut.delta;
    out.push_back(static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(offset, 0, static_cast<std::ptrdiff_t>(frame_size))));
  }
  std::sort(out.begin(), out.end());
}

}  // namespace sendpath::fuzz
