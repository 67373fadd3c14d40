#include "reports/run_result.h"

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

}  // namespace sendpath::report
