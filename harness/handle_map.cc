#include "harness/handle_map.h"

#include <cstdint>

namespace sendpath::harness {

NDIS_HANDLE HandleMap::NeverIssued() const {
  auto value = static_cast<std::uintptr_t>(UINTPTR_MAX == 0xFFFFFFFFu ? 0x5E9D0001u : 0x5E9D5E9D00000001ull);
  while (issued_.count(reinterpret_cast<NDIS_HANDLE>(value)) != 0) ++value;
  return reinterpret_cast<NDIS_HANDLE>(value);
}

NDIS_HANDLE HandleMap::Resolve(const vectors::HandleRef& ref) const {
  switch (ref.kind) {
    case vectors::HandleRef::Kind::kZero: return nullptr;
    case vectors::HandleRef::Kind::kNeverIssued: return NeverIssued();
    case vectors::HandleRef::Kind::kSa: {
      const auto found = handles_.find(ref.sa);
      return found != handles_.end() ? found->second : NeverIssued();  // an SA that was never added
    }
  }
  return nullptr;
}

NDIS_HANDLE HandleMap::ResolveParserEntry(const vectors::HandleRef& ref) const {
  if (ref.kind != vectors::HandleRef::Kind::kSa) return Resolve(ref);
  const auto found = parser_entries_.find(ref.sa);
  return found != parser_entries_.end() ? found->second : NeverIssued();
}

void HandleMap::RememberParserEntry(const std::string& sa, NDIS_HANDLE parser_entry) {
  if (parser_entry == nullptr) return;  // an outbound add: no entry
  parser_entries_[sa] = parser_entry;
  issued_.insert(parser_entry);
}

const NDIS_HANDLE* HandleMap::Find(const std::string& sa) const {
  const auto found = handles_.find(sa);
  return found != handles_.end() ? &found->second : nullptr;
}

void HandleMap::Remember(const std::string& sa, NDIS_HANDLE handle) {
  handles_[sa] = handle;
  issued_.insert(handle);
}

}  // namespace sendpath::harness
