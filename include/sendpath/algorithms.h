// The algorithm and NDIS_STATUS tables (algorithms.def, statuses.def) as constexpr C++ arrays,
// with lookups. Every C++ layer that needs an algorithm's identifier, lengths or names reads them
// here; CONTRIBUTING.md "Adding an algorithm".
#pragma once

#include "sendpath/ndis51.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sendpath::table {

enum class Family : std::uint8_t { kNone, kNull, kCbc, kGcm, kHmac, kGmac };

constexpr Family FamilyFromName(std::string_view name) {
  if (name == "null") return Family::kNull;
  if (name == "cbc") return Family::kCbc;
  if (name == "gcm") return Family::kGcm;
  if (name == "hmac") return Family::kHmac;
  if (name == "gmac") return Family::kGmac;
  if (name == "none") return Family::kNone;
  // Reached only for a misspelt family: a compile error in the tables below.
  throw "algorithms.def: unknown family";
}

struct ConfAlgorithm {
  std::string_view name;             // vector-file name
  ULONG identifier;                  // OFFLOAD_ALGO_INFO.algoIdentifier
  std::string_view identifier_name;  // its ndis51.h name
  std::string_view display;
  Family family;
  std::size_t keymat_length;  // algoKeylen, salt included for GCM
  std::size_t iv_length;
  std::size_t block_size;  // 1 for null and GCM (stream modes)
  std::size_t icv_length;  // 16 for GCM (combined mode), else 0
  std::string_view openssl;  // EVP cipher name, "" for null
  std::string_view capability;
  std::string_view wireshark;  // "" when Wireshark 4.0 has none
  std::string_view scapy;      // "" when scapy 2.5.0 has none
};

struct IntegrityAlgorithm {
  std::string_view name;
  ULONG identifier;
  std::string_view identifier_name;
  std::string_view display;
  Family family;
  std::size_t keymat_length;  // salt included for GMAC
  std::size_t icv_length;
  std::size_t iv_length;     // 8 for GMAC, else 0
  std::string_view openssl;  // HMAC digest, or the GCM cipher of GMAC; "" for none
  std::string_view capability;
  std::string_view wireshark;
  std::string_view scapy;
};

struct NdisStatus {
  std::string_view name;
  NDIS_STATUS value;
};

inline constexpr std::array kConfAlgorithms = {
#define SENDPATH_CONF_ALGORITHM(name, identifier, display, family, keymat, iv, block, icv, openssl, capability, \
                                wireshark, scapy)                                                           \
  ConfAlgorithm{name, identifier, #identifier, display, FamilyFromName(family), keymat, iv, block, icv, openssl,  \
                capability, wireshark, scapy},
#include "sendpath/algorithms.def"
};

inline constexpr std::array kIntegrityAlgorithms = {
#define SENDPATH_INTEGRITY_ALGORITHM(name, identifier, display, family, keymat, icv, iv, openssl, capability, \
                                     wireshark, scapy)                                                      \
  IntegrityAlgorithm{name, identifier, #identifier, display, FamilyFromName(family), keymat, icv, iv, openssl,     \
                     capability, wireshark, scapy},
#include "sendpath/algorithms.def"
};

inline constexpr std::array kNdisStatuses = {
#define SENDPATH_NDIS_STATUS(name) NdisStatus{#name, name},
#include "sendpath/statuses.def"
};

// nullptr when the table has no such row.
constexpr const ConfAlgorithm* FindConf(ULONG identifier) {
  for (const ConfAlgorithm& row : kConfAlgorithms) {
    if (row.identifier == identifier) return &row;
  }
  return nullptr;
}
constexpr const ConfAlgorithm* FindConf(std::string_view name) {
  for (const ConfAlgorithm& row : kConfAlgorithms) {
    if (row.name == name) return &row;
  }
  return nullptr;
}
constexpr const IntegrityAlgorithm* FindIntegrity(ULONG identifier) {
  for (const IntegrityAlgorithm& row : kIntegrityAlgorithms) {
    if (row.identifier == identifier) return &row;
  }
  return nullptr;
}
constexpr const IntegrityAlgorithm* FindIntegrity(std::string_view name) {
  for (const IntegrityAlgorithm& row : kIntegrityAlgorithms) {
    if (row.name == name) return &row;
  }
  return nullptr;
}
constexpr const NdisStatus* FindStatus(NDIS_STATUS value) {
  for (const NdisStatus& row : kNdisStatuses) {
    if (row.value == value) return &row;
  }
  return nullptr;
}
constexpr const NdisStatus* FindStatus(std::string_view name) {
  for (const NdisStatus& row : kNdisStatuses) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

// Identifiers and names are keys: no two rows share one (checked at compile time).
template <typename Rows>
constexpr bool KeysUnique(const Rows& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = i + 1; j < rows.size(); ++j) {
      if (rows[i].name == rows[j].name) return false;
      if constexpr (requires { rows[i].identifier; }) {
        if (rows[i].identifier == rows[j].identifier) return false;
      } else {
        if (rows[i].value == rows[j].value) return false;
      }
    }
  }
  return true;
}
static_assert(KeysUnique(kConfAlgorithms), "algorithms.def: a ConfAlgo name or identifier appears twice");
static_assert(KeysUnique(kIntegrityAlgorithms), "algorithms.def: an IntegrityAlgo name or identifier appears twice");
static_assert(KeysUnique(kNdisStatuses), "statuses.def: a status name or value appears twice");

}  // namespace sendpath::table
