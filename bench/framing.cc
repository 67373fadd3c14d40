#include "bench/framing.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace sendpath::bench {
namespace {

constexpr std::size_t kIpv4Header = 20;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kEspHeader = 8;    // SPI, Sequence Number (RFC 4303 2)
constexpr std::size_t kAhFixed = 12;     // Next Header .. Sequence Number (RFC 4302 2)
constexpr std::uint8_t kProtocolIpv4 = 4;
constexpr std::uint8_t kProtocolUdp = 17;
constexpr std::uint8_t kProtocolEsp = 50;
constexpr std::uint8_t kProtocolAh = 51;
constexpr std::uint16_t kUdpEspPort = 4500;  // RFC 3948 2.1
constexpr std::uint32_t kSource = 0xc0000201;       // 192.0.2.1
constexpr std::uint32_t kDestination = 0xc6336407;  // 198.51.100.7

Bytes Ipv4Header(std::size_t total_length, std::uint8_t protocol, std::uint32_t src, std::uint32_t dst, std::uint16_t id) {
  if (total_length > 0xffff) throw std::length_error("IPv4 packet of " + std::to_string(total_length) + " bytes");
  Bytes h(kIpv4Header, 0);
  h[0] = 0x45;
  StoreBe16(&h[2], static_cast<std::uint16_t>(total_length));
  StoreBe16(&h[4], id);
  StoreBe16(&h[6], 0x4000);  // DF
  h[8] = 64;
  h[9] = protocol;
  StoreBe32(&h[12], src);
  StoreBe32(&h[16], dst);
  FixIpv4Checksum(h, 0);
  return h;
}

// Shifts a portion that ends up `by` bytes further into the frame.
void Shift(PortionLayout& p, std::size_t by) {
  p.ip_offset += by;
  p.end += by;
  if (p.esp) {
    p.esp->offset += by;
    p.esp->iv_offset += by;
    p.esp->data_offset += by;
    p.esp->icv_offset += by;
  }
  if (p.ah) {
    p.ah->offset += by;
    p.ah->iv_offset += by;
    p.ah->icv_offset += by;
  }
}

// Applies one SA to `packet` (an IPv4 packet starting at 0). Transport mode keeps the IPv4
// header and protects its payload; tunnel mode protects the whole packet under a new header.
void ApplySa(const SaModel& sa, std::uint32_t sequence, std::uint16_t id, FramedPacket& out) {
  Bytes& packet = out.frame;
  Bytes header;
  Bytes protected_bytes;
  std::uint8_t next_header = 0;
  if (sa.tunnel) {
    header = Ipv4Header(0, 0, sa.tunnel_src, sa.tunnel_dst, static_cast<std::uint16_t>(id ^ 0x5a5a));
    protected_bytes = packet;
    next_header = kProtocolIpv4;
  } else {
    header.assign(packet.begin(), packet.begin() + kIpv4Header);
    protected_bytes.assign(packet.begin() + kIpv4Header, packet.end());
    next_header = packet[9];
  }
  // Where `protected_bytes` starts in the new packet is only known at the end; record layouts
  // relative to the IPsec headers and fix them up once.
  PortionLayout portion;
  portion.sa = &sa;
  portion.ip_header_length = kIpv4Header;
  Bytes ipsec;  // AH and/or ESP headers with the protected bytes inside
  std::size_t inner_shift = 0;  // where protected_bytes lands, relative to `ipsec`
  if (const ElementSpec* esp = sa.Esp()) {
    const std::size_t iv_length = esp->IvLength();
    const std::size_t align = esp->Alignment();
    // RFC 4303 2.4: padding 1, 2, 3, ... so that payload + padding + 2 ends on the alignment.
    const std::size_t pad = (align - (protected_bytes.size() + 2) % align) % align;
    Bytes e(kEspHeader + iv_length, 0);
    StoreBe32(&e[0], esp->spi);
    StoreBe32(&e[4], sequence);
    e.insert(e.end(), protected_bytes.begin(), protected_bytes.end());
    for (std::size_t i = 1; i <= pad; ++i) e.push_back(static_cast<std::uint8_t>(i));
    e.push_back(static_cast<std::uint8_t>(pad));
    e.push_back(next_header);
    EspLayout layout;
    layout.offset = 0;
    layout.iv_offset = kEspHeader;
    layout.iv_length = iv_length;
    layout.data_offset = kEspHeader + iv_length;
    layout.data_length = e.size() - layout.data_offset;
    layout.icv_offset = e.size();
    layout.icv_length = esp->IcvLength();
    e.insert(e.end(), layout.icv_length, 0);
    portion.esp = layout;
    inner_shift = kEspHeader + iv_length;
    ipsec = std::move(e);
    next_header = kProtocolEsp;
    if (sa.udp_esp) {
      // RFC 3948 2.1: [IP][UDP 4500 -> 4500, checksum 0 (3.1)][ESP].
      Bytes u(kUdpHeader, 0);
      StoreBe16(&u[0], kUdpEspPort);
      StoreBe16(&u[2], kUdpEspPort);
      StoreBe16(&u[4], static_cast<std::uint16_t>(kUdpHeader + ipsec.size()));
      u.insert(u.end(), ipsec.begin(), ipsec.end());
      ipsec = std::move(u);
      portion.esp->offset += kUdpHeader;
      portion.esp->iv_offset += kUdpHeader;
      portion.esp->data_offset += kUdpHeader;
      portion.esp->icv_offset += kUdpHeader;
      inner_shift += kUdpHeader;
      next_header = kProtocolUdp;
    }
  } else {
    ipsec = protected_bytes;
  }
  if (const ElementSpec* ah = sa.Ah()) {
    const std::size_t iv_length = ah->IvLength();
    const std::size_t icv_length = ah->IcvLength();
    const std::size_t length = kAhFixed + iv_length + icv_length;  // a multiple of 4 for IPv4
    Bytes a(length, 0);
    a[0] = next_header;
    a[1] = static_cast<std::uint8_t>(length / 4 - 2);  // RFC 4302 2.2
    StoreBe32(&a[4], ah->spi);
    StoreBe32(&a[8], sequence);
    AhLayout layout;
    layout.offset = 0;
    layout.length = length;
    layout.iv_offset = kAhFixed;
    layout.iv_length = iv_length;
    layout.icv_offset = kAhFixed + iv_length;
    layout.icv_length = icv_length;
    portion.ah = layout;
    if (portion.esp) {
      portion.esp->offset += length;
      portion.esp->iv_offset += length;
      portion.esp->data_offset += length;
      portion.esp->icv_offset += length;
    }
    inner_shift += length;
    a.insert(a.end(), ipsec.begin(), ipsec.end());
    ipsec = std::move(a);
    next_header = kProtocolAh;
  }
  const std::size_t total = kIpv4Header + ipsec.size();
  if (total > 0xffff) throw std::length_error("IPv4 packet of " + std::to_string(total) + " bytes");
  header[9] = next_header;
  StoreBe16(&header[2], static_cast<std::uint16_t>(total));
  FixIpv4Checksum(header, 0);

  // Portions already inside `protected_bytes` move with it: in tunnel mode the whole old packet
  // follows the new header and the IPsec headers; in transport mode its payload did already
  // follow a 20-byte header.
  const std::size_t moved_by = inner_shift + (sa.tunnel ? kIpv4Header : 0);
  for (PortionLayout& p : out.portions) Shift(p, moved_by);
  // This portion's offsets were relative to the IPsec headers, which follow the IPv4 header.
  Shift(portion, kIpv4Header);
  portion.ip_offset = 0;
  portion.end = total;
  out.portions.push_back(portion);

  packet = std::move(header);
  packet.insert(packet.end(), ipsec.begin(), ipsec.end());
}

}  // namespace

void StoreBe16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

void StoreBe32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

void FixIpv4Checksum(Bytes& packet, std::size_t offset) {
  const std::size_t length = static_cast<std::size_t>(packet[offset] & 0x0f) * 4;
  packet[offset + 10] = packet[offset + 11] = 0;
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < length; i += 2) {
    sum += static_cast<std::uint32_t>(packet[offset + i] << 8 | packet[offset + i + 1]);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  StoreBe16(&packet[offset + 10], static_cast<std::uint16_t>(~sum));
}

FramedPacket FramePacket(const CaseSpec& spec, std::size_t plaintext_length, std::uint32_t sequence, std::uint16_t id) {
  if (plaintext_length < kMinPlaintextLength) {
    throw std::invalid_argument("plaintext length " + std::to_string(plaintext_length) + " < " +
                                std::to_string(kMinPlaintextLength));
  }
  FramedPacket out;
  out.plaintext_length = plaintext_length;
  Bytes& p = out.frame;
  p = Ipv4Header(plaintext_length, kProtocolUdp, kSource, kDestination, id);
  const std::size_t data = plaintext_length - kIpv4Header - kUdpHeader;
  Bytes udp(kUdpHeader + data);
  StoreBe16(&udp[0], 49152);
  StoreBe16(&udp[2], 9);  // discard (RFC 863)
  StoreBe16(&udp[4], static_cast<std::uint16_t>(kUdpHeader + data));
  for (std::size_t i = 0; i < data; ++i) udp[kUdpHeader + i] = static_cast<std::uint8_t>(sequence + i * 7);
  p.insert(p.end(), udp.begin(), udp.end());
  for (const SaModel& sa : spec.sas) ApplySa(sa, sequence, id, out);
  return out;
}

}  // namespace sendpath::bench
