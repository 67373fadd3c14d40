#include "reports/receive_check.h"

#include "reports/ipv4.h"
#include "reports/tests/test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>

namespace sendpath::report {
namespace {

using testing::FromHex;

struct Case {
  std::string id;
  std::string layout;
  std::vector<std::uint8_t> input;
  std::vector<std::uint8_t> expected;
  SaTable sas;
};

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  for (const auto& sample : testing::LoadIndependentCases()) {
    auto table = SaTable::FromSaSpecs(testing::SaSpecsOfCase(sample), sample.at("id").get<std::string>());
    EXPECT_TRUE(table.ok()) << (table.ok() ? "" : table.error().message);
    if (!table.ok()) continue;
    cases.push_back({sample.at("id").get<std::string>(), sample.at("layout").get<std::string>(),
                     FromHex(sample.at("input_ip").get<std::string>()), FromHex(sample.at("expected_ip").get<std::string>()),
                     std::move(table).value()});
  }
  return cases;
}

// RFC 4302 3.3.3.1.1.1: the AH ICV covers the destination as it arrives at the final one. With
// a source route that has addresses left that is the route's last address; once the route is
// used up (pointer past the option) the header's destination already is.
TEST(ReceiveCheckTest, SourceRouteFinalDestinationFollowsThePointer) {
  for (const std::uint8_t type : {std::uint8_t{131}, std::uint8_t{137}}) {
    // 20-byte header + LSRR/SSRR of two addresses (11 bytes) + EOL: IHL 8.
    std::vector<std::uint8_t> header = {0x48, 0, 0, 32, 0, 0, 0, 0, 64, 51, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7,
                                        type, 11, 4, 10, 0, 0, 1, 10, 0, 0, 2, 0};
    EXPECT_EQ(ipv4::SourceRouteFinalDestination(header), std::optional<std::uint32_t>(0x0a000002u));
    header[22] = 8;  // one address used, one left
    EXPECT_EQ(ipv4::SourceRouteFinalDestination(header), std::optional<std::uint32_t>(0x0a000002u));
    header[22] = 12;  // used up: the header's destination is final
    EXPECT_EQ(ipv4::SourceRouteFinalDestination(header), std::nullopt);
  }
}

TEST(ReceiveCheckTest, EveryIndependentCaseVerifiesWithItsKeys) {
  auto cases = LoadCases();
  ASSERT_EQ(cases.size(), 62u);
  CheckResult result;
  for (auto& sample : cases) {
    ReceiveChecker checker(sample.sas);
    checker.Check(sample.expected, LinkType::kRawIp, result);
    EXPECT_EQ(result.status, FrameStatus::kVerified) << sample.id << " (" << sample.layout << "): " << result.reason;
    EXPECT_FALSE(result.headers.empty()) << sample.id;
    for (const auto& header : result.headers) {
      EXPECT_NE(header.sa, kNoSa) << sample.id;
      if (header.icv_length > 0) {
        EXPECT_TRUE(header.icv_ok) << sample.id;
      }
    }
  }
}

TEST(ReceiveCheckTest, UnprocessedInputFramesDoNotVerify) {
  // The transport's frames carry zero IVs and zero ICVs: a receiver must reject every one.
  auto cases = LoadCases();
  CheckResult result;
  for (auto& sample : cases) {
    ReceiveChecker checker(sample.sas);
    checker.Check(sample.input, LinkType::kRawIp, result);
    EXPECT_EQ(result.status, FrameStatus::kFailed) << sample.id << " (" << sample.layout << ")";
    EXPECT_FALSE(result.reason.empty()) << sample.id;
  }
}

TEST(ReceiveCheckTest, OneFlippedCiphertextOrPayloadByteIsRejected) {
  auto cases = LoadCases();
  CheckResult result;
  for (auto& sample : cases) {
    ReceiveChecker checker(sample.sas);
    checker.Check(sample.expected, LinkType::kRawIp, result);
    ASSERT_EQ(result.status, FrameStatus::kVerified) << sample.id;
    // Flip a byte inside the first ESP ciphertext, or else inside the outermost AH's payload.
    std::size_t target = 0;
    for (const auto& header : result.headers) {
      if (header.protocol == IpsecProtocol::kEsp && header.data_length > 0) {
        target = header.data_offset + header.data_length / 2;
        break;
      }
    }
    if (target == 0) target = result.headers.front().offset + result.headers.front().header_length + 1;
    auto corrupted = sample.expected;
    corrupted[target] ^= 0x01;
    checker.Check(corrupted, LinkType::kRawIp, result);
    EXPECT_EQ(result.status, FrameStatus::kFailed) << sample.id << " (" << sample.layout << ") byte " << target;
  }
}

TEST(ReceiveCheckTest, FlippedIcvByteNamesTheIcvOffset) {
  for (auto& sample : LoadCases()) {
    if (sample.layout.rfind("IPv4 / AH(hmac-sha1-96) / UDP", 0) != 0) continue;
    CheckResult result;
    ReceiveChecker checker(sample.sas);
    checker.Check(sample.expected, LinkType::kRawIp, result);
    ASSERT_EQ(result.headers.size(), 1u);
    const std::size_t icv = result.headers[0].icv_offset;
    auto corrupted = sample.expected;
    corrupted[icv + 3] ^= 0x80;
    checker.Check(corrupted, LinkType::kRawIp, result);
    EXPECT_EQ(result.status, FrameStatus::kFailed);
    EXPECT_EQ(result.offset, icv);
    EXPECT_NE(result.reason.find("ICV does not verify"), std::string::npos) << result.reason;
    return;
  }
  FAIL() << "no AH HMAC-SHA1 UDP transport case among the samples";
}

TEST(ReceiveCheckTest, UnknownSpiIsReportedNotFailed) {
  auto cases = LoadCases();
  SaTable empty;
  ReceiveChecker checker(empty);
  CheckResult result;
  checker.Check(cases.front().expected, LinkType::kRawIp, result);
  EXPECT_EQ(result.status, FrameStatus::kUnknownSa);
  EXPECT_NE(result.reason.find("no SA has this SPI"), std::string::npos);
}

TEST(ReceiveCheckTest, BadOuterChecksumAndTruncationAreFailures) {
  auto cases = LoadCases();
  auto& sample = cases.front();
  ReceiveChecker checker(sample.sas);
  CheckResult result;
  auto bad_checksum = sample.expected;
  bad_checksum[10] ^= 0xff;
  checker.Check(bad_checksum, LinkType::kRawIp, result);
  EXPECT_EQ(result.status, FrameStatus::kFailed);
  EXPECT_EQ(result.offset, 10u);
  auto truncated = sample.expected;
  truncated.resize(truncated.size() - 5);
  checker.Check(truncated, LinkType::kRawIp, result);
  EXPECT_EQ(result.status, FrameStatus::kFailed);
  EXPECT_NE(result.reason.find("total length"), std::string::npos) << result.reason;
  checker.Check(std::vector<std::uint8_t>{0x45, 0x00}, LinkType::kRawIp, result);
  EXPECT_EQ(result.status, FrameStatus::kFailed);
}

TEST(ReceiveCheckTest, EthernetFramesAreUnwrapped) {
  auto cases = LoadCases();
  auto& sample = cases.front();
  std::vector<std::uint8_t> frame = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00};
  frame.insert(frame.end(), sample.expected.begin(), sample.expected.end());
  ReceiveChecker checker(sample.sas);
  CheckResult result;
  checker.Check(frame, LinkType::kEthernet, result);
  EXPECT_EQ(result.status, FrameStatus::kVerified) << result.reason;
  EXPECT_EQ(result.ip_offset, 18u);
  frame[16] = 0x86;
  frame[17] = 0xdd;
  checker.Check(frame, LinkType::kEthernet, result);
  EXPECT_EQ(result.status, FrameStatus::kNotIpv4);
}

// draft-mcgrew-gcm-test-01 (testdata/kat): AES-GCM ESP packets, with and without ESN, and GMAC.
TEST(ReceiveCheckTest, PublishedGcmAndGmacPacketsVerify) {
  std::ifstream in(testing::TestDataDir() + "/kat/draft_mcgrew_gcm_test_01_esp.json");
  ASSERT_TRUE(in);
  const auto kat = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& vector : kat.at("vectors")) {
    const auto esp = FromHex(vector.at("expected_esp_packet").get<std::string>());
    const auto key = FromHex(vector.at("keymat").get<std::string>());
    const bool gmac = vector.at("algorithm").get<std::string>().find("GMAC") != std::string::npos;
    vectors::SaSpec sa;
    vectors::SecAssocSpec element;
    element.spi = vector.at("spi_int").get<std::uint32_t>();
    vectors::AlgorithmSpec algorithm;
    algorithm.key = key;
    const std::size_t bits = (key.size() - 4) * 8;
    if (gmac) {
      element.conf = vectors::AlgorithmSpec{"NONE", OFFLOAD_IPSEC_CONF_NONE, {}, std::nullopt};
      algorithm.identifier = bits == 128 ? IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128 : bits == 192 ? IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192 : IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256;
      element.integrity = algorithm;
    } else {
      algorithm.identifier = bits == 128 ? IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128 : bits == 192 ? IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192 : IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256;
      element.conf = algorithm;
    }
    if (vector.at("esn").get<bool>()) {
      const auto seq = vector.at("seq_int").get<std::uint64_t>();
      element.esn_high = static_cast<ULONG>(seq >> 32);
    }
    sa.bundle.push_back(element);
    auto table = SaTable::FromSaSpecs({{"kat", sa}}, "kat");
    ASSERT_TRUE(table.ok()) << table.error().message;
    // Wrap the ESP packet in an IPv4 header (protocol 50) with a correct checksum.
    std::vector<std::uint8_t> frame = {0x45, 0, 0, 0, 0, 1, 0, 0, 64, 50, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7};
    ipv4::PutBe16(frame, 2, static_cast<std::uint16_t>(20 + esp.size()));
    ipv4::PutBe16(frame, 10, ipv4::InternetChecksum(frame));
    frame.insert(frame.end(), esp.begin(), esp.end());
    CheckOptions options;
    options.check_padding = vector.at("trailer_check").is_object() &&
                            vector.at("trailer_check").value("padding_bytes_ok", true);
    ReceiveChecker checker(table.value(), options);
    CheckResult result;
    checker.Check(frame, LinkType::kRawIp, result);
    EXPECT_EQ(result.status, FrameStatus::kVerified) << vector.at("case") << ": " << result.reason;
    // The decrypted payload is the published plaintext.
    const auto plaintext = FromHex(vector.at("plaintext_with_esp_trailer").get<std::string>());
    ASSERT_EQ(result.headers.size(), 1u);
    EXPECT_TRUE(std::equal(plaintext.begin(), plaintext.end(), result.plaintext.begin() + static_cast<std::ptrdiff_t>(result.headers[0].data_offset)))
        << vector.at("case");
    auto corrupted = frame;
    corrupted[20 + 16 + 1] ^= 0x04;
    checker.Check(corrupted, LinkType::kRawIp, result);
    EXPECT_EQ(result.status, FrameStatus::kFailed) << vector.at("case");
    ++checked;
  }
  EXPECT_EQ(checked, 17);
}

}  // namespace
}  // namespace sendpath::report
