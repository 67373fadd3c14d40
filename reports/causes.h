// Proven causes: why a candidate's frame differs from the expected one. A cause is named only
// when recomputing the send with that one mistake (reports/reseal.h) reproduces the candidate's
// frame byte for byte; otherwise the cause is `unexplained`, with what differs. The ids are
// stable (expectations are written against them); reports/RESULTS.md lists them.
#pragma once

#include "reports/pcap_io.h"
#include "reports/run_result.h"
#include "reports/sa_keys.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace sendpath::report {

struct CauseQuery {
  std::span<const std::uint8_t> input;     // the step's frame as the transport framed it
  std::span<const std::uint8_t> expected;  // the vector's expected frame
  std::span<const std::uint8_t> actual;    // the candidate's frame
  LinkType link = LinkType::kRawIp;
  SaTable& sas;                   // the SAs the send names: the expected frame is checked with them
  SaTable* vector_sas = nullptr;  // every SA of the vector, for `wrong-sa` (nullptr: not tried)
  // The candidate picked its own IVs: the reseal uses them (read from its frame, decrypted where
  // they sit inside a tunnel), so both IV modes prove the same causes.
  bool own_ivs = false;
};

// The cause whose recomputation reproduces the candidate's whole frame; nullopt when none does
// (or the frames cannot be compared: lengths differ, the expected frame does not check). Among
// several deviations giving the same bytes the simplest is named and the others mentioned.
std::optional<Cause> FindCause(const CauseQuery& query);

// `unexplained`: "<what differs>; no known cause matched".
Cause UnexplainedCause(const std::string& what_differs);
// A status failure: a frame or success on a send the vector refuses, quoting the rule.
Cause AcceptedMustRefuse(const std::string& what, const std::string& rule);
// A refusal of a send the vector accepts, quoting what the step tests.
Cause RefusedMustAccept(const std::string& what, const std::string& tests);

}  // namespace sendpath::report
