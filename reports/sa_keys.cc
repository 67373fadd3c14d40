#include "reports/sa_keys.h"

#include "reports/ipsec_crypto.h"

#include <cstdio>

namespace sendpath::report {
namespace {

constexpr ULONG kConfNone = OFFLOAD_IPSEC_CONF_NONE;
constexpr ULONG kConfDes = OFFLOAD_IPSEC_CONF_DES;
constexpr ULONG kConf3Des = OFFLOAD_IPSEC_CONF_3_DES;

std::string Hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

}  // namespace

const char* ProtocolName(IpsecProtocol protocol) { return protocol == IpsecProtocol::kAh ? "ah" : "esp"; }

std::size_t SaKeys::IvLength() const {
  switch (cipher) {
    case CipherAlgorithm::kDesCbc:
    case CipherAlgorithm::kTripleDesCbc: return 8;
    case CipherAlgorithm::kAesCbc: return 16;
    case CipherAlgorithm::kAesGcm: return 8;
    case CipherAlgorithm::kNull: return integrity == IntegrityAlgorithm::kAesGmac ? 8 : 0;
  }
  return 0;
}

std::size_t SaKeys::IcvLength() const {
  if (cipher == CipherAlgorithm::kAesGcm) return 16;
  switch (integrity) {
    case IntegrityAlgorithm::kNone: return 0;
    case IntegrityAlgorithm::kHmacMd5_96:
    case IntegrityAlgorithm::kHmacSha1_96: return 12;
    case IntegrityAlgorithm::kHmacSha256_128:
    case IntegrityAlgorithm::kAesGmac: return 16;
  }
  return 0;
}

std::size_t SaKeys::Alignment() const {
  switch (cipher) {
    case CipherAlgorithm::kDesCbc:
    case CipherAlgorithm::kTripleDesCbc: return 8;
    case CipherAlgorithm::kAesCbc: return 16;
    default: return 4;
  }
}

std::string SaKeys::Description() const {
  std::string text = protocol == IpsecProtocol::kAh ? "AH " : "ESP ";
  const std::string aes_bits = std::to_string(cipher_key.size() * 8);
  switch (cipher) {
    case CipherAlgorithm::kNull: text += protocol == IpsecProtocol::kAh ? "" : "NULL"; break;
    case CipherAlgorithm::kDesCbc: text += "DES-CBC"; break;
    case CipherAlgorithm::kTripleDesCbc: text += "3DES-CBC"; break;
    case CipherAlgorithm::kAesCbc: text += "AES-" + aes_bits + "-CBC"; break;
    case CipherAlgorithm::kAesGcm: text += "AES-" + aes_bits + "-GCM"; break;
  }
  const char* separator = protocol == IpsecProtocol::kAh ? "" : " + ";
  switch (integrity) {
    case IntegrityAlgorithm::kNone: if (cipher != CipherAlgorithm::kAesGcm) text += std::string(separator) + "no integrity"; break;
    case IntegrityAlgorithm::kHmacMd5_96: text += std::string(separator) + "HMAC-MD5-96"; break;
    case IntegrityAlgorithm::kHmacSha1_96: text += std::string(separator) + "HMAC-SHA1-96"; break;
    case IntegrityAlgorithm::kHmacSha256_128: text += std::string(separator) + "HMAC-SHA-256-128"; break;
    case IntegrityAlgorithm::kAesGmac:
      text += std::string(separator) + "AES-" + std::to_string(integrity_key.size() * 8) + "-GMAC";
      break;
  }
  text += ", SPI " + Hex32(spi);
  if (esn_high) text += ", ESN high " + Hex32(*esn_high);
  return text;
}

Result<SaKeys> MakeSaKeys(const std::string& sa_name, const vectors::SaSpec& sa, std::size_t element) {
  const vectors::SecAssocSpec& spec = sa.bundle.at(element);
  const std::string where = "SA '" + sa_name + "'" + (sa.pointer.empty() ? "" : " (" + sa.pointer + ")") +
                            " SecAssoc[" + std::to_string(element) + "]";
  SaKeys keys;
  keys.protocol = spec.operation == AUTHENTICATE ? IpsecProtocol::kAh : IpsecProtocol::kEsp;
  keys.name = sa_name + "/" + ProtocolName(keys.protocol);
  keys.spi = spec.spi;
  keys.esn_high = spec.esn_high;
  keys.tunnel = sa.src_tunnel_addr.has_value() || sa.dest_tunnel_addr.has_value();
  keys.key_mat_integrity_first = sa.key_order == vectors::KeyOrder::kIntegrityFirst;

  auto need = [&](const vectors::AlgorithmSpec& algorithm, std::size_t bytes) -> Status {
    if (algorithm.key.size() != bytes) {
      return Error{where + ": " + (algorithm.name.empty() ? "algorithm" : algorithm.name) + " key is " +
                   std::to_string(algorithm.key.size()) + " bytes, needs " + std::to_string(bytes)};
    }
    return {};
  };

  if (spec.conf && keys.protocol == IpsecProtocol::kEsp) {
    const vectors::AlgorithmSpec& conf = *spec.conf;
    std::size_t key_bytes = 0;
    switch (conf.identifier) {
      case kConfNone: keys.cipher = CipherAlgorithm::kNull; break;
      case kConfDes: keys.cipher = CipherAlgorithm::kDesCbc; key_bytes = 8; break;
      case kConf3Des: keys.cipher = CipherAlgorithm::kTripleDesCbc; key_bytes = 24; break;
      case IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128: keys.cipher = CipherAlgorithm::kAesCbc; key_bytes = 16; break;
      case IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192: keys.cipher = CipherAlgorithm::kAesCbc; key_bytes = 24; break;
      case IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256: keys.cipher = CipherAlgorithm::kAesCbc; key_bytes = 32; break;
      case IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128: keys.cipher = CipherAlgorithm::kAesGcm; key_bytes = 20; break;
      case IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192: keys.cipher = CipherAlgorithm::kAesGcm; key_bytes = 28; break;
      case IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256: keys.cipher = CipherAlgorithm::kAesGcm; key_bytes = 36; break;
      default: return Error{where + ": unknown ConfAlgo identifier " + std::to_string(conf.identifier)};
    }
    if (auto status = need(conf, key_bytes); !status) return status.error();
    if (keys.cipher == CipherAlgorithm::kAesGcm) {
      // RFC 4106 §8.1: the KEYMAT is the AES key followed by the 4-byte salt.
      keys.cipher_key.assign(conf.key.begin(), conf.key.end() - 4);
      keys.salt.assign(conf.key.end() - 4, conf.key.end());
    } else {
      keys.cipher_key = conf.key;
    }
  }
  if (spec.integrity && keys.cipher != CipherAlgorithm::kAesGcm) {
    const vectors::AlgorithmSpec& integrity = *spec.integrity;
    std::size_t key_bytes = 0;
    switch (integrity.identifier) {
      case OFFLOAD_IPSEC_INTEGRITY_NONE: keys.integrity = IntegrityAlgorithm::kNone; break;
      case OFFLOAD_IPSEC_INTEGRITY_MD5: keys.integrity = IntegrityAlgorithm::kHmacMd5_96; key_bytes = 16; break;
      case OFFLOAD_IPSEC_INTEGRITY_SHA: keys.integrity = IntegrityAlgorithm::kHmacSha1_96; key_bytes = 20; break;
      case IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256: keys.integrity = IntegrityAlgorithm::kHmacSha256_128; key_bytes = 32; break;
      case IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128: keys.integrity = IntegrityAlgorithm::kAesGmac; key_bytes = 20; break;
      case IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192: keys.integrity = IntegrityAlgorithm::kAesGmac; key_bytes = 28; break;
      case IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256: keys.integrity = IntegrityAlgorithm::kAesGmac; key_bytes = 36; break;
      default: return Error{where + ": unknown IntegrityAlgo identifier " + std::to_string(integrity.identifier)};
    }
    if (auto status = need(integrity, key_bytes); !status) return status.error();
    if (keys.integrity == IntegrityAlgorithm::kAesGmac) {
      // RFC 4543 §3.2 / §5: key followed by the 4-byte salt.
      keys.integrity_key.assign(integrity.key.begin(), integrity.key.end() - 4);
      keys.salt.assign(integrity.key.end() - 4, integrity.key.end());
    } else {
      keys.integrity_key = integrity.key;
    }
  }
  if (keys.protocol == IpsecProtocol::kAh && keys.integrity == IntegrityAlgorithm::kNone) {
    return Error{where + ": AH without an integrity algorithm"};
  }
  return keys;
}

struct SaTable::Entry {
  SaKeys keys;
  std::unique_ptr<SaCrypto> crypto;
  std::string crypto_error;
  bool crypto_tried = false;
};

SaTable::SaTable() = default;
SaTable::~SaTable() = default;
SaTable::SaTable(SaTable&&) noexcept = default;
SaTable& SaTable::operator=(SaTable&&) noexcept = default;

Result<SaTable> SaTable::FromSaSpecs(const std::map<std::string, vectors::SaSpec>& sas, const std::string& origin) {
  SaTable table;
  for (const auto& [name, sa] : sas) {
    for (std::size_t element = 0; element < sa.bundle.size(); ++element) {
      auto keys = MakeSaKeys(name, sa, element);
      if (!keys) return Error{(origin.empty() ? "" : origin + ": ") + keys.error().message};
      table.Add(std::move(keys).value());
    }
  }
  return table;
}

void SaTable::Add(SaKeys keys) {
  const std::uint64_t key = (std::uint64_t{static_cast<std::uint8_t>(keys.protocol)} << 32) | keys.spi;
  auto entry = std::make_unique<Entry>();
  entry->keys = std::move(keys);
  entries_.push_back(std::move(entry));
  index_.emplace(key, entries_.size() - 1);
}

const SaKeys& SaTable::keys(std::size_t index) const { return entries_.at(index)->keys; }

SaCrypto* SaTable::crypto(std::size_t index, std::string& error) {
  Entry& entry = *entries_.at(index);
  if (!entry.crypto_tried) {
    entry.crypto_tried = true;
    auto created = SaCrypto::Create(entry.keys);
    if (created) {
      entry.crypto = std::move(created).value();
    } else {
      entry.crypto_error = created.error().message;
    }
  }
  if (!entry.crypto) error = entry.crypto_error;
  return entry.crypto.get();
}

std::pair<SaTable::IndexMap::const_iterator, SaTable::IndexMap::const_iterator> SaTable::Find(IpsecProtocol protocol,
                                                                                             std::uint32_t spi) const {
  const std::uint64_t key = (std::uint64_t{static_cast<std::uint8_t>(protocol)} << 32) | spi;
  return index_.equal_range(key);
}

}  // namespace sendpath::report
