#include "reference_nic/crypto.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace sendpath::nic::detail {
namespace {

// The rows of include/sendpath/algorithms.def (data shared with every layer; the computation
// below is the NIC's own). CipherAlgorithm / IntegrityAlgorithm are row indices.
constexpr auto kCiphers = [] {
  std::array<CipherInfo, table::kConfAlgorithms.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const table::ConfAlgorithm& row = table::kConfAlgorithms[i];
    out[i] = CipherInfo{static_cast<CipherAlgorithm>(i), row.display, row.identifier, row.keymat_length,
                        row.iv_length, row.block_size, row.icv_length};
  }
  return out;
}();

constexpr auto kIntegrities = [] {
  std::array<IntegrityInfo, table::kIntegrityAlgorithms.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const table::IntegrityAlgorithm& row = table::kIntegrityAlgorithms[i];
    out[i] = IntegrityInfo{static_cast<IntegrityAlgorithm>(i), row.display, row.identifier, row.keymat_length,
                           row.icv_length, row.iv_length};
  }
  return out;
}();

// The enumerators this file names are the rows they name.
constexpr bool RowIs(CipherAlgorithm algorithm, std::string_view name) {
  return table::kConfAlgorithms[static_cast<std::size_t>(algorithm)].name == name;
}
constexpr bool RowIs(IntegrityAlgorithm algorithm, std::string_view name) {
  return table::kIntegrityAlgorithms[static_cast<std::size_t>(algorithm)].name == name;
}
static_assert(RowIs(CipherAlgorithm::kNull, "NONE") && RowIs(CipherAlgorithm::kDesCbc, "DES") &&
              RowIs(CipherAlgorithm::kTripleDesCbc, "3_DES") && RowIs(CipherAlgorithm::kAesCbc128, "AES_CBC_128") &&
              RowIs(CipherAlgorithm::kAesCbc192, "AES_CBC_192") && RowIs(CipherAlgorithm::kAesCbc256, "AES_CBC_256") &&
              RowIs(CipherAlgorithm::kAesGcm128, "AES_GCM_128") && RowIs(CipherAlgorithm::kAesGcm192, "AES_GCM_192") &&
              RowIs(CipherAlgorithm::kAesGcm256, "AES_GCM_256"));
static_assert(RowIs(IntegrityAlgorithm::kNone, "NONE") && RowIs(IntegrityAlgorithm::kHmacMd5_96, "MD5") &&
              RowIs(IntegrityAlgorithm::kHmacSha1_96, "SHA_1") && RowIs(IntegrityAlgorithm::kHmacSha256_128, "SHA_256") &&
              RowIs(IntegrityAlgorithm::kAesGmac128, "AES_GMAC_128") &&
              RowIs(IntegrityAlgorithm::kAesGmac192, "AES_GMAC_192") &&
              RowIs(IntegrityAlgorithm::kAesGmac256, "AES_GMAC_256"));

struct CipherFree {
  void operator()(EVP_CIPHER* cipher) const { EVP_CIPHER_free(cipher); }
};
struct MacFree {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
using FetchedCipher = std::unique_ptr<EVP_CIPHER, CipherFree>;
using FetchedMac = std::unique_ptr<EVP_MAC, MacFree>;

struct ProviderUnload {
  void operator()(OSSL_PROVIDER* provider) const { OSSL_PROVIDER_unload(provider); }
};
using LoadedProvider = std::unique_ptr<OSSL_PROVIDER, ProviderUnload>;

// Loaded once per process, unloaded at exit (after the fetched algorithms, which are static
// objects constructed later and so destroyed earlier).
struct Providers {
  // Loading any provider explicitly turns off the implicit default one, so load both.
  LoadedProvider default_provider{OSSL_PROVIDER_load(nullptr, "default")};
  LoadedProvider legacy_provider{OSSL_PROVIDER_load(nullptr, "legacy")};
  bool legacy = legacy_provider != nullptr;
};

const Providers& LoadProviders() {
  static const Providers providers;
  return providers;
}

// Ciphers are fetched once per process; the table is immutable afterwards.
const EVP_CIPHER* FetchCipher(CipherAlgorithm algorithm) {
  struct Table {
    std::array<FetchedCipher, kCiphers.size()> ciphers;
    Table() {
      LoadProviders();
      for (std::size_t i = 0; i < ciphers.size(); ++i) {
        const std::string_view name = table::kConfAlgorithms[i].openssl;  // "" for null
        if (!name.empty()) ciphers[i].reset(EVP_CIPHER_fetch(nullptr, name.data(), nullptr));
      }
    }
  };
  static const Table table;
  return table.ciphers[static_cast<std::size_t>(algorithm)].get();
}

EVP_MAC* FetchHmac() {
  static const FetchedMac hmac{(LoadProviders(), EVP_MAC_fetch(nullptr, "HMAC", nullptr))};
  return hmac.get();
}

// The HMAC digest's OpenSSL name.
std::string_view DigestOf(IntegrityAlgorithm algorithm) {
  return table::kIntegrityAlgorithms[static_cast<std::size_t>(algorithm)].openssl;
}

// The GCM cipher whose GMAC this is (RFC 4543): the row with the same OpenSSL cipher.
CipherAlgorithm GcmFor(IntegrityAlgorithm gmac) {
  const std::string_view cipher = table::kIntegrityAlgorithms[static_cast<std::size_t>(gmac)].openssl;
  for (const CipherInfo& info : kCiphers) {
    if (table::kConfAlgorithms[static_cast<std::size_t>(info.algorithm)].openssl == cipher) return info.algorithm;
  }
  return CipherAlgorithm::kNull;
}

bool FitsInt(std::size_t n) { return n <= static_cast<std::size_t>(std::numeric_limits<int>::max()); }

}  // namespace

const CipherInfo* FindCipher(ULONG identifier) {
  for (const auto& info : kCiphers) {
    if (info.identifier == identifier) return &info;
  }
  return nullptr;
}

const IntegrityInfo* FindIntegrity(ULONG identifier) {
  for (const auto& info : kIntegrities) {
    if (info.identifier == identifier) return &info;
  }
  return nullptr;
}

const CipherInfo& InfoOf(CipherAlgorithm algorithm) { return kCiphers[static_cast<std::size_t>(algorithm)]; }
const IntegrityInfo& InfoOf(IntegrityAlgorithm algorithm) {
  return kIntegrities[static_cast<std::size_t>(algorithm)];
}

bool IsGcm(CipherAlgorithm algorithm) {
  return table::kConfAlgorithms[static_cast<std::size_t>(algorithm)].family == table::Family::kGcm;
}

bool IsGmac(IntegrityAlgorithm algorithm) {
  return table::kIntegrityAlgorithms[static_cast<std::size_t>(algorithm)].family == table::Family::kGmac;
}

std::size_t AesKeyBytes(CipherAlgorithm algorithm) {
  return IsGcm(algorithm) ? InfoOf(algorithm).key_length - kSaltLength : 0;
}

std::size_t AesKeyBytes(IntegrityAlgorithm algorithm) {
  return IsGmac(algorithm) ? InfoOf(algorithm).key_length - kSaltLength : 0;
}

bool LegacyProviderAvailable() { return LoadProviders().legacy && FetchCipher(CipherAlgorithm::kDesCbc) != nullptr; }

Reason CipherKey::Init(CipherAlgorithm algorithm, ByteSpan key_material) {
  if (algorithm == CipherAlgorithm::kNull) return Reason::kOk;
  if (algorithm == CipherAlgorithm::kDesCbc && !LegacyProviderAvailable()) return Reason::kLegacyProviderMissing;
  const EVP_CIPHER* cipher = FetchCipher(algorithm);
  if (cipher == nullptr) return Reason::kKeyScheduleFailed;
  ByteSpan key = key_material;
  if (IsGcm(algorithm)) {
    key = key_material.first(key_material.size() - kSaltLength);
    std::memcpy(salt_, key_material.data() + key.size(), kSaltLength);
  }
  ctx_.reset(EVP_CIPHER_CTX_new());
  if (!ctx_ || EVP_EncryptInit_ex2(ctx_.get(), cipher, key.data(), nullptr, nullptr) != 1) {
    return Reason::kKeyScheduleFailed;
  }
  // The transport has already padded the payload (RFC 4303 2.4): the cipher must not pad again.
  EVP_CIPHER_CTX_set_padding(ctx_.get(), 0);
  return Reason::kOk;
}

bool CipherKey::EncryptCbc(ByteSpan iv, MutableByteSpan data) {
  int written = 0;
  return FitsInt(data.size()) && EVP_EncryptInit_ex2(ctx_.get(), nullptr, nullptr, iv.data(), nullptr) == 1 &&
         EVP_EncryptUpdate(ctx_.get(), data.data(), &written, data.data(), static_cast<int>(data.size())) == 1 &&
         static_cast<std::size_t>(written) == data.size();
}

bool CipherKey::Seal(ByteSpan iv, std::span<const ByteSpan> aad, MutableByteSpan data, MutableByteSpan tag) {
  std::uint8_t nonce[kSaltLength + 8];
  if (iv.size() != 8) return false;
  std::memcpy(nonce, salt_, kSaltLength);
  std::memcpy(nonce + kSaltLength, iv.data(), 8);
  if (EVP_EncryptInit_ex2(ctx_.get(), nullptr, nullptr, nonce, nullptr) != 1) return false;
  int written = 0;
  for (ByteSpan piece : aad) {
    if (piece.empty()) continue;
    if (!FitsInt(piece.size()) ||
        EVP_EncryptUpdate(ctx_.get(), nullptr, &written, piece.data(), static_cast<int>(piece.size())) != 1) {
      return false;
    }
  }
  if (!data.empty()) {
    if (!FitsInt(data.size()) ||
        EVP_EncryptUpdate(ctx_.get(), data.data(), &written, data.data(), static_cast<int>(data.size())) != 1) {
      return false;
    }
  }
  std::uint8_t unused[16];
  return EVP_EncryptFinal_ex(ctx_.get(), unused, &written) == 1 && FitsInt(tag.size()) &&
         EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag.size()), tag.data()) == 1;
}

Reason IntegrityKey::Init(IntegrityAlgorithm algorithm, ByteSpan key_material) {
  algorithm_ = algorithm;
  if (algorithm == IntegrityAlgorithm::kNone) return Reason::kOk;
  if (IsGmac(algorithm)) return gmac_.Init(GcmFor(algorithm), key_material);
  EVP_MAC* hmac = FetchHmac();
  if (hmac == nullptr) return Reason::kKeyScheduleFailed;
  hmac_.reset(EVP_MAC_CTX_new(hmac));
  char digest[16] = {};
  const std::string_view digest_name = DigestOf(algorithm);
  std::memcpy(digest, digest_name.data(), std::min(digest_name.size(), sizeof digest - 1));
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (!hmac_ || EVP_MAC_init(hmac_.get(), key_material.data(), key_material.size(), params) != 1) {
    return Reason::kKeyScheduleFailed;
  }
  return Reason::kOk;
}

bool IntegrityKey::Compute(ByteSpan iv, std::span<const ByteSpan> pieces, MutableByteSpan icv) {
  if (IsGmac(algorithm_)) return gmac_.Seal(iv, pieces, {}, icv);
  // A null key re-initialises HMAC with the key scheduled at SA-add time.
  if (EVP_MAC_init(hmac_.get(), nullptr, 0, nullptr) != 1) return false;
  for (ByteSpan piece : pieces) {
    if (!piece.empty() && EVP_MAC_update(hmac_.get(), piece.data(), piece.size()) != 1) return false;
  }
  std::uint8_t mac[EVP_MAX_MD_SIZE];
  std::size_t mac_length = 0;
  if (EVP_MAC_final(hmac_.get(), mac, &mac_length, sizeof mac) != 1 || mac_length < icv.size()) return false;
  std::memcpy(icv.data(), mac, icv.size());  // the leftmost bits (RFC 2104 section 5)
  return true;
}

}  // namespace sendpath::nic::detail
