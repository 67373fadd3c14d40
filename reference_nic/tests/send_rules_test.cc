// The send-path rules of the contract, one test (or more) per rule: AH zeroing, refusals with
// their status and proof that nothing was emitted, buffer-chain splits, handle lifecycle,
// capabilities and the ADD_SA checks.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "reference_nic/crypto.h"
#include "reference_nic/ipv4.h"
#include "reference_nic/tests/test_support.h"

namespace sendpath::nic::test {
namespace {

constexpr std::uint32_t kSpi = 0x1001;
constexpr std::uint32_t kTunnelSpi = 0x2002;

Sa AhSa(ULONG integrity = OFFLOAD_IPSEC_INTEGRITY_SHA, std::size_t key = 20) {
  Sa sa;
  sa.elements.push_back(Ah(kSpi, integrity, Key(key, 3)));
  return sa;
}

Sa EspSa(ULONG conf = IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, std::size_t conf_key = 16,
         ULONG integrity = OFFLOAD_IPSEC_INTEGRITY_SHA) {
  Sa sa;
  sa.elements.push_back(Esp(kSpi, conf, Key(conf_key, 1), integrity, Key(20, 2)));
  return sa;
}

// [IP][AH(SHA1-96)][UDP]
Bytes AhTransportPacket(const Ip& ip_in) {
  Ip ip = ip_in;
  ip.protocol = detail::kProtocolAh;
  return Ipv4(ip, AhFramed(kSpi, 7, 17, 0, 12, Udp(40)));
}

// [IP][ESP(AES-CBC, SHA1-96)][UDP]
Bytes EspTransportPacket(std::size_t payload = 40) {
  Ip ip;
  ip.protocol = detail::kProtocolEsp;
  return Ipv4(ip, EspFramed(kSpi, 9, 16, Udp(payload), 17, 16, 12));
}

Bytes AhIcv(const Bytes& wire, std::size_t ip_header = 20) { return Bytes(wire.begin() + ip_header + 12, wire.begin() + ip_header + 24); }

class AhZeroing : public testing::Test {
 protected:
  ReferenceNic nic;
  NDIS_HANDLE handle = nullptr;
  void SetUp() override {
    EnableAll(nic);
    handle = MustAddSa(nic, AhSa());
  }
  Bytes IcvOf(const Bytes& packet) {
    const NDIS_IPSEC_PACKET_INFO info = Info(handle);
    Bytes wire;
    const SendResult result = SendFrame(nic, packet, &info, wire);
    EXPECT_TRUE(result.ok()) << ReasonName(result.reason);
    const std::size_t header = static_cast<std::size_t>(packet[0] & 15) * 4;
    return wire.empty() ? Bytes() : AhIcv(wire, header);
  }
};

// RFC 4302 3.3.3.1.1.1: TOS, flags, fragment offset, TTL and checksum are mutable.
TEST_F(AhZeroing, MutableBaseHeaderFieldsDoNotChangeTheIcv) {
  const Bytes base = AhTransportPacket(Ip{});
  const Bytes icv = IcvOf(base);
  ASSERT_EQ(icv.size(), 12u);
  ASSERT_NE(icv, Bytes(12, 0));
  struct Mutation {
    const char* field;
    std::size_t offset;
    std::uint8_t value;
  };
  // Fragment offset bits are not set here: fragments are refused (tested below); the DF and the
  // reserved flag bits are mutable too.
  for (const Mutation m : {Mutation{"TOS", 1, 0xb8}, Mutation{"flags (DF cleared)", 6, 0x00},
                           Mutation{"flags (reserved bit)", 6, 0xc0}, Mutation{"TTL", 8, 1},
                           Mutation{"checksum", 10, 0xab}, Mutation{"checksum low", 11, 0x01}}) {
    Bytes changed = base;
    changed[m.offset] = m.value;
    EXPECT_EQ(IcvOf(changed), icv) << m.field;
  }
}

TEST_F(AhZeroing, EveryImmutableByteChangesTheIcv) {
  const Bytes base = AhTransportPacket(Ip{});
  const Bytes icv = IcvOf(base);
  const std::set<std::size_t> mutable_bytes = {1, 6, 7, 8, 10, 11};
  for (std::size_t i = 0; i < base.size(); ++i) {
    if (mutable_bytes.count(i) || (i >= 32 && i < 44)) continue;  // mutable fields; the ICV itself
    if (i == 0 || i == 2 || i == 3 || i == 9 || i == 21 || (i >= 24 && i < 28)) continue;  // framing the NIC checks
    Bytes changed = base;
    changed[i] ^= 0x01;
    EXPECT_NE(IcvOf(changed), icv) << "byte " << i;
  }
}

// RFC 4302 Appendix A: immutable options stay in the ICV, mutable ones are zeroed as a unit.
TEST_F(AhZeroing, OptionsFollowAppendixA) {
  struct Case {
    const char* name;
    Bytes option;   // padded to 4 bytes
    bool mutable_option;
  };
  const Case cases[] = {
      {"Router Alert", {148, 4, 0, 0}, false},
      {"Security", {130, 4, 0x12, 0x34}, false},
      {"Commercial Security (CIPSO)", {134, 6, 0, 0, 0, 1, 1, 1}, false},
      {"Extended Security", {133, 4, 1, 2}, false},
      {"Record Route", {7, 7, 4, 0, 0, 0, 0, 1}, true},
      {"Timestamp", {68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0}, true},
      {"unknown option 30", {30, 4, 9, 9}, true},
  };
  for (const Case& c : cases) {
    Ip ip;
    ip.options = c.option;
    const Bytes base = AhTransportPacket(ip);
    const Bytes icv = IcvOf(base);
    ASSERT_FALSE(icv.empty()) << c.name;
    Bytes changed = base;
    changed[20 + 2] ^= 0x5a;  // first byte of option data
    EXPECT_EQ(IcvOf(changed) == icv, c.mutable_option) << c.name;
  }
}

TEST_F(AhZeroing, SourceRouteUsesTheFinalDestination) {
  for (const std::uint8_t type : {std::uint8_t{131}, std::uint8_t{137}}) {  // LSRR, SSRR
    Ip a;
    a.dst = 0x0a000001;  // the first hop
    a.options = {1, type, 11, 4, 10, 0, 0, 2, 198, 51, 100, 99};  // NOP, route: 10.0.0.2, final 198.51.100.99
    Ip b = a;
    b.dst = 0xc6336463;  // 198.51.100.99: what the destination sees
    b.options = {1, type, 11, 12, 10, 0, 0, 2, 10, 0, 0, 1};  // route used up (pointer past the end)
    // Both packets arrive with destination 198.51.100.99: one still routed, one already there.
    EXPECT_EQ(IcvOf(AhTransportPacket(a)), IcvOf(AhTransportPacket(b))) << int(type);
    Ip c = a;
    c.options[10] = 98;  // a different final destination changes the ICV
    EXPECT_NE(IcvOf(AhTransportPacket(a)), IcvOf(AhTransportPacket(c))) << int(type);
    Ip d = a;
    d.dst = 0x0a000009;  // another first hop does not
    EXPECT_EQ(IcvOf(AhTransportPacket(a)), IcvOf(AhTransportPacket(d))) << int(type);
  }
}

TEST_F(AhZeroing, TunnelModeNeverZeroesTheInnerHeader) {
  ReferenceNic tunnel_nic;
  EnableAll(tunnel_nic);
  Sa sa = AhSa();
  sa.tunnel_src = 0xc0000201;
  sa.tunnel_dst = 0xc6336407;
  const NDIS_HANDLE tunnel = MustAddSa(tunnel_nic, sa);
  Ip inner;
  Ip outer;
  outer.protocol = detail::kProtocolAh;
  const Bytes base = Ipv4(outer, AhFramed(kSpi, 1, 4, 0, 12, Ipv4(inner, Udp(20))));
  const NDIS_IPSEC_PACKET_INFO info = Info(tunnel);
  Bytes a, b;
  ASSERT_TRUE(SendFrame(tunnel_nic, base, &info, a).ok());
  Bytes changed = base;
  changed[44 + 8] = 3;  // inner TTL
  ASSERT_TRUE(SendFrame(tunnel_nic, changed, &info, b).ok());
  EXPECT_NE(AhIcv(a), AhIcv(b));
}

class Refusals : public testing::Test {
 protected:
  ReferenceNic nic;
  ScriptedIvs ivs;
  void SetUp() override { nic.SetIvSource(&ivs); }
  void ExpectRefused(const Bytes& frame, const NDIS_IPSEC_PACKET_INFO* info, NDIS_STATUS status, Reason reason) {
    Bytes wire;
    ivs.requests.clear();
    const SendResult result = SendFrame(nic, frame, info, wire);
    EXPECT_EQ(result.status, status) << ReasonName(result.reason);
    EXPECT_EQ(result.reason, reason) << ReasonName(result.reason);
    EXPECT_EQ(result.length, 0u) << "a refused send emitted a frame";
    EXPECT_TRUE(ivs.requests.empty()) << "a refused send drew an IV";
  }
};

TEST_F(Refusals, NoInfoOrZeroHandleSendsTheFrameUnchanged) {
  EnableAll(nic);
  const Bytes frame = EspTransportPacket();
  Bytes wire;
  EXPECT_EQ(SendFrame(nic, frame, nullptr, wire).reason, Reason::kNoOffloadRequested);
  EXPECT_EQ(wire, frame);
  const NDIS_IPSEC_PACKET_INFO zero = Info(nullptr);
  EXPECT_TRUE(SendFrame(nic, frame, &zero, wire).ok());
  EXPECT_EQ(wire, frame);
}

TEST_F(Refusals, Handles) {
  EnableAll(nic);
  const NDIS_HANDLE live = MustAddSa(nic, EspSa());
  Sa inbound_sa = EspSa();
  inbound_sa.outbound = false;
  const NDIS_HANDLE inbound = MustAddSa(nic, inbound_sa);
  const NDIS_HANDLE deleted = MustAddSa(nic, EspSa());
  ASSERT_TRUE(nic.DeleteSa(deleted).ok());
  const Bytes frame = EspTransportPacket();
  const auto never = reinterpret_cast<NDIS_HANDLE>(std::uintptr_t{0xdeadbeef});
  NDIS_IPSEC_PACKET_INFO info = Info(never);
  ExpectRefused(frame, &info, NDIS_STATUS_FAILURE, Reason::kHandleNeverIssued);
  info = Info(deleted);
  ExpectRefused(frame, &info, NDIS_STATUS_FAILURE, Reason::kHandleDeleted);
  info = Info(inbound);
  ExpectRefused(frame, &info, NDIS_STATUS_FAILURE, Reason::kHandleInbound);
  info = Info(nullptr, live);
  ExpectRefused(frame, &info, NDIS_STATUS_INVALID_PACKET, Reason::kNextHandleWithoutOffloadHandle);
  info = Info(live, live);  // NextOffloadHandle naming a transport SA
  ExpectRefused(frame, &info, NDIS_STATUS_FAILURE, Reason::kNextHandleNotTunnelSa);
}

TEST_F(Refusals, OffloadNotEnabledAndSecondSet) {
  const NDIS_IPSEC_PACKET_INFO none = Info(reinterpret_cast<NDIS_HANDLE>(std::uintptr_t{0x10}));
  ExpectRefused(EspTransportPacket(), &none, NDIS_STATUS_NOT_SUPPORTED, Reason::kOffloadNotEnabled);
  Capabilities caps = nic.QueryCapabilities();
  caps.task.V4ESP.Send = 0;
  ASSERT_TRUE(nic.SetCapabilities(NDIS_ENCAPSULATION_FORMAT{NULL_Encapsulation, {}, 0}, caps).ok());
  const OidResult again = nic.SetCapabilities(NDIS_ENCAPSULATION_FORMAT{NULL_Encapsulation, {}, 0}, nic.QueryCapabilities());
  EXPECT_EQ(again.status, NDIS_STATUS_FAILURE);
  EXPECT_EQ(again.reason, Reason::kOffloadAlreadySet);
  const NDIS_HANDLE handle = MustAddSa(nic, EspSa());  // supported, so the add succeeds
  const NDIS_IPSEC_PACKET_INFO info = Info(handle);
  ExpectRefused(EspTransportPacket(), &info, NDIS_STATUS_NOT_SUPPORTED, Reason::kOffloadNotEnabled);
}

TEST_F(Refusals, CapabilitiesNotEnabled) {
  struct Case {
    const char* name;
    void (*disable)(Capabilities&);
  };
  const Case cases[] = {
      {"AES-CBC-128", [](Capabilities& c) { c.extension.EncryptionAlgorithms &= ~ULONG{IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128}; }},
      {"SHA-1", [](Capabilities& c) { c.task.V4AH.SHA_1 = 0; }},
      {"ESP transport", [](Capabilities& c) { c.task.V4ESP.Transport = 0; }},
  };
  for (const Case& c : cases) {
    ReferenceNic fresh;
    Capabilities caps = fresh.QueryCapabilities();
    c.disable(caps);
    ASSERT_TRUE(fresh.SetCapabilities(NDIS_ENCAPSULATION_FORMAT{NULL_Encapsulation, {}, 0}, caps).ok());
    const NDIS_HANDLE handle = MustAddSa(fresh, EspSa());
    const NDIS_IPSEC_PACKET_INFO info = Info(handle);
    Bytes wire;
    const SendResult result = SendFrame(fresh, EspTransportPacket(), &info, wire);
    EXPECT_EQ(result.status, NDIS_STATUS_NOT_SUPPORTED) << c.name;
    EXPECT_EQ(result.reason, Reason::kCapabilityNotEnabled) << c.name;
    EXPECT_TRUE(wire.empty()) << c.name;
  }
}

TEST_F(Refusals, OptionsWithoutV4OptionsAndFragments) {
  Capabilities caps = nic.QueryCapabilities();
  caps.task.Supported.V4_OPTIONS = 0;
  ASSERT_TRUE(nic.SetCapabilities(NDIS_ENCAPSULATION_FORMAT{NULL_Encapsulation, {}, 0}, caps).ok());
  const NDIS_HANDLE handle = MustAddSa(nic, AhSa());
  const NDIS_IPSEC_PACKET_INFO info = Info(handle);
  Ip with_options;
  with_options.options = {148, 4, 0, 0};
  ExpectRefused(AhTransportPacket(with_options), &info, NDIS_STATUS_NOT_SUPPORTED, Reason::kOptionsNotEnabled);
  Ip more_fragments;
  more_fragments.flags_fragment = 0x2000;
  ExpectRefused(AhTransportPacket(more_fragments), &info, NDIS_STATUS_NOT_SUPPORTED, Reason::kFragment);
  Ip offset;
  offset.flags_fragment = 0x0010;
  ExpectRefused(AhTransportPacket(offset), &info, NDIS_STATUS_NOT_SUPPORTED, Reason::kFragment);
}

TEST_F(Refusals, MisframedPackets) {
  EnableAll(nic);
  const NDIS_HANDLE esp = MustAddSa(nic, EspSa());
  const NDIS_HANDLE ah = MustAddSa(nic, AhSa());
  const NDIS_IPSEC_PACKET_INFO esp_info = Info(esp);
  const NDIS_IPSEC_PACKET_INFO ah_info = Info(ah);
  const Bytes good = EspTransportPacket();

  Bytes b = good;
  b[0] = 0x65;  // IPv6 version nibble
  ExpectRefused(b, &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kNotIpv4);
  b = good;
  b[0] = 0x44;  // IHL 4
  ExpectRefused(b, &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kBadIhl);
  b = good;
  b[3] = static_cast<std::uint8_t>(b[3] + 4);  // total length past the frame
  ExpectRefused(b, &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kTotalLengthMismatch);
  ExpectRefused(Bytes(good.begin(), good.begin() + 12), &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kFrameTooShort);
  b = good;
  b[20] ^= 0xff;  // SPI
  ExpectRefused(b, &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kSpiMismatch);
  ExpectRefused(good, &ah_info, NDIS_STATUS_INVALID_PACKET, Reason::kProtocolMismatch);

  // Not block-aligned: one byte short of a block, with the total length telling the truth.
  Bytes short_block(good.begin(), good.end() - 1);
  short_block[3] = static_cast<std::uint8_t>(short_block[3] - 1);
  FixChecksum(short_block, 0);
  ExpectRefused(short_block, &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kEspNotBlockAligned);

  b = good;
  b[b.size() - 12 - 2] = 200;  // pad length past the payload
  ExpectRefused(b, &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kEspPadLengthPastPayload);

  // No room for the ICV: ESP header, IV and 12 bytes after it.
  Ip ip;
  ip.protocol = detail::kProtocolEsp;
  Bytes tiny = Ipv4(ip, Concat({Bytes{0, 0, 0x10, 0x01, 0, 0, 0, 1}, Bytes(16 + 12, 0)}));
  ExpectRefused(tiny, &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kEspNoRoomForIcv);
  tiny = Ipv4(ip, Bytes{0, 0, 0x10, 0x01, 0, 0, 0, 1, 0, 0});
  ExpectRefused(tiny, &esp_info, NDIS_STATUS_INVALID_PACKET, Reason::kEspTruncated);

  Bytes a = AhTransportPacket(Ip{});
  a[21] = 5;  // AH Payload Len for a 16-byte ICV
  ExpectRefused(a, &ah_info, NDIS_STATUS_INVALID_PACKET, Reason::kAhLengthMismatch);
  Ip ah_ip;
  ah_ip.protocol = detail::kProtocolAh;
  ExpectRefused(Ipv4(ah_ip, Bytes(8, 0)), &ah_info, NDIS_STATUS_INVALID_PACKET, Reason::kAhTruncated);

  Ip bad_option;
  bad_option.options = {148, 9, 0, 0};  // option length past the header
  ExpectRefused(AhTransportPacket(bad_option), &ah_info, NDIS_STATUS_INVALID_PACKET, Reason::kMalformedOption);
  Ip bad_route;
  bad_route.options = {131, 8, 4, 10, 0, 0, 2, 0};  // LSRR with 5 bytes of route: not whole addresses
  ExpectRefused(AhTransportPacket(bad_route), &ah_info, NDIS_STATUS_INVALID_PACKET, Reason::kMalformedOption);
}

TEST_F(Refusals, EthernetEncapsulation) {
  EnableAll(nic, IEEE_802_3_Encapsulation);
  const NDIS_HANDLE esp = MustAddSa(nic, EspSa());
  const NDIS_IPSEC_PACKET_INFO info = Info(esp);
  const Bytes ethernet = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
  Bytes frame = Concat({ethernet, EspTransportPacket()});
  Bytes wire;
  ivs.ivs.push_back(Bytes(16, 0x42));
  ASSERT_TRUE(SendFrame(nic, frame, &info, wire).ok());
  EXPECT_TRUE(std::equal(ethernet.begin(), ethernet.end(), wire.begin()));
  EXPECT_TRUE(std::equal(wire.begin() + 14 + 28, wire.begin() + 14 + 44, Bytes(16, 0x42).begin()));
  frame[12] = 0x86;
  frame[13] = 0xdd;
  ExpectRefused(frame, &info, NDIS_STATUS_INVALID_PACKET, Reason::kNotIpv4Ethertype);
}

// Transport-over-tunnel: outer [IP][AH][ESP] (tunnel bundle) around inner [IP][AH][ESP] (transport
// bundle), every algorithm slot different.
struct NestedFixture {
  ReferenceNic nic;
  NDIS_HANDLE transport = nullptr;
  NDIS_HANDLE tunnel = nullptr;
  Bytes frame;
  NestedFixture() {
    EnableAll(nic);
    Sa t;
    t.elements = {Esp(kSpi, OFFLOAD_IPSEC_CONF_3_DES, Key(24, 5), OFFLOAD_IPSEC_INTEGRITY_MD5, Key(16, 6)),
                  Ah(kSpi + 1, OFFLOAD_IPSEC_INTEGRITY_SHA, Key(20, 7))};
    transport = MustAddSa(nic, t);
    Sa u;
    u.tunnel_src = 0xc0000201;
    u.tunnel_dst = 0xc6336407;
    u.elements = {Esp(kTunnelSpi, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256, Key(32, 8), IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256, Key(32, 9)),
                  Ah(kTunnelSpi + 1, OFFLOAD_IPSEC_INTEGRITY_MD5, Key(16, 10))};
    tunnel = MustAddSa(nic, u);
    Ip inner;
    inner.protocol = detail::kProtocolAh;
    inner.src = 0x0a000001;
    inner.dst = 0x0a000002;
    const Bytes inner_packet =
        Ipv4(inner, AhFramed(kSpi + 1, 3, detail::kProtocolEsp, 0, 12, EspFramed(kSpi, 3, 8, Udp(21), 17, 8, 12)));
    Ip outer;
    outer.protocol = detail::kProtocolAh;
    frame = Ipv4(outer, AhFramed(kTunnelSpi + 1, 4, detail::kProtocolEsp, 0, 12,
                                 EspFramed(kTunnelSpi, 4, 16, inner_packet, 4, 16, 16)));
  }
};

class FixedIvs final : public IvSource {
 public:
  bool NextIv(NDIS_HANDLE, unsigned index, MutableByteSpan iv) override {
    for (std::size_t i = 0; i < iv.size(); ++i) iv[i] = static_cast<std::uint8_t>(0x30 + index + i);
    return true;
  }
};

TEST(BufferChains, EverySplitGivesTheSameOutput) {
  NestedFixture f;
  FixedIvs ivs;
  f.nic.SetIvSource(&ivs);
  const NDIS_IPSEC_PACKET_INFO info = Info(f.transport, f.tunnel);
  Bytes reference;
  ASSERT_TRUE(SendFrame(f.nic, f.frame, &info, reference).ok());
  ASSERT_NE(reference, f.frame);
  const ByteSpan whole(f.frame);
  Bytes wire(f.frame.size());
  std::size_t chains = 0;
  // Every pair of cut points (a one-cut chain is the pair with a == b), so every header boundary
  // and every byte inside every header is a buffer boundary somewhere.
  for (std::size_t a = 0; a <= f.frame.size(); ++a) {
    for (std::size_t b = a; b <= f.frame.size(); ++b) {
      const ByteSpan chain[] = {whole.first(a), whole.subspan(a, b - a), whole.subspan(b)};
      const SendResult result = f.nic.Send(chain, &info, wire);
      ASSERT_TRUE(result.ok()) << a << "," << b;
      ASSERT_EQ(Bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(result.length)), reference) << a << "," << b;
      ++chains;
    }
  }
  // One-byte buffers.
  std::vector<ByteSpan> bytes;
  for (std::size_t i = 0; i < f.frame.size(); ++i) bytes.push_back(whole.subspan(i, 1));
  const SendResult result = f.nic.Send(bytes, &info, wire);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(Bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(result.length)), reference);
  EXPECT_GT(chains, f.frame.size() * f.frame.size() / 2);
}

TEST(BufferChains, WireBufferTooSmall) {
  NestedFixture f;
  const NDIS_IPSEC_PACKET_INFO info = Info(f.transport, f.tunnel);
  Bytes wire(f.frame.size() - 1);
  const ByteSpan chain[] = {ByteSpan(f.frame)};
  const SendResult result = f.nic.Send(chain, &info, wire);
  EXPECT_EQ(result.status, NDIS_STATUS_BUFFER_TOO_SHORT);
  EXPECT_EQ(result.length, 0u);
}

TEST(TransportOverTunnel, HandleRoles) {
  NestedFixture f;
  FixedIvs ivs;
  f.nic.SetIvSource(&ivs);
  Bytes wire;
  NDIS_IPSEC_PACKET_INFO swapped = Info(f.tunnel, f.transport);
  EXPECT_EQ(SendFrame(f.nic, f.frame, &swapped, wire).reason, Reason::kNextHandleNotTunnelSa);
  // Only the transport SA: the outer headers are the tunnel's, so its SPI is not there.
  NDIS_IPSEC_PACKET_INFO transport_only = Info(f.transport);
  EXPECT_EQ(SendFrame(f.nic, f.frame, &transport_only, wire).reason, Reason::kSpiMismatch);
  // Only the tunnel SA: a legal single-payload packet; the inner portion stays as framed.
  NDIS_IPSEC_PACKET_INFO tunnel_only = Info(f.tunnel);
  ASSERT_TRUE(SendFrame(f.nic, f.frame, &tunnel_only, wire).ok());
  NDIS_IPSEC_PACKET_INFO both = Info(f.transport, f.tunnel);
  Bytes nested;
  ASSERT_TRUE(SendFrame(f.nic, f.frame, &both, nested).ok());
  EXPECT_NE(wire, nested);
}

TEST(TransportOverTunnel, NextHandleWithoutTunnelPayload) {
  NestedFixture f;
  // A tunnel SA over a packet whose tunnel ESP carries UDP, not IPv4.
  Ip outer;
  outer.protocol = detail::kProtocolAh;
  const Bytes frame = Ipv4(outer, AhFramed(kTunnelSpi + 1, 4, detail::kProtocolEsp, 0, 12,
                                           EspFramed(kTunnelSpi, 4, 16, Udp(30), 17, 16, 16)));
  NDIS_IPSEC_PACKET_INFO both = Info(f.transport, f.tunnel);
  Bytes wire;
  const SendResult result = SendFrame(f.nic, frame, &both, wire);
  EXPECT_EQ(result.status, NDIS_STATUS_INVALID_PACKET);
  EXPECT_EQ(result.reason, Reason::kNoTunnelPayload);
  EXPECT_TRUE(wire.empty());
}

TEST(TransportOverTunnel, CombinedModeNotEnabled) {
  ReferenceNic nic;
  Capabilities caps = nic.QueryCapabilities();
  caps.task.Supported.TRANSPORT_TUNNEL_COMBINED = 0;
  ASSERT_TRUE(nic.SetCapabilities(NDIS_ENCAPSULATION_FORMAT{NULL_Encapsulation, {}, 0}, caps).ok());
  const NDIS_HANDLE t = MustAddSa(nic, EspSa());
  Sa u = EspSa();
  u.tunnel_src = 1;
  u.tunnel_dst = 2;
  const NDIS_HANDLE tunnel = MustAddSa(nic, u);
  NDIS_IPSEC_PACKET_INFO both = Info(t, tunnel);
  Bytes wire;
  EXPECT_EQ(SendFrame(nic, EspTransportPacket(), &both, wire).reason, Reason::kCapabilityNotEnabled);
}

TEST(SaLifecycle, AddSendDeleteSendAgainFails) {
  ReferenceNic nic;
  EnableAll(nic);
  const NDIS_HANDLE handle = MustAddSa(nic, EspSa());
  NDIS_IPSEC_PACKET_INFO info = Info(handle);
  Bytes wire;
  EXPECT_TRUE(SendFrame(nic, EspTransportPacket(), &info, wire).ok());
  EXPECT_TRUE(nic.DeleteSa(handle).ok());
  EXPECT_EQ(SendFrame(nic, EspTransportPacket(), &info, wire).reason, Reason::kHandleDeleted);
  const OidResult again = nic.DeleteSa(handle);
  EXPECT_EQ(again.status, NDIS_STATUS_FAILURE);
  EXPECT_EQ(again.reason, Reason::kUnknownHandle);
}

TEST(SaLifecycle, HandlesAreNeverReused) {
  ReferenceNic nic;
  EnableAll(nic);
  std::set<NDIS_HANDLE> seen;
  for (int i = 0; i < 200; ++i) {
    const NDIS_HANDLE handle = MustAddSa(nic, EspSa());
    EXPECT_NE(handle, nullptr);
    EXPECT_TRUE(seen.insert(handle).second) << "handle reused";
    if (i % 2 == 0) {
      ASSERT_TRUE(nic.DeleteSa(handle).ok());
    }
  }
  EXPECT_EQ(nic.LiveSaCount(), 100u);
}

TEST(SaLifecycle, CapacityGivesResourcesAndFreesOnDelete) {
  NicOptions options;
  options.sa_capacity = 3;
  ReferenceNic nic(options);
  EnableAll(nic);
  std::vector<NDIS_HANDLE> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(MustAddSa(nic, EspSa()));
  NDIS_HANDLE handle = nullptr;
  const OidResult full = AddSa(nic, EspSa(), handle);
  EXPECT_EQ(full.status, NDIS_STATUS_RESOURCES);
  EXPECT_EQ(full.reason, Reason::kSaTableFull);
  ASSERT_TRUE(nic.DeleteSa(handles[1]).ok());
  EXPECT_TRUE(AddSa(nic, EspSa(), handle).ok());
  EXPECT_EQ(nic.LiveSaCount(), 3u);
}

TEST(AddSa, RequestChecks) {
  ReferenceNic nic;
  EnableAll(nic);
  struct Case {
    const char* name;
    Sa sa;
    NDIS_STATUS status;
    Reason reason;
  };
  Sa ah_then_esp;
  ah_then_esp.elements = {Ah(1, OFFLOAD_IPSEC_INTEGRITY_MD5, Key(16, 1)),
                          Esp(2, OFFLOAD_IPSEC_CONF_3_DES, Key(24, 2), OFFLOAD_IPSEC_INTEGRITY_MD5, Key(16, 3))};
  Sa wrong_key = EspSa();
  wrong_key.elements[0].integrity_key.pop_back();
  Sa unknown_conf = EspSa(0x7777, 16);
  Sa ah_with_conf = AhSa();
  ah_with_conf.elements[0].conf_key = Key(8, 1);
  Sa three;
  three.elements = {EspSa().elements[0], AhSa().elements[0], AhSa().elements[0]};
  Sa null_null;
  null_null.elements = {Esp(1, OFFLOAD_IPSEC_CONF_NONE, {})};
  Sa gcm_sha;
  gcm_sha.elements = {Esp(1, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128, Key(20, 1), OFFLOAD_IPSEC_INTEGRITY_SHA, Key(20, 2))};
  const Case cases[] = {
      {"AH then ESP", ah_then_esp, NDIS_STATUS_NOT_SUPPORTED, Reason::kBundleOrder},
      {"wrong integrity key length", wrong_key, NDIS_STATUS_INVALID_DATA, Reason::kKeyLengthMismatch},
      {"unknown ConfAlgo", unknown_conf, NDIS_STATUS_INVALID_DATA, Reason::kUnknownConfAlgo},
      {"three elements", three, NDIS_STATUS_INVALID_DATA, Reason::kBadNumSAs},
      {"null ESP without integrity", null_null, NDIS_STATUS_INVALID_DATA, Reason::kNothingToDo},
      {"GCM with HMAC", gcm_sha, NDIS_STATUS_INVALID_DATA, Reason::kGcmIntegrityMismatch},
  };
  for (const Case& c : cases) {
    NDIS_HANDLE handle = nullptr;
    const OidResult result = AddSa(nic, c.sa, handle);
    EXPECT_EQ(result.status, c.status) << c.name;
    EXPECT_EQ(result.reason, c.reason) << c.name << ": " << ReasonName(result.reason);
  }
  // AH with a ConfAlgo: the helper never sets one for AH, so write the request by hand.
  OFFLOAD_IPSEC_ADD_SA request{};
  request.Flags = OFFLOAD_OUTBOUND_SA;
  request.NumSAs = 1;
  request.SecAssoc[0].Operation = AUTHENTICATE;
  request.SecAssoc[0].IntegrityAlgo = {OFFLOAD_IPSEC_INTEGRITY_MD5, 16, 0};
  request.SecAssoc[0].ConfAlgo = {OFFLOAD_IPSEC_CONF_DES, 0, 0};
  EXPECT_EQ(nic.AddSa(request, Key(16, 1)).reason, Reason::kAhHasConfAlgo);
  request.SecAssoc[0].ConfAlgo = {};
  request.Flags = 3;
  EXPECT_EQ(nic.AddSa(request, Key(16, 1)).reason, Reason::kBadSaFlags);
  request.Flags = OFFLOAD_OUTBOUND_SA;
  EXPECT_EQ(nic.AddSa(request, Key(17, 1)).reason, Reason::kKeyMaterialMismatch);
  // A buffer shorter than its KeyLen.
  std::vector<std::uint8_t> buffer(OFFLOAD_IPSEC_ADD_SA_SIZE(0));
  request.KeyLen = 16;
  std::memcpy(buffer.data(), &request, buffer.size());
  const OidResult short_buffer = nic.AddSa(MutableByteSpan(buffer));
  EXPECT_EQ(short_buffer.status, NDIS_STATUS_INVALID_LENGTH);
  EXPECT_EQ(nic.AddSa(MutableByteSpan(buffer).first(10)).status, NDIS_STATUS_INVALID_LENGTH);
  EXPECT_EQ(nic.LiveSaCount(), 0u);
}

// IPsec offload v2 style: AES-GCM named in both slots, the key only in ConfAlgo (S21).
TEST(AddSa, GcmWithItsOwnGmacAsIntegrityEqualsGcmAlone) {
  Bytes outputs[2];
  for (const bool named_twice : {false, true}) {
    ReferenceNic nic;
    EnableAll(nic);
    FixedIvs ivs;
    nic.SetIvSource(&ivs);
    OFFLOAD_IPSEC_ADD_SA request{};
    request.Flags = OFFLOAD_OUTBOUND_SA;
    request.NumSAs = 1;
    request.SecAssoc[0].Operation = ENCRYPT;
    request.SecAssoc[0].SPI = kSpi;
    request.SecAssoc[0].ConfAlgo = {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256, 36, 0};
    if (named_twice) request.SecAssoc[0].IntegrityAlgo = {IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256, 0, 0};
    const OidResult added = nic.AddSa(request, Key(36, 4));
    ASSERT_TRUE(added.ok()) << ReasonName(added.reason) << " " << added.detail;
    const NDIS_IPSEC_PACKET_INFO info = Info(request.OffloadHandle);
    Ip ip;
    ip.protocol = detail::kProtocolEsp;
    ASSERT_TRUE(SendFrame(nic, Ipv4(ip, EspFramed(kSpi, 2, 8, Udp(33), 17, 1, 16)), &info, outputs[named_twice]).ok());
  }
  EXPECT_EQ(outputs[0], outputs[1]);
  // A GMAC of another size, or a GMAC key beside the GCM key, is refused.
  ReferenceNic nic;
  EnableAll(nic);
  OFFLOAD_IPSEC_ADD_SA request{};
  request.Flags = OFFLOAD_OUTBOUND_SA;
  request.NumSAs = 1;
  request.SecAssoc[0].Operation = ENCRYPT;
  request.SecAssoc[0].ConfAlgo = {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256, 36, 0};
  request.SecAssoc[0].IntegrityAlgo = {IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128, 0, 0};
  EXPECT_EQ(nic.AddSa(request, Key(36, 4)).reason, Reason::kGcmIntegrityMismatch);
  request.SecAssoc[0].IntegrityAlgo = {IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256, 36, 0};
  EXPECT_EQ(nic.AddSa(request, Key(72, 4)).reason, Reason::kKeyLengthMismatch);
}

TEST(AddSa, ReportedProfileLimitsWhatCanBeAdded) {
  NicOptions options;
  Capabilities reported = FullCapabilities();
  reported.task.V4ESP.TRIPLE_DES = 0;
  reported.task.V4AH.Tunnel = 0;
  options.reported = reported;
  ReferenceNic nic(options);
  EXPECT_EQ(nic.QueryCapabilities().task.V4ESP.TRIPLE_DES, 0u);
  // Enabling what is not reported fails.
  EXPECT_EQ(nic.SetCapabilities(NDIS_ENCAPSULATION_FORMAT{NULL_Encapsulation, {}, 0}, FullCapabilities()).reason,
            Reason::kCapabilityNotSupported);
  ASSERT_TRUE(nic.SetCapabilities(NDIS_ENCAPSULATION_FORMAT{NULL_Encapsulation, {}, 0}, reported).ok());
  NDIS_HANDLE handle = nullptr;
  EXPECT_EQ(AddSa(nic, EspSa(OFFLOAD_IPSEC_CONF_3_DES, 24), handle).reason, Reason::kAlgorithmNotSupported);
  Sa ah_tunnel = AhSa();
  ah_tunnel.tunnel_src = 1;
  EXPECT_EQ(AddSa(nic, ah_tunnel, handle).reason, Reason::kModeNotSupported);
}

TEST(AddSa, BothKeyOrdersGiveTheSameFrame) {
  Bytes outputs[2];
  for (const bool integrity_first : {false, true}) {
    ReferenceNic nic;
    EnableAll(nic);
    FixedIvs ivs;
    nic.SetIvSource(&ivs);
    Sa sa = EspSa();
    sa.integrity_first = integrity_first;
    const NDIS_IPSEC_PACKET_INFO info = Info(MustAddSa(nic, sa));
    ASSERT_TRUE(SendFrame(nic, EspTransportPacket(), &info, outputs[integrity_first]).ok());
  }
  EXPECT_EQ(outputs[0], outputs[1]);
  // The same bytes read in the other order give other keys and another frame.
  ReferenceNic nic;
  EnableAll(nic);
  FixedIvs ivs;
  nic.SetIvSource(&ivs);
  Sa sa = EspSa();
  const Bytes conf = sa.elements[0].conf_key, integrity = sa.elements[0].integrity_key;
  OFFLOAD_IPSEC_ADD_SA request{};
  request.Flags = OFFLOAD_OUTBOUND_SA;
  request.NumSAs = 1;
  request.SecAssoc[0] = {ENCRYPT, kSpi, {OFFLOAD_IPSEC_INTEGRITY_SHA, 20, 0}, {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, 16, 0}, {}};
  SENDPATH_ADD_SA_EXTENSION extension{SENDPATH_EXTENSION_VERSION, SENDPATH_KEYMAT_INTEGRITY_FIRST, {}, {}};
  // conf-first bytes, but declared integrity-first: a NIC reading the wrong order.
  ASSERT_TRUE(nic.AddSa(request, Concat({conf, integrity}), &extension).ok());
  const NDIS_IPSEC_PACKET_INFO info = Info(request.OffloadHandle);
  Bytes swapped;
  ASSERT_TRUE(SendFrame(nic, EspTransportPacket(), &info, swapped).ok());
  EXPECT_NE(swapped, outputs[0]);
}

TEST(Reasons, EveryReasonHasANameAndAStatus) {
  for (int r = 0; r <= static_cast<int>(kLastReason); ++r) {
    const auto reason = static_cast<Reason>(r);
    EXPECT_NE(ReasonName(reason), "unknown reason");
    EXPECT_EQ(StatusOf(reason) == NDIS_STATUS_SUCCESS, reason == Reason::kOk || reason == Reason::kNoOffloadRequested);
  }
  EXPECT_EQ(StatusFromName("NDIS_STATUS_INVALID_PACKET"), NDIS_STATUS_INVALID_PACKET);
  EXPECT_EQ(StatusFromName("FAILURE"), NDIS_STATUS_FAILURE);
  EXPECT_EQ(StatusFromName("NDIS_STATUS_BOGUS"), std::nullopt);
  EXPECT_EQ(StatusName(NDIS_STATUS_RESOURCES), "NDIS_STATUS_RESOURCES");
}

}  // namespace
}  // namespace sendpath::nic::test
