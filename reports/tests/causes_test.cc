#include "reports/causes.h"

#include "reports/ipv4.h"
#include "reports/receive_check.h"
#include "reports/reseal.h"
#include "reports/testing/ipsec_builder.h"

#include <gtest/gtest.h>

namespace sendpath::report {
namespace {

using Frame = std::vector<std::uint8_t>;

constexpr std::uint32_t kSource = 0xc0000201, kDestination = 0xc6336407;

SaKeys Keys(std::string name, IpsecProtocol protocol, std::uint32_t spi, CipherAlgorithm cipher, std::size_t cipher_bytes,
            IntegrityAlgorithm integrity, std::size_t integrity_bytes, bool salt = false) {
  SaKeys keys;
  keys.name = std::move(name);
  keys.protocol = protocol;
  keys.spi = spi;
  keys.cipher = cipher;
  keys.integrity = integrity;
  for (std::size_t i = 0; i < cipher_bytes; ++i) keys.cipher_key.push_back(static_cast<std::uint8_t>(0x11 + 3 * i));
  for (std::size_t i = 0; i < integrity_bytes; ++i) keys.integrity_key.push_back(static_cast<std::uint8_t>(0xa0 ^ (7 * i)));
  if (salt) keys.salt = {0xca, 0xfe, 0xba, 0xbe};
  EXPECT_TRUE(MatchAlgorithmRows(keys)) << keys.name;
  return keys;
}

// A send as the transport frames it, the layout of its headers and the SAs: what the catalogue
// gets, with the expected frame and candidate frames made by the resealer.
struct Send {
  Frame input;
  CheckResult layout;
  SaTable sas;

  // The frame with these IVs in place (the IV fields of every header).
  Frame WithIvs(std::uint8_t seed) const {
    Frame ivs = input;
    for (const HeaderCheck& header : layout.headers) {
      for (std::size_t i = 0; i < header.iv_length; ++i) ivs[header.iv_offset + i] = static_cast<std::uint8_t>(seed + 13 * i);
    }
    return ivs;
  }
  // IVs that differ from header to header (a NIC draws one per SA).
  Frame WithIvsPerHeader(std::uint8_t seed) const {
    Frame ivs = input;
    for (std::size_t h = 0; h < layout.headers.size(); ++h) {
      const HeaderCheck& header = layout.headers[h];
      for (std::size_t i = 0; i < header.iv_length; ++i) {
        ivs[header.iv_offset + i] = static_cast<std::uint8_t>(seed + 13 * i + 101 * h);
      }
    }
    return ivs;
  }
  Frame SealedWith(const Frame& ivs, const Deviation& deviation) {
    Frame out;
    std::string why;
    EXPECT_TRUE(Reseal({input, layout, sas, ivs}, deviation, out, &why)) << why;
    return out;
  }
  Frame Sealed(const Deviation& deviation, std::uint8_t seed) {
    const Frame ivs = WithIvs(seed);
    Frame out;
    std::string why;
    EXPECT_TRUE(Reseal({input, layout, sas, ivs}, deviation, out, &why)) << why;
    return out;
  }
  bool HasIv() const {
    for (const HeaderCheck& header : layout.headers) {
      if (header.iv_length > 0) return true;
    }
    return false;
  }
};

Frame Udp(std::size_t bytes) {
  Frame payload(bytes);
  for (std::size_t i = 0; i < bytes; ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return testing::UdpDatagram(kSource, kDestination, 4500, 4501, payload);
}

// IPv4 header with TOS (DSCP and ECN set), DF, TTL 64 and the options given (padded with EOL).
Frame Ipv4(std::uint8_t protocol, std::span<const std::uint8_t> payload, Frame options = {}) {
  while (options.size() % 4 != 0) options.push_back(0);
  Frame packet = testing::Ipv4Packet(kSource, kDestination, protocol, 64, payload);
  packet[1] = 0xb9;
  packet.insert(packet.begin() + 20, options.begin(), options.end());
  packet[0] = static_cast<std::uint8_t>(0x40 | ((20 + options.size()) / 4));
  ipv4::PutBe16(packet, 2, static_cast<std::uint16_t>(packet.size()));
  testing::RecomputeIpv4Checksum(packet, 0);
  return packet;
}

// Record route (mutable, not copied), LSRR with an address left (mutable, copied), router alert
// (immutable, copied).
Frame Options() {
  return {7, 7, 4, 0, 0, 0, 0, 131, 11, 4, 10, 0, 0, 1, 10, 0, 0, 2, 148, 4, 0, 0, 1};
}

Send TransportAh(SaKeys keys, bool with_options = true) {
  Send send;
  send.sas.Add(keys);
  const Frame ah = testing::AhFraming(keys, 7, ipv4::kProtoUdp, Udp(24));
  send.input = Ipv4(ipv4::kProtoAh, ah, with_options ? Options() : Frame{});
  const std::size_t ihl = std::size_t{send.input[0] & 0x0fu} * 4;
  send.layout.headers.push_back(testing::AhLayout(0, ihl, send.input.size(), send.sas, 0));
  return send;
}

Send TunnelAh(SaKeys keys) {
  Send send;
  keys.tunnel = true;
  send.sas.Add(keys);
  const Frame inner = Ipv4(ipv4::kProtoUdp, Udp(16));
  const Frame ah = testing::AhFraming(keys, 7, ipv4::kProtoIpInIp, inner);
  send.input = Ipv4(ipv4::kProtoAh, ah);
  send.layout.headers.push_back(testing::AhLayout(0, 20, send.input.size(), send.sas, 0));
  return send;
}

Send TransportEsp(SaKeys keys, std::size_t payload = 40) {
  Send send;
  send.sas.Add(keys);
  const Frame esp = testing::EspFraming(keys, 9, ipv4::kProtoUdp, Udp(payload));
  send.input = Ipv4(ipv4::kProtoEsp, esp);
  send.layout.headers.push_back(testing::EspLayout(send.input, 20, send.input.size(), send.sas, 0));
  return send;
}

// One SA, AH around ESP (RFC 4301 bundle).
Send Bundle() {
  Send send;
  const SaKeys ah = Keys("b/ah", IpsecProtocol::kAh, 0x301, CipherAlgorithm::kNull, 0, IntegrityAlgorithm::kHmacSha1_96, 20);
  const SaKeys esp = Keys("b/esp", IpsecProtocol::kEsp, 0x302, CipherAlgorithm::kAesCbc, 16, IntegrityAlgorithm::kHmacSha1_96, 20);
  send.sas.Add(ah);
  send.sas.Add(esp);
  const Frame framed_esp = testing::EspFraming(esp, 3, ipv4::kProtoUdp, Udp(30));
  const Frame framed_ah = testing::AhFraming(ah, 3, ipv4::kProtoEsp, framed_esp);
  send.input = Ipv4(ipv4::kProtoAh, framed_ah);
  const std::size_t esp_offset = 20 + framed_ah.size() - framed_esp.size();
  send.layout.headers.push_back(testing::AhLayout(0, 20, send.input.size(), send.sas, 0));
  send.layout.headers.push_back(testing::EspLayout(send.input, esp_offset, send.input.size(), send.sas, 1));
  return send;
}

// A transport ESP (OffloadHandle "x") inside a tunnel ESP (NextOffloadHandle "t").
Send TransportOverTunnel() {
  Send send;
  const SaKeys transport = Keys("x/esp", IpsecProtocol::kEsp, 0x401, CipherAlgorithm::kAesCbc, 16, IntegrityAlgorithm::kHmacSha1_96, 20);
  SaKeys tunnel = Keys("t/esp", IpsecProtocol::kEsp, 0x402, CipherAlgorithm::kAesCbc, 16, IntegrityAlgorithm::kHmacSha1_96, 20);
  tunnel.cipher_key[0] ^= 0x5a;
  tunnel.integrity_key[0] ^= 0x5a;
  tunnel.tunnel = true;
  send.sas.Add(transport);
  send.sas.Add(tunnel);
  const Frame inner = Ipv4(ipv4::kProtoEsp, testing::EspFraming(transport, 5, ipv4::kProtoUdp, Udp(20)));
  const Frame outer_esp = testing::EspFraming(tunnel, 6, ipv4::kProtoIpInIp, inner);
  send.input = Ipv4(ipv4::kProtoEsp, outer_esp);
  HeaderCheck outer = testing::EspLayout(send.input, 20, send.input.size(), send.sas, 1);
  const std::size_t inner_ip = outer.data_offset;
  HeaderCheck inner_header = testing::EspLayout(send.input, inner_ip + 20, inner_ip + inner.size(), send.sas, 0);
  inner_header.level = 1;
  send.layout.headers.push_back(outer);
  send.layout.headers.push_back(inner_header);
  return send;
}

// A transport AH (OffloadHandle "x") inside a tunnel AH (NextOffloadHandle "t").
Send AhOverTunnelAh() {
  Send send;
  const SaKeys transport = Keys("x/ah", IpsecProtocol::kAh, 0x501, CipherAlgorithm::kNull, 0, IntegrityAlgorithm::kHmacSha1_96, 20);
  SaKeys tunnel = Keys("t/ah", IpsecProtocol::kAh, 0x502, CipherAlgorithm::kNull, 0, IntegrityAlgorithm::kHmacSha1_96, 20);
  tunnel.integrity_key[0] ^= 0x5a;
  tunnel.tunnel = true;
  send.sas.Add(transport);
  send.sas.Add(tunnel);
  const Frame inner = Ipv4(ipv4::kProtoAh, testing::AhFraming(transport, 5, ipv4::kProtoUdp, Udp(20)));
  const Frame outer_ah = testing::AhFraming(tunnel, 6, ipv4::kProtoIpInIp, inner);
  send.input = Ipv4(ipv4::kProtoAh, outer_ah);
  const std::size_t inner_ip = 20 + outer_ah.size() - inner.size();
  send.layout.headers.push_back(testing::AhLayout(0, 20, send.input.size(), send.sas, 1));
  HeaderCheck inner_header = testing::AhLayout(inner_ip, inner_ip + 20, inner_ip + inner.size(), send.sas, 0);
  inner_header.level = 1;
  send.layout.headers.push_back(inner_header);
  return send;
}

// Seals `send` with `deviation` and asks the catalogue, with the injected IVs and (where the
// send has an IV) with IVs of the candidate's own.
void ExpectCause(Send& send, const Deviation& deviation, const std::string& id, bool own_ivs_too = true,
                 SaTable* vector_sas = nullptr) {
  const Frame expected = send.Sealed(Deviation{}, 0x30);
  const Frame actual = send.Sealed(deviation, 0x30);
  ASSERT_NE(ToHex(expected), ToHex(actual)) << id << ": the deviation changes nothing here";
  const auto cause = FindCause({send.input, expected, actual, LinkType::kRawIp, send.sas, vector_sas, false});
  ASSERT_TRUE(cause.has_value()) << id;
  EXPECT_EQ(cause->id, id) << cause->text;
  EXPECT_NE(cause->text.find("recomputed"), std::string::npos) << cause->text;
  if (send.HasIv() && own_ivs_too) {
    const Frame own = send.Sealed(deviation, 0x77);
    const auto own_cause = FindCause({send.input, expected, own, LinkType::kRawIp, send.sas, vector_sas, true});
    ASSERT_TRUE(own_cause.has_value()) << id << " (own IVs)";
    EXPECT_EQ(own_cause->id, id) << own_cause->text;
    EXPECT_NE(own_cause->text.find("with the candidate's IV"), std::string::npos) << own_cause->text;
  }
}

template <class Change>
Deviation Dev(Change change) {
  Deviation deviation;
  change(deviation);
  return deviation;
}
Deviation Ah(AhIcvRules rules) {
  Deviation deviation;
  deviation.ah = rules;
  return deviation;
}
Deviation Esp(EspIcvRules rules) {
  Deviation deviation;
  deviation.esp = rules;
  return deviation;
}
Deviation WithKeys(SaTable& table, SaKeys keys) {
  EXPECT_TRUE(MatchAlgorithmRows(keys)) << keys.name;
  table.Add(std::move(keys));
  Deviation deviation;
  deviation.sa_overrides.emplace_back(0, table.size() - 1);
  deviation.override_table = &table;
  return deviation;
}

SaKeys AhSha1() { return Keys("a/ah", IpsecProtocol::kAh, 0x101, CipherAlgorithm::kNull, 0, IntegrityAlgorithm::kHmacSha1_96, 20); }
SaKeys EspAes256() {
  return Keys("e/esp", IpsecProtocol::kEsp, 0x201, CipherAlgorithm::kAesCbc, 32, IntegrityAlgorithm::kHmacSha256_128, 32);
}
SaKeys EspGcm(std::size_t bytes = 32) {
  return Keys("g/esp", IpsecProtocol::kEsp, 0x202, CipherAlgorithm::kAesGcm, bytes, IntegrityAlgorithm::kNone, 0, true);
}
SaKeys EspGmac() {
  return Keys("m/esp", IpsecProtocol::kEsp, 0x203, CipherAlgorithm::kNull, 0, IntegrityAlgorithm::kAesGmac, 16, true);
}

TEST(CausesTest, AhMutableFieldCauses) {
  using Tos = AhIcvRules::Tos;
  const std::vector<std::pair<std::string, AhIcvRules>> cases = {
      {"ah-tos-not-zeroed", {.tos = Tos::kKeptWhole}},
      {"ah-dscp-not-zeroed", {.tos = Tos::kDscpKept}},
      {"ah-ecn-not-zeroed", {.tos = Tos::kEcnKept}},
      {"ah-flags-offset-not-zeroed", {.keep_flags_offset = true}},
      {"ah-ttl-not-zeroed", {.keep_ttl = true}},
      {"ah-checksum-not-zeroed", {.keep_checksum = true}},
      {"ah-mutable-fields-not-zeroed",
       {.tos = Tos::kKeptWhole, .keep_flags_offset = true, .keep_ttl = true, .keep_checksum = true}},
      {"ah-mutable-option-kept", {.keep_mutable_options = true}},
      {"ah-immutable-option-zeroed", {.zero_immutable_options = true}},
      {"ah-copied-flag-as-immutable", {.options_by_copied_flag = true}},
      {"ah-source-route-final-ignored", {.source_route = AhIcvRules::SourceRoute::kIgnored}},
      {"ah-ihl-ignored", {.ihl_ignored = true}},
      {"ah-ihl-ignored", {.options_omitted = true}},
  };
  for (const auto& [id, rules] : cases) {
    Send send = TransportAh(AhSha1());
    ExpectCause(send, Ah(rules), id);
  }
}

// A NIC whose option walk steps over NOP and EOL (no length byte) before it asks an empty
// immutable list zeroes Router Alert and the other options but leaves the NOPs and the EOL: the
// same cause as zeroing them too, which gives other bytes when NOPs are present.
TEST(CausesTest, EveryOptionZeroedButNopAndEol) {
  const SaKeys keys = AhSha1();
  Send send;
  send.sas.Add(keys);
  const Frame options = {148, 4, 0, 0, 1, 131, 7, 4, 10, 0, 0, 1, 1};  // Router Alert, NOP, LSRR, NOP; Ipv4 pads with EOL
  send.input = Ipv4(ipv4::kProtoAh, testing::AhFraming(keys, 7, ipv4::kProtoUdp, Udp(24)), options);
  const std::size_t ihl = std::size_t{send.input[0] & 0x0fu} * 4;
  send.layout.headers.push_back(testing::AhLayout(0, ihl, send.input.size(), send.sas, 0));
  const AhIcvRules rules = {.zero_immutable_options = true, .nop_eol_kept = true};
  ASSERT_NE(send.Sealed(Ah(rules), 0), send.Sealed(Ah({.zero_immutable_options = true}), 0));
  ExpectCause(send, Ah(rules), "ah-immutable-option-zeroed");
}

// A NIC that put Record Route alone in its immutable list keeps it and zeroes the other mutable
// option (LSRR): not every mutable option kept, yet the same cause, proven by recomputation.
// Keeping LSRR alone gives the bytes of the copied-flag rule on this packet (LSRR is the one
// copied mutable option), and that named rule comes first.
TEST(CausesTest, OneMutableOptionKindKept) {
  for (const std::uint8_t type : {std::uint8_t{7}, std::uint8_t{131}}) {
    AhIcvRules rules;
    rules.kept_mutable_types.set(type);
    Send send = TransportAh(AhSha1());
    ASSERT_NE(send.Sealed(Deviation{}, 0), send.Sealed(Ah(rules), 0));
    ASSERT_NE(send.Sealed(Ah({.keep_mutable_options = true}), 0), send.Sealed(Ah(rules), 0));
    ExpectCause(send, Ah(rules), type == 7 ? "ah-mutable-option-kept" : "ah-copied-flag-as-immutable");
  }
}

// The final-destination rule applied to LSRR only or SSRR only, on a packet carrying both
// (RFC 791 allows one; a NIC meets both): the kind it knows gives the destination, whichever
// comes last. Either order, either kind, proves the cause.
TEST(CausesTest, SourceRouteRuleForOneKindWithBothRoutes) {
  using Route = AhIcvRules::SourceRoute;
  // LSRR (final 10.0.0.2), then SSRR (final 10.0.1.2), then the reverse order.
  const Frame lsrr = {131, 11, 4, 10, 0, 0, 1, 10, 0, 0, 2};
  const Frame ssrr = {137, 11, 4, 10, 0, 1, 1, 10, 0, 1, 2};
  for (const bool lsrr_first : {true, false}) {
    Frame options = lsrr_first ? lsrr : ssrr;
    const Frame& second = lsrr_first ? ssrr : lsrr;
    options.insert(options.end(), second.begin(), second.end());
    for (const Route route : {Route::kLsrrOnly, Route::kSsrrOnly}) {
      const SaKeys keys = AhSha1();
      Send send;
      send.sas.Add(keys);
      send.input = Ipv4(ipv4::kProtoAh, testing::AhFraming(keys, 7, ipv4::kProtoUdp, Udp(24)), options);
      const std::size_t ihl = std::size_t{send.input[0] & 0x0fu} * 4;
      send.layout.headers.push_back(testing::AhLayout(0, ihl, send.input.size(), send.sas, 0));
      // The rule for one kind is a different ICV from the RFC's exactly when that kind's route
      // is not the last one.
      const bool differs = (route == Route::kLsrrOnly) == lsrr_first;
      const Frame expected = send.Sealed(Deviation{}, 0);
      const Frame actual = send.Sealed(Ah({.source_route = route}), 0);
      EXPECT_EQ(expected != actual, differs) << "LSRR first " << lsrr_first;
      if (differs) ExpectCause(send, Ah({.source_route = route}), "ah-source-route-final-one-kind");
    }
  }
}

TEST(CausesTest, AhTtlCauseNamesTheHeaderRuleAndProof) {
  Send send = TransportAh(AhSha1(), false);
  const Frame expected = send.Sealed(Deviation{}, 0);
  const Frame actual = send.Sealed(Ah({.keep_ttl = true}), 0);
  const auto cause = FindCause({send.input, expected, actual, LinkType::kRawIp, send.sas, nullptr, false});
  ASSERT_TRUE(cause.has_value());
  EXPECT_EQ(cause->text,
            "transport AH ICV computed with TTL not zeroed (RFC 4302 §3.3.3.1.1.1: mutable, zeroed for the ICV); "
            "recomputed, all 12 ICV bytes match");
}

// A rule broken in every header of a protocol (both AH of a transport-over-tunnel send).
TEST(CausesTest, RuleBrokenInEveryHeader) {
  Send send = AhOverTunnelAh();
  ExpectCause(send, Ah({.keep_ttl = true}), "ah-ttl-not-zeroed");
  const Frame expected = send.Sealed(Deviation{}, 0);
  const auto cause = FindCause({send.input, expected, send.Sealed(Ah({.keep_ttl = true}), 0), LinkType::kRawIp, send.sas,
                                nullptr, false});
  ASSERT_TRUE(cause.has_value());
  EXPECT_EQ(cause->header, "every AH");
  Deviation outer_only = Ah({.keep_ttl = true});
  outer_only.header = 0;
  ExpectCause(send, outer_only, "ah-ttl-not-zeroed");
}

TEST(CausesTest, AhTunnelAndEsnCauses) {
  Send tunnel = TunnelAh(AhSha1());
  ExpectCause(tunnel, Ah({.zero_inner_header = true}), "ah-inner-header-zeroed");
  SaKeys esn = AhSha1();
  esn.esn_high = 0x00000001;
  Send send = TransportAh(esn, false);
  ExpectCause(send, Ah({.esn_high_omitted = true}), "esn-high-bits-omitted");
}

TEST(CausesTest, EspIcvCauses) {
  SaKeys keys = EspAes256();
  keys.esn_high = 2;
  const std::vector<std::pair<std::string, EspIcvRules>> cases = {
      {"esp-icv-without-header", {.without_header = true}},
      {"esp-icv-without-iv", {.without_iv = true}},
      {"esp-icv-over-plaintext", {.over_plaintext = true}},
      {"esp-icv-coverage-off", {.coverage_delta = -4}},
      {"esp-icv-coverage-off", {.coverage_delta = 8}},
      {"esn-high-bits-omitted", {.esn_high_omitted = true}},
  };
  for (const auto& [id, rules] : cases) {
    Send send = TransportEsp(keys);
    ExpectCause(send, Esp(rules), id);
  }
  Send send = TransportEsp(keys);
  ExpectCause(send, Dev([](Deviation& d) { d.icv_written = 12; }), "icv-truncated");
}

// NULL encryption, empty payload: the ESP header, padding, pad length and next header are 12
// bytes, and an HMAC 8 bytes short covers the SPI alone.
TEST(CausesTest, EspIcvCoverageEndingInTheHeader) {
  const SaKeys keys = Keys("n/esp", IpsecProtocol::kEsp, 0x205, CipherAlgorithm::kNull, 0, IntegrityAlgorithm::kHmacMd5_96, 16);
  Send send;
  send.sas.Add(keys);
  send.input = Ipv4(ipv4::kProtoEsp, testing::EspFraming(keys, 9, 59, Frame{}));
  send.layout.headers.push_back(testing::EspLayout(send.input, 20, send.input.size(), send.sas, 0));
  ASSERT_EQ(send.layout.headers[0].icv_offset - send.layout.headers[0].offset, 12u);
  ExpectCause(send, Esp({.coverage_delta = -8}), "esp-icv-coverage-off");
  // Past the SPI's start nothing is an HMAC input.
  Frame out;
  EXPECT_FALSE(Reseal({send.input, send.layout, send.sas, send.input}, Esp({.coverage_delta = -16}), out));
}

// ESP behind UDP 4500 (RFC 3948 §2.1), UDP checksum zero as the transport frames it.
Send UdpEncapsulatedEsp(SaKeys keys) {
  Send send;
  send.sas.Add(keys);
  const Frame esp = testing::EspFraming(keys, 9, ipv4::kProtoUdp, Udp(40));
  Frame udp = {0x11, 0x94, 0x11, 0x94, 0, 0, 0, 0};
  ipv4::PutBe16(udp, 4, static_cast<std::uint16_t>(udp.size() + esp.size()));
  udp.insert(udp.end(), esp.begin(), esp.end());
  send.input = Ipv4(ipv4::kProtoUdp, udp);
  send.layout.ip_packets.push_back({0, 0, send.input.size(), false});
  send.layout.headers.push_back(testing::EspLayout(send.input, 28, send.input.size(), send.sas, 0));
  return send;
}

TEST(CausesTest, UdpEspHeaderCauses) {
  const Deviation checksum = Dev([](Deviation& d) { d.udp_checksum_recomputed = true; });
  const Deviation length = Dev([](Deviation& d) { d.udp_length_without_header = true; });
  Send send = UdpEncapsulatedEsp(EspAes256());
  ExpectCause(send, checksum, "udp-checksum-recomputed");
  ExpectCause(send, length, "udp-length-rewritten");

  // The recomputed checksum verifies (RFC 768: pseudo-header and datagram sum to all ones) and
  // the length is the datagram's less 8; nothing else changes.
  const Frame expected = send.Sealed(Deviation{}, 0x30);
  const Frame summed = send.Sealed(checksum, 0x30);
  std::uint32_t sum = ipv4::ChecksumAdd(0, std::span<const std::uint8_t>(summed).subspan(12, 8));
  sum += ipv4::kProtoUdp + ipv4::Be16(summed, 24);
  sum = ipv4::ChecksumAdd(sum, std::span<const std::uint8_t>(summed).subspan(20));
  EXPECT_EQ(ipv4::ChecksumFinish(sum), 0);
  EXPECT_NE(ipv4::Be16(summed, 26), 0);
  EXPECT_TRUE(std::equal(summed.begin() + 28, summed.end(), expected.begin() + 28));
  const Frame shortened = send.Sealed(length, 0x30);
  EXPECT_EQ(ipv4::Be16(shortened, 24), ipv4::Be16(expected, 24) - 8);

  // Plain ESP has no UDP header in front: the deviations cannot be applied.
  Send plain = TransportEsp(EspAes256());
  const Frame ivs = plain.WithIvs(0x30);
  Frame out;
  std::string why;
  EXPECT_FALSE(Reseal({plain.input, plain.layout, plain.sas, ivs}, checksum, out, &why));
  EXPECT_NE(why.find("no UDP header"), std::string::npos) << why;
}

TEST(CausesTest, EspCipherCauses) {
  {
    Send send = TransportEsp(EspAes256());
    SaKeys swapped = EspAes256();
    std::swap(swapped.cipher_key, swapped.integrity_key);  // both 32 bytes: the other order
    ExpectCause(send, WithKeys(send.sas, swapped), "keymat-order-swapped");
  }
  {
    Send send = TransportEsp(EspAes256());
    SaKeys cut = EspAes256();
    cut.cipher_key.resize(16);
    ExpectCause(send, WithKeys(send.sas, cut), "aes-key-truncated");
  }
  {
    const SaKeys des3 = Keys("d/esp", IpsecProtocol::kEsp, 0x204, CipherAlgorithm::kTripleDesCbc, 24, IntegrityAlgorithm::kHmacMd5_96, 16);
    Send send = TransportEsp(des3);
    SaKeys reordered = des3;
    std::rotate(reordered.cipher_key.begin(), reordered.cipher_key.begin() + 16, reordered.cipher_key.end());  // K3 K1 K2
    std::swap_ranges(reordered.cipher_key.begin() + 8, reordered.cipher_key.begin() + 16, reordered.cipher_key.begin() + 16);
    ExpectCause(send, WithKeys(send.sas, reordered), "des3-key-order");  // K3 K2 K1
  }
  {
    // Encrypted with the injected IV, the field left as framed: the judge sees IVs of the
    // candidate's own (the field is not the injected IV) and the catalogue proves it either way.
    Send send = TransportEsp(EspAes256());
    const Deviation deviation = Dev([](Deviation& d) { d.iv = Deviation::Iv::kNotWritten; });
    ExpectCause(send, deviation, "iv-not-written", false);
    const Frame expected = send.Sealed(Deviation{}, 0x30);
    const Frame actual = send.Sealed(deviation, 0x30);
    const auto cause = FindCause({send.input, expected, actual, LinkType::kRawIp, send.sas, nullptr, true});
    ASSERT_TRUE(cause.has_value());
    EXPECT_EQ(cause->id, "iv-not-written");
  }
  {
    Send send = TransportEsp(EspAes256());
    ExpectCause(send, Dev([](Deviation& d) { d.iv = Deviation::Iv::kNotLoaded; }), "iv-not-loaded");
  }
  {
    Send send = TransportEsp(EspAes256(), 24);  // payload + UDP header: whole blocks before the padding
    ExpectCause(send, Dev([](Deviation& d) { d.trailer_in_clear = true; }), "trailer-in-clear");
  }
  {
    Send send = TransportEsp(EspAes256());
    ExpectCause(send, Dev([](Deviation& d) { d.padding = Deviation::Padding::kZeros; }), "padding-rewritten");
  }
}

TEST(CausesTest, GcmAndGmacCauses) {
  {
    Send send = TransportEsp(EspGcm());
    ExpectCause(send, Dev([](Deviation& d) { d.aad_without_spi = true; }), "aad-without-spi");
  }
  {
    Send send = TransportEsp(EspGcm());
    ExpectCause(send, Dev([](Deviation& d) { d.aad_without_sequence = true; }), "aad-without-sequence");
  }
  {
    // With ESN the 64-bit sequence number left out whole (AAD = SPI) or its sent low half only.
    SaKeys esn = EspGcm();
    esn.esn_high = 0x01020304;
    Send send = TransportEsp(esn);
    ExpectCause(send, Dev([](Deviation& d) { d.aad_without_sequence = true; }), "aad-without-sequence");
    ExpectCause(send, Dev([](Deviation& d) {
                  d.aad_without_sequence = true;
                  d.esp.esn_high_omitted = true;
                }),
                "aad-without-sequence");
  }
  {
    Send send = TransportEsp(EspGcm());
    ExpectCause(send, Dev([](Deviation& d) { d.nonce_iv_first = true; }), "gcm-nonce-order");
  }
  {
    Send send = TransportEsp(EspGcm());
    SaKeys zero = EspGcm();
    zero.salt = {0, 0, 0, 0};
    ExpectCause(send, WithKeys(send.sas, zero), "gcm-salt-zero");
  }
  {
    Send send = TransportEsp(EspGcm(16));
    ExpectCause(send, Dev([](Deviation& d) { d.icv_written = 8; }), "icv-truncated");
  }
  {
    Send send = TransportEsp(EspGmac());
    SaKeys as_gcm = EspGmac();
    as_gcm.cipher = CipherAlgorithm::kAesGcm;
    as_gcm.cipher_key = as_gcm.integrity_key;
    as_gcm.integrity = IntegrityAlgorithm::kNone;
    as_gcm.integrity_key.clear();
    ExpectCause(send, WithKeys(send.sas, as_gcm), "gmac-as-gcm");
  }
  {
    Send send = TransportEsp(EspGmac());
    ExpectCause(send, Esp({.aad_without_spi = true}), "aad-without-spi");
  }
  {
    SaKeys esn = EspGmac();
    esn.esn_high = 0x01020304;
    Send send = TransportEsp(esn);
    ExpectCause(send, Esp({.aad_without_sequence = true}), "aad-without-sequence");
    ExpectCause(send, Esp({.esn_high_omitted = true, .aad_without_sequence = true}), "aad-without-sequence");
  }
  {
    Send send = TransportEsp(EspGmac());
    ExpectCause(send, Dev([](Deviation& d) { d.iv = Deviation::Iv::kNotLoaded; }), "iv-not-loaded");
    const Deviation not_written = Dev([](Deviation& d) { d.iv = Deviation::Iv::kNotWritten; });
    ExpectCause(send, not_written, "iv-not-written", false);
  }
}

TEST(CausesTest, SaSelectionCauses) {
  {
    Send send = Bundle();
    ExpectCause(send, Dev([](Deviation& d) { d.order = Deviation::Order::kAhFirst; }), "ah-before-esp");
  }
  {
    // With the candidate's own IVs, one per header: SaSelectionCausesWithOwnIvs.
    Send send = TransportOverTunnel();
    ExpectCause(send, Dev([](Deviation& d) { d.order = Deviation::Order::kTunnelFirst; }), "tunnel-before-transport", false);
  }
  {
    Send send = TransportOverTunnel();
    ExpectCause(send, Dev([](Deviation& d) { d.skipped_sa = "t"; }), "next-handle-ignored");
  }
  {
    Send send = TransportOverTunnel();
    Deviation swapped;
    swapped.sa_overrides = {{0, 0}, {1, 1}};  // outer header with "x", inner with "t"
    swapped.override_table = &send.sas;
    ExpectCause(send, swapped, "handles-swapped", false);
  }
  {
    Send send = TransportEsp(EspAes256());
    SaTable vector_sas;
    vector_sas.Add(EspAes256());
    SaKeys other = EspAes256();
    other.name = "other/esp";
    other.cipher_key[3] ^= 1;
    vector_sas.Add(other);
    Deviation deviation;
    deviation.sa_overrides.emplace_back(0, 1);
    deviation.override_table = &vector_sas;
    ExpectCause(send, deviation, "wrong-sa", true, &vector_sas);
  }
}

// The wrong orders and swapped handles with the candidate's own IVs, one per header: the inner
// IV sits in the tunnel's ciphertext, so the catalogue must read it as the candidate wrote it
// (in the clear after a tunnel-first seal; under the transport SA's keys with swapped handles).
TEST(CausesTest, SaSelectionCausesWithOwnIvs) {
  Send send = TransportOverTunnel();
  const Frame expected = send.SealedWith(send.WithIvsPerHeader(0x30), Deviation{});
  const Frame own_ivs = send.WithIvsPerHeader(0x77);
  Deviation tunnel_first;
  tunnel_first.order = Deviation::Order::kTunnelFirst;
  Deviation swapped;
  swapped.sa_overrides = {{0, 0}, {1, 1}};  // outer header with "x", inner with "t"
  swapped.override_table = &send.sas;
  for (const auto& [id, deviation] : {std::pair{"tunnel-before-transport", tunnel_first}, std::pair{"handles-swapped", swapped}}) {
    const Frame actual = send.SealedWith(own_ivs, deviation);
    const auto cause = FindCause({send.input, expected, actual, LinkType::kRawIp, send.sas, nullptr, true});
    ASSERT_TRUE(cause.has_value()) << id;
    EXPECT_EQ(cause->id, id) << cause->text;
    EXPECT_NE(cause->text.find("with the candidate's IV"), std::string::npos) << cause->text;
  }
  // With the injected IVs, one per SA: swapped handles give each header the other SA's IV.
  const Frame injected = send.WithIvsPerHeader(0x30);
  Deviation swapped_injected = swapped;
  swapped_injected.ivs_follow_sa = true;
  const Frame actual = send.SealedWith(injected, swapped_injected);
  ASSERT_NE(actual, send.SealedWith(injected, swapped));
  const auto cause = FindCause({send.input, expected, actual, LinkType::kRawIp, send.sas, nullptr, false});
  ASSERT_TRUE(cause.has_value());
  EXPECT_EQ(cause->id, "handles-swapped") << cause->text;
}

// An unrelated corruption is not explained, in both IV modes.
TEST(CausesTest, FlippedCiphertextByteIsUnexplained) {
  for (const SaKeys& keys : {EspAes256(), EspGcm()}) {
    Send send = TransportEsp(keys);
    const Frame expected = send.Sealed(Deviation{}, 0x30);
    Frame actual = expected;
    actual[send.layout.headers[0].data_offset + 3] ^= 0x01;
    EXPECT_FALSE(FindCause({send.input, expected, actual, LinkType::kRawIp, send.sas, nullptr, false}).has_value());
    Frame own = send.Sealed(Deviation{}, 0x77);
    own[send.layout.headers[0].data_offset + 3] ^= 0x01;
    EXPECT_FALSE(FindCause({send.input, expected, own, LinkType::kRawIp, send.sas, nullptr, true}).has_value());
  }
  Send send = TransportAh(AhSha1());
  const Frame expected = send.Sealed(Deviation{}, 0);
  Frame actual = expected;
  actual.back() ^= 0x80;
  EXPECT_FALSE(FindCause({send.input, expected, actual, LinkType::kRawIp, send.sas, nullptr, false}).has_value());
  EXPECT_EQ(UnexplainedCause("ah.icv differs (offset 36)").text,
            "ah.icv differs (offset 36); no known cause matched");
}

// A deviation that changes nothing (a kept TTL of zero) proves nothing, and a frame equal to the
// contract's needs no cause.
TEST(CausesTest, NothingToExplain) {
  Send send = TransportAh(AhSha1(), false);
  const Frame expected = send.Sealed(Deviation{}, 0);
  EXPECT_FALSE(FindCause({send.input, expected, expected, LinkType::kRawIp, send.sas, nullptr, false}).has_value());
}

}  // namespace
}  // namespace sendpath::report
