// RAII for the OpenSSL objects the bench uses directly (the ceiling and the tools).
#pragma once

#include <openssl/evp.h>

#include <memory>

namespace sendpath::bench {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* p) const { EVP_CIPHER_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
struct MacFree {
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
};

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using FetchedCipher = std::unique_ptr<EVP_CIPHER, CipherFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using FetchedMac = std::unique_ptr<EVP_MAC, MacFree>;

// Loads OpenSSL's default and legacy providers once (DES needs legacy); false when legacy is
// missing.
bool LoadProviders();

}  // namespace sendpath::bench
