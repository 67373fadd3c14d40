// Builds sealed IPsec frames for tests and for tools/gen_capture: the sending side's
// counterpart of the receive check, over the same OpenSSL EVP transforms. Not used to judge
// anything: the receive check is validated against the independent cases and published answers.
#pragma once

#include "reports/receive_check.h"
#include "reports/sa_keys.h"

#include <cstdint>
#include <span>
#include <vector>

namespace sendpath::report::testing {

// Re-encrypts and re-authenticates a frame whose ESP payloads are plaintext, using the header
// layout a receive check produced (or EspLayout/AhLayout): innermost header first, ESP before
// the AH around it. IVs and sequence numbers are taken from the frame as they stand.
Status Reseal(std::span<std::uint8_t> frame, const std::vector<HeaderCheck>& headers, SaTable& sas);

// Layout of an ESP header at `offset` in a packet ending at `end`, for SA `sa` of `sas`
// (padding, pad length and next header are read from the plaintext frame).
HeaderCheck EspLayout(std::span<const std::uint8_t> frame, std::size_t offset, std::size_t end, const SaTable& sas, std::size_t sa);
// Layout of an AH header at `offset` inside the IPv4 packet [ip_offset, end).
HeaderCheck AhLayout(std::size_t ip_offset, std::size_t offset, std::size_t end, const SaTable& sas, std::size_t sa);

// An IPv4 packet: header (20 bytes, checksum filled in) + payload.
std::vector<std::uint8_t> Ipv4Packet(std::uint32_t source, std::uint32_t destination, std::uint8_t protocol,
                                     std::uint8_t ttl, std::span<const std::uint8_t> payload, std::uint16_t id = 1);
// A UDP datagram with a correct checksum for the given addresses.
std::vector<std::uint8_t> UdpDatagram(std::uint32_t source, std::uint32_t destination, std::uint16_t source_port,
                                      std::uint16_t destination_port, std::span<const std::uint8_t> payload);
// ESP framing as the transport does it: SPI, sequence, zero IV, payload, padding 1..n, pad
// length, next header, zero ICV (RFC 4303 §2).
std::vector<std::uint8_t> EspFraming(const SaKeys& keys, std::uint32_t sequence, std::uint8_t next_header,
                                     std::span<const std::uint8_t> payload);
// AH framing: next header, payload length, SPI, sequence, zero IV and ICV, then the payload.
std::vector<std::uint8_t> AhFraming(const SaKeys& keys, std::uint32_t sequence, std::uint8_t next_header,
                                    std::span<const std::uint8_t> payload);
void RecomputeIpv4Checksum(std::span<std::uint8_t> packet, std::size_t ip_offset);

}  // namespace sendpath::report::testing
