// The 62 send-path cases of testdata/samples/independent-cases.json, computed without our code,
// reproduced byte for byte through the send path.
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

ULONG CipherId(const std::string& name) {
  static const std::map<std::string, ULONG> ids = {
      {"null", OFFLOAD_IPSEC_CONF_NONE},
      {"des-cbc", OFFLOAD_IPSEC_CONF_DES},
      {"3des-cbc", OFFLOAD_IPSEC_CONF_3_DES},
      {"aes-128-cbc", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128},
      {"aes-192-cbc", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192},
      {"aes-256-cbc", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256},
      {"aes-128-gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128},
      {"aes-192-gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192},
      {"aes-256-gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256},
  };
  return ids.at(name);
}

ULONG IntegrityId(const std::string& name) {
  static const std::map<std::string, ULONG> ids = {
      {"none", OFFLOAD_IPSEC_INTEGRITY_NONE},
      {"hmac-md5-96", OFFLOAD_IPSEC_INTEGRITY_MD5},
      {"hmac-sha1-96", OFFLOAD_IPSEC_INTEGRITY_SHA},
      {"hmac-sha256-128", IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256},
      {"aes-gmac-128", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128},
      {"aes-gmac-192", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192},
      {"aes-gmac-256", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256},
  };
  return ids.at(name);
}

class IndependentCases : public testing::TestWithParam<int> {
 public:
  static const json& Cases() {
    static const json cases = [] {
      std::ifstream in(TestDataDir() + "/samples/independent-cases.json");
      if (!in) throw std::runtime_error("cannot open the independent cases under " + TestDataDir());
      return json::parse(in);
    }();
    return cases;
  }
};

TEST_P(IndependentCases, ReproducedByteForByte) {
  const json& c = Cases().at(static_cast<std::size_t>(GetParam()));
  SCOPED_TRACE(c["id"].get<std::string>() + ": " + c["description"].get<std::string>());
  const Bytes input = Hex(c["input_ip"].get<std::string>());
  ReferenceNic nic;
  EnableAll(nic);  // includes encryption-only ESP: some cases carry no ESP integrity

  std::map<std::string, NDIS_HANDLE> handles;
  for (const auto& [name, spec] : c["sas"].items()) {
    Sa sa;
    if (spec["mode"] == "tunnel") {  // the tunnel addresses are the outer header's
      sa.tunnel_src = detail::LoadBe32(&input[12]);
      sa.tunnel_dst = detail::LoadBe32(&input[16]);
    }
    for (const json& e : spec["bundle"]) {
      const Bytes salt = e["salt"].is_null() ? Bytes() : Hex(e["salt"].get<std::string>());
      const std::string cipher = e["cipher"].get<std::string>();
      const std::string integrity = e["integrity"].get<std::string>();
      Bytes conf_key = e["cipher_key"].is_null() ? Bytes() : Hex(e["cipher_key"].get<std::string>());
      Bytes integrity_key = e["integrity_key"].is_null() ? Bytes() : Hex(e["integrity_key"].get<std::string>());
      if (cipher.find("gcm") != std::string::npos) conf_key.insert(conf_key.end(), salt.begin(), salt.end());
      if (integrity.find("gmac") != std::string::npos) integrity_key.insert(integrity_key.end(), salt.begin(), salt.end());
      const auto spi = e["spi"].get<std::uint32_t>();
      sa.elements.push_back(e["proto"] == "esp" ? Esp(spi, CipherId(cipher), conf_key, IntegrityId(integrity), integrity_key)
                                                : Ah(spi, IntegrityId(integrity), integrity_key));
    }
    handles[name] = MustAddSa(nic, sa);
  }
  IvsBySa ivs;
  for (const auto& [name, iv] : c["ivs"].items()) {
    if (!iv.is_null()) ivs.ivs[handles.at(name)].push_back(Hex(iv.get<std::string>()));
  }
  nic.SetIvSource(&ivs);
  const NDIS_IPSEC_PACKET_INFO info =
      Info(handles.at(c["offload_handle"].get<std::string>()),
           c["next_offload_handle"].is_null() ? nullptr : handles.at(c["next_offload_handle"].get<std::string>()));
  Bytes wire;
  const SendResult result = SendFrame(nic, input, &info, wire);
  if (c["category"] == "ah_fragment_fields") {
    // The case exercises the zeroing rule with fragment bits set; the contract never offloads
    // fragments [S5], so a conforming NIC refuses it and emits nothing.
    EXPECT_EQ(result.status, NDIS_STATUS_NOT_SUPPORTED);
    EXPECT_EQ(result.reason, Reason::kFragment);
    EXPECT_TRUE(wire.empty());
    return;
  }
  ASSERT_TRUE(result.ok()) << ReasonName(result.reason) << " at byte " << result.offset;
  EXPECT_EQ(ToHex(wire), c["expected_ip"].get<std::string>());
  for (const auto& [name, queue] : ivs.ivs) EXPECT_TRUE(queue.empty()) << "an IV was not used";
}

INSTANTIATE_TEST_SUITE_P(Samples, IndependentCases, testing::Range(0, 62), [](const testing::TestParamInfo<int>& param) {
  std::string id = IndependentCases::Cases().at(static_cast<std::size_t>(param.param))["id"].get<std::string>();
  for (char& ch : id) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return id;
});

TEST(IndependentCasesFile, HasSixtyTwoCases) { EXPECT_EQ(IndependentCases::Cases().size(), 62u); }

}  // namespace
}  // namespace sendpath::nic::test
