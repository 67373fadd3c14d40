#include "reference_nic/crypto.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <array>
#include <cstring>
#include <limits>

namespace sendpath::nic::detail {
namespace {

// A new algorithm goes into these tables and a dozen other places, each computing it on its own:
// the list is in CONTRIBUTING.md, "Adding an algorithm".
constexpr std::array kCiphers = {
    CipherInfo{CipherAlgorithm::kNull, "NULL", OFFLOAD_IPSEC_CONF_NONE, 0, 0, 1, 0},
    CipherInfo{CipherAlgorithm::kDesCbc, "DES-CBC", OFFLOAD_IPSEC_CONF_DES, 8, 8, 8, 0},
    CipherInfo{CipherAlgorithm::kTripleDesCbc, "3DES-CBC", OFFLOAD_IPSEC_CONF_3_DES, 24, 8, 8, 0},
    CipherInfo{CipherAlgorithm::kAesCbc128, "AES-128-CBC", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, 16, 16, 16, 0},
    CipherInfo{CipherAlgorithm::kAesCbc192, "AES-192-CBC", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192, 24, 16, 16, 0},
    CipherInfo{CipherAlgorithm::kAesCbc256, "AES-256-CBC", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256, 32, 16, 16, 0},
    // RFC 4106: KEYMAT = key || 4-byte salt, 8-byte IV, 16-byte ICV.
    CipherInfo{CipherAlgorithm::kAesGcm128, "AES-128-GCM", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128, 20, 8, 1, 16},
    CipherInfo{CipherAlgorithm::kAesGcm192, "AES-192-GCM", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192, 28, 8, 1, 16},
    CipherInfo{CipherAlgorithm::kAesGcm256, "AES-256-GCM", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256, 36, 8, 1, 16},
};

constexpr std::array kIntegrities = {
    IntegrityInfo{IntegrityAlgorithm::kNone, "none", OFFLOAD_IPSEC_INTEGRITY_NONE, 0, 0, 0},
    // RFC 2403 / RFC 2404: 96-bit truncation (TRUNCATED_HASH_LEN).
    IntegrityInfo{IntegrityAlgorithm::kHmacMd5_96, "HMAC-MD5-96", OFFLOAD_IPSEC_INTEGRITY_MD5, 16, TRUNCATED_HASH_LEN, 0},
    IntegrityInfo{IntegrityAlgorithm::kHmacSha1_96, "HMAC-SHA1-96", OFFLOAD_IPSEC_INTEGRITY_SHA, 20, TRUNCATED_HASH_LEN, 0},
    // RFC 4868 section 2.1.1: 256-bit key, 128-bit truncation.
    IntegrityInfo{IntegrityAlgorithm::kHmacSha256_128, "HMAC-SHA-256-128", IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256, 32, 16, 0},
    // RFC 4543: KEYMAT = key || 4-byte salt, 8-byte IV, 16-byte ICV.
    IntegrityInfo{IntegrityAlgorithm::kAesGmac128, "AES-128-GMAC", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128, 20, 16, 8},
    IntegrityInfo{IntegrityAlgorithm::kAesGmac192, "AES-192-GMAC", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192, 28, 16, 8},
    IntegrityInfo{IntegrityAlgorithm::kAesGmac256, "AES-256-GMAC", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256, 36, 16, 8},
};

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
      const std::array<const char*, kCiphers.size()> names = {
          nullptr, "DES-CBC", "DES-EDE3-CBC", "AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
          "AES-128-GCM", "AES-192-GCM", "AES-256-GCM"};
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] != nullptr) ciphers[i].reset(EVP_CIPHER_fetch(nullptr, names[i], nullptr));
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

const char* DigestOf(IntegrityAlgorithm algorithm) {
  switch (algorithm) {
    case IntegrityAlgorithm::kHmacMd5_96: return "MD5";
    case IntegrityAlgorithm::kHmacSha1_96: return "SHA1";
    case IntegrityAlgorithm::kHmacSha256_128: return "SHA256";
    default: return nullptr;
  }
}

CipherAlgorithm GcmFor(IntegrityAlgorithm gmac) {
  switch (gmac) {
    case IntegrityAlgorithm::kAesGmac128: return CipherAlgorithm::kAesGcm128;
    case IntegrityAlgorithm::kAesGmac192: return CipherAlgorithm::kAesGcm192;
    default: return CipherAlgorithm::kAesGcm256;
  }
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
  return algorithm == CipherAlgorithm::kAesGcm128 || algorithm == CipherAlgorithm::kAesGcm192 ||
         algorithm == CipherAlgorithm::kAesGcm256;
}

bool IsGmac(IntegrityAlgorithm algorithm) {
  return algorithm == IntegrityAlgorithm::kAesGmac128 || algorithm == IntegrityAlgorithm::kAesGmac192 ||
         algorithm == IntegrityAlgorithm::kAesGmac256;
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
  char digest[16];
  std::strncpy(digest, DigestOf(algorithm), sizeof digest - 1);
  digest[sizeof digest - 1] = '\0';
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
