// Scheduling: the vectors shared among --jobs N workers, each with its own candidate (N
// processes for live kinds). A worker starts its candidate (again after a candidate error), skips
// the vectors whose capabilities the candidate does not claim, resets it before each vector and
// hands the vector to a StepExecutor. Results land in vector order, so they do not depend on N.
#pragma once

#include "harness/candidate.h"
#include "harness/iv_policy.h"
#include "harness/runner.h"

#include <reports/run_result.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sendpath::harness {

// A vector to run: its model and the file it came from (for the notes its flags point to).
// Held by pointer (std::unique_ptr) so `selected` stays valid while the vector runs.
struct ScheduledVector {
  std::shared_ptr<const vectors::VectorFile> file_head;  // owns `selected.file` when streamed
  std::optional<vectors::Vector> owned;                  // owns `selected.vector` when streamed
  SelectedVector selected;
};
// The vectors to run, in order; nullptr after the last. Called by one job at a time.
using VectorSource = std::function<std::unique_ptr<ScheduledVector>()>;
// Each finished (or not run) vector with its result and the IVs its sends wrote (empty if
// abandoned), in source order, one at a time.
using ResultSink = std::function<void(const ScheduledVector&, report::VectorResult&&, VectorIvs&&)>;

struct ScheduledRun {
  std::size_t vectors = 0;     // handed to the sink
  bool interrupted = false;    // some vector was abandoned or not run
  bool any_started = false;    // some job started the candidate
  bool picked_own_ivs = false;  // some vector's sends were judged by decrypt-and-compare
  std::string first_start_error;
  std::optional<CandidateIdentity> identity;  // of the first candidate that started
  std::optional<Capabilities> capabilities;
};

// Runs the source's vectors in options.jobs jobs. Results reach the sink in source order through
// a reorder buffer of a few vectors per job, so the output does not depend on --jobs and memory
// does not depend on the number of vectors. After a stop, the vectors not reached are read from
// the source and handed to the sink as skipped ("not run").
ScheduledRun RunScheduled(const VectorSource& source, const ResultSink& sink, const CandidateFactory& factory,
                          const RunOptions& options);

}  // namespace sendpath::harness
