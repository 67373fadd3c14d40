// The top level of `sendpath run`: which vectors, run by the scheduler (scheduler.h: jobs and
// candidate lifecycles; step_executor.h: one vector's steps), then the run-wide IV checks
// (iv_policy.h) and the exit code.
#include "harness/runner.h"

#include "harness/iv_policy.h"
#include "harness/scheduler.h"

#include <vectors/loader/vector_loader.h>

#include <fnmatch.h>

#include <algorithm>

namespace sendpath::harness {

using report::Verdict;

std::vector<SelectedVector> SelectVectors(const std::vector<vectors::VectorFile>& files,
                                          const std::vector<std::string>& filters) {
  std::vector<SelectedVector> selected;
  for (const vectors::VectorFile& file : files) {
    for (const vectors::Vector& vector : file.vectors) {
      bool match = filters.empty();
      for (const std::string& filter : filters) {
        if (fnmatch(filter.c_str(), vector.id.c_str(), 0) == 0) match = true;
      }
      if (match) selected.push_back(SelectedVector{&file, &vector});
    }
  }
  return selected;
}

RunOutcome RunVectors(const std::vector<SelectedVector>& selected, const CandidateFactory& factory,
                      const RunOptions& options) {
  RunOutcome outcome;
  std::size_t next = 0;
  std::vector<VectorIvs> ivs;
  const VectorSource source = [&]() -> std::unique_ptr<ScheduledVector> {
    if (next >= selected.size()) return nullptr;
    auto vector = std::make_unique<ScheduledVector>();
    vector->selected = selected[next++];
    return vector;
  };
  const ResultSink sink = [&](const ScheduledVector&, report::VectorResult&& result, VectorIvs&& vector_ivs) {
    outcome.result.vectors.push_back(std::move(result));
    ivs.push_back(std::move(vector_ivs));
  };
  const ScheduledRun run = RunScheduled(source, sink, factory, options);
  outcome.result.candidate = CandidateInfoOf(run, factory.spec);
  outcome.interrupted = run.interrupted;
  outcome.result.complete = !outcome.interrupted;
  outcome.candidate_never_ran = !run.any_started && !selected.empty() && !outcome.interrupted;
  outcome.candidate_error = run.first_start_error;
  // Run-wide IV findings, in vector order (the same for any --jobs).
  outcome.result.run_findings = RunWideIvFindings(ivs, outcome.result.vectors);
  return outcome;
}

report::CandidateInfo CandidateInfoOf(const ScheduledRun& run, const std::string& spec) {
  report::CandidateInfo candidate;
  candidate.spec = spec;
  if (run.identity) {
    candidate.identity = run.identity->Describe();
    candidate.claimed_caps = vectors::CapabilityNames(run.capabilities->task, run.capabilities->extension);
  }
  candidate.picks_own_ivs = run.picked_own_ivs;
  return candidate;
}

int ExitCodeOf(const report::RunResult& result) {
  for (const report::RunFinding& finding : result.run_findings) {
    if (finding.severity == report::Severity::kMust) return 1;
  }
  for (const report::VectorResult& vector : result.vectors) {
    if (vector.must && (vector.verdict == Verdict::kFail || vector.verdict == Verdict::kCandidateError ||
                        vector.verdict == Verdict::kInvalidVector)) {
      return 1;
    }
  }
  return 0;
}

std::string CandidateIdentity::Describe() const {
  std::string text = name.empty() ? std::string("(unnamed)") : name;
  if (!version.empty()) text += " " + version;
  text += " (" + protocol + (iv_injection ? ", IV injection" : ", own IVs") + ")";
  return text;
}

}  // namespace sendpath::harness
