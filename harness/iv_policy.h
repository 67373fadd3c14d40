// IV policy: what the harness checks about the IVs a candidate wrote. Within a vector, an IV the
// candidate chose that repeats one drawn earlier under the same SA; across the run, the CBC IVs it
// chose (predictable: constant, counter, repeated) and AES-GCM/GMAC nonces reused across SAs
// with the same key. IVs the vector injected are the vector's, not the candidate's: they are only
// remembered, so that a candidate's later repeat of one is seen.
#pragma once

#include "harness/judge.h"

#include <reports/run_result.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sendpath::harness {

// One IV a candidate wrote, and the step of its vector that wrote it.
struct IvSighting {
  std::size_t step = 0;
  IvUse use;
};

// The IVs written during one vector, in step order.
struct VectorIvs {
  std::vector<IvSighting> sightings;
  bool picked_own_ivs = false;  // some send was judged by decrypt-and-compare
};

// Every IV drawn under each SA of one vector (the NIC is fresh per vector, so an SA lives
// within its vector).
class SaIvLedger {
 public:
  // Records `use` at `step`; when its IV was drawn before under the same SA, the step that drew
  // it first.
  std::optional<std::size_t> Record(const IvUse& use, std::size_t step);

 private:
  std::map<std::string, std::map<Bytes, std::size_t>> seen_;  // SA -> IV -> step that first drew it
};

// "IV <hex> repeated under SA <name>: ..." with the rule it breaks.
std::string RepeatedIvText(const IvUse& use, std::size_t first_step, std::size_t step);

// The run-wide IV notes, in vector order (the same for any --jobs). `ivs[i]` and `results[i]`
// belong to the same vector.
std::vector<std::string> RunWideIvNotes(const std::vector<VectorIvs>& ivs,
                                        const std::vector<report::VectorResult>& results);

// The run-wide CBC IV findings (exposed for tests): a note per problem found among the IVs a
// candidate chose itself for CBC SAs (constant, counter, repeated).
std::vector<std::string> CbcIvFindings(const std::vector<Bytes>& ivs_in_run_order);

}  // namespace sendpath::harness
