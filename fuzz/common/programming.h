// Turns a Script's Setup into what the transport hands a miniport — the OID_TCP_TASK_OFFLOAD set
// and one OID_TCP_TASK_IPSEC_ADD_SA request per SA (vectors::BuildAddSaRequest) — plus what the
// fuzz targets need beside it: each SA's framing facts and its vectors::SaSpec for the receive
// check (reports/receive_check.h), and the IVs a send is given.
#pragma once

#include "fuzz/common/framing.h"
#include "fuzz/common/script.h"

#include <reference_nic/reference_nic.h>
#include <reports/sa_keys.h>
#include <sendpath/ndis51.h>
#include <vectors/loader/vector_loader.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace sendpath::fuzz {

struct Programming {
  NDIS_ENCAPSULATION_FORMAT encapsulation{};
  nic::Capabilities enable;                     // what the set enables
  std::vector<vectors::SaSpec> specs;           // one per SaDef, named "sa<N>"
  std::vector<vectors::AddSaRequest> requests;  // the ADD_SA (UDP-ESP SAs: ADD_UDPESP_SA, NULL entry) buffers
  std::vector<SaFraming> framing;
  std::vector<SaDef> sas;                       // what each spec was made from (CheckTables' key)
};

// `reported` is what the NIC(s) report; the set enables all of it but the Setup's left-out
// capabilities.
Programming Program(const Setup& setup, const nic::Capabilities& reported);

// The SaSpec of one SaDef (keys derived from `index`).
vectors::SaSpec MakeSaSpec(const SaDef& sa, std::size_t index);
std::string SaName(std::size_t index);

// Receive-side SA tables per (outer SA, inner SA) pair, built on first use: the keys of exactly
// the SAs a send was processed with. Tables depend only on the two SAs (their SaDefs and indices,
// from which the keys are derived), so one CheckTables serves every Programming: building a
// table's OpenSSL state costs more than a send, and most new Setups share their SAs with old ones.
class CheckTables {
 public:
  // nullptr when the SAs cannot be described to the receive check (an algorithm it refuses).
  report::SaTable* Get(const Programming& programming, std::size_t outer, std::size_t inner);

 private:
  struct Key {
    SaDef outer_sa, inner_sa;
    std::size_t outer = 0, inner = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };
  static constexpr std::size_t kLimit = 1 << 12;  // tables kept before all are dropped
  std::unordered_map<Key, std::unique_ptr<report::SaTable>, KeyHash> tables_;  // nullptr: refused
};

// The IV for one request: a function of the script's seed, the send, the SA and the bundle
// element, so every NIC asking for the same IV gets the same bytes whatever order it asks in.
void DeriveIv(std::uint32_t seed, std::size_t send, std::size_t sa, unsigned element, std::span<std::uint8_t> iv);

// A HANDLE value no NIC returned: distinct from every handle in `issued` and from 0.
NDIS_HANDLE NeverIssuedHandle(std::span<const NDIS_HANDLE> issued);

// The SA a HandleRef names, when it names one of the `sa_count` SAs.
bool SaIndexOf(const HandleRef& ref, std::size_t sa_count, std::size_t& index);

// The EncapTypeEntryOffldHandle SA `sa`'s OID_TCP_TASK_IPSEC_ADD_UDPESP_SA passes (UdpEspSetup::
// parser_entry): NULL, the entry an earlier SA got back (`entries`, NULL when it got none), or
// `never_issued`. An outbound SA's entry is NULL (the NIC ignores it [S15a]).
NDIS_HANDLE ParserEntryFor(const Setup& setup, std::size_t sa, std::span<const NDIS_HANDLE> entries, NDIS_HANDLE never_issued);

}  // namespace sendpath::fuzz
