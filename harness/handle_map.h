// Handle mapping for one vector: the SA names of the vector mapped to the OffloadHandles the
// candidate returned for them, and the literal handles 0 and never_issued (vectors/README.md).
#pragma once

#include <sendpath/ndis51.h>
#include <vectors/loader/vector_model.h>

#include <map>
#include <set>
#include <string>

namespace sendpath::harness {

class HandleMap {
 public:
  // The handle a vector's handle reference stands for: 0, a handle the candidate never returned,
  // or the handle returned for the named SA (never_issued for an SA that was never added).
  NDIS_HANDLE Resolve(const vectors::HandleRef& ref) const;
  // A HANDLE the candidate never returned ("never_issued").
  NDIS_HANDLE NeverIssued() const;
  // The handle the candidate returned for `sa`, or nullptr when none was returned.
  const NDIS_HANDLE* Find(const std::string& sa) const;
  // OID_TCP_TASK_IPSEC_ADD_SA for `sa` succeeded with `handle` (a later one replaces it).
  void Remember(const std::string& sa, NDIS_HANDLE handle);
  // EncapTypeEntryOffldHandle: the parser entry the add of UDP-ESP SA `sa` returned, 0 or
  // never_issued, as `ref` says (the entry of an SA whose add returned none is never_issued).
  NDIS_HANDLE ResolveParserEntry(const vectors::HandleRef& ref) const;
  void RememberParserEntry(const std::string& sa, NDIS_HANDLE parser_entry);

 private:
  std::map<std::string, NDIS_HANDLE> handles_;
  std::map<std::string, NDIS_HANDLE> parser_entries_;
  std::set<NDIS_HANDLE> issued_;
};

}  // namespace sendpath::harness
