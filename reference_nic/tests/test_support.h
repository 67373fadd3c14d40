// Helpers for the reference NIC tests: hex, SA programming, and packets framed the way the
// TCP/IP transport frames them (headers final, IV and ICV space zero, RFC 4303 padding).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reference_nic/reference_nic.h"

namespace sendpath::nic::test {

using Bytes = std::vector<std::uint8_t>;

Bytes Hex(std::string_view hex);
std::string ToHex(ByteSpan bytes);
std::string TestDataDir();  // testdata/ of the source tree (kat/, samples/)

// IVs handed out in order, whatever SA asks; records who asked.
class ScriptedIvs final : public IvSource {
 public:
  std::deque<Bytes> ivs;
  std::vector<std::pair<NDIS_HANDLE, unsigned>> requests;
  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, MutableByteSpan iv) override;
};

// Per-SA IVs, as the vector format supplies them: each SA's queue in generation order.
class IvsBySa final : public IvSource {
 public:
  std::map<NDIS_HANDLE, std::deque<Bytes>> ivs;
  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, MutableByteSpan iv) override;
};

struct Element {
  OFFLOAD_OPERATION_E operation = ENCRYPT;
  std::uint32_t spi = 0;
  ULONG conf = OFFLOAD_IPSEC_CONF_NONE;
  Bytes conf_key;
  ULONG integrity = OFFLOAD_IPSEC_INTEGRITY_NONE;
  Bytes integrity_key;
  bool esn = false;
  std::uint32_t esn_high = 0;
};

struct Sa {
  bool outbound = true;
  std::uint32_t tunnel_src = 0;  // host order; non-zero makes a tunnel SA
  std::uint32_t tunnel_dst = 0;
  bool integrity_first = false;
  std::vector<Element> elements;
};

// Convenience element constructors.
Element Esp(std::uint32_t spi, ULONG conf, Bytes conf_key, ULONG integrity = OFFLOAD_IPSEC_INTEGRITY_NONE,
            Bytes integrity_key = {});
Element Ah(std::uint32_t spi, ULONG integrity, Bytes integrity_key);
// A deterministic key of `length` bytes derived from `seed`.
Bytes Key(std::size_t length, std::uint8_t seed);

OidResult AddSa(ReferenceNic& nic, const Sa& sa, NDIS_HANDLE& handle);
NDIS_HANDLE MustAddSa(ReferenceNic& nic, const Sa& sa);

// OID_TCP_TASK_IPSEC_ADD_UDPESP_SA with the same SA description plus the parser entry.
// `parser_entry` is EncapTypeEntryOffldHandle in and out (NULL asks for a new entry).
struct UdpEspEntry {
  UDP_ENCAP_TYPE type = OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER;
  USHORT port = 4500;
};
OidResult AddUdpEspSa(ReferenceNic& nic, const Sa& sa, NDIS_HANDLE& handle, NDIS_HANDLE& parser_entry,
                      UdpEspEntry entry = {});
NDIS_HANDLE MustAddUdpEspSa(ReferenceNic& nic, const Sa& sa);
Capabilities EnableAll(ReferenceNic& nic, NDIS_ENCAPSULATION encapsulation = NULL_Encapsulation);

struct Ip {
  std::uint8_t tos = 0;
  std::uint16_t id = 0x1234;
  std::uint16_t flags_fragment = 0x4000;  // DF
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 17;
  std::uint32_t src = 0xc0000201;  // 192.0.2.1
  std::uint32_t dst = 0xc6336407;  // 198.51.100.7
  Bytes options;                   // padded by the caller to a multiple of 4
};

// IPv4 header + payload with total length and checksum filled in.
Bytes Ipv4(const Ip& ip, const Bytes& payload);
void FixChecksum(Bytes& packet, std::size_t offset);
// A UDP datagram of `length` payload bytes (checksum 0).
Bytes Udp(std::size_t length, std::uint8_t seed = 1);
// RFC 3948 2.1: a UDP header (Length filled in, `checksum` as given) in front of `esp`.
Bytes UdpEncapsulated(const Bytes& esp, std::uint16_t source_port = 4500, std::uint16_t destination_port = 4500,
                      std::uint16_t checksum = 0);

// ESP as the transport frames it: SPI, sequence, zero IV, payload, padding 1..n to `block`,
// pad length, next header, zero ICV space.
Bytes EspFramed(std::uint32_t spi, std::uint32_t sequence, std::size_t iv_length, const Bytes& payload,
                std::uint8_t next_header, std::size_t block, std::size_t icv_length, std::size_t extra_pad = 0);
// AH with zero ICV (and zero GMAC IV) followed by `payload`.
Bytes AhFramed(std::uint32_t spi, std::uint32_t sequence, std::uint8_t next_header, std::size_t iv_length,
               std::size_t icv_length, const Bytes& payload);

Bytes Concat(std::initializer_list<Bytes> parts);

// Sends `frame` as one buffer; returns the wire bytes (empty on refusal) and the result.
SendResult SendFrame(ReferenceNic& nic, const Bytes& frame, const NDIS_IPSEC_PACKET_INFO* info, Bytes& wire);
NDIS_IPSEC_PACKET_INFO Info(NDIS_HANDLE offload, NDIS_HANDLE next = nullptr);

}  // namespace sendpath::nic::test
