// UDP-encapsulated ESP (RFC 3948) on the send path: OID_TCP_TASK_IPSEC_ADD_UDPESP_SA and
// DELETE_UDPESP_SA with their parser entries [S15a][S15d], capability gating by subtype through
// Supported.RESERVED [S15e], the four subtypes [S15b] processed exactly as plain ESP with the UDP
// header left as framed, and the framing the NIC refuses (reference_nic/README.md).
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "reference_nic/ipv4.h"
#include "reference_nic/tests/test_support.h"

namespace sendpath::nic::test {
namespace {

constexpr std::uint32_t kSpi = 0x3003;
constexpr std::uint32_t kTunnelSpi = 0x4004;
constexpr std::size_t kIp = 20;
constexpr std::size_t kUdp = 8;

Sa EspSa(std::uint32_t spi = kSpi, bool tunnel = false) {
  Sa sa;
  if (tunnel) {
    sa.tunnel_src = 0xc0000201;
    sa.tunnel_dst = 0xc6336407;
  }
  sa.elements.push_back(Esp(spi, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, Key(16, 1), OFFLOAD_IPSEC_INTEGRITY_SHA, Key(20, 2)));
  return sa;
}

Bytes EspOf(std::uint32_t spi, const Bytes& payload, std::uint8_t next_header) {
  return EspFramed(spi, 7, 16, payload, next_header, 16, 12);
}

// [IP(17)][UDP 4500][ESP]: UDP-encapsulated transport.
Bytes UdpEspTransport(std::uint16_t checksum = 0) {
  Ip ip;
  ip.protocol = detail::kProtocolUdp;
  return Ipv4(ip, UdpEncapsulated(EspOf(kSpi, Udp(33), 17), 4500, 4500, checksum));
}

// [IP(50)][ESP]: the same ESP without the UDP header.
Bytes PlainEspTransport() {
  Ip ip;
  ip.protocol = detail::kProtocolEsp;
  return Ipv4(ip, EspOf(kSpi, Udp(33), 17));
}

Bytes InnerPacket() {
  Ip inner;
  inner.src = 0x0a000001;
  inner.dst = 0x0a000002;
  return Ipv4(inner, Udp(27));
}

Capabilities WithSubtypes(ReferenceNic& nic, ULONG subtypes) {
  Capabilities caps = nic.QueryCapabilities();
  caps.task.Supported.RESERVED = subtypes;
  NDIS_ENCAPSULATION_FORMAT format{};
  format.Encapsulation = NULL_Encapsulation;
  EXPECT_TRUE(nic.SetCapabilities(format, caps).ok());
  return caps;
}

class FixedIvs final : public IvSource {
 public:
  bool NextIv(NDIS_HANDLE, unsigned index, MutableByteSpan iv) override {
    for (std::size_t i = 0; i < iv.size(); ++i) iv[i] = static_cast<std::uint8_t>(0x40 + index + i);
    return true;
  }
};

class UdpEsp : public testing::Test {
 protected:
  ReferenceNic nic;
  FixedIvs fixed;
  ScriptedIvs scripted;
  void SetUp() override { nic.SetIvSource(&fixed); }
  void ExpectRefused(const Bytes& frame, const NDIS_IPSEC_PACKET_INFO& info, NDIS_STATUS status, Reason reason) {
    nic.SetIvSource(&scripted);
    scripted.requests.clear();
    Bytes wire;
    const SendResult result = SendFrame(nic, frame, &info, wire);
    EXPECT_EQ(result.status, status) << ReasonName(result.reason);
    EXPECT_EQ(result.reason, reason) << ReasonName(result.reason);
    EXPECT_EQ(result.length, 0u) << "a refused send emitted a frame";
    EXPECT_TRUE(scripted.requests.empty()) << "a refused send drew an IV";
    nic.SetIvSource(&fixed);
  }
};

TEST_F(UdpEsp, ReportsTheFourOtherSubtypesAndNoReservedIkeFlag) {
  const Capabilities caps = nic.QueryCapabilities();
  EXPECT_EQ(caps.task.Supported.RESERVED, 0xF0u);
  Capabilities ike = caps;
  ike.task.Supported.RESERVED |= IPSEC_TPT_UDPESP_ENCAPTYPE_IKE;
  NDIS_ENCAPSULATION_FORMAT format{};
  format.Encapsulation = NULL_Encapsulation;
  const OidResult refused = nic.SetCapabilities(format, ike);
  EXPECT_EQ(refused.reason, Reason::kCapabilityNotSupported);
  EXPECT_TRUE(nic.SetCapabilities(format, caps).ok());
}

TEST_F(UdpEsp, TransportIsPlainEspWithTheUdpHeaderLeftAsFramed) {
  EnableAll(nic);
  const NDIS_HANDLE udp = MustAddUdpEspSa(nic, EspSa());
  const NDIS_HANDLE plain = MustAddSa(nic, EspSa());
  // A non-zero checksum the transport framed stays what it is (RFC 3948 3.1 makes zero a SHOULD).
  const Bytes frame = UdpEspTransport(0xbeef);
  Bytes with_udp, without;
  const NDIS_IPSEC_PACKET_INFO info = Info(udp), plain_info = Info(plain);
  ASSERT_TRUE(SendFrame(nic, frame, &info, with_udp).ok());
  ASSERT_TRUE(SendFrame(nic, PlainEspTransport(), &plain_info, without).ok());
  ASSERT_EQ(with_udp.size(), frame.size());
  EXPECT_EQ(Bytes(with_udp.begin(), with_udp.begin() + kIp + kUdp), Bytes(frame.begin(), frame.begin() + kIp + kUdp));
  EXPECT_EQ(Bytes(with_udp.begin() + kIp + kUdp, with_udp.end()), Bytes(without.begin() + kIp, without.end()));
  EXPECT_NE(with_udp, frame);
}

TEST_F(UdpEsp, TunnelIsPlainTunnelEspBehindUdp) {
  EnableAll(nic);
  const NDIS_HANDLE udp = MustAddUdpEspSa(nic, EspSa(kTunnelSpi, true));
  const NDIS_HANDLE plain = MustAddSa(nic, EspSa(kTunnelSpi, true));
  Ip outer;
  outer.protocol = detail::kProtocolUdp;
  const Bytes frame = Ipv4(outer, UdpEncapsulated(EspOf(kTunnelSpi, InnerPacket(), 4), 4500, 61000));
  outer.protocol = detail::kProtocolEsp;
  const Bytes plain_frame = Ipv4(outer, EspOf(kTunnelSpi, InnerPacket(), 4));
  Bytes a, b;
  const NDIS_IPSEC_PACKET_INFO info = Info(udp), plain_info = Info(plain);
  ASSERT_TRUE(SendFrame(nic, frame, &info, a).ok());
  ASSERT_TRUE(SendFrame(nic, plain_frame, &plain_info, b).ok());
  EXPECT_EQ(Bytes(a.begin(), a.begin() + kIp + kUdp), Bytes(frame.begin(), frame.begin() + kIp + kUdp));
  EXPECT_EQ(Bytes(a.begin() + kIp + kUdp, a.end()), Bytes(b.begin() + kIp, b.end()));
}

TEST_F(UdpEsp, TransportOverUdpEncapsulatedTunnel) {
  EnableAll(nic);
  const NDIS_HANDLE transport = MustAddSa(nic, EspSa());
  const NDIS_HANDLE udp_tunnel = MustAddUdpEspSa(nic, EspSa(kTunnelSpi, true));
  const NDIS_HANDLE plain_tunnel = MustAddSa(nic, EspSa(kTunnelSpi, true));
  Ip inner;
  inner.protocol = detail::kProtocolEsp;
  inner.src = 0x0a000001;
  const Bytes inner_packet = Ipv4(inner, EspOf(kSpi, Udp(19), 17));
  Ip outer;
  outer.protocol = detail::kProtocolUdp;
  const Bytes frame = Ipv4(outer, UdpEncapsulated(EspOf(kTunnelSpi, inner_packet, 4)));
  outer.protocol = detail::kProtocolEsp;
  const Bytes plain_frame = Ipv4(outer, EspOf(kTunnelSpi, inner_packet, 4));
  Bytes a, b;
  const NDIS_IPSEC_PACKET_INFO info = Info(transport, udp_tunnel), plain_info = Info(transport, plain_tunnel);
  ASSERT_TRUE(SendFrame(nic, frame, &info, a).ok());
  ASSERT_TRUE(SendFrame(nic, plain_frame, &plain_info, b).ok());
  EXPECT_EQ(Bytes(a.begin(), a.begin() + kIp + kUdp), Bytes(frame.begin(), frame.begin() + kIp + kUdp));
  EXPECT_EQ(Bytes(a.begin() + kIp + kUdp, a.end()), Bytes(b.begin() + kIp, b.end()));
}

TEST_F(UdpEsp, UdpEncapsulatedTransportOverPureTunnel) {
  EnableAll(nic);
  const NDIS_HANDLE udp_transport = MustAddUdpEspSa(nic, EspSa());
  const NDIS_HANDLE plain_transport = MustAddSa(nic, EspSa());
  // An AH tunnel leaves the inner packet readable, so its ESP can be compared with plain ESP's.
  Sa ah_tunnel;
  ah_tunnel.tunnel_src = 0xc0000201;
  ah_tunnel.tunnel_dst = 0xc6336407;
  ah_tunnel.elements.push_back(Ah(kTunnelSpi, OFFLOAD_IPSEC_INTEGRITY_MD5, Key(16, 9)));
  const NDIS_HANDLE tunnel = MustAddSa(nic, ah_tunnel);
  Ip inner;
  inner.protocol = detail::kProtocolUdp;
  inner.src = 0x0a000001;
  const Bytes inner_packet = Ipv4(inner, UdpEncapsulated(EspOf(kSpi, Udp(19), 17)));
  Ip outer;
  outer.protocol = detail::kProtocolAh;
  const Bytes frame = Ipv4(outer, AhFramed(kTunnelSpi, 5, 4, 0, 12, inner_packet));
  Bytes a, c;
  const NDIS_IPSEC_PACKET_INFO info = Info(udp_transport, tunnel), plain_info = Info(plain_transport);
  ASSERT_TRUE(SendFrame(nic, frame, &info, a).ok());
  const std::size_t inner_at = kIp + 24;  // after the outer header and AH with its 12-byte ICV
  EXPECT_EQ(Bytes(a.begin() + inner_at, a.begin() + inner_at + kIp + kUdp),
            Bytes(frame.begin() + inner_at, frame.begin() + inner_at + kIp + kUdp));
  // The inner ESP is what a plain transport SA makes of the same ESP framing.
  Ip plain_ip;
  plain_ip.protocol = detail::kProtocolEsp;
  ASSERT_TRUE(SendFrame(nic, Ipv4(plain_ip, EspOf(kSpi, Udp(19), 17)), &plain_info, c).ok());
  EXPECT_EQ(Bytes(a.begin() + inner_at + kIp + kUdp, a.end()), Bytes(c.begin() + kIp, c.end()));
  EXPECT_NE(Bytes(a.begin() + kIp + 12, a.begin() + kIp + 24), Bytes(12, 0)) << "the tunnel AH ICV was computed";
}

TEST_F(UdpEsp, EverySubtypeIsGatedByItsOwnFlag) {
  struct Case {
    ULONG flag;
    const char* name;
  };
  for (const Case c : {Case{IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER, "transport"}, Case{IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER, "tunnel"},
                       Case{IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER, "transport over UDP tunnel"},
                       Case{IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER, "UDP transport over tunnel"}}) {
    SCOPED_TRACE(c.name);
    ReferenceNic gated;
    gated.SetIvSource(&fixed);
    WithSubtypes(gated, 0xF0u & ~c.flag);
    const NDIS_HANDLE udp_transport = MustAddUdpEspSa(gated, EspSa());
    const NDIS_HANDLE udp_tunnel = MustAddUdpEspSa(gated, EspSa(kTunnelSpi, true));
    const NDIS_HANDLE transport = MustAddSa(gated, EspSa());
    const NDIS_HANDLE tunnel = MustAddSa(gated, EspSa(kTunnelSpi, true));
    NDIS_IPSEC_PACKET_INFO info{};
    if (c.flag == IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER) info = Info(udp_transport);
    if (c.flag == IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER) info = Info(udp_tunnel);
    if (c.flag == IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER) info = Info(transport, udp_tunnel);
    if (c.flag == IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER) info = Info(udp_transport, tunnel);
    // The gate comes before the frame is read.
    Bytes wire;
    const SendResult result = SendFrame(gated, UdpEspTransport(), &info, wire);
    EXPECT_EQ(result.status, NDIS_STATUS_NOT_SUPPORTED);
    EXPECT_EQ(result.reason, Reason::kCapabilityNotEnabled);
  }
}

TEST_F(UdpEsp, UdpTransportOverUdpTunnelIsNotASubtype) {
  EnableAll(nic);
  const NDIS_HANDLE transport = MustAddUdpEspSa(nic, EspSa());
  const NDIS_HANDLE tunnel = MustAddUdpEspSa(nic, EspSa(kTunnelSpi, true));
  ExpectRefused(UdpEspTransport(), Info(transport, tunnel), NDIS_STATUS_NOT_SUPPORTED, Reason::kUdpEspOverUdpEsp);
}

TEST_F(UdpEsp, FramingThatDisagreesWithTheSa) {
  EnableAll(nic);
  const NDIS_HANDLE udp = MustAddUdpEspSa(nic, EspSa());
  const NDIS_HANDLE plain = MustAddSa(nic, EspSa());
  const NDIS_IPSEC_PACKET_INFO info = Info(udp);
  // Plain ESP on a UDP-ESP SA, and UDP-ESP on a plain SA: the protocol byte points at it.
  ExpectRefused(PlainEspTransport(), info, NDIS_STATUS_INVALID_PACKET, Reason::kProtocolMismatch);
  ExpectRefused(UdpEspTransport(), Info(plain), NDIS_STATUS_INVALID_PACKET, Reason::kProtocolMismatch);
  // AH where UDP belongs.
  Ip ah_ip;
  ah_ip.protocol = detail::kProtocolAh;
  ExpectRefused(Ipv4(ah_ip, AhFramed(kSpi, 1, 17, 0, 12, Udp(20))), info, NDIS_STATUS_INVALID_PACKET,
                Reason::kProtocolMismatch);
  Ip ip;
  ip.protocol = detail::kProtocolUdp;
  // Source port other than 4500; any destination port (a NAT's mapping) is fine.
  ExpectRefused(Ipv4(ip, UdpEncapsulated(EspOf(kSpi, Udp(33), 17), 4501, 4500)), info, NDIS_STATUS_INVALID_PACKET,
                Reason::kUdpEspPortMismatch);
  Bytes wire;
  EXPECT_TRUE(SendFrame(nic, Ipv4(ip, UdpEncapsulated(EspOf(kSpi, Udp(33), 17), 4500, 1024)), &info, wire).ok());
  // The non-ESP marker (an IKE packet) and a different SPI.
  Bytes marker = UdpEspTransport();
  marker[kIp + kUdp] = marker[kIp + kUdp + 1] = marker[kIp + kUdp + 2] = marker[kIp + kUdp + 3] = 0;
  ExpectRefused(marker, info, NDIS_STATUS_INVALID_PACKET, Reason::kUdpEspNonEspMarker);
  Bytes spi = UdpEspTransport();
  spi[kIp + kUdp + 3] ^= 1;
  ExpectRefused(spi, info, NDIS_STATUS_INVALID_PACKET, Reason::kSpiMismatch);
  // UDP Length one more and one less than the IPv4 total length leaves.
  for (const int delta : {1, -1}) {
    Bytes length = UdpEspTransport();
    const int value = (length[kIp + 4] << 8 | length[kIp + 5]) + delta;
    length[kIp + 4] = static_cast<std::uint8_t>(value >> 8);
    length[kIp + 5] = static_cast<std::uint8_t>(value);
    ExpectRefused(length, info, NDIS_STATUS_INVALID_PACKET, Reason::kUdpLengthMismatch);
  }
  // A UDP header cut by the IPv4 total length.
  Bytes truncated = Ipv4(ip, Bytes{0x11, 0x94, 0x11, 0x94, 0x00, 0x08});
  ExpectRefused(truncated, info, NDIS_STATUS_INVALID_PACKET, Reason::kUdpTruncated);
}

TEST_F(UdpEsp, OptionsAndFragmentsFollowThePlainRules) {
  ReferenceNic no_options;
  Capabilities caps = no_options.QueryCapabilities();
  caps.task.Supported.V4_OPTIONS = 0;
  NDIS_ENCAPSULATION_FORMAT format{};
  format.Encapsulation = NULL_Encapsulation;
  ASSERT_TRUE(no_options.SetCapabilities(format, caps).ok());
  const NDIS_HANDLE udp = MustAddUdpEspSa(no_options, EspSa());
  Ip ip;
  ip.protocol = detail::kProtocolUdp;
  ip.options = {0x94, 0x04, 0x00, 0x00};  // Router Alert
  const Bytes with_options = Ipv4(ip, UdpEncapsulated(EspOf(kSpi, Udp(33), 17)));
  Bytes wire;
  const NDIS_IPSEC_PACKET_INFO info = Info(udp);
  EXPECT_EQ(SendFrame(no_options, with_options, &info, wire).reason, Reason::kOptionsNotEnabled);

  EnableAll(nic);
  const NDIS_HANDLE h = MustAddUdpEspSa(nic, EspSa());
  const NDIS_IPSEC_PACKET_INFO ok_info = Info(h);
  ASSERT_TRUE(SendFrame(nic, with_options, &ok_info, wire).ok());
  EXPECT_EQ(Bytes(wire.begin(), wire.begin() + 24 + kUdp), Bytes(with_options.begin(), with_options.begin() + 24 + kUdp));
  Ip fragment;
  fragment.protocol = detail::kProtocolUdp;
  fragment.flags_fragment = 0x2000;  // MF
  ExpectRefused(Ipv4(fragment, UdpEncapsulated(EspOf(kSpi, Udp(33), 17))), ok_info, NDIS_STATUS_NOT_SUPPORTED,
                Reason::kFragment);
}

TEST_F(UdpEsp, EverySplitGivesTheSameOutput) {
  EnableAll(nic);
  const NDIS_HANDLE udp = MustAddUdpEspSa(nic, EspSa());
  const Bytes frame = UdpEspTransport();
  const NDIS_IPSEC_PACKET_INFO info = Info(udp);
  Bytes reference;
  ASSERT_TRUE(SendFrame(nic, frame, &info, reference).ok());
  const ByteSpan whole(frame);
  Bytes wire(frame.size());
  for (std::size_t a = 0; a <= frame.size(); ++a) {
    for (std::size_t b = a; b <= frame.size(); b += 3) {
      const ByteSpan chain[] = {whole.first(a), whole.subspan(a, b - a), whole.subspan(b)};
      const SendResult result = nic.Send(chain, &info, wire);
      ASSERT_TRUE(result.ok()) << a << "," << b;
      ASSERT_EQ(Bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(result.length)), reference) << a << "," << b;
    }
  }
}

// ---- OIDs -----------------------------------------------------------------------------------

TEST(UdpEspOids, OutboundSaIgnoresTheParserEntryFields) {
  ReferenceNic nic;
  EnableAll(nic);
  NDIS_HANDLE handle = nullptr;
  NDIS_HANDLE entry = reinterpret_cast<NDIS_HANDLE>(0x1234);  // ignored for an outbound SA [S15a]
  ASSERT_TRUE(AddUdpEspSa(nic, EspSa(), handle, entry, {OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER, 4501}).ok());
  EXPECT_NE(handle, nullptr);
  EXPECT_EQ(entry, reinterpret_cast<NDIS_HANDLE>(0x1234)) << "an outbound add leaves EncapTypeEntryOffldHandle alone";
  EXPECT_EQ(nic.LiveParserEntryCount(), 0u);
}

TEST(UdpEspOids, InboundNullCreatesAnEntryAndAHandleReusesIt) {
  ReferenceNic nic;
  EnableAll(nic);
  Sa inbound = EspSa();
  inbound.outbound = false;
  NDIS_HANDLE first = nullptr, entry = nullptr;
  ASSERT_TRUE(AddUdpEspSa(nic, inbound, first, entry).ok());
  ASSERT_NE(entry, nullptr);
  EXPECT_NE(entry, first);
  EXPECT_EQ(nic.LiveParserEntryCount(), 1u);
  NDIS_HANDLE second = nullptr, reused = entry;
  ASSERT_TRUE(AddUdpEspSa(nic, inbound, second, reused).ok());
  EXPECT_EQ(reused, entry);
  EXPECT_EQ(nic.LiveParserEntryCount(), 1u);
  // NULL again: the transport did not find one in its list, so the miniport creates another.
  NDIS_HANDLE third = nullptr, another = nullptr;
  ASSERT_TRUE(AddUdpEspSa(nic, inbound, third, another).ok());
  EXPECT_NE(another, entry);
  EXPECT_EQ(nic.LiveParserEntryCount(), 2u);
  // An inbound SA cannot be sent on, whatever OID added it.
  Bytes wire;
  const NDIS_IPSEC_PACKET_INFO info = Info(first);
  EXPECT_EQ(SendFrame(nic, UdpEspTransport(), &info, wire).reason, Reason::kHandleInbound);
}

TEST(UdpEspOids, AFailingAddAddsNothing) {
  ReferenceNic nic;
  EnableAll(nic);
  Sa inbound = EspSa();
  inbound.outbound = false;
  struct Case {
    const char* name;
    Sa sa;
    UdpEspEntry entry;
    NDIS_HANDLE parser_entry;
    NDIS_STATUS status;
    Reason reason;
  };
  Sa bad_key = inbound;
  bad_key.elements[0].conf_key.pop_back();
  Sa ah = inbound;
  ah.elements[0] = Ah(kSpi, OFFLOAD_IPSEC_INTEGRITY_SHA, Key(20, 4));
  Sa zero_spi = inbound;
  zero_spi.elements[0].spi = 0;
  Sa zero_spi_out = zero_spi;
  zero_spi_out.outbound = true;
  const std::vector<Case> cases = {
      {"bad key length", bad_key, {}, nullptr, NDIS_STATUS_INVALID_DATA, Reason::kKeyLengthMismatch},
      {"AH", ah, {}, nullptr, NDIS_STATUS_NOT_SUPPORTED, Reason::kUdpEspWithAh},
      {"SPI 0 inbound", zero_spi, {}, nullptr, NDIS_STATUS_INVALID_DATA, Reason::kUdpEspZeroSpi},
      {"SPI 0 outbound", zero_spi_out, {}, nullptr, NDIS_STATUS_INVALID_DATA, Reason::kUdpEspZeroSpi},
      {"IKE type", inbound, {OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_IKE, 4500}, nullptr, NDIS_STATUS_NOT_SUPPORTED,
       Reason::kUdpEspEncapTypeNotSupported},
      {"port 500", inbound, {OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER, 500}, nullptr, NDIS_STATUS_NOT_SUPPORTED,
       Reason::kUdpEspPortNotSupported},
      {"unknown entry", inbound, {}, reinterpret_cast<NDIS_HANDLE>(0x99), NDIS_STATUS_FAILURE, Reason::kUnknownParserEntry},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    NDIS_HANDLE handle = nullptr, entry = c.parser_entry;
    const OidResult result = AddUdpEspSa(nic, c.sa, handle, entry, c.entry);
    EXPECT_EQ(result.status, c.status) << ReasonName(result.reason);
    EXPECT_EQ(result.reason, c.reason) << ReasonName(result.reason);
    EXPECT_EQ(handle, nullptr);
    EXPECT_EQ(entry, c.parser_entry);
    EXPECT_EQ(nic.LiveSaCount(), 0u);
    EXPECT_EQ(nic.LiveParserEntryCount(), 0u);
  }
  OFFLOAD_IPSEC_ADD_UDPESP_SA request{};
  std::vector<std::uint8_t> short_buffer(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat) - 1);
  EXPECT_EQ(nic.AddUdpEspSa(MutableByteSpan(short_buffer)).status, NDIS_STATUS_INVALID_LENGTH);
  request.KeyLen = 1;
  std::vector<std::uint8_t> no_key(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat));
  std::memcpy(no_key.data(), &request, no_key.size());
  EXPECT_EQ(nic.AddUdpEspSa(MutableByteSpan(no_key)).status, NDIS_STATUS_INVALID_LENGTH);
}

TEST(UdpEspOids, ReportedSubtypesDecideWhichSasCanBeAdded) {
  NicOptions none;
  none.reported = FullCapabilities();
  none.reported->task.Supported.RESERVED = 0;
  ReferenceNic plain(none);
  NDIS_HANDLE handle = nullptr, entry = nullptr;
  EXPECT_EQ(AddUdpEspSa(plain, EspSa(), handle, entry).reason, Reason::kUdpEspNotSupported);
  EXPECT_EQ(AddUdpEspSa(plain, EspSa(kTunnelSpi, true), handle, entry).status, NDIS_STATUS_NOT_SUPPORTED);

  NicOptions tunnel_only;
  tunnel_only.reported = FullCapabilities();
  tunnel_only.reported->task.Supported.RESERVED = IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER;
  ReferenceNic nic(tunnel_only);
  EXPECT_EQ(AddUdpEspSa(nic, EspSa(), handle, entry).reason, Reason::kUdpEspNotSupported);
  EXPECT_TRUE(AddUdpEspSa(nic, EspSa(kTunnelSpi, true), handle, entry).ok());
}

TEST(UdpEspOids, DeleteSemantics) {
  ReferenceNic nic;
  EnableAll(nic);
  FixedIvs ivs;
  nic.SetIvSource(&ivs);
  Sa inbound = EspSa();
  inbound.outbound = false;
  NDIS_HANDLE in1 = nullptr, entry = nullptr;
  ASSERT_TRUE(AddUdpEspSa(nic, inbound, in1, entry).ok());
  NDIS_HANDLE in2 = nullptr, same = entry;
  ASSERT_TRUE(AddUdpEspSa(nic, inbound, in2, same).ok());
  const NDIS_HANDLE out = MustAddUdpEspSa(nic, EspSa());
  const NDIS_HANDLE plain = MustAddSa(nic, EspSa());

  // Each OID deletes only what its ADD added.
  EXPECT_EQ(nic.DeleteSa(out).reason, Reason::kWrongDeleteOid);
  EXPECT_EQ(nic.DeleteSa(out).status, NDIS_STATUS_FAILURE);
  EXPECT_EQ(nic.DeleteUdpEspSa(plain, nullptr).reason, Reason::kWrongDeleteOid);
  EXPECT_EQ(nic.LiveSaCount(), 4u);
  // An unknown entry handle fails the whole request: the SA stays.
  EXPECT_EQ(nic.DeleteUdpEspSa(in1, reinterpret_cast<NDIS_HANDLE>(0x77)).reason, Reason::kUnknownParserEntry);
  EXPECT_EQ(nic.LiveSaCount(), 4u);
  // Deleting the entry with one of its two SAs: the entry goes, the other SA stays.
  ASSERT_TRUE(nic.DeleteUdpEspSa(in1, entry).ok());
  EXPECT_EQ(nic.LiveSaCount(), 3u);
  EXPECT_EQ(nic.LiveParserEntryCount(), 0u);
  // The deleted entry cannot be lent to a new SA, nor deleted twice.
  NDIS_HANDLE in3 = nullptr, stale = entry;
  EXPECT_EQ(AddUdpEspSa(nic, inbound, in3, stale).reason, Reason::kUnknownParserEntry);
  EXPECT_EQ(nic.DeleteUdpEspSa(in2, entry).reason, Reason::kUnknownParserEntry);
  ASSERT_TRUE(nic.DeleteUdpEspSa(in2, nullptr).ok());
  // The outbound SA: send, delete, send again fails; the handle is not reused.
  Bytes wire;
  const NDIS_IPSEC_PACKET_INFO info = Info(out);
  ASSERT_TRUE(SendFrame(nic, UdpEspTransport(), &info, wire).ok());
  ASSERT_TRUE(nic.DeleteUdpEspSa(out, nullptr).ok());
  EXPECT_EQ(SendFrame(nic, UdpEspTransport(), &info, wire).reason, Reason::kHandleDeleted);
  EXPECT_EQ(nic.DeleteUdpEspSa(out, nullptr).reason, Reason::kUnknownHandle);
  std::vector<std::uint8_t> short_buffer(sizeof(OFFLOAD_IPSEC_DELETE_UDPESP_SA) - 1);
  EXPECT_EQ(nic.DeleteUdpEspSa(ByteSpan(short_buffer)).status, NDIS_STATUS_INVALID_LENGTH);
}

TEST(UdpEspOids, HandlesAreNeverReusedAndEntriesAreNotSas) {
  ReferenceNic nic;
  EnableAll(nic);
  Sa inbound = EspSa();
  inbound.outbound = false;
  std::set<NDIS_HANDLE> seen;
  for (int i = 0; i < 20; ++i) {
    NDIS_HANDLE sa = nullptr, entry = nullptr;
    ASSERT_TRUE(AddUdpEspSa(nic, inbound, sa, entry).ok());
    EXPECT_TRUE(seen.insert(sa).second);
    EXPECT_TRUE(seen.insert(entry).second);
    const NDIS_HANDLE plain = MustAddSa(nic, EspSa());
    EXPECT_TRUE(seen.insert(plain).second);
    // A parser entry handle is no SA handle.
    Bytes wire;
    const NDIS_IPSEC_PACKET_INFO info = Info(entry);
    EXPECT_EQ(SendFrame(nic, UdpEspTransport(), &info, wire).reason, Reason::kHandleNeverIssued);
    ASSERT_TRUE(nic.DeleteUdpEspSa(sa, entry).ok());
    ASSERT_TRUE(nic.DeleteSa(plain).ok());
  }
  EXPECT_EQ(nic.LiveSaCount(), 0u);
  EXPECT_EQ(nic.LiveParserEntryCount(), 0u);
}

}  // namespace
}  // namespace sendpath::nic::test
