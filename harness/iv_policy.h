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
#include <memory>
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

// A fixed difference between consecutive IVs of one length, in either byte order.
struct IvCounter {
  Bytes increment;
  bool little_endian = false;
};
// The counter `ivs` form: at least 3 IVs of one length, each the one before plus the same non-zero
// increment, read big-endian or little-endian (modulo 2^(8 * length)). nullopt otherwise.
std::optional<IvCounter> CounterOf(const std::vector<Bytes>& ivs);

// The run-wide IV findings, in vector order (the same for any --jobs); `ivs[i]` and `results[i]`
// belong to the same vector. Only IVs the candidate chose itself are judged:
//  - under one SA: an AES-GCM/GMAC or CBC IV repeating an earlier one (kIvRepeatedUnderSa);
//    CBC IVs that are all the same (kCbcIvConstant) or form a counter (kCbcIvCounter);
//  - across the run's SAs, CBC IVs of one length (DES/3DES 8 bytes, AES 16): all the same, a
//    counter, or one IV chosen under two SAs (kCbcIvRepeatedAcrossSas); an AES-GCM/GMAC nonce
//    (key, salt and IV) under two SAs (kAeadNonceReuseAcrossSas).
// Every one is a MUST: RFC 3602 section 3 (CBC IVs random and unpredictable), RFC 4106 / RFC 4543
// section 3.1 (an AES-GCM/GMAC IV never repeats under one key). Counters are legal for
// AES-GCM/GMAC and are not findings.
std::vector<report::RunFinding> RunWideIvFindings(const std::vector<VectorIvs>& ivs,
                                                  const std::vector<report::VectorResult>& results);

// The same checks fed one vector at a time, in vector order (a streamed run): the findings under
// one SA are made as each vector arrives; only the IVs the candidate chose (CBC IVs by length,
// AES-GCM/GMAC nonces) stay for the checks across SAs, so a run whose candidate takes the
// injected IVs keeps nothing.
class RunWideIvChecker {
 public:
  RunWideIvChecker();
  ~RunWideIvChecker();
  RunWideIvChecker(const RunWideIvChecker&) = delete;
  RunWideIvChecker& operator=(const RunWideIvChecker&) = delete;
  void Add(const std::string& vector_id, const VectorIvs& ivs);
  // Every finding, in the order RunWideIvFindings gives them.
  std::vector<report::RunFinding> Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sendpath::harness
