#include "reports/testing/ipsec_builder.h"

#include "reports/ipsec_crypto.h"
#include "reports/ipv4.h"
#include "reports/reseal.h"

#include <array>

namespace sendpath::report::testing {

Status Reseal(std::span<std::uint8_t> frame, const std::vector<HeaderCheck>& headers, SaTable& sas) {
  for (const HeaderCheck& header : headers) {
    if (header.sa == kNoSa) return Error{"header at byte " + std::to_string(header.offset) + " has no SA"};
  }
  // The one sealer (reports/reseal.h), with the IVs as they stand in the frame.
  CheckResult layout;
  layout.headers = headers;
  std::vector<std::uint8_t> sealed;
  std::string why;
  if (!report::Reseal({frame, layout, sas, frame}, Deviation{}, sealed, &why)) return Error{why};
  std::copy(sealed.begin(), sealed.end(), frame.begin());
  return {};
}

HeaderCheck EspLayout(std::span<const std::uint8_t> frame, std::size_t offset, std::size_t end, const SaTable& sas, std::size_t sa) {
  const SaKeys& keys = sas.keys(sa);
  HeaderCheck header;
  header.protocol = IpsecProtocol::kEsp;
  header.offset = offset;
  header.sa = sa;
  header.spi = ipv4::Be32(frame, offset);
  header.sequence = ipv4::Be32(frame, offset + 4);
  header.iv_offset = offset + 8;
  header.iv_length = keys.IvLength();
  header.header_length = 8 + header.iv_length;
  header.icv_length = keys.IcvLength();
  header.icv_offset = end - header.icv_length;
  header.data_offset = header.iv_offset + header.iv_length;
  header.data_length = header.icv_offset - header.data_offset;
  header.pad_length = frame[header.icv_offset - 2];
  header.next_header = frame[header.icv_offset - 1];
  header.padding_offset = header.icv_offset - 2 - header.pad_length;
  header.coverage_begin = offset;
  header.coverage_end = header.icv_offset;
  return header;
}

HeaderCheck AhLayout(std::size_t ip_offset, std::size_t offset, std::size_t end, const SaTable& sas, std::size_t sa) {
  const SaKeys& keys = sas.keys(sa);
  HeaderCheck header;
  header.protocol = IpsecProtocol::kAh;
  header.offset = offset;
  header.sa = sa;
  header.iv_offset = offset + 12;
  header.iv_length = keys.IvLength();
  header.icv_offset = header.iv_offset + header.iv_length;
  header.icv_length = keys.IcvLength();
  header.header_length = ((12 + header.iv_length + header.icv_length + 3) / 4) * 4;
  header.coverage_begin = ip_offset;
  header.coverage_end = end;
  return header;
}

void RecomputeIpv4Checksum(std::span<std::uint8_t> packet, std::size_t ip_offset) {
  const std::size_t ihl = std::size_t{packet[ip_offset] & 0x0fu} * 4;
  packet[ip_offset + 10] = 0;
  packet[ip_offset + 11] = 0;
  ipv4::PutBe16(packet, ip_offset + 10, ipv4::InternetChecksum(packet.subspan(ip_offset, ihl)));
}

std::vector<std::uint8_t> Ipv4Packet(std::uint32_t source, std::uint32_t destination, std::uint8_t protocol,
                                     std::uint8_t ttl, std::span<const std::uint8_t> payload, std::uint16_t id) {
  std::vector<std::uint8_t> packet(20);
  packet[0] = 0x45;
  ipv4::PutBe16(packet, 2, static_cast<std::uint16_t>(20 + payload.size()));
  ipv4::PutBe16(packet, 4, id);
  packet[6] = 0x40;  // DF
  packet[8] = ttl;
  packet[9] = protocol;
  ipv4::PutBe32(packet, 12, source);
  ipv4::PutBe32(packet, 16, destination);
  packet.insert(packet.end(), payload.begin(), payload.end());
  RecomputeIpv4Checksum(packet, 0);
  return packet;
}

std::vector<std::uint8_t> UdpDatagram(std::uint32_t source, std::uint32_t destination, std::uint16_t source_port,
                                      std::uint16_t destination_port, std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> datagram(8);
  ipv4::PutBe16(datagram, 0, source_port);
  ipv4::PutBe16(datagram, 2, destination_port);
  ipv4::PutBe16(datagram, 4, static_cast<std::uint16_t>(8 + payload.size()));
  datagram.insert(datagram.end(), payload.begin(), payload.end());
  std::uint8_t pseudo[12];
  ipv4::PutBe32(pseudo, 0, source);
  ipv4::PutBe32(pseudo, 4, destination);
  pseudo[8] = 0;
  pseudo[9] = ipv4::kProtoUdp;
  ipv4::PutBe16(pseudo, 10, static_cast<std::uint16_t>(datagram.size()));
  std::uint16_t checksum = ipv4::ChecksumFinish(ipv4::ChecksumAdd(ipv4::ChecksumAdd(0, pseudo), datagram));
  if (checksum == 0) checksum = 0xffff;
  ipv4::PutBe16(datagram, 6, checksum);
  return datagram;
}

std::vector<std::uint8_t> EspFraming(const SaKeys& keys, std::uint32_t sequence, std::uint8_t next_header,
                                     std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> esp(8 + keys.IvLength(), 0);
  ipv4::PutBe32(esp, 0, keys.spi);
  ipv4::PutBe32(esp, 4, sequence);
  esp.insert(esp.end(), payload.begin(), payload.end());
  const std::size_t alignment = keys.Alignment();
  std::size_t padding = 0;
  while ((payload.size() + padding + 2) % alignment != 0) ++padding;
  for (std::size_t i = 1; i <= padding; ++i) esp.push_back(static_cast<std::uint8_t>(i));
  esp.push_back(static_cast<std::uint8_t>(padding));
  esp.push_back(next_header);
  esp.resize(esp.size() + keys.IcvLength(), 0);
  return esp;
}

std::vector<std::uint8_t> AhFraming(const SaKeys& keys, std::uint32_t sequence, std::uint8_t next_header,
                                    std::span<const std::uint8_t> payload) {
  const std::size_t length = ((12 + keys.IvLength() + keys.IcvLength() + 3) / 4) * 4;
  std::vector<std::uint8_t> ah(length, 0);
  ah[0] = next_header;
  ah[1] = static_cast<std::uint8_t>(length / 4 - 2);
  ipv4::PutBe32(ah, 4, keys.spi);
  ipv4::PutBe32(ah, 8, sequence);
  ah.insert(ah.end(), payload.begin(), payload.end());
  return ah;
}

}  // namespace sendpath::report::testing
