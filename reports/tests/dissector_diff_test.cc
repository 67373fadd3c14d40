#include "reports/diff.h"
#include "reports/dissector.h"
#include "reports/ipv4.h"
#include "reports/testing/ipsec_builder.h"
#include "reports/tests/test_support.h"
#include "vectors/loader/vector_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>

namespace sendpath::report {
namespace {

using testing::FromHex;

struct Sample {
  std::vector<std::uint8_t> expected;
  SaTable sas;
};

Sample SampleWithLayout(const std::string& layout) {
  for (const auto& sample : testing::LoadIndependentCases()) {
    if (sample.at("layout").get<std::string>() != layout) continue;
    auto table = SaTable::FromSaSpecs(testing::SaSpecsOfCase(sample), "sample");
    if (!table.ok()) throw std::runtime_error(table.error().message);
    return {FromHex(sample.at("expected_ip").get<std::string>()), std::move(table).value()};
  }
  throw std::runtime_error("no sample with layout " + layout);
}

const Field* FindField(const Dissection& dissection, const std::string& name) {
  for (const Field& field : dissection.fields) {
    if (dissection.Name(field) == name) return &field;
  }
  return nullptr;
}

// Decrypts `frame`, lets `edit` change its plaintext, and seals it again with the same IVs.
std::vector<std::uint8_t> EditPlaintext(const std::vector<std::uint8_t>& frame, SaTable& sas,
                                        const std::function<void(std::vector<std::uint8_t>&, const CheckResult&)>& edit) {
  ReceiveChecker checker(sas);
  CheckResult check;
  checker.Check(frame, LinkType::kRawIp, check);
  EXPECT_EQ(check.status, FrameStatus::kVerified) << check.reason;
  auto plaintext = check.plaintext;
  edit(plaintext, check);
  auto status = testing::Reseal(plaintext, check.headers, sas);
  EXPECT_TRUE(status.ok()) << status.error().message;
  return plaintext;
}

TEST(DissectorTest, NamesIpv4OptionsAhAndUpperLayerFields) {
  auto sample = SampleWithLayout("IPv4[LSRR route of 3 addresses (IP dst = 1st hop, final dst = last; option mutable)] / AH(hmac-md5-96) / UDP 28205->123, 777 data bytes");
  Dissection dissection;
  Dissect(sample.expected, LinkType::kRawIp, nullptr, dissection);
  EXPECT_TRUE(dissection.error.empty()) << dissection.error;
  const Field* route = FindField(dissection, "ipv4.option.lsrr.route");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->length, 8u);  // the first hop is the IP destination; the route holds the other two
  EXPECT_TRUE(route->ip_mutable);
  const std::string route_text = dissection.Value(*route);
  EXPECT_EQ(std::count(route_text.begin(), route_text.end(), '.'), 6) << route_text;
  const Field* ttl = FindField(dissection, "ipv4.ttl");
  ASSERT_NE(ttl, nullptr);
  EXPECT_EQ(ttl->offset, 8u);
  EXPECT_EQ(dissection.Value(*ttl), std::to_string(sample.expected[8]));
  const Field* icv = FindField(dissection, "ah.icv");
  ASSERT_NE(icv, nullptr);
  EXPECT_EQ(icv->length, 12u);
  EXPECT_EQ(icv->region, Region::kIcv);
  const Field* port = FindField(dissection, "udp.src_port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(dissection.Value(*port), "28205");
  const Field* protocol = FindField(dissection, "ipv4.protocol");
  ASSERT_NE(protocol, nullptr);
  EXPECT_EQ(dissection.Value(*protocol), "51 (AH)");
}

TEST(DissectorTest, NamesEveryKnownOptionKind) {
  std::map<std::string, int> found;
  Dissection dissection;
  for (const auto& sample : testing::LoadIndependentCases()) {
    const auto frame = FromHex(sample.at("expected_ip").get<std::string>());
    Dissect(frame, LinkType::kRawIp, nullptr, dissection);
    EXPECT_TRUE(dissection.error.empty()) << sample.at("id") << ": " << dissection.error;
    for (const Field& field : dissection.fields) {
      const std::string name = dissection.Name(field);
      if (name.rfind("ipv4.option.", 0) == 0) ++found[name.substr(12, name.find('.', 12) - 12)];
    }
  }
  for (const char* option : {"nop", "security", "lsrr", "ssrr", "rr", "timestamp", "router_alert", "cipso"}) {
    EXPECT_GT(found[option], 0) << option;
  }
}

// The receive check of a sample's expected frame, which must verify.
CheckResult Verified(Sample& sample) {
  ReceiveChecker checker(sample.sas);
  CheckResult check;
  checker.Check(sample.expected, LinkType::kRawIp, check);
  EXPECT_EQ(check.status, FrameStatus::kVerified) << check.reason;
  return check;
}

TEST(DissectorTest, DecryptsEspTunnelWithKeys) {
  auto sample = SampleWithLayout("IPv4 / ESP(aes-128-cbc,hmac-sha1-96) / IPv4 / UDP 23520->2049, 560 data bytes");
  const CheckResult check = Verified(sample);
  ASSERT_EQ(check.status, FrameStatus::kVerified);
  Dissection dissection;
  Dissect(sample.expected, LinkType::kRawIp, &check, dissection);
  const Field* iv = FindField(dissection, "esp[outer].iv");
  ASSERT_NE(iv, nullptr);
  EXPECT_EQ(iv->length, 16u);
  EXPECT_EQ(iv->region, Region::kIv);
  const Field* inner_ttl = FindField(dissection, "ipv4[inner].ttl");
  ASSERT_NE(inner_ttl, nullptr);
  EXPECT_TRUE(inner_ttl->decrypted);
  const Field* port = FindField(dissection, "udp[inner].dst_port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(dissection.Value(*port), "2049");
  ASSERT_NE(FindField(dissection, "esp[outer].pad_length"), nullptr);
  ASSERT_NE(FindField(dissection, "esp[outer].icv"), nullptr);
  std::vector<Region> regions;
  dissection.ByteRegions(regions);
  EXPECT_EQ(regions[iv->offset], Region::kIv);
  EXPECT_EQ(regions[check.headers[0].data_offset], Region::kCiphertext);
  EXPECT_EQ(regions[check.headers[0].icv_offset - 1], Region::kTrailer);
  // Without keys the payload stays opaque.
  Dissect(sample.expected, LinkType::kRawIp, nullptr, dissection);
  EXPECT_NE(FindField(dissection, "esp.data"), nullptr);
  EXPECT_EQ(FindField(dissection, "ipv4[inner].ttl"), nullptr);
}

// The expected frame and SAs of a vector of vectors/contract/contract-udp-esp.json.
Sample UdpEspVector(const std::string& id) {
  const auto loaded = vectors::LoadVectorFile(testing::TestDataDir() + "/../vectors/contract/contract-udp-esp.json");
  if (const auto* error = std::get_if<vectors::LoadError>(&loaded)) throw std::runtime_error(error->message);
  for (const vectors::Vector& vector : std::get<vectors::VectorFile>(loaded).vectors) {
    if (vector.id != id) continue;
    auto table = SaTable::FromSaSpecs(vector.sas, id);
    if (!table.ok()) throw std::runtime_error(table.error().message);
    for (const vectors::Step& step : vector.steps) {
      if (const auto* send = std::get_if<vectors::SendStep>(&step.op); send != nullptr && send->expect_frame) {
        return {*send->expect_frame, std::move(table).value()};
      }
    }
  }
  throw std::runtime_error("no vector " + id + " with an expected frame");
}

// RFC 3948: the UDP header in front of ESP is "udp[outer]", the ESP behind it "esp[udp]", at
// one IPv4 level and in a tunnel; the decrypted payload keeps its own names.
TEST(DissectorTest, NamesUdpEncapsulatedEsp) {
  for (const auto& [id, payload_port] : {std::pair{"contract/udp-esp/transport/aes-cbc-128+sha-1", "udp.dst_port"},
                                         std::pair{"contract/udp-esp/tunnel/aes-cbc-128", "udp[inner].dst_port"}}) {
    auto sample = UdpEspVector(id);
    const CheckResult check = Verified(sample);
    ASSERT_EQ(check.status, FrameStatus::kVerified) << id;
    Dissection dissection;
    Dissect(sample.expected, LinkType::kRawIp, &check, dissection);
    const Field* udp_port = FindField(dissection, "udp[outer].dst_port");
    ASSERT_NE(udp_port, nullptr) << id;
    EXPECT_EQ(dissection.Value(*udp_port), "4500");
    for (const char* name : {"udp[outer].src_port", "udp[outer].length", "udp[outer].checksum", "esp[udp].spi",
                             "esp[udp].sequence", "esp[udp].iv", "esp[udp].pad_length", "esp[udp].icv", payload_port}) {
      EXPECT_NE(FindField(dissection, name), nullptr) << id << ": " << name;
    }
    const Field* spi = FindField(dissection, "esp[udp].spi");
    ASSERT_NE(spi, nullptr);
    EXPECT_EQ(spi->offset, check.headers[0].offset);
    EXPECT_EQ(FieldNameAt(dissection, check.headers[0].offset + 1), "esp[udp].spi");
    EXPECT_EQ(FieldNameAt(dissection, udp_port->offset + 4), "udp[outer].checksum");  // dst_port at UDP + 2
    EXPECT_EQ(FieldNameAt(dissection, check.headers[0].icv_offset), "esp[udp].icv");
    EXPECT_EQ(FieldNameAt(dissection, check.headers[0].data_offset), "esp[udp].ciphertext");
    EXPECT_NE(FieldNameAt(dissection, check.headers[0].data_offset, /*decrypted=*/true), "esp[udp].ciphertext");
    // Without keys the ESP behind the UDP header is still named, its payload opaque.
    Dissect(sample.expected, LinkType::kRawIp, nullptr, dissection);
    EXPECT_NE(FindField(dissection, "esp[udp].spi"), nullptr) << id;
    EXPECT_NE(FindField(dissection, "esp[udp].data"), nullptr) << id;
    EXPECT_EQ(FindField(dissection, "udp[outer].payload"), nullptr) << id;
  }
}

TEST(DiffTest, NamesUdpEncapsulatedEspFields) {
  auto sample = UdpEspVector("contract/udp-esp/transport/aes-cbc-128+sha-1");
  const CheckResult check = Verified(sample);
  ASSERT_EQ(check.status, FrameStatus::kVerified);
  const std::size_t udp = check.headers[0].offset - 8;
  const std::vector<std::pair<std::size_t, std::string>> cases = {
      {udp + 7, "udp[outer].checksum"}, {udp + 5, "udp[outer].length"}, {check.headers[0].offset + 2, "esp[udp].spi"},
      {check.headers[0].icv_offset + 3, "esp[udp].icv"}};
  for (const auto& [offset, name] : cases) {
    auto actual = sample.expected;
    actual[offset] ^= 0x01;
    FrameDiffer differ(&sample.sas, {});
    const auto& comparison = differ.Compare(sample.expected, actual, LinkType::kRawIp);
    ASSERT_FALSE(comparison.equivalent) << name;
    EXPECT_EQ(comparison.FirstCause()->field, name);
  }
}

TEST(DissectorTest, TruncatedAndGarbageFramesDoNotCrash) {
  auto sample = SampleWithLayout("IPv4 / ESP(aes-128-cbc,hmac-sha1-96) / IPv4 / UDP 23520->2049, 560 data bytes");
  ReceiveChecker checker(sample.sas);
  CheckResult check;
  Dissection dissection;
  for (std::size_t length = 0; length < sample.expected.size(); length += 7) {
    std::vector<std::uint8_t> cut(sample.expected.begin(), sample.expected.begin() + static_cast<std::ptrdiff_t>(length));
    checker.Check(cut, LinkType::kRawIp, check);
    Dissect(cut, LinkType::kRawIp, &check, dissection);
    for (const Field& field : dissection.fields) EXPECT_LE(std::size_t{field.offset} + field.length, cut.size());
  }
  std::vector<std::uint8_t> garbage(300);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<std::uint8_t>(i * 37 + 11);
  garbage[0] = 0x4f;
  checker.Check(garbage, LinkType::kRawIp, check);
  Dissect(garbage, LinkType::kRawIp, &check, dissection);
  EXPECT_FALSE(dissection.error.empty());
}

TEST(DiffTest, NamesTheAhIcvWhenOneIcvByteDiffers) {
  auto sample = SampleWithLayout("IPv4 / AH(hmac-sha1-96) / UDP 49597->53, 100 data bytes");
  Dissection dissection;
  Dissect(sample.expected, LinkType::kRawIp, nullptr, dissection);
  const Field* icv = FindField(dissection, "ah.icv");
  ASSERT_NE(icv, nullptr);
  auto actual = sample.expected;
  actual[icv->offset + 5] ^= 0x10;
  for (SaTable* sas : {static_cast<SaTable*>(nullptr), &sample.sas}) {
    FrameDiffer differ(sas, {});
    const auto& comparison = differ.Compare(sample.expected, actual, LinkType::kRawIp);
    ASSERT_FALSE(comparison.equivalent);
    ASSERT_EQ(comparison.differences.size(), 1u);
    EXPECT_EQ(comparison.FirstCause()->field, "ah.icv");
    EXPECT_EQ(comparison.FirstCause()->offset, icv->offset);
    EXPECT_NE(comparison.FirstCause()->expected, comparison.FirstCause()->actual);
    EXPECT_NE(comparison.Summary().find("ah.icv differs"), std::string::npos);
  }
  FrameDiffer ignoring(nullptr, DiffOptions{{"ah.ic?"}, {}, false});
  EXPECT_TRUE(ignoring.Compare(sample.expected, actual, LinkType::kRawIp).equivalent);
  FrameDiffer same(nullptr, {});
  EXPECT_TRUE(same.Compare(sample.expected, sample.expected, LinkType::kRawIp).equivalent);
}

TEST(DiffTest, NamesTheInnerTtlOfAnAhTunnel) {
  auto sample = SampleWithLayout("IPv4 / AH(hmac-md5-96) / IPv4 / ICMP type 8, 48 data bytes");
  auto actual = EditPlaintext(sample.expected, sample.sas, [](std::vector<std::uint8_t>& plain, const CheckResult& check) {
    ASSERT_EQ(check.ip_packets.size(), 2u);
    const std::size_t inner = check.ip_packets[1].offset;
    plain[inner + 8] = static_cast<std::uint8_t>(plain[inner + 8] - 1);
    testing::RecomputeIpv4Checksum(plain, inner);
  });
  for (SaTable* sas : {static_cast<SaTable*>(nullptr), &sample.sas}) {
    FrameDiffer differ(sas, {});
    const auto& comparison = differ.Compare(sample.expected, actual, LinkType::kRawIp);
    ASSERT_FALSE(comparison.equivalent);
    EXPECT_EQ(comparison.FirstCause()->field, "ipv4[inner].ttl");
    bool icv_consequence = false;
    for (const auto& difference : comparison.differences) {
      if (difference.field == "ah[outer].icv") icv_consequence = difference.consequence;
    }
    EXPECT_TRUE(icv_consequence);
  }
}

TEST(DiffTest, NamesTheInnerTtlOfAnEspTunnelWithKeys) {
  auto sample = SampleWithLayout("IPv4 / ESP(aes-128-cbc,hmac-sha1-96) / IPv4 / UDP 23520->2049, 560 data bytes");
  auto actual = EditPlaintext(sample.expected, sample.sas, [](std::vector<std::uint8_t>& plain, const CheckResult& check) {
    ASSERT_EQ(check.ip_packets.size(), 2u);
    const std::size_t inner = check.ip_packets[1].offset;
    plain[inner + 8] = static_cast<std::uint8_t>(plain[inner + 8] + 3);
    testing::RecomputeIpv4Checksum(plain, inner);
  });
  FrameDiffer differ(&sample.sas, {});
  const auto& comparison = differ.Compare(sample.expected, actual, LinkType::kRawIp);
  ASSERT_FALSE(comparison.equivalent);
  EXPECT_EQ(comparison.FirstCause()->field, "ipv4[inner].ttl");
  std::map<std::string, bool> consequence;
  for (const auto& difference : comparison.differences) consequence[difference.field] = difference.consequence;
  EXPECT_TRUE(consequence.at("esp[outer].ciphertext"));
  EXPECT_TRUE(consequence.at("esp[outer].icv"));
  EXPECT_FALSE(consequence.at("ipv4[inner].checksum"));
  // Without keys only the opaque ESP bytes can be named.
  FrameDiffer keyless(nullptr, {});
  EXPECT_EQ(keyless.Compare(sample.expected, actual, LinkType::kRawIp).FirstCause()->field, "esp.data");
}

TEST(DiffTest, CandidateChosenIvsAreJudgedByDecryptionAndVerification) {
  auto sample = SampleWithLayout("IPv4 / ESP(aes-256-cbc,hmac-sha256-128) / ICMP type 8, 1315 data bytes");
  std::size_t iv_offset = 0, iv_length = 0;
  auto actual = EditPlaintext(sample.expected, sample.sas, [&](std::vector<std::uint8_t>& plain, const CheckResult& check) {
    iv_offset = check.headers[0].iv_offset;
    iv_length = check.headers[0].iv_length;
    for (std::size_t i = 0; i < iv_length; ++i) plain[iv_offset + i] = static_cast<std::uint8_t>(0xa5 ^ i);
  });
  FrameDiffer strict(&sample.sas, {});
  const auto& byte_exact = strict.Compare(sample.expected, actual, LinkType::kRawIp);
  ASSERT_FALSE(byte_exact.equivalent);
  EXPECT_EQ(byte_exact.FirstCause()->field, "esp.iv");

  FrameDiffer masked(&sample.sas, DiffOptions{{}, {{iv_offset, iv_length}}, false});
  const auto& judged = masked.Compare(sample.expected, actual, LinkType::kRawIp);
  EXPECT_TRUE(judged.equivalent) << judged.Summary();
  EXPECT_FALSE(judged.notes.empty());

  auto bad_icv = actual;
  bad_icv[bad_icv.size() - 1] ^= 1;
  const auto& broken = masked.Compare(sample.expected, bad_icv, LinkType::kRawIp);
  ASSERT_FALSE(broken.equivalent);
  EXPECT_EQ(broken.FirstCause()->field, "esp.icv");
  EXPECT_NE(broken.FirstCause()->actual.find("does not verify"), std::string::npos);
}

// The receive check of a sample frame, which must verify.
CheckResult VerifiedCheck(Sample& sample) {
  ReceiveChecker checker(sample.sas);
  CheckResult check;
  checker.Check(sample.expected, LinkType::kRawIp, check);
  EXPECT_EQ(check.status, FrameStatus::kVerified) << check.reason;
  return check;
}

// `actual` differs from the sample in `cause` first, and in nothing that `cause` does not explain.
void ExpectSoleCause(Sample& sample, const std::vector<std::uint8_t>& actual, const std::string& cause) {
  FrameDiffer differ(&sample.sas, {});
  const auto& comparison = differ.Compare(sample.expected, actual, LinkType::kRawIp);
  ASSERT_FALSE(comparison.equivalent);
  EXPECT_EQ(comparison.FirstCause()->field, cause) << comparison.Summary();
  for (const auto& difference : comparison.differences) {
    if (difference.field != cause) {
      EXPECT_TRUE(difference.consequence) << difference.field;
    }
  }
}

// A wrong GCM tag over the right ciphertext: the receive side decrypts nothing it cannot
// authenticate, so the actual frame has no inner fields. Their absence follows from the tag; the
// tag is the cause, whichever tag byte differs.
TEST(DiffTest, NamesTheGcmTagWhenOnlyTheTagDiffers) {
  auto sample = SampleWithLayout(
      "IPv4 / ESP(aes-128-gcm,none) / IPv4[NOP Record Route 4 slots, 1 filled (mutable)] / AH(hmac-sha1-96) / "
      "ESP(null,hmac-md5-96) / UDP 43136->1812, 16 data bytes");
  const CheckResult check = VerifiedCheck(sample);
  Dissection dissection;
  Dissect(sample.expected, LinkType::kRawIp, &check, dissection);
  const Field* tag = FindField(dissection, "esp[outer].icv");
  ASSERT_NE(tag, nullptr);
  for (std::size_t byte : {std::size_t{0}, std::size_t{tag->length} - 1}) {
    auto actual = sample.expected;
    actual[tag->offset + byte] ^= 0x01;
    ExpectSoleCause(sample, actual, "esp[outer].icv");
  }
}

// A ciphertext byte corrupted after sealing (a buffer-chain bug, say): the ICV no longer verifies,
// the decrypted fields are garbage, and the ciphertext is the cause.
TEST(DiffTest, NamesTheCiphertextWhenACiphertextByteIsCorrupted) {
  auto sample = SampleWithLayout("IPv4 / ESP(aes-256-cbc,hmac-sha256-128) / ICMP type 8, 1315 data bytes");
  const CheckResult check = VerifiedCheck(sample);
  ASSERT_FALSE(check.headers.empty());
  auto actual = sample.expected;
  actual[check.headers[0].data_offset + 100] ^= 0x40;
  ExpectSoleCause(sample, actual, "esp.ciphertext");
}

TEST(DiffTest, DifferentLengthsAndStructuresAreReported) {
  auto sample = SampleWithLayout("IPv4 / AH(hmac-sha1-96) / UDP 49597->53, 100 data bytes");
  auto shorter = sample.expected;
  shorter.resize(shorter.size() - 10);
  FrameDiffer differ(nullptr, {});
  const auto& comparison = differ.Compare(sample.expected, shorter, LinkType::kRawIp);
  ASSERT_FALSE(comparison.equivalent);
  EXPECT_EQ(comparison.FirstCause()->field, "frame.length");
}

TEST(GlobTest, StarsQuestionMarksAndLiteralBrackets) {
  EXPECT_TRUE(GlobMatch("*.iv", "esp[outer].iv"));
  EXPECT_TRUE(GlobMatch("ipv4[inner].*", "ipv4[inner].ttl"));
  EXPECT_FALSE(GlobMatch("ipv4[inner].*", "ipv4[outer].ttl"));
  EXPECT_TRUE(GlobMatch("ah.ic?", "ah.icv"));
  EXPECT_FALSE(GlobMatch("ah.icv", "ah.icv2"));
  EXPECT_TRUE(GlobMatch("*", ""));
}

}  // namespace
}  // namespace sendpath::report
