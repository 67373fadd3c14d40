#include "reports/sa_keys.h"

#include "reports/ipsec_crypto.h"

#include <cstdio>

namespace sendpath::report {
namespace {

// The receive side's name for a row: its family and, for CBC, the cipher (DES needs OpenSSL's
// legacy provider; the IV check names the cipher, RFC 2405 / RFC 2451 / RFC 3602).
CipherAlgorithm CipherOf(const table::ConfAlgorithm& row) {
  switch (row.family) {
    case table::Family::kGcm: return CipherAlgorithm::kAesGcm;
    case table::Family::kCbc:
      if (row.identifier == OFFLOAD_IPSEC_CONF_DES) return CipherAlgorithm::kDesCbc;
      if (row.identifier == OFFLOAD_IPSEC_CONF_3_DES) return CipherAlgorithm::kTripleDesCbc;
      return CipherAlgorithm::kAesCbc;
    default: return CipherAlgorithm::kNull;
  }
}

IntegrityAlgorithm IntegrityOf(const table::IntegrityAlgorithm& row) {
  switch (row.family) {
    case table::Family::kGmac: return IntegrityAlgorithm::kAesGmac;
    case table::Family::kHmac:
      if (row.identifier == OFFLOAD_IPSEC_INTEGRITY_MD5) return IntegrityAlgorithm::kHmacMd5_96;
      if (row.identifier == OFFLOAD_IPSEC_INTEGRITY_SHA) return IntegrityAlgorithm::kHmacSha1_96;
      return IntegrityAlgorithm::kHmacSha256_128;
    default: return IntegrityAlgorithm::kNone;
  }
}

std::string Hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

}  // namespace

const char* ProtocolName(IpsecProtocol protocol) { return protocol == IpsecProtocol::kAh ? "ah" : "esp"; }

std::size_t SaKeys::IvLength() const {
  if (conf_row != nullptr && conf_row->family != table::Family::kNull) return conf_row->iv_length;
  // ENCR_NULL_AUTH_AES_GMAC and AUTH_AES_GMAC carry the GMAC IV (RFC 4543 section 3).
  return integrity_row != nullptr ? integrity_row->iv_length : 0;
}

std::size_t SaKeys::IcvLength() const {
  if (conf_row != nullptr && conf_row->icv_length > 0) return conf_row->icv_length;
  return integrity_row != nullptr ? integrity_row->icv_length : 0;
}

std::size_t SaKeys::Alignment() const {
  return conf_row != nullptr && conf_row->family == table::Family::kCbc ? conf_row->block_size : 4;
}

std::string SaKeys::Description() const {
  std::string text = protocol == IpsecProtocol::kAh ? "AH " : "ESP ";
  if (protocol == IpsecProtocol::kEsp) text += conf_row != nullptr ? std::string(conf_row->display) : "NULL";
  const char* separator = protocol == IpsecProtocol::kAh ? "" : " + ";
  if (integrity_row != nullptr && integrity_row->family != table::Family::kNone) {
    text += std::string(separator) + std::string(integrity_row->display);
  } else if (cipher != CipherAlgorithm::kAesGcm) {
    text += std::string(separator) + "no integrity";
  }
  text += ", SPI " + Hex32(spi);
  if (esn_high) text += ", ESN high " + Hex32(*esn_high);
  return text;
}

bool MatchAlgorithmRows(SaKeys& keys) {
  keys.conf_row = nullptr;
  if (keys.protocol == IpsecProtocol::kEsp) {
    for (const table::ConfAlgorithm& row : table::kConfAlgorithms) {
      const std::size_t key_bytes = row.keymat_length - (row.family == table::Family::kGcm ? 4 : 0);
      if (CipherOf(row) == keys.cipher && (row.family == table::Family::kNull || key_bytes == keys.cipher_key.size())) {
        keys.conf_row = &row;
        break;
      }
    }
    if (keys.conf_row == nullptr) return false;
  }
  keys.integrity_row = nullptr;
  if (keys.integrity == IntegrityAlgorithm::kNone) return true;
  for (const table::IntegrityAlgorithm& row : table::kIntegrityAlgorithms) {
    const std::size_t key_bytes = row.keymat_length - (row.family == table::Family::kGmac ? 4 : 0);
    if (row.family != table::Family::kNone && IntegrityOf(row) == keys.integrity && key_bytes == keys.integrity_key.size()) {
      keys.integrity_row = &row;
      return true;
    }
  }
  return false;
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
    keys.conf_row = table::FindConf(conf.identifier);
    if (keys.conf_row == nullptr) {
      return Error{where + ": unknown ConfAlgo identifier " + std::to_string(conf.identifier)};
    }
    keys.cipher = CipherOf(*keys.conf_row);
    const std::size_t key_bytes = keys.conf_row->keymat_length;
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
    keys.integrity_row = table::FindIntegrity(integrity.identifier);
    if (keys.integrity_row == nullptr) {
      return Error{where + ": unknown IntegrityAlgo identifier " + std::to_string(integrity.identifier)};
    }
    keys.integrity = IntegrityOf(*keys.integrity_row);
    const std::size_t key_bytes = keys.integrity_row->keymat_length;
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

SaTable SaTable::OfEverySa(const std::map<std::string, vectors::SaSpec>& sas, std::string* first_error) {
  SaTable table;
  for (const auto& [name, sa] : sas) {
    for (std::size_t element = 0; element < sa.bundle.size(); ++element) {
      auto keys = MakeSaKeys(name, sa, element);
      if (keys) {
        table.Add(std::move(keys).value());
      } else if (first_error != nullptr && first_error->empty()) {
        *first_error = keys.error().message;
      }
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
