// Runs vectors against a candidate: a fresh NIC per vector (reset, or a restarted process after
// a candidate error), SA names mapped to the handles the candidate returned, the literal handles
// 0 and never_issued, injected IVs, a verdict per step and per vector, and the run-wide IV checks.
// With --jobs N, N candidates (N processes for live kinds) share the vectors; the results are
// collected in vector order, so they do not depend on N.
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
  // Called after each vector (from worker threads, serialised): vectors done, vectors in total.
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
  report::RunResult result;  // candidate, vectors, run notes (the caller adds files and times)
  bool interrupted = false;          // stopped before every vector ran
  bool candidate_never_ran = false;  // no job could start the candidate: exit code 3
  std::string candidate_error;       // the first start failure, if any
};

RunOutcome RunVectors(const std::vector<SelectedVector>& selected, const CandidateFactory& factory,
                      const RunOptions& options);

// Exit code of a finished run: 1 when a MUST vector failed or hit a candidate error, else 0.
int ExitCodeOf(const report::RunResult& result);

// The run-wide IV findings (exposed for tests): a note per problem found among the IVs a
// candidate chose itself for CBC SAs (constant, counter, repeated).
std::vector<std::string> CbcIvFindings(const std::vector<Bytes>& ivs_in_run_order);

}  // namespace sendpath::harness
