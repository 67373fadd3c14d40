// Published known answers through the reference NIC: RFC 3602 cases 1-8, draft-mcgrew-gcm-test-01
// cases 1-14 (+ the two extra cases and GMAC) through the whole send path, and RFC 2202 / 4231 /
// 4868 HMAC values through the MAC layer. The answers are read from testdata/kat/ as published.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "reference_nic/crypto.h"
#include "reference_nic/ipv4.h"
#include "reference_nic/tests/test_support.h"

namespace sendpath::nic::test {
namespace {

using nlohmann::json;

json LoadKat(const std::string& name) {
  std::ifstream in(TestDataDir() + "/kat/" + name);
  if (!in) throw std::runtime_error("cannot open " + TestDataDir() + "/kat/" + name);
  return json::parse(in);
}

Bytes Ipv4Wrap(const Bytes& esp, std::uint16_t id) {
  Ip ip;
  ip.protocol = 50;
  ip.id = id;
  return Ipv4(ip, esp);
}

TEST(Rfc3602, RawAesCbcCases1To4ThroughTheCipherLayer) {
  const json kat = LoadKat("rfc3602_aes_cbc_esp.json");
  int checked = 0;
  for (const json& v : kat["vectors"]) {
    if (v["kind"] != "raw AES-CBC") continue;
    const Bytes key = Hex(v["key"].get<std::string>());
    const ULONG id = key.size() == 16 ? IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128
                     : key.size() == 24 ? IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192
                                        : IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256;
    detail::CipherKey cipher;
    ASSERT_EQ(cipher.Init(detail::FindCipher(id)->algorithm, key), Reason::kOk);
    Bytes data = Hex(v["plaintext"].get<std::string>());
    ASSERT_TRUE(cipher.EncryptCbc(Hex(v["iv"].get<std::string>()), data));
    EXPECT_EQ(ToHex(data), v["ciphertext"].get<std::string>()) << "case " << v["case"];
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(Rfc3602, EspPacketCases5To8ThroughTheSendPath) {
  const json kat = LoadKat("rfc3602_aes_cbc_esp.json");
  int checked = 0;
  for (const json& v : kat["vectors"]) {
    if (v["kind"] != "ESP packet") continue;
    SCOPED_TRACE("RFC 3602 case " + v["case"].dump());
    ReferenceNic nic;
    EnableAll(nic);  // enables SENDPATH_EXT_ENCRYPTION_ONLY_ESP: these cases carry no ICV
    Sa sa;
    const Bytes header = Hex(v["encrypted_ip_header"].get<std::string>());
    if (v["mode"] == "tunnel") {
      sa.tunnel_src = detail::LoadBe32(&header[12]);
      sa.tunnel_dst = detail::LoadBe32(&header[16]);
    }
    sa.elements.push_back(Esp(v["spi"].get<std::uint32_t>(), IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128,
                              Hex(v["key"].get<std::string>())));
    const NDIS_HANDLE handle = MustAddSa(nic, sa);
    IvsBySa ivs;
    ivs.ivs[handle].push_back(Hex(v["iv"].get<std::string>()));
    nic.SetIvSource(&ivs);
    // The transport's frame: final header, SPI and sequence, zero IV, plaintext with trailer.
    const Bytes input = Concat({header, Hex(v["esp_spi_seq"].get<std::string>()), Bytes(16, 0),
                                Hex(v["pre_encryption_data"].get<std::string>())});
    const NDIS_IPSEC_PACKET_INFO info = Info(handle);
    Bytes wire;
    const SendResult result = SendFrame(nic, input, &info, wire);
    ASSERT_TRUE(result.ok()) << ReasonName(result.reason);
    EXPECT_EQ(ToHex(wire), v["expected_packet"].get<std::string>());
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(Rfc3602, EncryptionOnlyEspIsRefusedWithoutThePermission) {
  ReferenceNic nic;
  Capabilities caps = nic.QueryCapabilities();
  caps.extension.Flags &= ~static_cast<ULONG>(SENDPATH_EXT_ENCRYPTION_ONLY_ESP);
  ASSERT_TRUE(nic.SetCapabilities(NDIS_ENCAPSULATION_FORMAT{NULL_Encapsulation, {}, 0}, caps).ok());
  Sa sa;
  sa.elements.push_back(Esp(0x4321, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, Key(16, 1)));
  NDIS_HANDLE handle = nullptr;
  const OidResult result = AddSa(nic, sa, handle);
  EXPECT_EQ(result.status, NDIS_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(result.reason, Reason::kAuthenticationRequired);
  EXPECT_EQ(nic.LiveSaCount(), 0u);
}

ULONG GcmId(std::size_t keymat_length) {
  return keymat_length == 20 ? IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128
         : keymat_length == 28 ? IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192
                               : IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256;
}

TEST(DraftMcgrewGcmTest, AllCasesThroughTheSendPath) {
  const json kat = LoadKat("draft_mcgrew_gcm_test_01_esp.json");
  int gcm = 0, gmac = 0;
  for (const json& v : kat["vectors"]) {
    SCOPED_TRACE("draft-mcgrew-gcm-test-01 case " + v["case"].dump());
    const bool is_gmac = v["algorithm"].get<std::string>().find("GMAC") != std::string::npos;
    const Bytes keymat = Hex(v["keymat"].get<std::string>());
    ReferenceNic nic;
    EnableAll(nic);
    Sa sa;
    Element element = is_gmac ? Esp(v["spi_int"].get<std::uint32_t>(), OFFLOAD_IPSEC_CONF_NONE, {},
                                    GcmId(keymat.size()), keymat)
                              : Esp(v["spi_int"].get<std::uint32_t>(), GcmId(keymat.size()), keymat);
    const auto sequence = v["seq_int"].get<std::uint64_t>();
    if (v["esn"].get<bool>()) {
      element.esn = true;
      element.esn_high = static_cast<std::uint32_t>(sequence >> 32);
    }
    sa.elements.push_back(element);
    const NDIS_HANDLE handle = MustAddSa(nic, sa);
    IvsBySa ivs;
    ivs.ivs[handle].push_back(Hex(v["iv"].get<std::string>()));
    nic.SetIvSource(&ivs);

    const Bytes spi_seq = Hex(v["spi"].get<std::string>() + v["seq_low32_on_wire"].get<std::string>());
    const Bytes input_esp = Concat({spi_seq, Bytes(8, 0), Hex(v["plaintext_with_esp_trailer"].get<std::string>()), Bytes(16, 0)});
    const auto id = static_cast<std::uint16_t>(0x100 + gcm + gmac);
    const Bytes input = Ipv4Wrap(input_esp, id);
    const Bytes expected = Ipv4Wrap(Hex(v["expected_esp_packet"].get<std::string>()), id);
    const NDIS_IPSEC_PACKET_INFO info = Info(handle);
    Bytes wire;
    const SendResult result = SendFrame(nic, input, &info, wire);
    ASSERT_TRUE(result.ok()) << ReasonName(result.reason);
    EXPECT_EQ(ToHex(wire), ToHex(expected));
    (is_gmac ? gmac : gcm)++;
  }
  EXPECT_EQ(gcm, 16);  // cases 1-14 and the two extra cases
  EXPECT_EQ(gmac, 1);
}

detail::IntegrityAlgorithm HmacFor(const std::string& name) {
  if (name == "HMAC-MD5" || name == "MD5") return detail::IntegrityAlgorithm::kHmacMd5_96;
  if (name == "HMAC-SHA-1" || name == "SHA-1") return detail::IntegrityAlgorithm::kHmacSha1_96;
  if (name == "HMAC-SHA-256" || name == "SHA-256") return detail::IntegrityAlgorithm::kHmacSha256_128;
  return detail::IntegrityAlgorithm::kNone;
}

// The untruncated MAC through the same keyed context the send path uses, re-initialised twice to
// prove the per-packet re-initialisation keeps the key.
std::string Mac(detail::IntegrityAlgorithm algorithm, const Bytes& key, const Bytes& data, std::size_t length) {
  detail::IntegrityKey mac;
  EXPECT_EQ(mac.Init(algorithm, key), Reason::kOk);
  Bytes out(length);
  const ByteSpan pieces[] = {ByteSpan(data).first(data.size() / 2), ByteSpan(data).subspan(data.size() / 2)};
  EXPECT_TRUE(mac.Compute({}, pieces, out));
  Bytes again(length);
  EXPECT_TRUE(mac.Compute({}, pieces, again));
  EXPECT_EQ(out, again);
  return ToHex(out);
}

TEST(HmacKnownAnswers, Rfc2202Md5AndSha1) {
  const json kat = LoadKat("rfc2202_hmac_md5_sha1.json");
  int checked = 0;
  for (const json& v : kat["vectors"]) {
    const auto algorithm = HmacFor(v["algorithm"].get<std::string>());
    ASSERT_NE(algorithm, detail::IntegrityAlgorithm::kNone);
    const std::string digest = v["digest"].get<std::string>();
    EXPECT_EQ(Mac(algorithm, Hex(v["key"].get<std::string>()), Hex(v["data"].get<std::string>()), digest.size() / 2), digest)
        << v["algorithm"] << " case " << v["test_case"];
    if (v.contains("digest_96")) {
      EXPECT_EQ(Mac(algorithm, Hex(v["key"].get<std::string>()), Hex(v["data"].get<std::string>()), 12),
                v["digest_96"].get<std::string>());
    }
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}

TEST(HmacKnownAnswers, Rfc4231Sha256) {
  const json kat = LoadKat("rfc4231_hmac_sha2.json");
  int checked = 0;
  for (const json& v : kat["vectors"]) {
    if (v["algorithm"] != "HMAC-SHA-256") continue;
    const std::string mac = v["mac"].get<std::string>();  // case 5 is printed truncated to 128 bits
    EXPECT_EQ(Mac(detail::IntegrityAlgorithm::kHmacSha256_128, Hex(v["key"].get<std::string>()),
                  Hex(v["data"].get<std::string>()), mac.size() / 2),
              mac)
        << "case " << v["test_case"];
    ++checked;
  }
  EXPECT_EQ(checked, 7);
}

TEST(HmacKnownAnswers, Rfc4868Sha256PrfAndAuth128) {
  const json kat = LoadKat("rfc4868_hmac_sha2_ipsec.json");
  int checked = 0;
  for (const json& v : kat["vectors"]) {
    if (v["hash"] != "SHA-256") continue;
    const std::string output = v["output"].get<std::string>();
    EXPECT_EQ(Mac(detail::IntegrityAlgorithm::kHmacSha256_128, Hex(v["key"].get<std::string>()),
                  Hex(v["data"].get<std::string>()), output.size() / 2),
              output)
        << v["test_case"];
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}

}  // namespace
}  // namespace sendpath::nic::test
