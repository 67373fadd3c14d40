// Step execution: one vector's steps against a started, reset candidate, in order. Each step gets
// a verdict (status against the vector's expectation, the frame judged by SendJudge); after a
// failing step the rest are skipped; after a candidate error the candidate is to be restarted.
#pragma once

#include "harness/candidate.h"
#include "harness/iv_policy.h"

#include <reports/run_result.h>
#include <vectors/loader/vector_model.h>

#include <atomic>
#include <chrono>
#include <memory>

namespace sendpath::harness {

bool StopRequested(const std::atomic<bool>* stop);

// Wall time since `start`, for the seconds a step or a vector took.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// How a vector's execution ended.
enum class ExecutionEnd {
  kCompleted,        // every step ran (or was skipped after a failing one)
  kCandidateFailed,  // a candidate error: restart the candidate for the next vector
  kInterrupted,      // the run was stopped during this vector: it is abandoned, not judged
};

class StepExecutor {
 public:
  // `statuses_observed`: the candidate reports NDIS statuses (false for a captured candidate).
  // The IVs the candidate wrote go to `ivs`; `stop` (may be null) abandons the vector.
  StepExecutor(Candidate& candidate, bool statuses_observed, const vectors::Vector& vector,
               report::VectorResult& result, VectorIvs& ivs, const std::atomic<bool>* stop);
  ~StepExecutor();
  StepExecutor(const StepExecutor&) = delete;
  StepExecutor& operator=(const StepExecutor&) = delete;

  ExecutionEnd Run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sendpath::harness
