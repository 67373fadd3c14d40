#include "fuzz/common/programming.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace sendpath::fuzz {
namespace {

// An IPv4 address in network byte order, as OFFLOAD_IPSEC_ADD_SA holds it.
IPAddr NetworkOrder(std::uint32_t host) {
  const std::uint8_t bytes[4] = {static_cast<std::uint8_t>(host >> 24), static_cast<std::uint8_t>(host >> 16),
                                 static_cast<std::uint8_t>(host >> 8), static_cast<std::uint8_t>(host)};
  IPAddr address;
  std::memcpy(&address, bytes, sizeof address);
  return address;
}

vectors::Bytes Key(std::size_t length, std::size_t sa, unsigned salt) {
  vectors::Bytes key(length);
  for (std::size_t i = 0; i < length; ++i) key[i] = static_cast<std::uint8_t>(sa * 37 + i * 11 + salt);
  return key;
}

std::optional<vectors::AlgorithmSpec> Algorithm(const AlgorithmChoice& choice, std::optional<ULONG> identifier,
                                                std::size_t sa, unsigned salt) {
  vectors::AlgorithmSpec spec;
  spec.name = choice.name;
  spec.identifier = identifier.value_or(0);
  spec.key = Key(choice.key_length, sa, salt);
  return spec;
}

std::uint32_t TunnelSrc(std::size_t index) { return 0xcb007100u + 10 + static_cast<std::uint32_t>(index); }  // 203.0.113.x
std::uint32_t TunnelDst(std::size_t index) { return 0xcb007100u + 100 + static_cast<std::uint32_t>(index); }

std::uint64_t SplitMix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

std::string SaName(std::size_t index) { return "sa" + std::to_string(index); }

vectors::SaSpec MakeSaSpec(const SaDef& sa, std::size_t index) {
  vectors::SaSpec spec;
  spec.name = SaName(index);
  spec.pointer = "/sas/" + spec.name;
  spec.flags = sa.inbound ? OFFLOAD_INBOUND_SA : OFFLOAD_OUTBOUND_SA;
  spec.src_addr = NetworkOrder(0xc0000201);  // 192.0.2.1 -> 198.51.100.7, any protocol and port
  spec.src_mask = 0xffffffffu;
  spec.dest_addr = NetworkOrder(0xc6336407);
  spec.dest_mask = 0xffffffffu;
  if (sa.tunnel) {
    spec.src_tunnel_addr = NetworkOrder(TunnelSrc(index));
    spec.dest_tunnel_addr = NetworkOrder(TunnelDst(index));
  }
  spec.key_order = sa.integrity_first ? vectors::KeyOrder::kIntegrityFirst : vectors::KeyOrder::kConfFirst;
  const std::optional<ULONG> esn_high = sa.esn ? std::optional<ULONG>(sa.esn_high) : std::nullopt;
  if (sa.shape != SaShape::kAh) {
    vectors::SecAssocSpec esp;
    esp.operation = ENCRYPT;
    esp.raw_operation = ENCRYPT;
    esp.spi = sa.esp_spi;
    const AlgorithmChoice& conf = kConfChoices[sa.conf % kConfChoices.size()];
    const AlgorithmChoice& integrity = kIntegrityChoices[sa.esp_integrity % kIntegrityChoices.size()];
    esp.conf = Algorithm(conf, vectors::ConfAlgorithmId(conf.name), index, 1);
    if (std::string_view(integrity.name) != "NONE") {
      esp.integrity = Algorithm(integrity, vectors::IntegrityAlgorithmId(integrity.name), index, 2);
    }
    esp.esn_high = esn_high;
    spec.bundle.push_back(std::move(esp));
  }
  if (sa.shape != SaShape::kEsp) {
    vectors::SecAssocSpec ah;
    ah.operation = AUTHENTICATE;
    ah.raw_operation = AUTHENTICATE;
    ah.spi = sa.ah_spi;
    const AlgorithmChoice& integrity = kIntegrityChoices[sa.ah_integrity % kIntegrityChoices.size()];
    if (std::string_view(integrity.name) != "NONE") {
      ah.integrity = Algorithm(integrity, vectors::IntegrityAlgorithmId(integrity.name), index, 3);
    }
    ah.esn_high = esn_high;
    spec.bundle.push_back(std::move(ah));
  }
  return spec;
}

namespace {

// What one SaDef programs, apart from the NIC: its request, its receive-side spec and its framing.
struct SaProgramming {
  vectors::SaSpec spec;
  vectors::AddSaRequest request;
  SaFraming framing;
};

SaProgramming ProgramSa(const SaDef& sa, std::size_t index) {
  SaProgramming result;
  result.spec = MakeSaSpec(sa, index);
  result.request = vectors::BuildAddSaRequest(result.spec);
  SaFraming& framing = result.framing;
  framing.shape = sa.shape;
  framing.esp_spi = sa.esp_spi;
  framing.ah_spi = sa.ah_spi;
  framing.tunnel = sa.tunnel;
  if (sa.tunnel) {
    framing.tunnel_src = TunnelSrc(index);
    framing.tunnel_dst = TunnelDst(index);
  }
  // The lengths come from the receive side's SA model; an SA it cannot describe (the NIC will
  // refuse it too) is framed as AES-CBC with a 12-byte ICV.
  framing.esp_iv = 16;
  framing.esp_icv = 12;
  framing.esp_alignment = 16;
  for (std::size_t element = 0; element < result.spec.bundle.size(); ++element) {
    auto keys = report::MakeSaKeys(result.spec.name, result.spec, element);
    if (!keys) continue;
    if (keys.value().protocol == report::IpsecProtocol::kEsp) {
      framing.esp_iv = keys.value().IvLength();
      framing.esp_icv = keys.value().IcvLength();
      framing.esp_alignment = keys.value().Alignment();
    } else {
      framing.ah_iv = keys.value().IvLength();
      framing.ah_icv = keys.value().IcvLength();
    }
  }
  return result;
}

struct SaKey {
  SaDef sa;
  std::size_t index;
  bool operator==(const SaKey&) const = default;
};

struct SaKeyHash {
  std::size_t operator()(const SaKey& key) const {
    const SaDef& sa = key.sa;
    std::uint64_t h = key.index;
    for (const std::uint64_t part :
         {std::uint64_t{static_cast<std::uint8_t>(sa.shape)}, std::uint64_t{sa.conf}, std::uint64_t{sa.esp_integrity},
          std::uint64_t{sa.ah_integrity},
          std::uint64_t{sa.tunnel} | std::uint64_t{sa.inbound} << 1 | std::uint64_t{sa.integrity_first} << 2 |
              std::uint64_t{sa.esn} << 3 | std::uint64_t{sa.deleted} << 4,
          std::uint64_t{sa.esn_high}, std::uint64_t{sa.esp_spi}, std::uint64_t{sa.ah_spi}}) {
      h = (h ^ part) * 0x100000001b3ull;
    }
    return static_cast<std::size_t>(h);
  }
};

// Program runs for every Setup a fuzz target has not seen (about one input in five under the
// script mutator), and most new Setups differ from an old one in a single SA or capability:
// what an SaDef programs and what a left-out set enables are kept. Not thread-safe; the fuzz
// targets and tools are single-threaded.
class ProgrammingMemo {
 public:
  const SaProgramming& Sa(const SaDef& sa, std::size_t index) {
    if (sas_.size() > kLimit) sas_.clear();
    const SaKey key{sa, index};
    auto found = sas_.find(key);
    if (found == sas_.end()) found = sas_.emplace(key, ProgramSa(sa, index)).first;
    return found->second;
  }

  const nic::Capabilities& Enable(std::span<const std::uint8_t> disabled, const nic::Capabilities& reported) {
    if (std::memcmp(&reported_, &reported, sizeof reported) != 0 || enables_.size() > kLimit) {
      reported_ = reported;
      enables_.clear();
    }
    const auto& names = vectors::AllCapabilityNames();
    std::vector<std::uint8_t> left_out;
    for (const std::uint8_t index : disabled) left_out.push_back(static_cast<std::uint8_t>(index % names.size()));
    std::sort(left_out.begin(), left_out.end());
    left_out.erase(std::unique(left_out.begin(), left_out.end()), left_out.end());
    auto found = enables_.find(left_out);
    if (found != enables_.end()) return found->second;
    nic::Capabilities enable;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!std::binary_search(left_out.begin(), left_out.end(), i) &&
          vectors::HasCapability(reported.task, reported.extension, names[i])) {
        vectors::SetCapability(enable.task, enable.extension, names[i]);
      }
    }
    return enables_.emplace(std::move(left_out), enable).first->second;
  }

 private:
  static constexpr std::size_t kLimit = 1 << 14;
  std::unordered_map<SaKey, SaProgramming, SaKeyHash> sas_;
  std::map<std::vector<std::uint8_t>, nic::Capabilities> enables_;
  nic::Capabilities reported_{};
};

}  // namespace

Programming Program(const Setup& setup, const nic::Capabilities& reported) {
  static ProgrammingMemo memo;
  Programming programming;
  programming.encapsulation.Encapsulation = setup.ethernet ? IEEE_802_3_Encapsulation : NULL_Encapsulation;
  programming.encapsulation.Flags.FixedHeaderSize = 1;
  programming.encapsulation.EncapsulationHeaderSize = setup.ethernet ? 14 : 0;
  programming.enable = memo.Enable({setup.disabled.data(), setup.disabled.size()}, reported);
  programming.specs.reserve(setup.sas.size());
  programming.requests.reserve(setup.sas.size());
  programming.framing.reserve(setup.sas.size());
  programming.sas.reserve(setup.sas.size());
  for (std::size_t i = 0; i < setup.sas.size(); ++i) {
    const SaProgramming& sa = memo.Sa(setup.sas[i], i);
    programming.specs.push_back(sa.spec);
    programming.requests.push_back(sa.request);
    programming.framing.push_back(sa.framing);
    programming.sas.push_back(setup.sas[i]);
    if (setup.udp.UdpEsp(i)) {
      // OID_TCP_TASK_IPSEC_ADD_UDPESP_SA, OTHER on port 4500; the request's parser entry is
      // NULL here, a target that names one rebuilds it with the NIC's handle (AddUdpEspRequest).
      programming.specs.back().udp_esp = vectors::UdpEspSpec{};
      programming.requests.back() = vectors::BuildAddUdpEspSaRequest(programming.specs.back(), nullptr);
      programming.framing.back().udp_esp = true;
    }
  }
  return programming;
}

std::size_t CheckTables::KeyHash::operator()(const Key& key) const {
  return SaKeyHash{}(SaKey{key.outer_sa, key.outer}) * 31 + SaKeyHash{}(SaKey{key.inner_sa, key.inner});
}

report::SaTable* CheckTables::Get(const Programming& programming, std::size_t outer, std::size_t inner) {
  Key key;
  key.outer = outer;
  key.inner = inner;
  if (outer < programming.sas.size()) key.outer_sa = programming.sas[outer];
  if (inner < programming.sas.size()) key.inner_sa = programming.sas[inner];
  if (const auto found = tables_.find(key); found != tables_.end()) return found->second.get();
  if (tables_.size() >= kLimit) tables_.clear();
  std::map<std::string, vectors::SaSpec> specs;
  for (std::size_t index : {outer, inner}) {
    if (index < programming.specs.size()) specs.emplace(programming.specs[index].name, programming.specs[index]);
  }
  auto table = report::SaTable::FromSaSpecs(specs, "fuzz");
  auto& slot = tables_[key];
  if (table) slot = std::make_unique<report::SaTable>(std::move(table).value());
  return slot.get();
}

void DeriveIv(std::uint32_t seed, std::size_t send, std::size_t sa, unsigned element, std::span<std::uint8_t> iv) {
  std::uint64_t state = (std::uint64_t{seed} << 32) ^ (std::uint64_t{send} << 16) ^ (std::uint64_t{sa} << 4) ^ element;
  for (std::size_t i = 0; i < iv.size(); i += 8) {
    const std::uint64_t word = SplitMix(state);
    for (std::size_t j = 0; j < 8 && i + j < iv.size(); ++j) iv[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
}

NDIS_HANDLE NeverIssuedHandle(std::span<const NDIS_HANDLE> issued) {
  std::uintptr_t value = 0x5e7d0001;
  const auto taken = [&](std::uintptr_t candidate) {
    return std::any_of(issued.begin(), issued.end(),
                       [&](NDIS_HANDLE handle) { return reinterpret_cast<std::uintptr_t>(handle) == candidate; });
  };
  while (taken(value)) value += 0x10;
  return reinterpret_cast<NDIS_HANDLE>(value);
}

NDIS_HANDLE ParserEntryFor(const Setup& setup, std::size_t sa, std::span<const NDIS_HANDLE> entries, NDIS_HANDLE never_issued) {
  if (sa >= setup.sas.size() || sa >= kMaxSas || !setup.sas[sa].inbound) return nullptr;
  const std::uint8_t ref = setup.udp.parser_entry[sa];
  if (ref == kParserEntryNull) return nullptr;
  if (ref >= kParserEntryNeverIssued) return never_issued;
  const std::size_t other = ref - 1u;
  return other < entries.size() && other != sa ? entries[other] : never_issued;
}

bool SaIndexOf(const HandleRef& ref, std::size_t sa_count, std::size_t& index) {
  if (ref.kind != HandleKind::kSa || ref.sa >= sa_count) return false;
  index = ref.sa;
  return true;
}

}  // namespace sendpath::fuzz
