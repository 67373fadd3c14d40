// Packets framed the way the TCP/IP transport hands them to the NIC: IPv4 headers final, AH and
// ESP headers with SPI and sequence number, RFC 4303 padding, IV and ICV space reserved (zero).
// The layout of every IPsec header is recorded so that the ceiling can do the same EVP work on
// the same bytes without parsing anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "bench/cases.h"

namespace sendpath::bench {

struct EspLayout {
  std::size_t offset = 0;  // SPI
  std::size_t iv_offset = 0, iv_length = 0;
  std::size_t data_offset = 0, data_length = 0;  // payload .. next header: what CBC/GCM encrypts
  std::size_t icv_offset = 0, icv_length = 0;
};

struct AhLayout {
  std::size_t offset = 0;  // Next Header
  std::size_t length = 0;  // the whole AH, (Payload Len + 2) * 4
  std::size_t iv_offset = 0, iv_length = 0;  // AES-GMAC's IV (RFC 4543 4)
  std::size_t icv_offset = 0, icv_length = 0;
};

// One SA's portion of the packet: the IPv4 packet that carries its headers.
struct PortionLayout {
  const SaModel* sa = nullptr;
  std::size_t ip_offset = 0;
  std::size_t ip_header_length = 0;
  std::size_t end = 0;  // ip_offset + total length
  std::optional<EspLayout> esp;
  std::optional<AhLayout> ah;
};

struct FramedPacket {
  Bytes frame;                          // NULL_Encapsulation: starts with the IPv4 header
  std::vector<PortionLayout> portions;  // processing order: transport, then tunnel
  std::size_t plaintext_length = 0;     // the IPv4 packet before any IPsec was applied
};

// A UDP datagram in IPv4 of `plaintext_length` bytes (at least 28), then each SA of `spec`
// applied in order (sas[0], then the tunnel sas[1]). `sequence` goes into every AH/ESP header;
// `id` into the IPv4 identification fields.
FramedPacket FramePacket(const CaseSpec& spec, std::size_t plaintext_length, std::uint32_t sequence = 1,
                         std::uint16_t id = 0x1234);

// The smallest plaintext FramePacket accepts.
inline constexpr std::size_t kMinPlaintextLength = 28;

void StoreBe16(std::uint8_t* p, std::uint16_t v);
void StoreBe32(std::uint8_t* p, std::uint32_t v);
// Writes the IPv4 header checksum (RFC 791) of the header at `offset`.
void FixIpv4Checksum(Bytes& packet, std::size_t offset);

}  // namespace sendpath::bench
