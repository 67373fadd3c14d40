#include "reports/tests/test_support.h"

#include "vectors/loader/vector_loader.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <unistd.h>

namespace sendpath::report::testing {

std::vector<std::uint8_t> FromHex(const std::string& hex) {
  std::vector<std::uint8_t> bytes;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  int high = -1;
  for (char c : hex) {
    const int value = digit(c);
    if (value < 0) continue;
    if (high < 0) {
      high = value;
    } else {
      bytes.push_back(static_cast<std::uint8_t>(high * 16 + value));
      high = -1;
    }
  }
  return bytes;
}

std::string TestDataDir() { return SENDPATH_TESTDATA_DIR; }

nlohmann::json LoadIndependentCases() {
  const std::string path = TestDataDir() + "/samples/independent-cases.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

namespace {

vectors::AlgorithmSpec Conf(const nlohmann::json& element) {
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
  const std::string name = element.at("cipher").get<std::string>();
  vectors::AlgorithmSpec spec;
  spec.identifier = ids.at(name);
  spec.name = std::string(vectors::ConfAlgorithmName(spec.identifier));
  if (element.at("cipher_key").is_string()) spec.key = FromHex(element.at("cipher_key").get<std::string>());
  if (name.find("gcm") != std::string::npos) {
    auto salt = FromHex(element.at("salt").get<std::string>());
    spec.key.insert(spec.key.end(), salt.begin(), salt.end());
  }
  return spec;
}

std::optional<vectors::AlgorithmSpec> Integrity(const nlohmann::json& element) {
  static const std::map<std::string, ULONG> ids = {
      {"hmac-md5-96", OFFLOAD_IPSEC_INTEGRITY_MD5},
      {"hmac-sha1-96", OFFLOAD_IPSEC_INTEGRITY_SHA},
      {"hmac-sha256-128", IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256},
      {"aes-gmac-128", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128},
      {"aes-gmac-192", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192},
      {"aes-gmac-256", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256},
  };
  const std::string name = element.value("integrity", std::string("none"));
  if (name == "none") return std::nullopt;
  vectors::AlgorithmSpec spec;
  spec.identifier = ids.at(name);
  spec.name = std::string(vectors::IntegrityAlgorithmName(spec.identifier));
  spec.key = FromHex(element.at("integrity_key").get<std::string>());
  if (name.find("gmac") != std::string::npos) {
    auto salt = FromHex(element.at("salt").get<std::string>());
    spec.key.insert(spec.key.end(), salt.begin(), salt.end());
  }
  return spec;
}

}  // namespace

std::map<std::string, vectors::SaSpec> SaSpecsOfCase(const nlohmann::json& sample) {
  std::map<std::string, vectors::SaSpec> sas;
  for (const auto& [name, sa] : sample.at("sas").items()) {
    vectors::SaSpec spec;
    spec.name = name;
    if (sa.value("mode", "") == "tunnel") {
      spec.src_tunnel_addr = 1;
      spec.dest_tunnel_addr = 2;
    }
    for (const auto& element : sa.at("bundle")) {
      vectors::SecAssocSpec sec;
      sec.spi = element.at("spi").get<SPI_TYPE>();
      if (element.at("proto") == "ah") {
        sec.operation = AUTHENTICATE;
      } else {
        sec.operation = ENCRYPT;
        sec.conf = Conf(element);
      }
      sec.integrity = Integrity(element);
      spec.bundle.push_back(sec);
    }
    sas[name] = spec;
  }
  return sas;
}

std::size_t FirstHeaderOffset(const std::vector<std::uint8_t>& frame, std::uint8_t protocol) {
  if (frame.size() < 20 || frame[9] != protocol) return 0;
  return std::size_t{frame[0] & 0x0fu} * 4;
}

std::string TemporaryDirectory() {
  std::string pattern = ::testing::TempDir();
  if (pattern.empty() || pattern.back() != '/') pattern += '/';
  pattern += "sendpath-reports-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return buffer.data();
}

}  // namespace sendpath::report::testing
