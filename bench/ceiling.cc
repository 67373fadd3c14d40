#include "bench/ceiling.h"

#include "reports/receive_check.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <array>
#include <cstring>
#include <limits>

namespace sendpath::bench {

bool LoadProviders() {
  // Loading a provider explicitly turns the implicit default one off, so load both.
  static const bool legacy = [] {
    OSSL_PROVIDER_load(nullptr, "default");
    return OSSL_PROVIDER_load(nullptr, "legacy") != nullptr;
  }();
  return legacy;
}

// One element's keyed contexts: the cipher (CBC or GCM) and the integrity (HMAC or GMAC).
struct Ceiling::ElementKeys {
  CipherCtx cipher;
  std::uint8_t cipher_salt[kSaltLength] = {};
  MacCtx hmac;
  CipherCtx gmac;
  std::uint8_t gmac_salt[kSaltLength] = {};
};

// Bytes a MAC or AAD update reads: a range of the frame, the prepared AH header, or zeros.
struct Ceiling::Piece {
  enum class Source { kFrame, kAhHeader, kZeros } source = Source::kFrame;
  std::size_t offset = 0;  // kFrame: frame offset; kAhHeader: index into ah_headers_
  std::size_t length = 0;
};

struct Ceiling::Operation {
  enum class Kind { kCbc, kSeal, kHmac } kind = Kind::kCbc;
  EVP_CIPHER_CTX* cipher = nullptr;  // kCbc, kSeal
  const std::uint8_t* salt = nullptr;  // kSeal
  EVP_MAC_CTX* hmac = nullptr;       // kHmac
  std::size_t iv_offset = 0;         // kCbc, kSeal
  std::size_t data_offset = 0, data_length = 0;  // kCbc, kSeal: encrypted in place
  std::array<Piece, 4> pieces{};     // kSeal: AAD; kHmac: MAC input
  std::size_t piece_count = 0;
  std::size_t icv_offset = 0, icv_length = 0;  // kSeal, kHmac
};

Ceiling::~Ceiling() = default;

namespace {

const std::uint8_t kZeros[16] = {};

bool FitsInt(std::size_t n) { return n <= static_cast<std::size_t>(std::numeric_limits<int>::max()); }

CipherCtx KeyedCipher(const char* name, std::span<const std::uint8_t> key, std::string& error) {
  const FetchedCipher cipher(EVP_CIPHER_fetch(nullptr, name, nullptr));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx || EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), nullptr, nullptr) != 1) {
    error = std::string("OpenSSL refused ") + name;
    return nullptr;
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);  // RFC 4303 2.4: the transport padded already
  return ctx;
}

MacCtx KeyedHmac(const char* digest, std::span<const std::uint8_t> key, std::string& error) {
  const FetchedMac mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  MacCtx ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  char name[16];
  std::strncpy(name, digest, sizeof name - 1);
  name[sizeof name - 1] = '\0';
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0), OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) {
    error = std::string("OpenSSL refused HMAC-") + digest;
    return nullptr;
  }
  return ctx;
}

}  // namespace

std::unique_ptr<Ceiling> Ceiling::Prepare(const FramedPacket& packet, std::string& error) {
  LoadProviders();
  std::unique_ptr<Ceiling> c(new Ceiling());
  for (const PortionLayout& portion : packet.portions) {
    const SaModel& sa = *portion.sa;
    for (const ElementSpec& element : sa.bundle) {
      auto keys = std::make_unique<ElementKeys>();
      Operation integrity_op;
      bool has_integrity_op = false;
      if (element.is_esp()) {
        const EspLayout& esp = *portion.esp;
        const CipherSpec& cipher = *element.cipher;
        if (cipher.evp_cipher != nullptr) {
          std::span<const std::uint8_t> key = element.conf_key;
          if (IsGcm(cipher)) {
            key = key.first(key.size() - kSaltLength);
            std::memcpy(keys->cipher_salt, element.conf_key.data() + key.size(), kSaltLength);
          }
          keys->cipher = KeyedCipher(cipher.evp_cipher, key, error);
          if (!keys->cipher) return nullptr;
          Operation op;
          op.kind = IsGcm(cipher) ? Operation::Kind::kSeal : Operation::Kind::kCbc;
          op.cipher = keys->cipher.get();
          op.salt = keys->cipher_salt;
          op.iv_offset = esp.iv_offset;
          op.data_offset = esp.data_offset;
          op.data_length = esp.data_length;
          if (IsGcm(cipher)) {
            op.pieces[0] = Piece{Piece::Source::kFrame, esp.offset, 8};  // SPI || sequence
            op.piece_count = 1;
            op.icv_offset = esp.icv_offset;
            op.icv_length = esp.icv_length;
          }
          c->operations_.push_back(op);
        }
        if (element.integrity != nullptr && !IsGcm(cipher)) {
          // ESP header .. trailer, contiguous in the frame.
          integrity_op.pieces[0] = Piece{Piece::Source::kFrame, esp.offset, esp.icv_offset - esp.offset};
          integrity_op.piece_count = 1;
          integrity_op.iv_offset = esp.iv_offset;
          integrity_op.icv_offset = esp.icv_offset;
          integrity_op.icv_length = esp.icv_length;
          has_integrity_op = true;
        }
      } else {
        const AhLayout& ah = *portion.ah;
        // The header view comes from the inspection library, the one AH ICV input builder.
        Bytes view(portion.ip_header_length);
        if (!report::AhHeaderView(std::span(packet.frame).subspan(portion.ip_offset, portion.ip_header_length), view, &error)) {
          error = "AH header view at byte " + std::to_string(portion.ip_offset) + ": " + error;
          return nullptr;
        }
        c->ah_headers_.push_back(std::move(view));
        const std::size_t after_ah = ah.offset + ah.length;
        integrity_op.pieces[0] = Piece{Piece::Source::kAhHeader, c->ah_headers_.size() - 1, portion.ip_header_length};
        integrity_op.pieces[1] = Piece{Piece::Source::kFrame, ah.offset, ah.icv_offset - ah.offset};
        integrity_op.pieces[2] = Piece{Piece::Source::kZeros, 0, ah.icv_length};
        integrity_op.pieces[3] = Piece{Piece::Source::kFrame, after_ah, portion.end - after_ah};
        integrity_op.piece_count = 4;
        integrity_op.iv_offset = ah.iv_offset;
        integrity_op.icv_offset = ah.icv_offset;
        integrity_op.icv_length = ah.icv_length;
        has_integrity_op = true;
      }
      if (has_integrity_op) {
        const IntegritySpec& integrity = *element.integrity;
        if (integrity.hmac_digest != nullptr) {
          keys->hmac = KeyedHmac(integrity.hmac_digest, element.integrity_key, error);
          if (!keys->hmac) return nullptr;
          integrity_op.kind = Operation::Kind::kHmac;
          integrity_op.hmac = keys->hmac.get();
        } else {
          const std::span<const std::uint8_t> key =
              std::span(element.integrity_key).first(element.integrity_key.size() - kSaltLength);
          std::memcpy(keys->gmac_salt, element.integrity_key.data() + key.size(), kSaltLength);
          keys->gmac = KeyedCipher(integrity.gmac_cipher, key, error);
          if (!keys->gmac) return nullptr;
          integrity_op.kind = Operation::Kind::kSeal;  // GMAC: a seal with no data
          integrity_op.cipher = keys->gmac.get();
          integrity_op.salt = keys->gmac_salt;
        }
        c->operations_.push_back(integrity_op);
      }
      c->keys_.push_back(std::move(keys));
    }
  }
  return c;
}

bool Ceiling::Run(std::span<std::uint8_t> frame) {
  std::uint8_t* const f = frame.data();
  auto bytes_of = [&](const Piece& p) -> const std::uint8_t* {
    switch (p.source) {
      case Piece::Source::kFrame: return f + p.offset;
      case Piece::Source::kAhHeader: return ah_headers_[p.offset].data();
      case Piece::Source::kZeros: return kZeros;
    }
    return nullptr;
  };
  int written = 0;
  for (const Operation& op : operations_) {
    switch (op.kind) {
      case Operation::Kind::kCbc:
        if (!FitsInt(op.data_length) || EVP_EncryptInit_ex2(op.cipher, nullptr, nullptr, f + op.iv_offset, nullptr) != 1 ||
            EVP_EncryptUpdate(op.cipher, f + op.data_offset, &written, f + op.data_offset, static_cast<int>(op.data_length)) != 1) {
          return false;
        }
        break;
      case Operation::Kind::kSeal: {
        std::uint8_t nonce[kSaltLength + 8];  // RFC 4106 4 / RFC 4543 3.1: salt || IV
        std::memcpy(nonce, op.salt, kSaltLength);
        std::memcpy(nonce + kSaltLength, f + op.iv_offset, 8);
        if (EVP_EncryptInit_ex2(op.cipher, nullptr, nullptr, nonce, nullptr) != 1) return false;
        for (std::size_t i = 0; i < op.piece_count; ++i) {
          const Piece& p = op.pieces[i];
          if (!FitsInt(p.length) || EVP_EncryptUpdate(op.cipher, nullptr, &written, bytes_of(p), static_cast<int>(p.length)) != 1) {
            return false;
          }
        }
        if (op.data_length != 0 &&
            (!FitsInt(op.data_length) ||
             EVP_EncryptUpdate(op.cipher, f + op.data_offset, &written, f + op.data_offset, static_cast<int>(op.data_length)) != 1)) {
          return false;
        }
        std::uint8_t unused[16];
        if (EVP_EncryptFinal_ex(op.cipher, unused, &written) != 1 ||
            EVP_CIPHER_CTX_ctrl(op.cipher, EVP_CTRL_GCM_GET_TAG, static_cast<int>(op.icv_length), f + op.icv_offset) != 1) {
          return false;
        }
        break;
      }
      case Operation::Kind::kHmac: {
        if (EVP_MAC_init(op.hmac, nullptr, 0, nullptr) != 1) return false;
        for (std::size_t i = 0; i < op.piece_count; ++i) {
          const Piece& p = op.pieces[i];
          if (p.length != 0 && EVP_MAC_update(op.hmac, bytes_of(p), p.length) != 1) return false;
        }
        std::uint8_t mac[EVP_MAX_MD_SIZE];
        std::size_t mac_length = 0;
        if (EVP_MAC_final(op.hmac, mac, &mac_length, sizeof mac) != 1 || mac_length < op.icv_length) return false;
        std::memcpy(f + op.icv_offset, mac, op.icv_length);  // the leftmost bits (RFC 2104 5)
        break;
      }
    }
  }
  return true;
}

}  // namespace sendpath::bench
