#include "reference_nic/tests/test_support.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace sendpath::nic::test {

Bytes Hex(std::string_view hex) {
  Bytes out;
  int high = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == ':') continue;
    else throw std::invalid_argument("bad hex digit");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

std::string ToHex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string TestDataDir() { return SENDPATH_TESTDATA_DIR; }

bool ScriptedIvs::NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, MutableByteSpan iv) {
  requests.emplace_back(sa, sec_assoc_index);
  if (ivs.empty() || ivs.front().size() != iv.size()) return false;
  std::memcpy(iv.data(), ivs.front().data(), iv.size());
  ivs.pop_front();
  return true;
}

bool IvsBySa::NextIv(NDIS_HANDLE sa, unsigned, MutableByteSpan iv) {
  auto& queue = ivs[sa];
  if (queue.empty() || queue.front().size() != iv.size()) return false;
  std::copy(queue.front().begin(), queue.front().end(), iv.begin());
  queue.pop_front();
  return true;
}

Element Esp(std::uint32_t spi, ULONG conf, Bytes conf_key, ULONG integrity, Bytes integrity_key) {
  return Element{ENCRYPT, spi, conf, std::move(conf_key), integrity, std::move(integrity_key)};
}

Element Ah(std::uint32_t spi, ULONG integrity, Bytes integrity_key) {
  return Element{AUTHENTICATE, spi, OFFLOAD_IPSEC_CONF_NONE, {}, integrity, std::move(integrity_key)};
}

Bytes Key(std::size_t length, std::uint8_t seed) {
  Bytes key(length);
  for (std::size_t i = 0; i < length; ++i) key[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + 1);
  return key;
}

namespace {

// SecAssoc[], KeyMat and the extension of an SA description, shared by ADD_SA and ADD_UDPESP_SA.
void Describe(const Sa& sa, OFFLOAD_SECURITY_ASSOCIATION (&sec_assoc)[OFFLOAD_MAX_SAS], Bytes& key_mat,
              SENDPATH_ADD_SA_EXTENSION& extension) {
  extension.Version = SENDPATH_EXTENSION_VERSION;
  extension.KeyOrder = sa.integrity_first ? SENDPATH_KEYMAT_INTEGRITY_FIRST : SENDPATH_KEYMAT_CONF_FIRST;
  for (std::size_t i = 0; i < sa.elements.size() && i < OFFLOAD_MAX_SAS; ++i) {
    const Element& e = sa.elements[i];
    OFFLOAD_SECURITY_ASSOCIATION& out = sec_assoc[i];
    out.Operation = e.operation;
    out.SPI = e.spi;
    if (e.operation == ENCRYPT) {
      out.ConfAlgo.algoIdentifier = e.conf;
      out.ConfAlgo.algoKeylen = static_cast<ULONG>(e.conf_key.size());
    }
    out.IntegrityAlgo.algoIdentifier = e.integrity;
    out.IntegrityAlgo.algoKeylen = static_cast<ULONG>(e.integrity_key.size());
    const Bytes& first = sa.integrity_first ? e.integrity_key : e.conf_key;
    const Bytes& second = sa.integrity_first ? e.conf_key : e.integrity_key;
    key_mat.insert(key_mat.end(), first.begin(), first.end());
    key_mat.insert(key_mat.end(), second.begin(), second.end());
    extension.SaFlags[i] = e.esn ? IPSEC_OFFLOAD_V2_ESN_SA : 0;
    extension.SequenceNumberHighOrder[i] = e.esn_high;
  }
}

}  // namespace

OidResult AddUdpEspSa(ReferenceNic& nic, const Sa& sa, NDIS_HANDLE& handle, NDIS_HANDLE& parser_entry, UdpEspEntry entry) {
  OFFLOAD_IPSEC_ADD_UDPESP_SA request{};
  request.Protocol = 17;  // "should be 0x11 (UDP)" [S14e]
  request.Flags = sa.outbound ? OFFLOAD_OUTBOUND_SA : OFFLOAD_INBOUND_SA;
  request.SrcTunnelAddr = sa.tunnel_src;
  request.DstTunnelAddr = sa.tunnel_dst;
  request.NumSAs = static_cast<SHORT>(sa.elements.size());
  request.EncapTypeEntry.UdpEncapType = entry.type;
  request.EncapTypeEntry.DstEncapPort = entry.port;
  request.EncapTypeEntryOffldHandle = parser_entry;
  SENDPATH_ADD_SA_EXTENSION extension{};
  Bytes key_mat;
  Describe(sa, request.SecAssoc, key_mat, extension);
  OidResult result = nic.AddUdpEspSa(request, key_mat, &extension);
  handle = request.OffloadHandle;
  parser_entry = request.EncapTypeEntryOffldHandle;
  return result;
}

NDIS_HANDLE MustAddUdpEspSa(ReferenceNic& nic, const Sa& sa) {
  NDIS_HANDLE handle = nullptr;
  NDIS_HANDLE entry = nullptr;
  const OidResult result = AddUdpEspSa(nic, sa, handle, entry);
  if (!result.ok()) throw std::runtime_error("AddUdpEspSa failed: " + std::string(ReasonName(result.reason)) + " " + result.detail);
  return handle;
}

Bytes UdpEncapsulated(const Bytes& esp, std::uint16_t source_port, std::uint16_t destination_port, std::uint16_t checksum) {
  const std::size_t length = 8 + esp.size();
  Bytes out = {static_cast<std::uint8_t>(source_port >> 8), static_cast<std::uint8_t>(source_port),
               static_cast<std::uint8_t>(destination_port >> 8), static_cast<std::uint8_t>(destination_port),
               static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length),
               static_cast<std::uint8_t>(checksum >> 8), static_cast<std::uint8_t>(checksum)};
  out.insert(out.end(), esp.begin(), esp.end());
  return out;
}

OidResult AddSa(ReferenceNic& nic, const Sa& sa, NDIS_HANDLE& handle) {
  OFFLOAD_IPSEC_ADD_SA request{};
  request.Flags = sa.outbound ? OFFLOAD_OUTBOUND_SA : OFFLOAD_INBOUND_SA;
  request.SrcTunnelAddr = sa.tunnel_src;
  request.DestTunnelAddr = sa.tunnel_dst;
  request.NumSAs = static_cast<SHORT>(sa.elements.size());
  SENDPATH_ADD_SA_EXTENSION extension{};
  Bytes key_mat;
  Describe(sa, request.SecAssoc, key_mat, extension);
  OidResult result = nic.AddSa(request, key_mat, &extension);
  handle = request.OffloadHandle;
  return result;
}

NDIS_HANDLE MustAddSa(ReferenceNic& nic, const Sa& sa) {
  NDIS_HANDLE handle = nullptr;
  const OidResult result = AddSa(nic, sa, handle);
  if (!result.ok()) throw std::runtime_error("AddSa failed: " + std::string(ReasonName(result.reason)) + " " + result.detail);
  return handle;
}

Capabilities EnableAll(ReferenceNic& nic, NDIS_ENCAPSULATION encapsulation) {
  NDIS_ENCAPSULATION_FORMAT format{};
  format.Encapsulation = encapsulation;
  format.Flags.FixedHeaderSize = 1;
  format.EncapsulationHeaderSize = encapsulation == IEEE_802_3_Encapsulation ? 14 : 0;
  const Capabilities caps = nic.QueryCapabilities();
  const OidResult result = nic.SetCapabilities(format, caps);
  if (!result.ok()) throw std::runtime_error("SetCapabilities failed");
  return caps;
}

void FixChecksum(Bytes& packet, std::size_t offset) {
  const std::size_t length = static_cast<std::size_t>(packet[offset] & 0x0f) * 4;
  packet[offset + 10] = packet[offset + 11] = 0;
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < length; i += 2) sum += static_cast<std::uint32_t>(packet[offset + i] << 8 | packet[offset + i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const auto checksum = static_cast<std::uint16_t>(~sum);
  packet[offset + 10] = static_cast<std::uint8_t>(checksum >> 8);
  packet[offset + 11] = static_cast<std::uint8_t>(checksum);
}

Bytes Ipv4(const Ip& ip, const Bytes& payload) {
  const std::size_t header = 20 + ip.options.size();
  const std::size_t total = header + payload.size();
  Bytes p(header);
  p[0] = static_cast<std::uint8_t>(0x40 | header / 4);
  p[1] = ip.tos;
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p[4] = static_cast<std::uint8_t>(ip.id >> 8);
  p[5] = static_cast<std::uint8_t>(ip.id);
  p[6] = static_cast<std::uint8_t>(ip.flags_fragment >> 8);
  p[7] = static_cast<std::uint8_t>(ip.flags_fragment);
  p[8] = ip.ttl;
  p[9] = ip.protocol;
  for (int i = 0; i < 4; ++i) {
    p[static_cast<std::size_t>(12 + i)] = static_cast<std::uint8_t>(ip.src >> (24 - 8 * i));
    p[static_cast<std::size_t>(16 + i)] = static_cast<std::uint8_t>(ip.dst >> (24 - 8 * i));
  }
  std::copy(ip.options.begin(), ip.options.end(), p.begin() + 20);
  FixChecksum(p, 0);
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

Bytes Udp(std::size_t length, std::uint8_t seed) {
  Bytes u(8 + length);
  u[0] = 0x30;
  u[1] = 0x39;
  u[2] = 0x00;
  u[3] = 0x35;
  u[4] = static_cast<std::uint8_t>((8 + length) >> 8);
  u[5] = static_cast<std::uint8_t>(8 + length);
  for (std::size_t i = 0; i < length; ++i) u[8 + i] = static_cast<std::uint8_t>(seed + i * 13);
  return u;
}

static void PutBe32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (24 - 8 * i)));
}

Bytes EspFramed(std::uint32_t spi, std::uint32_t sequence, std::size_t iv_length, const Bytes& payload,
                std::uint8_t next_header, std::size_t block, std::size_t icv_length, std::size_t extra_pad) {
  Bytes out;
  PutBe32(out, spi);
  PutBe32(out, sequence);
  out.insert(out.end(), iv_length, 0);
  out.insert(out.end(), payload.begin(), payload.end());
  // RFC 4303 2.4: pad so that payload + padding + 2 is a multiple of the block (and of 4).
  const std::size_t align = std::max<std::size_t>(block, 4);
  std::size_t pad = (align - (payload.size() + 2) % align) % align;
  pad += extra_pad * align;
  for (std::size_t i = 1; i <= pad; ++i) out.push_back(static_cast<std::uint8_t>(i));
  out.push_back(static_cast<std::uint8_t>(pad));
  out.push_back(next_header);
  out.insert(out.end(), icv_length, 0);
  return out;
}

Bytes AhFramed(std::uint32_t spi, std::uint32_t sequence, std::uint8_t next_header, std::size_t iv_length,
               std::size_t icv_length, const Bytes& payload) {
  Bytes out;
  out.push_back(next_header);
  out.push_back(static_cast<std::uint8_t>((12 + iv_length + icv_length) / 4 - 2));
  out.push_back(0);
  out.push_back(0);
  PutBe32(out, spi);
  PutBe32(out, sequence);
  out.insert(out.end(), iv_length + icv_length, 0);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

SendResult SendFrame(ReferenceNic& nic, const Bytes& frame, const NDIS_IPSEC_PACKET_INFO* info, Bytes& wire) {
  wire.assign(frame.size() + 64, 0xee);
  const ByteSpan chain[] = {ByteSpan(frame)};
  const SendResult result = nic.Send(chain, info, wire);
  wire.resize(result.ok() ? result.length : 0);
  return result;
}

NDIS_IPSEC_PACKET_INFO Info(NDIS_HANDLE offload, NDIS_HANDLE next) {
  NDIS_IPSEC_PACKET_INFO info{};
  info.Transmit.OffloadHandle = offload;
  info.Transmit.NextOffloadHandle = next;
  return info;
}

}  // namespace sendpath::nic::test
