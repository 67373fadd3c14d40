#include "harness/scheduler.h"

#include "harness/step_executor.h"

#include <vectors/loader/vector_loader.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <exception>
#include <mutex>
#include <thread>

namespace sendpath::harness {
namespace {

using report::Verdict;
using Clock = std::chrono::steady_clock;


// What one job learnt about its candidate.
struct JobState {
  std::unique_ptr<Candidate> candidate;
  bool started = false;
  std::size_t start_failures = 0;
  std::string last_start_error;
  CandidateIdentity identity;
  Capabilities capabilities;
};

// Everything the workers share.
struct Shared {
  std::mutex mutex;
  bool any_started = false;
  std::string first_start_error;
  std::optional<CandidateIdentity> identity;
  std::optional<Capabilities> capabilities;
  std::size_t done = 0;
};

report::VectorResult Describe(const SelectedVector& selected) {
  const vectors::Vector& vector = *selected.vector;
  report::VectorResult result;
  result.id = vector.id;
  result.title = vector.title;
  result.file = vector.file;
  result.must = vector.vector_class == vectors::VectorClass::kMust;
  result.flags = vector.flags;
  for (const std::string& flag : vector.flags) {
    const auto note = selected.file->notes.find(flag);
    if (note != selected.file->notes.end()) result.notes.push_back(note->second);
  }
  result.requires_caps = vector.requires_caps;
  result.ethernet = vector.encapsulation == vectors::Encapsulation::kIeee8023;
  return result;
}

// Starts (or restarts) the job's candidate and learns its profile.
bool EnsureStarted(JobState& job, Shared& shared) {
  if (job.started) return true;
  auto identity = job.candidate->Start();
  std::optional<CandidateError> error;
  if (!identity) {
    error = identity.error();
  } else {
    job.identity = *identity;
    auto capabilities = job.candidate->QueryCapabilities();
    if (!capabilities) {
      error = CandidateError{"OID_TCP_TASK_OFFLOAD query: " + capabilities.error().reason};
    } else {
      job.capabilities = *capabilities;
    }
  }
  std::lock_guard lock(shared.mutex);
  if (error) {
    job.candidate->Stop();
    ++job.start_failures;
    job.last_start_error = error->reason;
    if (shared.first_start_error.empty()) shared.first_start_error = error->reason;
    return false;
  }
  job.started = true;
  job.start_failures = 0;
  shared.any_started = true;
  if (!shared.identity) {
    shared.identity = job.identity;
    shared.capabilities = job.capabilities;
  }
  return true;
}

// Marks a vector the stop reached before it ran.
void NotRun(const SelectedVector& selected, report::VectorResult& result) {
  result = Describe(selected);
  result.verdict = Verdict::kSkipped;
  result.diagnosis = "not run: the run was interrupted";
}

// Runs one vector; returns false when the stop abandoned it (its result says skipped).
bool RunOne(JobState& job, Shared& shared, const SelectedVector& selected, report::VectorResult& result,
            VectorIvs& ivs, const RunOptions& options) {
  const std::size_t max_start_failures = options.max_start_failures;
  const auto start = Clock::now();
  result = Describe(selected);
  // Whatever a stop cut short (a start, a reset) is not the candidate's failure.
  const auto interrupted = [&] {
    if (!StopRequested(options.stop)) return false;
    NotRun(selected, result);
    if (job.started) job.candidate->Stop();
    job.started = false;
    return true;
  };
  if (job.start_failures >= max_start_failures) {
    result.verdict = Verdict::kCandidateError;
    result.diagnosis = "candidate could not be started (" + std::to_string(job.start_failures) +
                       " attempts): " + job.last_start_error;
    return true;
  }
  if (!EnsureStarted(job, shared)) {
    if (interrupted()) return false;
    result.verdict = Verdict::kCandidateError;
    result.diagnosis = "candidate could not be started: " + job.last_start_error;
    result.seconds = SecondsSince(start);
    return true;
  }
  result.missing_caps = vectors::MissingCapabilities(selected.vector->requires_caps, job.capabilities.task,
                                                     job.capabilities.extension);
  if (!result.missing_caps.empty()) {
    result.verdict = Verdict::kNotClaimed;
    std::string missing;
    for (const std::string& name : result.missing_caps) missing += (missing.empty() ? "" : ", ") + name;
    result.diagnosis = "not claimed: the candidate does not report " + missing;
    return true;
  }
  if (auto reset = job.candidate->Reset(); !reset) {
    if (interrupted()) return false;
    result.verdict = Verdict::kCandidateError;
    result.diagnosis = "reset: " + reset.error().reason;
    job.candidate->Stop();
    job.started = false;
    result.seconds = SecondsSince(start);
    return true;
  }
  bool finished = true;
  try {
    StepExecutor execution(*job.candidate, job.identity.oid_results_observed, *selected.vector, result, ivs,
                           options.stop);
    const ExecutionEnd end = execution.Run();
    if (end != ExecutionEnd::kCompleted) {
      job.candidate->Stop();  // restarted for the next vector
      job.started = false;
    }
    finished = end != ExecutionEnd::kInterrupted;
  } catch (const std::exception& error) {
    // Nothing a candidate sends should get here; if something does, this vector reports it and
    // the run goes on with a fresh candidate.
    result.verdict = Verdict::kInvalidVector;
    result.diagnosis = std::string("harness error while running this vector: ") + error.what();
    job.candidate->Stop();
    job.started = false;
  }
  result.seconds = SecondsSince(start);
  return finished;
}

}  // namespace

ScheduledRun RunScheduled(const VectorSource& source, const ResultSink& sink, const CandidateFactory& factory,
                          const RunOptions& options) {
  struct Finished {
    std::unique_ptr<ScheduledVector> vector;
    report::VectorResult result;
    VectorIvs ivs;
  };
  ScheduledRun run;
  Shared shared;
  const std::size_t jobs = std::max<std::size_t>(1, options.jobs);
  // The reorder buffer: a job takes vector N only while N < flushed + window.
  const std::size_t window = 2 * jobs + 2;
  std::mutex mutex;  // the source, the sink, the reorder buffer
  std::condition_variable window_open;
  std::map<std::size_t, Finished> pending;
  std::size_t taken = 0, flushed = 0;
  bool exhausted = false;
  std::atomic<bool> abandoned{false};

  const auto deliver = [&](Finished&& finished) {
    if (finished.ivs.picked_own_ivs) run.picked_own_ivs = true;
    sink(*finished.vector, std::move(finished.result), std::move(finished.ivs));
    ++run.vectors;
    if (options.progress) options.progress(run.vectors, 0);
  };
  const auto worker = [&] {
    JobState job;
    job.candidate = factory.Make();
    while (true) {
      std::unique_ptr<ScheduledVector> vector;
      std::size_t sequence = 0;
      {
        std::unique_lock lock(mutex);
        // Wait in short slices: a signal handler sets the stop flag without notifying.
        while (!exhausted && !StopRequested(options.stop) && taken >= flushed + window) {
          window_open.wait_for(lock, std::chrono::milliseconds(100));
        }
        if (exhausted || StopRequested(options.stop)) break;
        vector = source();
        if (!vector) {
          exhausted = true;
          window_open.notify_all();
          break;
        }
        sequence = taken++;
      }
      Finished finished{std::move(vector), {}, {}};
      if (!RunOne(job, shared, finished.vector->selected, finished.result, finished.ivs, options)) {
        abandoned = true;
        finished.ivs = VectorIvs{};  // an abandoned vector's IVs are not judged
      }
      std::lock_guard lock(mutex);
      pending.emplace(sequence, std::move(finished));
      for (auto next = pending.begin(); next != pending.end() && next->first == flushed; next = pending.begin()) {
        deliver(std::move(next->second));
        pending.erase(next);
        ++flushed;
      }
      window_open.notify_all();
    }
    if (job.started) job.candidate->Stop();
  };
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < jobs; ++i) threads.emplace_back(worker);
    for (std::thread& thread : threads) thread.join();
  }

  run.interrupted = abandoned.load();
  // The vectors the stop kept from running, in order, as skipped.
  if (!exhausted) {
    while (std::unique_ptr<ScheduledVector> vector = source()) {
      run.interrupted = true;
      Finished finished{std::move(vector), {}, {}};
      NotRun(finished.vector->selected, finished.result);
      deliver(std::move(finished));
    }
  }
  run.any_started = shared.any_started;
  run.first_start_error = shared.first_start_error;
  run.identity = shared.identity;
  run.capabilities = shared.capabilities;
  return run;
}

}  // namespace sendpath::harness
