// Runs vectors against a candidate: a fresh NIC per vector (reset, or a restarted process after
// a candidate error), a verdict per step and per vector, and the run-wide IV checks. The parts:
// scheduler.h (--jobs N: N candidates share the vectors; results in vector order, so they do not
// depend on N), step_executor.h (one vector's steps), handle_map.h (SA names to the candidate's
// handles, 0 and never_issued), shadow_reference.h (the rule behind an expected refusal) and
// iv_policy.h (IV reuse and predictability).
#pragma once

#include "harness/candidate.h"

#include <reports/run_result.h>
#include <vectors/loader/vector_model.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace sendpath::harness {

struct RunOptions {
  std::size_t jobs = 1;
  std::vector<std::string> filters;  // globs on vector ids (fnmatch, '*' crosses '/'); empty: all
  // Called after each vector (from worker threads, serialised): vectors done, vectors in total
  // (0 when the total is not known: a streamed run).
  std::function<void(std::size_t, std::size_t)> progress;
  // A candidate that fails to start this many times in a row is not tried again by that job.
  std::size_t max_start_failures = 3;
  // Set (e.g. by SIGINT) to stop taking new vectors; the rest are reported as skipped.
  const std::atomic<bool>* stop = nullptr;
};

// Vectors whose id matches any filter (all when there is none), in suite order.
struct SelectedVector {
  const vectors::VectorFile* file = nullptr;
  const vectors::Vector* vector = nullptr;
};
std::vector<SelectedVector> SelectVectors(const std::vector<vectors::VectorFile>& files,
                                          const std::vector<std::string>& filters);

struct RunOutcome {
  report::RunResult result;  // candidate, vectors, run findings (the caller adds files and times)
  bool interrupted = false;          // stopped before every vector ran
  bool candidate_never_ran = false;  // no job could start the candidate: exit code 3
  std::string candidate_error;       // the first start failure, if any
};

RunOutcome RunVectors(const std::vector<SelectedVector>& selected, const CandidateFactory& factory,
                      const RunOptions& options);

struct ScheduledRun;
// What the run learnt about its candidate (scheduler.h): identity, claimed profile, own IVs.
report::CandidateInfo CandidateInfoOf(const ScheduledRun& run, const std::string& spec);

// Exit code of a finished run: 1 when a MUST vector failed or hit a candidate error, or a MUST
// run-wide finding (a predictable CBC IV sequence, a repeated IV or nonce) was made, else 0.
int ExitCodeOf(const report::RunResult& result);

}  // namespace sendpath::harness
