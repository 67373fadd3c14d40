#include "reports/run_result.h"

#include <algorithm>

namespace sendpath::report {

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kNotClaimed: return "not claimed";
    case Verdict::kCandidateError: return "candidate error";
    case Verdict::kInvalidVector: return "invalid vector";
    case Verdict::kSkipped: return "skipped";
  }
  return "?";
}

const char* SaStructureName(SaStructure structure) {
  switch (structure) {
    case SaStructure::kNone: return "none";
    case SaStructure::kSingleSa: return "single SA";
    case SaStructure::kBundle: return "bundle";
    case SaStructure::kTunnel: return "tunnel";
    case SaStructure::kTunnelBundle: return "tunnel bundle";
    case SaStructure::kTransportOverTunnel: return "transport over tunnel";
  }
  return "?";
}

bool IsFailure(Verdict verdict) { return verdict == Verdict::kFail || verdict == Verdict::kCandidateError; }

std::vector<std::size_t> FailuresSimplestFirst(const RunResult& run) {
  std::vector<std::size_t> failures;
  for (std::size_t i = 0; i < run.vectors.size(); ++i) {
    if (IsFailure(run.vectors[i].verdict)) failures.push_back(i);
  }
  std::stable_sort(failures.begin(), failures.end(),
                   [&](std::size_t a, std::size_t b) { return run.vectors[a].rank < run.vectors[b].rank; });
  return failures;
}

}  // namespace sendpath::report
