// Names used by vector files: capabilities, algorithms, NDIS_STATUS values.
#include "vectors/loader/vector_loader.h"

#include "sendpath/algorithms.h"

#include <algorithm>
#include <array>

namespace sendpath::vectors {

namespace {

// One capability: where it lives in NDIS_TASK_IPSEC (ndis.h l.1256) or in the sendpath
// extension. Bit-fields cannot be addressed, hence a getter and a setter per entry.
struct CapabilityEntry {
  std::string_view name;
  bool (*get)(const NDIS_TASK_IPSEC&, const SENDPATH_TASK_IPSEC_EXTENSION&);
  void (*set)(NDIS_TASK_IPSEC&, SENDPATH_TASK_IPSEC_EXTENSION&);
};

#define SENDPATH_TASK_FIELD(NAME, FIELD)                                                              \
  CapabilityEntry {                                                                                   \
    NAME, [](const NDIS_TASK_IPSEC& t, const SENDPATH_TASK_IPSEC_EXTENSION&) { return t.FIELD != 0; }, \
        [](NDIS_TASK_IPSEC& t, SENDPATH_TASK_IPSEC_EXTENSION&) { t.FIELD = 1; }                       \
  }
#define SENDPATH_EXTENSION_BIT(NAME, FIELD, BIT)                                                       \
  CapabilityEntry {                                                                                    \
    NAME, [](const NDIS_TASK_IPSEC&, const SENDPATH_TASK_IPSEC_EXTENSION& e) { return (e.FIELD & (BIT)) != 0; }, \
        [](NDIS_TASK_IPSEC&, SENDPATH_TASK_IPSEC_EXTENSION& e) { e.FIELD |= (BIT); }                   \
  }

#define SENDPATH_TASK_BIT(NAME, FIELD, BIT)                                                           \
  CapabilityEntry {                                                                                   \
    NAME, [](const NDIS_TASK_IPSEC& t, const SENDPATH_TASK_IPSEC_EXTENSION&) { return (t.FIELD & (BIT)) != 0; }, \
        [](NDIS_TASK_IPSEC& t, SENDPATH_TASK_IPSEC_EXTENSION&) { t.FIELD |= (BIT); }                  \
  }

// The order of vectors/README.md.
const std::array kCapabilities = {
    SENDPATH_TASK_FIELD("Supported.AH_ESP_COMBINED", Supported.AH_ESP_COMBINED),
    SENDPATH_TASK_FIELD("Supported.TRANSPORT_TUNNEL_COMBINED", Supported.TRANSPORT_TUNNEL_COMBINED),
    SENDPATH_TASK_FIELD("Supported.V4_OPTIONS", Supported.V4_OPTIONS),
    // Supported.RESERVED: the UDP-ESP subtypes (ndis.h l.1285 [S18]); the IKE flags are reserved.
    SENDPATH_TASK_BIT("Supported.IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER", Supported.RESERVED, IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER),
    SENDPATH_TASK_BIT("Supported.IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER", Supported.RESERVED, IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER),
    SENDPATH_TASK_BIT("Supported.IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER", Supported.RESERVED,
                      IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER),
    SENDPATH_TASK_BIT("Supported.IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER", Supported.RESERVED,
                      IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER),
    SENDPATH_TASK_FIELD("V4AH.MD5", V4AH.MD5),
    SENDPATH_TASK_FIELD("V4AH.SHA_1", V4AH.SHA_1),
    SENDPATH_TASK_FIELD("V4AH.Transport", V4AH.Transport),
    SENDPATH_TASK_FIELD("V4AH.Tunnel", V4AH.Tunnel),
    SENDPATH_TASK_FIELD("V4AH.Send", V4AH.Send),
    SENDPATH_TASK_FIELD("V4AH.Receive", V4AH.Receive),
    SENDPATH_TASK_FIELD("V4ESP.DES", V4ESP.DES),
    SENDPATH_TASK_FIELD("V4ESP.TRIPLE_DES", V4ESP.TRIPLE_DES),
    SENDPATH_TASK_FIELD("V4ESP.NULL_ESP", V4ESP.NULL_ESP),
    SENDPATH_TASK_FIELD("V4ESP.Transport", V4ESP.Transport),
    SENDPATH_TASK_FIELD("V4ESP.Tunnel", V4ESP.Tunnel),
    SENDPATH_TASK_FIELD("V4ESP.Send", V4ESP.Send),
    SENDPATH_TASK_FIELD("V4ESP.Receive", V4ESP.Receive),
    SENDPATH_EXTENSION_BIT("V2.AUTHENTICATION_SHA_256", AuthenticationAlgorithms, IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256),
    SENDPATH_EXTENSION_BIT("V2.AUTHENTICATION_AES_GCM_128", AuthenticationAlgorithms,
                           IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128),
    SENDPATH_EXTENSION_BIT("V2.AUTHENTICATION_AES_GCM_192", AuthenticationAlgorithms,
                           IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192),
    SENDPATH_EXTENSION_BIT("V2.AUTHENTICATION_AES_GCM_256", AuthenticationAlgorithms,
                           IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256),
    SENDPATH_EXTENSION_BIT("V2.ENCRYPTION_AES_GCM_128", EncryptionAlgorithms, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128),
    SENDPATH_EXTENSION_BIT("V2.ENCRYPTION_AES_GCM_192", EncryptionAlgorithms, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192),
    SENDPATH_EXTENSION_BIT("V2.ENCRYPTION_AES_GCM_256", EncryptionAlgorithms, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256),
    SENDPATH_EXTENSION_BIT("V2.ENCRYPTION_AES_CBC_128", EncryptionAlgorithms, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128),
    SENDPATH_EXTENSION_BIT("V2.ENCRYPTION_AES_CBC_192", EncryptionAlgorithms, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192),
    SENDPATH_EXTENSION_BIT("V2.ENCRYPTION_AES_CBC_256", EncryptionAlgorithms, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256),
    SENDPATH_EXTENSION_BIT("Extension.ESN", Flags, SENDPATH_EXT_ESN),
    SENDPATH_EXTENSION_BIT("Extension.ENCRYPTION_ONLY_ESP", Flags, SENDPATH_EXT_ENCRYPTION_ONLY_ESP),
    SENDPATH_EXTENSION_BIT("Extension.KEYMAT_INTEGRITY_FIRST", Flags, SENDPATH_EXT_KEYMAT_INTEGRITY_FIRST),
};

#undef SENDPATH_TASK_FIELD
#undef SENDPATH_TASK_BIT
#undef SENDPATH_EXTENSION_BIT

const CapabilityEntry* FindCapability(std::string_view name) {
  const auto it = std::find_if(kCapabilities.begin(), kCapabilities.end(),
                               [name](const CapabilityEntry& entry) { return entry.name == name; });
  return it == kCapabilities.end() ? nullptr : &*it;
}

// The vector names of a table's rows (include/sendpath/algorithms.def).
template <typename Rows>
std::vector<std::string> Names(const Rows& rows) {
  std::vector<std::string> names;
  for (const auto& row : rows) names.emplace_back(row.name);
  return names;
}

}  // namespace

bool IsCapabilityName(std::string_view name) { return FindCapability(name) != nullptr; }

bool SetCapability(NDIS_TASK_IPSEC& task, SENDPATH_TASK_IPSEC_EXTENSION& extension, std::string_view name) {
  const CapabilityEntry* entry = FindCapability(name);
  if (entry == nullptr) return false;
  entry->set(task, extension);
  return true;
}

bool HasCapability(const NDIS_TASK_IPSEC& task, const SENDPATH_TASK_IPSEC_EXTENSION& extension,
                   std::string_view name) {
  const CapabilityEntry* entry = FindCapability(name);
  return entry != nullptr && entry->get(task, extension);
}

std::vector<std::string> CapabilityNames(const NDIS_TASK_IPSEC& task, const SENDPATH_TASK_IPSEC_EXTENSION& extension) {
  std::vector<std::string> names;
  for (const CapabilityEntry& entry : kCapabilities) {
    if (entry.get(task, extension)) names.emplace_back(entry.name);
  }
  return names;
}

const std::vector<std::string>& AllCapabilityNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const CapabilityEntry& entry : kCapabilities) out.emplace_back(entry.name);
    return out;
  }();
  return names;
}

std::vector<std::string> MissingCapabilities(const std::vector<std::string>& required,
                                             const std::vector<std::string>& reported) {
  std::vector<std::string> missing;
  for (const std::string& name : required) {
    const bool known = IsCapabilityName(name);
    if (!known || std::find(reported.begin(), reported.end(), name) == reported.end()) missing.push_back(name);
  }
  return missing;
}

std::vector<std::string> MissingCapabilities(const std::vector<std::string>& required, const NDIS_TASK_IPSEC& task,
                                             const SENDPATH_TASK_IPSEC_EXTENSION& extension) {
  std::vector<std::string> missing;
  for (const std::string& name : required) {
    if (!HasCapability(task, extension, name)) missing.push_back(name);
  }
  return missing;
}

std::optional<ULONG> ConfAlgorithmId(std::string_view name) {
  const table::ConfAlgorithm* row = table::FindConf(name);
  return row != nullptr ? std::optional<ULONG>(row->identifier) : std::nullopt;
}
std::optional<ULONG> IntegrityAlgorithmId(std::string_view name) {
  const table::IntegrityAlgorithm* row = table::FindIntegrity(name);
  return row != nullptr ? std::optional<ULONG>(row->identifier) : std::nullopt;
}
std::string_view ConfAlgorithmName(ULONG identifier) {
  const table::ConfAlgorithm* row = table::FindConf(identifier);
  return row != nullptr ? row->name : std::string_view{};
}
std::string_view IntegrityAlgorithmName(ULONG identifier) {
  const table::IntegrityAlgorithm* row = table::FindIntegrity(identifier);
  return row != nullptr ? row->name : std::string_view{};
}

const std::vector<std::string>& ConfAlgorithmNames() {
  static const std::vector<std::string> names = Names(table::kConfAlgorithms);
  return names;
}

const std::vector<std::string>& IntegrityAlgorithmNames() {
  static const std::vector<std::string> names = Names(table::kIntegrityAlgorithms);
  return names;
}

std::optional<NDIS_STATUS> StatusFromName(std::string_view name) {
  const table::NdisStatus* row = table::FindStatus(name);
  return row != nullptr ? std::optional<NDIS_STATUS>(row->value) : std::nullopt;
}

std::string_view StatusName(NDIS_STATUS status) {
  const table::NdisStatus* row = table::FindStatus(status);
  return row != nullptr ? row->name : std::string_view{};
}

const std::vector<std::string>& StatusNames() {
  static const std::vector<std::string> names = Names(table::kNdisStatuses);
  return names;
}

std::string_view EncapsulationName(Encapsulation encapsulation) {
  return encapsulation == Encapsulation::kIeee8023 ? "ieee802.3" : "null";
}

}  // namespace sendpath::vectors
