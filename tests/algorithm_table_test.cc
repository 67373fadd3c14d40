// Every layer agrees with the algorithm and status tables (include/sendpath/algorithms.def,
// statuses.def): the vector loader (name <-> identifier, capability), OpenSSL (the row's EVP name
// exists with the row's lengths), the reference NIC, the receive side and the Python tools.
#include "sendpath/algorithms.h"

#include "reference_nic/crypto.h"
#include "reference_nic/reference_nic.h"
#include "reports/sa_keys.h"
#include "vectors/loader/vector_loader.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace sendpath {
namespace {

constexpr std::size_t kSalt = 4;  // RFC 4106 section 8.1, RFC 4543 section 3.2

struct CipherFree {
  void operator()(EVP_CIPHER* cipher) const { EVP_CIPHER_free(cipher); }
};
struct MdFree {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};

// DES-CBC lives in OpenSSL's legacy provider; without it the row cannot be checked here.
bool LegacyLoaded() {
  static OSSL_PROVIDER* const default_provider = OSSL_PROVIDER_load(nullptr, "default");
  static OSSL_PROVIDER* const legacy = OSSL_PROVIDER_load(nullptr, "legacy");
  return default_provider != nullptr && legacy != nullptr;
}

std::unique_ptr<EVP_CIPHER, CipherFree> Cipher(std::string_view name) {
  LegacyLoaded();
  return std::unique_ptr<EVP_CIPHER, CipherFree>(EVP_CIPHER_fetch(nullptr, std::string(name).c_str(), nullptr));
}

TEST(AlgorithmTable, LoaderNamesAreTheRowsInOrder) {
  std::vector<std::string> conf, integrity, statuses;
  for (const auto& row : table::kConfAlgorithms) conf.emplace_back(row.name);
  for (const auto& row : table::kIntegrityAlgorithms) integrity.emplace_back(row.name);
  for (const auto& row : table::kNdisStatuses) statuses.emplace_back(row.name);
  EXPECT_EQ(vectors::ConfAlgorithmNames(), conf);
  EXPECT_EQ(vectors::IntegrityAlgorithmNames(), integrity);
  EXPECT_EQ(vectors::StatusNames(), statuses);
}

TEST(AlgorithmTable, EveryRowRoundTripsThroughTheLoader) {
  for (const auto& row : table::kConfAlgorithms) {
    EXPECT_EQ(vectors::ConfAlgorithmId(row.name), row.identifier) << row.name;
    EXPECT_EQ(vectors::ConfAlgorithmName(row.identifier), row.name) << row.identifier_name;
  }
  for (const auto& row : table::kIntegrityAlgorithms) {
    EXPECT_EQ(vectors::IntegrityAlgorithmId(row.name), row.identifier) << row.name;
    EXPECT_EQ(vectors::IntegrityAlgorithmName(row.identifier), row.name) << row.identifier_name;
  }
  for (const auto& row : table::kNdisStatuses) {
    EXPECT_EQ(vectors::StatusFromName(row.name), row.value) << row.name;
    EXPECT_EQ(vectors::StatusName(row.value), row.name);
  }
}

// The capability of a v2 row is its identifier's bit in SENDPATH_TASK_IPSEC_EXTENSION (ndis51.h);
// a 5.1 row's is an NDIS_TASK_IPSEC member.
template <typename Row>
void ExpectCapabilityIsTheNdisBit(const Row& row, ULONG SENDPATH_TASK_IPSEC_EXTENSION::*algorithms) {
  NDIS_TASK_IPSEC task{};
  SENDPATH_TASK_IPSEC_EXTENSION extension{};
  ASSERT_TRUE(vectors::SetCapability(task, extension, row.capability)) << row.name << ": " << row.capability;
  const NDIS_TASK_IPSEC zero{};
  const bool task_changed = std::memcmp(&task, &zero, sizeof task) != 0;
  if (row.capability.starts_with("V2.")) {
    EXPECT_EQ(extension.*algorithms, row.identifier) << row.name;
    EXPECT_FALSE(task_changed) << row.name;
  } else {
    EXPECT_TRUE(task_changed) << row.name;
    EXPECT_EQ(extension.AuthenticationAlgorithms | extension.EncryptionAlgorithms, 0u) << row.name;
  }
}

TEST(AlgorithmTable, CapabilityOfEachRowIsItsNdisBit) {
  for (const auto& row : table::kConfAlgorithms) {
    ExpectCapabilityIsTheNdisBit(row, &SENDPATH_TASK_IPSEC_EXTENSION::EncryptionAlgorithms);
  }
  for (const auto& row : table::kIntegrityAlgorithms) {
    if (row.family == table::Family::kNone) continue;  // no integrity needs no capability
    ExpectCapabilityIsTheNdisBit(row, &SENDPATH_TASK_IPSEC_EXTENSION::AuthenticationAlgorithms);
  }
}

TEST(AlgorithmTable, OpenSslHasEveryCipherWithTheRowsLengths) {
  for (const auto& row : table::kConfAlgorithms) {
    SCOPED_TRACE(std::string(row.name));
    if (row.family == table::Family::kNull) {
      EXPECT_TRUE(row.openssl.empty());
      EXPECT_EQ(row.keymat_length + row.iv_length + row.icv_length, 0u);
      continue;
    }
    const auto cipher = Cipher(row.openssl);
    if (cipher == nullptr && row.identifier == OFFLOAD_IPSEC_CONF_DES && !LegacyLoaded()) continue;
    ASSERT_NE(cipher, nullptr) << row.openssl;
    const auto key = static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher.get()));
    const auto iv = static_cast<std::size_t>(EVP_CIPHER_get_iv_length(cipher.get()));
    const auto block = static_cast<std::size_t>(EVP_CIPHER_get_block_size(cipher.get()));
    EXPECT_EQ(block, row.block_size);
    if (row.family == table::Family::kGcm) {
      EXPECT_EQ(EVP_CIPHER_get_mode(cipher.get()), EVP_CIPH_GCM_MODE);
      EXPECT_EQ(key + kSalt, row.keymat_length);
      EXPECT_EQ(iv, kSalt + row.iv_length);  // nonce = salt || IV (RFC 4106 section 4)
      EXPECT_EQ(row.icv_length, 16u);
    } else {
      EXPECT_EQ(EVP_CIPHER_get_mode(cipher.get()), EVP_CIPH_CBC_MODE);
      EXPECT_EQ(key, row.keymat_length);
      EXPECT_EQ(iv, row.iv_length);
      EXPECT_EQ(row.icv_length, 0u);
    }
  }
}

TEST(AlgorithmTable, OpenSslHasEveryIntegrityAlgorithm) {
  for (const auto& row : table::kIntegrityAlgorithms) {
    SCOPED_TRACE(std::string(row.name));
    switch (row.family) {
      case table::Family::kHmac: {
        std::unique_ptr<EVP_MD, MdFree> md(EVP_MD_fetch(nullptr, std::string(row.openssl).c_str(), nullptr));
        ASSERT_NE(md, nullptr) << row.openssl;
        const auto size = static_cast<std::size_t>(EVP_MD_get_size(md.get()));
        EXPECT_EQ(row.keymat_length, size);  // RFC 2403 / 2404 / 4868: the key is L bytes
        EXPECT_LT(row.icv_length, size);     // truncated
        EXPECT_EQ(row.iv_length, 0u);
        break;
      }
      case table::Family::kGmac: {
        const auto cipher = Cipher(row.openssl);
        ASSERT_NE(cipher, nullptr) << row.openssl;
        EXPECT_EQ(EVP_CIPHER_get_mode(cipher.get()), EVP_CIPH_GCM_MODE);
        EXPECT_EQ(static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher.get())) + kSalt, row.keymat_length);
        EXPECT_EQ(row.icv_length, 16u);
        EXPECT_EQ(row.iv_length, 8u);
        break;
      }
      default:
        EXPECT_TRUE(row.openssl.empty());
        EXPECT_EQ(row.keymat_length + row.icv_length + row.iv_length, 0u);
    }
  }
}

TEST(AlgorithmTable, ReferenceNicTakesEveryRow) {
  const nic::Capabilities full = nic::FullCapabilities();
  for (const auto& row : table::kConfAlgorithms) {
    const nic::detail::CipherInfo* info = nic::detail::FindCipher(row.identifier);
    ASSERT_NE(info, nullptr) << row.name;
    EXPECT_EQ(info->name, row.display);
    EXPECT_EQ(info->key_length, row.keymat_length) << row.name;
    EXPECT_EQ(info->iv_length, row.iv_length) << row.name;
    EXPECT_EQ(info->block_size, row.block_size) << row.name;
    EXPECT_EQ(info->icv_length, row.icv_length) << row.name;
    if (row.identifier != OFFLOAD_IPSEC_CONF_DES || nic::detail::LegacyProviderAvailable()) {
      EXPECT_TRUE(vectors::HasCapability(full.task, full.extension, row.capability)) << row.name;
    }
  }
  for (const auto& row : table::kIntegrityAlgorithms) {
    const nic::detail::IntegrityInfo* info = nic::detail::FindIntegrity(row.identifier);
    ASSERT_NE(info, nullptr) << row.name;
    EXPECT_EQ(info->name, row.display);
    EXPECT_EQ(info->key_length, row.keymat_length) << row.name;
    EXPECT_EQ(info->icv_length, row.icv_length) << row.name;
    EXPECT_EQ(info->iv_length, row.iv_length) << row.name;
    if (row.family != table::Family::kNone) {
      EXPECT_TRUE(vectors::HasCapability(full.task, full.extension, row.capability)) << row.name;
    }
  }
}

vectors::SaSpec OneElement(OFFLOAD_OPERATION_E operation, const table::ConfAlgorithm* conf,
                           const table::IntegrityAlgorithm* integrity) {
  vectors::SecAssocSpec element;
  element.operation = operation;
  element.spi = 0x1234;
  if (conf != nullptr) {
    element.conf = vectors::AlgorithmSpec{std::string(conf->name), conf->identifier,
                                          vectors::Bytes(conf->keymat_length, 0x11), std::nullopt};
  }
  if (integrity != nullptr) {
    element.integrity = vectors::AlgorithmSpec{std::string(integrity->name), integrity->identifier,
                                               vectors::Bytes(integrity->keymat_length, 0x22), std::nullopt};
  }
  vectors::SaSpec sa;
  sa.bundle.push_back(element);
  return sa;
}

TEST(AlgorithmTable, ReceiveSideTakesEveryRow) {
  const table::IntegrityAlgorithm* none = table::FindIntegrity(ULONG{OFFLOAD_IPSEC_INTEGRITY_NONE});
  for (const auto& row : table::kConfAlgorithms) {
    auto keys = report::MakeSaKeys("sa", OneElement(ENCRYPT, &row, none), 0);
    ASSERT_TRUE(keys) << row.name << ": " << keys.error().message;
    EXPECT_EQ(keys.value().IvLength(), row.iv_length) << row.name;
    EXPECT_EQ(keys.value().IcvLength(), row.icv_length) << row.name;
    EXPECT_EQ(keys.value().Alignment(), std::max<std::size_t>(4, row.block_size)) << row.name;  // RFC 4303 2.4
    EXPECT_NE(keys.value().Description().find(std::string(row.display)), std::string::npos) << keys.value().Description();
  }
  for (const auto& row : table::kIntegrityAlgorithms) {
    if (row.family == table::Family::kNone) continue;
    auto keys = report::MakeSaKeys("sa", OneElement(AUTHENTICATE, nullptr, &row), 0);
    ASSERT_TRUE(keys) << row.name << ": " << keys.error().message;
    EXPECT_EQ(keys.value().IvLength(), row.iv_length) << row.name;
    EXPECT_EQ(keys.value().IcvLength(), row.icv_length) << row.name;
    EXPECT_NE(keys.value().Description().find(std::string(row.display)), std::string::npos) << keys.value().Description();
  }
}

// The Python tools read the same .def files through their own parser: it must see the same rows.
nlohmann::json PythonTable() {
  const std::string command = std::string(SENDPATH_PYTHON) + " " + SENDPATH_TABLE_MODULE;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  if (pipe) {
    char buffer[4096];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  }
  return nlohmann::json::parse(out, nullptr, false);
}

TEST(AlgorithmTable, PythonModuleListsTheSameRows) {
  const nlohmann::json python = PythonTable();
  ASSERT_TRUE(python.is_object()) << "algorithm_table.py printed no JSON";
  ASSERT_EQ(python.at("conf").size(), table::kConfAlgorithms.size());
  for (std::size_t i = 0; i < table::kConfAlgorithms.size(); ++i) {
    const auto& row = table::kConfAlgorithms[i];
    const nlohmann::json expected = {
        {"name", row.name},        {"identifier", row.identifier}, {"identifier_name", row.identifier_name},
        {"display", row.display},  {"family", python.at("conf")[i].at("family")},
        {"keymat", row.keymat_length}, {"iv", row.iv_length},      {"block", row.block_size},
        {"icv", row.icv_length},   {"openssl", row.openssl},       {"capability", row.capability},
        {"wireshark", row.wireshark}, {"scapy", row.scapy}};
    EXPECT_EQ(python.at("conf")[i], expected);
    EXPECT_EQ(table::FamilyFromName(python.at("conf")[i].at("family").get<std::string>()), row.family) << row.name;
  }
  ASSERT_EQ(python.at("integrity").size(), table::kIntegrityAlgorithms.size());
  for (std::size_t i = 0; i < table::kIntegrityAlgorithms.size(); ++i) {
    const auto& row = table::kIntegrityAlgorithms[i];
    const nlohmann::json expected = {
        {"name", row.name},        {"identifier", row.identifier}, {"identifier_name", row.identifier_name},
        {"display", row.display},  {"family", python.at("integrity")[i].at("family")},
        {"keymat", row.keymat_length}, {"icv", row.icv_length},    {"iv", row.iv_length},
        {"openssl", row.openssl},  {"capability", row.capability}, {"wireshark", row.wireshark},
        {"scapy", row.scapy}};
    EXPECT_EQ(python.at("integrity")[i], expected);
    EXPECT_EQ(table::FamilyFromName(python.at("integrity")[i].at("family").get<std::string>()), row.family)
        << row.name;
  }
  nlohmann::json statuses = nlohmann::json::object();
  for (const auto& row : table::kNdisStatuses) statuses[std::string(row.name)] = static_cast<ULONG>(row.value);
  EXPECT_EQ(python.at("statuses"), statuses);
}

}  // namespace
}  // namespace sendpath
