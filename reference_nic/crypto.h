// OpenSSL 3 EVP behind small RAII types: the algorithms of the send path with their sizes, and
// keyed contexts prepared once at SA-add time so that a send only re-initialises them.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "reference_nic/reference_nic.h"
#include "sendpath/algorithms.h"

namespace sendpath::nic::detail {

// Row indices of include/sendpath/algorithms.def; the enumerators name the rows the code needs by
// name (crypto.cc checks them), a new row needs none.
enum class CipherAlgorithm : std::uint8_t {
  kNull,
  kDesCbc,
  kTripleDesCbc,
  kAesCbc128,
  kAesCbc192,
  kAesCbc256,
  kAesGcm128,
  kAesGcm192,
  kAesGcm256,
};

enum class IntegrityAlgorithm : std::uint8_t {
  kNone,
  kHmacMd5_96,
  kHmacSha1_96,
  kHmacSha256_128,
  kAesGmac128,
  kAesGmac192,
  kAesGmac256,
};

struct CipherInfo {
  CipherAlgorithm algorithm;
  std::string_view name;
  ULONG identifier;     // OFFLOAD_ALGO_INFO.algoIdentifier
  std::size_t key_length;  // algoKeylen, salt included for GCM
  std::size_t iv_length;
  std::size_t block_size;  // 1 for null and GCM (a stream mode)
  std::size_t icv_length;  // 16 for GCM (combined mode), else 0
};

struct IntegrityInfo {
  IntegrityAlgorithm algorithm;
  std::string_view name;
  ULONG identifier;
  std::size_t key_length;  // salt included for GMAC
  std::size_t icv_length;
  std::size_t iv_length;  // 8 for GMAC, else 0
};

// nullptr for identifiers this NIC does not know.
const CipherInfo* FindCipher(ULONG identifier);
const IntegrityInfo* FindIntegrity(ULONG identifier);
const CipherInfo& InfoOf(CipherAlgorithm algorithm);
const IntegrityInfo& InfoOf(IntegrityAlgorithm algorithm);
bool IsGcm(CipherAlgorithm algorithm);
bool IsGmac(IntegrityAlgorithm algorithm);
// The AES key length in bytes of a GCM cipher or GMAC, 0 otherwise.
std::size_t AesKeyBytes(CipherAlgorithm algorithm);
std::size_t AesKeyBytes(IntegrityAlgorithm algorithm);

// Loads OpenSSL's default and legacy providers once per process; false when legacy (DES) is
// unavailable.
bool LegacyProviderAvailable();

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

constexpr std::size_t kMaxIcvLength = 16;
constexpr std::size_t kSaltLength = 4;  // RFC 4106 / RFC 4543 KEYMAT salt

// Encryption key of one ESP element: CBC or GCM context with the key scheduled.
class CipherKey {
 public:
  Reason Init(CipherAlgorithm algorithm, ByteSpan key_material);
  // CBC: encrypts `data` in place; its length is a multiple of the block size.
  bool EncryptCbc(ByteSpan iv, MutableByteSpan data);
  // GCM (RFC 4106): nonce = salt || iv; authenticates the `aad` pieces, encrypts `data` in place
  // (empty for GMAC) and writes the 16-byte tag.
  bool Seal(ByteSpan iv, std::span<const ByteSpan> aad, MutableByteSpan data, MutableByteSpan tag);

 private:
  CipherCtx ctx_;
  std::uint8_t salt_[kSaltLength] = {};
};

// Integrity key of one ESP or AH element: HMAC (truncated) or AES-GMAC.
class IntegrityKey {
 public:
  Reason Init(IntegrityAlgorithm algorithm, ByteSpan key_material);
  // ICV over the concatenation of `pieces`. `iv` is the GMAC IV (ignored for HMAC).
  bool Compute(ByteSpan iv, std::span<const ByteSpan> pieces, MutableByteSpan icv);

 private:
  IntegrityAlgorithm algorithm_ = IntegrityAlgorithm::kNone;
  MacCtx hmac_;
  CipherKey gmac_;
};

}  // namespace sendpath::nic::detail
