// Scheduling: the vectors shared among --jobs N workers, each with its own candidate (N
// processes for live kinds). A worker starts its candidate (again after a candidate error), skips
// the vectors whose capabilities the candidate does not claim, resets it before each vector and
// hands the vector to a StepExecutor. Results land in vector order, so they do not depend on N.
#pragma once

#include "harness/candidate.h"
#include "harness/iv_policy.h"
#include "harness/runner.h"

#include <reports/run_result.h>

#include <optional>
#include <string>
#include <vector>

namespace sendpath::harness {

struct ScheduledRun {
  std::vector<report::VectorResult> vectors;  // one per selected vector, in selection order
  std::vector<VectorIvs> ivs;                 // the IVs each vector's sends wrote (empty if abandoned)
  bool interrupted = false;                   // some vector was abandoned or not run
  bool any_started = false;                   // some job started the candidate
  std::string first_start_error;
  std::optional<CandidateIdentity> identity;  // of the first candidate that started
  std::optional<Capabilities> capabilities;
};

ScheduledRun RunScheduled(const std::vector<SelectedVector>& selected, const CandidateFactory& factory,
                          const RunOptions& options);

}  // namespace sendpath::harness
