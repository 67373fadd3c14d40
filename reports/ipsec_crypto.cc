#include "reports/ipsec_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <vector>

namespace sendpath::report {
namespace {

struct CipherDeleter {
  void operator()(EVP_CIPHER* cipher) const { EVP_CIPHER_free(cipher); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using CipherPtr = std::unique_ptr<EVP_CIPHER, CipherDeleter>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
using MacPtr = std::unique_ptr<EVP_MAC, MacDeleter>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// DES-CBC lives in OpenSSL 3's legacy provider. Loading any provider explicitly stops the default
// one from loading implicitly, so both are loaded, once per process, and unloaded at exit.
struct Providers {
  OSSL_PROVIDER* default_provider = nullptr;
  OSSL_PROVIDER* legacy_provider = nullptr;
  Providers() {
    default_provider = OSSL_PROVIDER_load(nullptr, "default");
    legacy_provider = OSSL_PROVIDER_load(nullptr, "legacy");
    ERR_clear_error();
  }
  ~Providers() {
    if (legacy_provider != nullptr) OSSL_PROVIDER_unload(legacy_provider);
    if (default_provider != nullptr) OSSL_PROVIDER_unload(default_provider);
  }
  Providers(const Providers&) = delete;
  Providers& operator=(const Providers&) = delete;
};

const Providers& LoadProviders() {
  static const Providers providers;  // thread-safe initialisation
  return providers;
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

int ToInt(std::size_t value) { return static_cast<int>(value); }

}  // namespace

bool DesAvailable() { return LoadProviders().legacy_provider != nullptr; }

struct SaCrypto::State {
  CipherAlgorithm cipher_algorithm = CipherAlgorithm::kNull;
  IntegrityAlgorithm integrity_algorithm = IntegrityAlgorithm::kNone;
  std::size_t icv_length = 0;
  std::uint8_t salt[4] = {};
  bool nonce_iv_first = false;
  CipherPtr cipher;
  CipherCtxPtr cipher_ctx;  // CBC/GCM, key set
  std::vector<std::uint8_t> cipher_key;
  int direction = 0;  // of the last init: CBC decryption and encryption use different AES key schedules
  MacPtr mac;
  MacCtxPtr mac_ctx;          // HMAC, key set
  CipherPtr gmac_cipher;
  CipherCtxPtr gmac_ctx;      // GMAC, key set
};

SaCrypto::SaCrypto() : state_(std::make_unique<State>()) {}
SaCrypto::~SaCrypto() = default;

Result<std::unique_ptr<SaCrypto>> SaCrypto::Create(const SaKeys& keys) {
  LoadProviders();
  std::unique_ptr<SaCrypto> crypto(new SaCrypto());
  State& state = *crypto->state_;
  state.cipher_algorithm = keys.cipher;
  state.integrity_algorithm = keys.integrity;
  state.icv_length = keys.IcvLength();
  for (std::size_t i = 0; i < keys.salt.size() && i < 4; ++i) state.salt[i] = keys.salt[i];
  const std::string where = keys.name + " (" + keys.Description() + ")";

  const char* cipher_name = nullptr;
  if (keys.cipher == CipherAlgorithm::kDesCbc && !DesAvailable()) {
    return Error{where + ": DES-CBC needs OpenSSL's legacy provider, which is not available"};
  }
  if (keys.conf_row != nullptr && !keys.conf_row->openssl.empty()) cipher_name = keys.conf_row->openssl.data();
  if (cipher_name != nullptr) {
    state.cipher.reset(EVP_CIPHER_fetch(nullptr, cipher_name, nullptr));
    state.cipher_ctx.reset(EVP_CIPHER_CTX_new());
    if (!state.cipher || !state.cipher_ctx ||
        EVP_CipherInit_ex2(state.cipher_ctx.get(), state.cipher.get(), keys.cipher_key.data(), nullptr, 0, nullptr) != 1) {
      return Error{where + ": OpenSSL refused " + cipher_name + ": " + OpenSslError()};
    }
    state.cipher_key = keys.cipher_key;
  }

  const char* digest = nullptr;
  if (keys.integrity == IntegrityAlgorithm::kAesGmac) {
    const char* gmac_name = keys.integrity_row->openssl.data();  // the GCM cipher (RFC 4543)
    state.gmac_cipher.reset(EVP_CIPHER_fetch(nullptr, gmac_name, nullptr));
    state.gmac_ctx.reset(EVP_CIPHER_CTX_new());
    if (!state.gmac_cipher || !state.gmac_ctx ||
        EVP_EncryptInit_ex2(state.gmac_ctx.get(), state.gmac_cipher.get(), keys.integrity_key.data(), nullptr, nullptr) != 1) {
      return Error{where + ": OpenSSL refused the GMAC key: " + OpenSslError()};
    }
  } else if (keys.integrity != IntegrityAlgorithm::kNone) {
    digest = keys.integrity_row->openssl.data();  // the HMAC digest
  }
  if (digest != nullptr) {
    state.mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    state.mac_ctx.reset(state.mac ? EVP_MAC_CTX_new(state.mac.get()) : nullptr);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
                           OSSL_PARAM_construct_end()};
    if (!state.mac_ctx || EVP_MAC_init(state.mac_ctx.get(), keys.integrity_key.data(), keys.integrity_key.size(), params) != 1) {
      return Error{where + ": OpenSSL refused HMAC-" + digest + ": " + OpenSslError()};
    }
  }
  return crypto;
}

namespace {
// RFC 4106 §4 / RFC 4543 §3.1: nonce = salt || IV (or the mistaken IV || salt).
void MakeNonce(const std::uint8_t (&salt)[4], bool iv_first, ByteSpan iv, std::uint8_t (&nonce)[12]) {
  for (std::size_t i = 0; i < 4; ++i) nonce[iv_first ? 8 + i : i] = salt[i];
  for (std::size_t i = 0; i < 8; ++i) nonce[iv_first ? i : 4 + i] = iv[i];
}
}  // namespace

void SaCrypto::set_nonce_iv_first(bool iv_first) { state_->nonce_iv_first = iv_first; }

bool SaCrypto::Reinit(bool encrypt, const std::uint8_t* iv) {
  const int direction = encrypt ? 1 : 0;
  // The key is given again only when the direction changes; otherwise OpenSSL keeps its schedule.
  const std::uint8_t* key = direction != state_->direction ? state_->cipher_key.data() : nullptr;
  if (EVP_CipherInit_ex2(state_->cipher_ctx.get(), nullptr, key, iv, direction, nullptr) != 1) return false;
  state_->direction = direction;
  return true;
}

bool SaCrypto::CbcCrypt(bool encrypt, ByteSpan iv, MutableByteSpan data) {
  EVP_CIPHER_CTX* ctx = state_->cipher_ctx.get();
  if (ctx == nullptr) return false;
  if (!Reinit(encrypt, iv.data())) return false;
  EVP_CIPHER_CTX_set_padding(ctx, 0);  // ESP pads itself (RFC 4303 §2.4)
  int length = 0;
  if (!data.empty() && EVP_CipherUpdate(ctx, data.data(), &length, data.data(), ToInt(data.size())) != 1) return false;
  int final_length = 0;
  return EVP_CipherFinal_ex(ctx, data.data() + length, &final_length) == 1;
}

bool SaCrypto::GcmCrypt(bool encrypt, ByteSpan iv, ByteSpan aad, MutableByteSpan data, MutableByteSpan tag) {
  EVP_CIPHER_CTX* ctx = state_->cipher_ctx.get();
  if (ctx == nullptr || iv.size() != 8 || tag.size() != 16) return false;
  std::uint8_t nonce[12];
  MakeNonce(state_->salt, state_->nonce_iv_first, iv, nonce);
  if (!Reinit(encrypt, nonce)) return false;
  int length = 0;
  if (EVP_CipherUpdate(ctx, nullptr, &length, aad.data(), ToInt(aad.size())) != 1) return false;
  if (!data.empty() && EVP_CipherUpdate(ctx, data.data(), &length, data.data(), ToInt(data.size())) != 1) return false;
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag.data()) != 1) return false;
  std::uint8_t scratch[16];
  int final_length = 0;
  if (EVP_CipherFinal_ex(ctx, scratch, &final_length) != 1) {
    ERR_clear_error();
    return false;
  }
  if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag.data()) != 1) return false;
  return true;
}

bool SaCrypto::MacBegin(ByteSpan iv) {
  if (state_->mac_ctx) return EVP_MAC_init(state_->mac_ctx.get(), nullptr, 0, nullptr) == 1;
  if (state_->gmac_ctx) {
    if (iv.size() != 8) return false;
    std::uint8_t nonce[12];
    MakeNonce(state_->salt, state_->nonce_iv_first, iv, nonce);
    return EVP_EncryptInit_ex2(state_->gmac_ctx.get(), nullptr, nullptr, nonce, nullptr) == 1;
  }
  return false;
}

bool SaCrypto::MacUpdate(ByteSpan bytes) {
  if (bytes.empty()) return true;
  if (state_->mac_ctx) return EVP_MAC_update(state_->mac_ctx.get(), bytes.data(), bytes.size()) == 1;
  if (state_->gmac_ctx) {
    // GMAC is GCM with everything as additional authenticated data (RFC 4543 §3.3, §5).
    int length = 0;
    return EVP_EncryptUpdate(state_->gmac_ctx.get(), nullptr, &length, bytes.data(), ToInt(bytes.size())) == 1;
  }
  return false;
}

bool SaCrypto::MacFinish(MutableByteSpan icv) {
  if (icv.size() != state_->icv_length) return false;
  if (state_->mac_ctx) {
    std::uint8_t full[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    if (EVP_MAC_final(state_->mac_ctx.get(), full, &length, sizeof full) != 1 || length < icv.size()) return false;
    for (std::size_t i = 0; i < icv.size(); ++i) icv[i] = full[i];  // truncation: RFC 2404 §2, RFC 4868 §2.3
    return true;
  }
  if (state_->gmac_ctx) {
    std::uint8_t scratch[16];
    int length = 0;
    if (EVP_EncryptFinal_ex(state_->gmac_ctx.get(), scratch, &length) != 1) return false;
    return EVP_CIPHER_CTX_ctrl(state_->gmac_ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, icv.data()) == 1;
  }
  return false;
}

}  // namespace sendpath::report
