// SA material as the receive side needs it: one SaKeys per SecAssoc element (an ESP or an AH
// transform with its SPI, algorithms and keys), found by protocol and SPI. Built from the
// SaSpec model of a vector or of a `sendpath-sas/1` file (vectors/README.md).
#pragma once

#include "reports/result.h"
#include "sendpath/algorithms.h"
#include "vectors/loader/vector_model.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sendpath::report {

class SaCrypto;

enum class IpsecProtocol : std::uint8_t { kEsp = 50, kAh = 51 };
const char* ProtocolName(IpsecProtocol protocol);  // "esp", "ah"

enum class CipherAlgorithm { kNull, kDesCbc, kTripleDesCbc, kAesCbc, kAesGcm };
enum class IntegrityAlgorithm { kNone, kHmacMd5_96, kHmacSha1_96, kHmacSha256_128, kAesGmac };

struct SaKeys {
  std::string name;  // "<sa name>" plus "/esp" or "/ah"
  IpsecProtocol protocol = IpsecProtocol::kEsp;
  std::uint32_t spi = 0;
  CipherAlgorithm cipher = CipherAlgorithm::kNull;
  IntegrityAlgorithm integrity = IntegrityAlgorithm::kNone;
  // The rows of include/sendpath/algorithms.def; nullptr for AH's cipher and no integrity.
  const table::ConfAlgorithm* conf_row = nullptr;
  const table::IntegrityAlgorithm* integrity_row = nullptr;
  std::vector<std::uint8_t> cipher_key;     // AES-GCM: the key without its salt
  std::vector<std::uint8_t> integrity_key;  // AES-GMAC: the key without its salt
  std::vector<std::uint8_t> salt;           // RFC 4106 / RFC 4543: 4 bytes, nonce = salt || IV
  std::optional<std::uint32_t> esn_high;    // high 32 bits of the extended sequence number
  bool tunnel = false;
  // The element's KeyMat carried the integrity key first (SENDPATH_ADD_SA_EXTENSION.KeyOrder).
  bool key_mat_integrity_first = false;

  // Derived from the rows (include/sendpath/algorithms.def).
  std::size_t IvLength() const;
  std::size_t IcvLength() const;
  // Ciphertext alignment: the cipher block for CBC, else 4 (RFC 4303 §2.4).
  std::size_t Alignment() const;
  bool HasIcv() const { return IcvLength() > 0; }
  std::string Description() const;  // "ESP AES-128-CBC + HMAC-SHA1-96, SPI 0x00001234"
};

// Builds the SaKeys of one SecAssoc element; errors name the SA and element.
Result<SaKeys> MakeSaKeys(const std::string& sa_name, const vectors::SaSpec& sa, std::size_t element);
// Points `conf_row` and `integrity_row` at the table rows of `cipher` / `integrity` with these key
// lengths (for keys built or changed by hand: a cause recomputed with other keys); false when the
// table has no such row.
bool MatchAlgorithmRows(SaKeys& keys);

class SaTable {
 public:
  SaTable();
  ~SaTable();
  SaTable(SaTable&&) noexcept;
  SaTable& operator=(SaTable&&) noexcept;

  // Every element of every SA. `origin` (a file name) prefixes error messages.
  static Result<SaTable> FromSaSpecs(const std::map<std::string, vectors::SaSpec>& sas, const std::string& origin);
  // Every element of every SA that has keys, in map order then element order; an element
  // MakeSaKeys refuses is left out (a negative vector's malformed SA must not hide the others)
  // and its message kept in `first_error` when that is empty. The judge and the report build a
  // vector's table with this one function, so an entry's index means the same SA in both (the
  // report reuses the judge's receive check of an expected frame, StepResult::expected_check).
  static SaTable OfEverySa(const std::map<std::string, vectors::SaSpec>& sas, std::string* first_error = nullptr);

  void Add(SaKeys keys);
  std::size_t size() const { return entries_.size(); }
  const SaKeys& keys(std::size_t index) const;
  // The OpenSSL state of entry `index`, created on first use; nullptr with `error` set when
  // OpenSSL refuses the key or algorithm (e.g. DES without the legacy provider).
  SaCrypto* crypto(std::size_t index, std::string& error);

  // Indices of the SAs with this protocol and SPI, in the order they were added. Several SAs
  // may share an SPI (a suite's SA file); the receive check tries each.
  using IndexMap = std::multimap<std::uint64_t, std::size_t>;
  std::pair<IndexMap::const_iterator, IndexMap::const_iterator> Find(IpsecProtocol protocol, std::uint32_t spi) const;

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> entries_;
  IndexMap index_;
};

}  // namespace sendpath::report
