// Decodes a frame into named fields: Ethernet / Linux cooked, IPv4 with every option, AH, ESP
// and — when the receive check decrypted it — the ESP payload (IPv4 again, AH/ESP again, UDP,
// TCP, ICMP), its padding, pad length and next header. Every field has a name, an offset and a
// length in the frame, a byte-map region and (for decrypted fields) reads from the plaintext.
//
// Names: "<protocol><level>.<field>", where <level> is empty when the frame has one IPv4 level,
// else "[outer]" for the outermost and "[inner]" ("[inner2]", ...) for tunnelled ones:
// "ipv4.ttl", "ah.icv", "esp[outer].iv", "ipv4[inner].ttl", "udp[inner].checksum",
// "ipv4.option.lsrr.route". A UDP-encapsulated ESP (RFC 3948: UDP port 4500, a non-zero SPI)
// names its UDP header "udp[outer]" and the ESP behind it "esp[udp]" at any level:
// "udp[outer].checksum", "esp[udp].spi", "esp[udp].icv".
//
// This is the one vocabulary of field names: the diff pairs fields by it, and the judge, verify
// and the reports name a byte with FieldNameAt.
#pragma once

#include "reports/pcap_io.h"
#include "reports/receive_check.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sendpath::report {

// Byte-map colours.
enum class Region : std::uint8_t {
  kLink, kIpHeader, kIpOption, kIpsecHeader, kIv, kCiphertext, kPayload, kPadding, kTrailer, kIcv, kUpperHeader, kData, kMalformed
};
const char* RegionName(Region region);  // "link", "ip", "ip-option", "ipsec", "iv", "ciphertext", ...

enum class FieldFormat : std::uint8_t { kUnsigned, kHex, kProtocol, kIpv4Address, kAddressList, kMac, kBytes };
enum class FieldKind : std::uint8_t { kPlain, kIv, kCiphertext, kIcv };

struct Field {
  const char* protocol = "";           // "eth", "ipv4", "ah", "esp", "udp", "tcp", "icmp", "data"
  std::array<char, 40> leaf{};         // "ttl", "option.lsrr.route", ...
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  std::uint8_t bit_shift = 0;          // bit fields: value = (big-endian bytes >> shift) & (2^width - 1)
  std::uint8_t bit_width = 0;          // 0: whole bytes
  std::uint8_t level = 0;              // IPv4 nesting level
  FieldFormat format = FieldFormat::kUnsigned;
  FieldKind kind = FieldKind::kPlain;
  Region region = Region::kData;
  bool decrypted = false;   // the value is read from the receive check's plaintext
  bool ip_mutable = false;  // an RFC 4302 §3.3.3.1 mutable IPv4 field (zeroed for the AH ICV)
  std::int16_t header = -1; // for IV / ciphertext / ICV: index into CheckResult::headers
  const char* qualifier = nullptr;  // replaces the level in the name: "outer" (UDP of UDP-ESP), "udp" (its ESP)
  std::uint32_t cover_begin = 0, cover_end = 0;  // ICV fields: the bytes the ICV covers

  std::string_view leaf_name() const { return std::string_view(leaf.data()); }
};

struct Dissection {
  std::vector<Field> fields;
  std::span<const std::uint8_t> frame;
  std::span<const std::uint8_t> plain;  // frame with decrypted ranges (== frame when none)
  std::string error;  // set when the frame is malformed somewhere (a "malformed" field covers it)
  std::size_t error_offset = 0;
  unsigned max_level = 0;

  void Clear();
  std::string Name(const Field& field) const;
  void NameInto(const Field& field, std::string& out) const;  // no allocation once `out` has capacity
  std::span<const std::uint8_t> Bytes(const Field& field) const;
  std::uint64_t Number(const Field& field) const;  // fields of up to 8 bytes
  std::string Value(const Field& field) const;     // rendered for people
  // The region of each byte of the frame (wire view: ciphertext stays ciphertext except where
  // the decrypted padding and trailer lie).
  void ByteRegions(std::vector<Region>& out) const;
};

// `check` (optional) supplies the SA-derived layout (IV, ICV lengths) and the plaintext.
void Dissect(std::span<const std::uint8_t> frame, LinkType link, const CheckResult* check, Dissection& out);

// The name of the field holding byte `offset` of a dissected frame: the narrowest one (on a tie
// the first, as bit fields sharing a byte are listed). On the wire (`decrypted` false) a field
// read from decrypted bytes names the byte only where no wire field (the ciphertext) holds it;
// `decrypted` true prefers it (a plaintext difference). "frame.end" past the frame.
std::string FieldNameAt(const Dissection& dissection, std::size_t offset, bool decrypted = false);

}  // namespace sendpath::report
