#include "bench/cases.h"

#include "sendpath/algorithms.h"

#include <algorithm>
#include <array>

namespace sendpath::bench {
namespace {

// Rows of the algorithm table (include/sendpath/algorithms.def) under their case-name labels; an
// unknown vector name does not compile.
constexpr CipherSpec Measured(std::string_view label, std::string_view name, bool legacy) {
  const table::ConfAlgorithm& row = *table::FindConf(name);
  return CipherSpec{label, row.name, row.identifier, row.keymat_length, row.iv_length, row.block_size, row.icv_length,
                    row.openssl.empty() ? nullptr : row.openssl.data(), legacy, row.capability};
}
constexpr IntegritySpec Measured(std::string_view label, std::string_view name) {
  const table::IntegrityAlgorithm& row = *table::FindIntegrity(name);
  const bool gmac = row.family == table::Family::kGmac;
  return IntegritySpec{label, row.name, row.identifier, row.keymat_length, row.icv_length, row.iv_length,
                       gmac ? nullptr : row.openssl.data(), gmac ? row.openssl.data() : nullptr, row.capability};
}

constexpr std::array kCiphers = {
    Measured("null", "NONE", false),
    Measured("des-cbc", "DES", true),  // DES needs OpenSSL's legacy provider
    Measured("3des-cbc", "3_DES", false),
    Measured("aes-128-cbc", "AES_CBC_128", false),
    Measured("aes-192-cbc", "AES_CBC_192", false),
    Measured("aes-256-cbc", "AES_CBC_256", false),
    Measured("aes-128-gcm", "AES_GCM_128", false),
    Measured("aes-192-gcm", "AES_GCM_192", false),
    Measured("aes-256-gcm", "AES_GCM_256", false),
};

constexpr std::array kIntegrities = {
    Measured("hmac-md5-96", "MD5"),         Measured("hmac-sha1-96", "SHA_1"),
    Measured("hmac-sha256-128", "SHA_256"), Measured("aes-128-gmac", "AES_GMAC_128"),
    Measured("aes-192-gmac", "AES_GMAC_192"), Measured("aes-256-gmac", "AES_GMAC_256"),
};

const CipherSpec& Cipher(std::string_view label) { return *FindCipher(label); }
const IntegritySpec& Integrity(std::string_view label) { return *FindIntegrity(label); }

// Keys differ per SA and element so that no two contexts share a schedule by accident.
struct KeyMaker {
  std::uint8_t seed;
  std::uint32_t next = 0;
  Bytes Make(std::size_t length) { return DerivedKey(length, static_cast<std::uint32_t>(seed) << 16 | next++); }
};

ElementSpec Esp(KeyMaker& keys, std::uint32_t spi, const CipherSpec& cipher, const IntegritySpec* integrity) {
  ElementSpec e;
  e.operation = ENCRYPT;
  e.spi = spi;
  e.cipher = &cipher;
  e.integrity = integrity;
  e.conf_key = keys.Make(cipher.key_length);
  if (integrity != nullptr) e.integrity_key = keys.Make(integrity->key_length);
  return e;
}

ElementSpec Ah(KeyMaker& keys, std::uint32_t spi, const IntegritySpec& integrity) {
  ElementSpec e;
  e.operation = AUTHENTICATE;
  e.spi = spi;
  e.integrity = &integrity;
  e.integrity_key = keys.Make(integrity.key_length);
  return e;
}

SaModel Sa(std::string name, bool tunnel, std::vector<ElementSpec> bundle) {
  SaModel sa;
  sa.name = std::move(name);
  sa.tunnel = tunnel;
  sa.bundle = std::move(bundle);
  return sa;
}

SaModel UdpEspSa(std::string name, bool tunnel, std::vector<ElementSpec> bundle) {
  SaModel sa = Sa(std::move(name), tunnel, std::move(bundle));
  sa.udp_esp = true;
  return sa;
}

}  // namespace

const CipherSpec* FindCipher(std::string_view label) {
  for (const auto& c : kCiphers) {
    if (c.label == label) return &c;
  }
  return nullptr;
}

const IntegritySpec* FindIntegrity(std::string_view label) {
  for (const auto& i : kIntegrities) {
    if (i.label == label) return &i;
  }
  return nullptr;
}

std::span<const CipherSpec> AllCiphers() { return kCiphers; }
std::span<const IntegritySpec> AllIntegrities() { return kIntegrities; }

std::size_t ElementSpec::IvLength() const {
  const std::size_t integrity_iv = integrity != nullptr ? integrity->iv_length : 0;
  return std::max(is_esp() ? cipher->iv_length : 0, integrity_iv);
}

std::size_t ElementSpec::IcvLength() const {
  if (is_esp() && IsGcm(*cipher)) return cipher->icv_length;
  return integrity != nullptr ? integrity->icv_length : 0;
}

std::size_t ElementSpec::Alignment() const { return std::max<std::size_t>(is_esp() ? cipher->block : 1, 4); }

const ElementSpec* SaModel::Esp() const {
  for (const auto& e : bundle) {
    if (e.is_esp()) return &e;
  }
  return nullptr;
}

const ElementSpec* SaModel::Ah() const {
  for (const auto& e : bundle) {
    if (!e.is_esp()) return &e;
  }
  return nullptr;
}

Bytes DerivedKey(std::size_t length, std::uint32_t seed) {
  Bytes key(length);
  std::uint32_t x = seed * 2654435761u + 0x9e3779b9u;
  for (auto& b : key) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return key;
}

std::vector<CaseSpec> AllCases(std::uint8_t seed) {
  std::vector<CaseSpec> cases;
  KeyMaker keys{seed};
  auto add = [&](std::string name, std::vector<SaModel> sas) {
    CaseSpec c{std::move(name), std::move(sas), false};
    for (const auto& sa : c.sas) {
      for (const auto& e : sa.bundle) c.needs_legacy_provider |= e.is_esp() && e.cipher->legacy;
    }
    cases.push_back(std::move(c));
  };
  const IntegritySpec& sha1 = Integrity("hmac-sha1-96");

  // Every ESP cipher without integrity (encryption-only, SENDPATH_EXT_ENCRYPTION_ONLY_ESP) and
  // with HMAC-SHA1-96; GCM authenticates itself and has one case.
  for (const CipherSpec& cipher : kCiphers) {
    if (cipher.evp_cipher == nullptr) continue;
    const std::string esp = "esp/" + std::string(cipher.label);
    if (IsGcm(cipher)) {
      add(esp, {Sa("t", false, {Esp(keys, 0x1001, cipher, nullptr)})});
      continue;
    }
    add(esp, {Sa("t", false, {Esp(keys, 0x1001, cipher, nullptr)})});
    add(esp + "+" + std::string(sha1.label), {Sa("t", false, {Esp(keys, 0x1002, cipher, &sha1)})});
  }
  // AES-128-CBC with the other HMACs; the null cipher with every integrity algorithm
  // (ENCR_NULL with HMAC, and ENCR_NULL_AUTH_AES_GMAC, RFC 4543).
  for (const IntegritySpec& integrity : kIntegrities) {
    if (integrity.hmac_digest != nullptr && &integrity != &sha1) {
      add("esp/aes-128-cbc+" + std::string(integrity.label),
          {Sa("t", false, {Esp(keys, 0x1003, Cipher("aes-128-cbc"), &integrity)})});
    }
  }
  for (const IntegritySpec& integrity : kIntegrities) {
    add("esp/null+" + std::string(integrity.label), {Sa("t", false, {Esp(keys, 0x1004, Cipher("null"), &integrity)})});
  }
  // AH with every integrity algorithm.
  for (const IntegritySpec& integrity : kIntegrities) {
    add("ah/" + std::string(integrity.label), {Sa("t", false, {Ah(keys, 0x2001, integrity)})});
  }
  // The bundle [S7]: ESP encryption followed by AH authentication.
  add("ah+esp/aes-128-cbc+ah-hmac-sha1-96",
      {Sa("t", false, {Esp(keys, 0x3001, Cipher("aes-128-cbc"), nullptr), Ah(keys, 0x3002, sha1)})});
  // Tunnel mode, and a transport SA inside a tunnel SA (both handles, [S12]).
  add("tunnel/esp-aes-128-gcm", {Sa("g", true, {Esp(keys, 0x4001, Cipher("aes-128-gcm"), nullptr)})});
  add("transport-over-tunnel/esp-aes-128-cbc+hmac-sha1-96-in-esp-aes-128-gcm",
      {Sa("t", false, {Esp(keys, 0x5001, Cipher("aes-128-cbc"), &sha1)}),
       Sa("g", true, {Esp(keys, 0x5002, Cipher("aes-128-gcm"), nullptr)})});
  // UDP-encapsulated ESP (RFC 3948): the same ESP work behind a UDP header the NIC finds and
  // leaves as framed; transport, tunnel, and transport over a UDP-encapsulated tunnel.
  add("udp-esp/aes-128-gcm", {UdpEspSa("t", false, {Esp(keys, 0x6001, Cipher("aes-128-gcm"), nullptr)})});
  add("udp-esp/aes-128-cbc+hmac-sha1-96", {UdpEspSa("t", false, {Esp(keys, 0x6002, Cipher("aes-128-cbc"), &sha1)})});
  add("udp-esp-tunnel/esp-aes-128-gcm", {UdpEspSa("g", true, {Esp(keys, 0x6003, Cipher("aes-128-gcm"), nullptr)})});
  add("transport-over-udp-esp-tunnel/esp-aes-128-cbc+hmac-sha1-96-in-esp-aes-128-gcm",
      {Sa("t", false, {Esp(keys, 0x6004, Cipher("aes-128-cbc"), &sha1)}),
       UdpEspSa("g", true, {Esp(keys, 0x6005, Cipher("aes-128-gcm"), nullptr)})});
  return cases;
}

CaseSpec FindCase(std::string_view name, std::uint8_t seed) {
  for (CaseSpec& c : AllCases(seed)) {
    if (c.name == name) return std::move(c);
  }
  return {};
}

}  // namespace sendpath::bench
