// The OpenSSL 3 EVP operations of the IPsec transforms, one object per SA with the keys set
// once: CBC and GCM encryption/decryption in place, and the integrity transforms (HMAC-*-96/128,
// AES-GMAC) fed piece by piece so the AH ICV input never needs a copy of the packet.
#pragma once

#include "reports/result.h"
#include "reports/sa_keys.h"

#include <cstdint>
#include <memory>
#include <span>

namespace sendpath::report {

using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

// True when DES-CBC can be used (OpenSSL's legacy provider loaded).
bool DesAvailable();

class SaCrypto {
 public:
  static Result<std::unique_ptr<SaCrypto>> Create(const SaKeys& keys);
  ~SaCrypto();
  SaCrypto(const SaCrypto&) = delete;
  SaCrypto& operator=(const SaCrypto&) = delete;

  // CBC (DES, 3DES, AES): `data` is a whole number of blocks.
  bool CbcCrypt(bool encrypt, ByteSpan iv, MutableByteSpan data);
  // AES-GCM ESP (RFC 4106): nonce = salt || iv; aad = SPI || [ESN high] || sequence. Encrypt
  // writes `tag`; decrypt checks it and returns false on mismatch (data is decrypted anyway).
  bool GcmCrypt(bool encrypt, ByteSpan iv, ByteSpan aad, MutableByteSpan data, MutableByteSpan tag);

  // Integrity: Begin (the IV is the GMAC nonce part, ignored for HMAC), Update with each piece,
  // Finish writes the ICV (truncated to IcvLength()).
  bool MacBegin(ByteSpan iv);
  bool MacUpdate(ByteSpan bytes);
  bool MacFinish(MutableByteSpan icv);

  // GCM/GMAC nonce as IV || salt instead of RFC 4106 §4's salt || IV: only to recompute that
  // mistake (reports/causes.h).
  void set_nonce_iv_first(bool iv_first);

 private:
  SaCrypto();
  bool Reinit(bool encrypt, const std::uint8_t* iv);
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sendpath::report
