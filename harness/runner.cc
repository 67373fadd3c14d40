#include "harness/runner.h"

#include "harness/candidates/reference/reference_candidate.h"
#include "harness/judge.h"

#include <vectors/loader/vector_loader.h>

#include <fnmatch.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>

namespace sendpath::harness {
namespace {

using report::Verdict;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

NDIS_ENCAPSULATION_FORMAT FormatOf(vectors::Encapsulation encapsulation) {
  NDIS_ENCAPSULATION_FORMAT format{};
  const bool ethernet = encapsulation == vectors::Encapsulation::kIeee8023;
  format.Encapsulation = ethernet ? IEEE_802_3_Encapsulation : NULL_Encapsulation;
  format.Flags.FixedHeaderSize = 1;
  format.EncapsulationHeaderSize = ethernet ? 14u : 0u;
  return format;
}

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

bool StopRequested(const std::atomic<bool>* stop) { return stop != nullptr && stop->load(); }

// How a vector's execution ended.
enum class ExecutionEnd {
  kCompleted,        // every step ran (or was skipped after a failing one)
  kCandidateFailed,  // a candidate error: restart the candidate for the next vector
  kInterrupted,      // the run was stopped during this vector: it is abandoned, not judged
};

class VectorExecution {
 public:
  VectorExecution(JobState& job, const SelectedVector& selected, report::VectorResult& result,
                  std::vector<IvUse>& ivs, bool& picked_own_ivs, const std::atomic<bool>* stop)
      : job_(job), vector_(*selected.vector), result_(result), ivs_(ivs), picked_own_ivs_(picked_own_ivs),
        stop_(stop), judge_(*selected.vector) {}

  ExecutionEnd Run() {
    bool failed = false;
    for (std::size_t index = 0; index < vector_.steps.size(); ++index) {
      const vectors::Step& step = vector_.steps[index];
      report::StepResult& out = result_.steps.emplace_back();
      out.index = index;
      out.op = std::visit([](const auto& op) { return OpName(op); }, step.op);
      if (failed) {
        out.verdict = Verdict::kSkipped;
        continue;
      }
      if (StopRequested(stop_)) return Abandon(index);
      const auto start = Clock::now();
      const bool candidate_ok = std::visit([&](const auto& op) { return Execute(op, out); }, step.op);
      out.seconds = SecondsSince(start);
      // A step cut short by the stop (a killed candidate, an unfinished fill) is not the
      // candidate's failure: the vector is abandoned.
      if (StopRequested(stop_) && (!candidate_ok || interrupted_)) return Abandon(index);
      if (!candidate_ok) {
        out.verdict = Verdict::kCandidateError;
        result_.verdict = Verdict::kCandidateError;
        result_.diagnosis = "step " + std::to_string(index) + " (" + out.op + "): candidate error: " + out.diagnosis;
        for (std::size_t rest = index + 1; rest < vector_.steps.size(); ++rest) {
          report::StepResult& skipped = result_.steps.emplace_back();
          skipped.index = rest;
          skipped.op = std::visit([](const auto& op) { return OpName(op); }, vector_.steps[rest].op);
          skipped.verdict = Verdict::kSkipped;
        }
        return ExecutionEnd::kCandidateFailed;
      }
      if (out.verdict == Verdict::kFail) {
        failed = true;
        result_.verdict = Verdict::kFail;
        result_.diagnosis = "step " + std::to_string(index) + " (" + out.op + "): " + out.diagnosis;
      }
    }
    return ExecutionEnd::kCompleted;
  }

 private:
  // The vector is left at step `index`: that step and the rest are skipped, the vector too.
  ExecutionEnd Abandon(std::size_t index) {
    result_.steps.resize(index);
    for (std::size_t rest = index; rest < vector_.steps.size(); ++rest) {
      report::StepResult& skipped = result_.steps.emplace_back();
      skipped.index = rest;
      skipped.op = std::visit([](const auto& op) { return OpName(op); }, vector_.steps[rest].op);
      skipped.verdict = Verdict::kSkipped;
      skipped.diagnosis = rest == index ? "not finished: the run was interrupted" : "not run: the run was interrupted";
    }
    result_.verdict = Verdict::kSkipped;
    result_.diagnosis = "abandoned at step " + std::to_string(index) + " (" + result_.steps[index].op +
                        "): the run was interrupted";
    return ExecutionEnd::kInterrupted;
  }

  static std::string OpName(const vectors::SetStep&) { return "set"; }
  static std::string OpName(const vectors::AddSaStep&) { return "add_sa"; }
  static std::string OpName(const vectors::DeleteSaStep&) { return "delete_sa"; }
  static std::string OpName(const vectors::FillSaTableStep&) { return "fill_sa_table"; }
  static std::string OpName(const vectors::SendStep&) { return "send"; }

  bool observed() const { return job_.identity.oid_results_observed; }

  // A HANDLE the candidate never returned (vectors/README.md: "never_issued").
  NDIS_HANDLE NeverIssued() const {
    auto value = static_cast<std::uintptr_t>(UINTPTR_MAX == 0xFFFFFFFFu ? 0x5E9D0001u : 0x5E9D5E9D00000001ull);
    while (issued_.count(reinterpret_cast<NDIS_HANDLE>(value)) != 0) ++value;
    return reinterpret_cast<NDIS_HANDLE>(value);
  }

  NDIS_HANDLE Resolve(const vectors::HandleRef& ref) const {
    switch (ref.kind) {
      case vectors::HandleRef::Kind::kZero: return nullptr;
      case vectors::HandleRef::Kind::kNeverIssued: return NeverIssued();
      case vectors::HandleRef::Kind::kSa: {
        const auto found = handles_.find(ref.sa);
        return found != handles_.end() ? found->second : NeverIssued();  // an SA that was never added
      }
    }
    return nullptr;
  }

  // `rule`: the reference NIC's answer to the same request, quoted when it explains the
  // expected refusal.
  bool CheckStatus(report::StepResult& out, const char* what, NDIS_STATUS actual, NDIS_STATUS expected,
                   const nic::OidResult& rule) {
    out.expected_status = expected;
    if (!observed()) {
      out.notes.push_back("status not observed (captured candidate)");
      return true;
    }
    out.actual_status = actual;
    if (actual != expected) {
      out.verdict = Verdict::kFail;
      out.diagnosis = std::string(what) + ": status " + StatusText(actual) + ", expected " + StatusText(expected) +
                      Because(expected, rule.status, rule.reason, rule.detail);
      return false;
    }
    return true;
  }

  // " (the rule: ...)" when the reference refuses with the expected status, else "".
  static std::string Because(NDIS_STATUS expected, NDIS_STATUS reference, nic::Reason reason, const std::string& detail) {
    if (expected == NDIS_STATUS_SUCCESS || reference != expected) return "";
    return " (the rule: " + std::string(nic::ReasonName(reason)) + (detail.empty() ? "" : ": " + detail) + ")";
  }

  // The shadow reference's handle for a vector handle reference.
  NDIS_HANDLE ShadowResolve(const vectors::HandleRef& ref) const {
    if (ref.kind == vectors::HandleRef::Kind::kZero) return nullptr;
    if (ref.kind == vectors::HandleRef::Kind::kSa) {
      const auto found = shadow_handles_.find(ref.sa);
      if (found != shadow_handles_.end()) return found->second;
    }
    return reinterpret_cast<NDIS_HANDLE>(UINTPTR_MAX - 0x5E9D);  // the reference never issues this
  }

  nic::OidResult ShadowAddSa(const std::string& name, const vectors::SaSpec& sa) {
    vectors::AddSaRequest built = vectors::BuildAddSaRequest(sa);
    const nic::OidResult result = shadow_.AddSa(built.buffer, &built.extension);
    if (result.ok() && built.buffer.size() >= offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle) + sizeof(HANDLE)) {
      NDIS_HANDLE handle = nullptr;
      std::memcpy(&handle, built.buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), sizeof handle);
      shadow_handles_[name] = handle;
    }
    return result;
  }

  bool Execute(const vectors::SetStep& step, report::StepResult& out) {
    Capabilities enable;
    enable.task = step.task;
    enable.extension = step.extension;
    const NDIS_ENCAPSULATION_FORMAT format = FormatOf(step.encapsulation.value_or(vector_.encapsulation));
    auto status = job_.candidate->Set(format, enable);
    if (!status) return Error(out, status.error());
    CheckStatus(out, "OID_TCP_TASK_OFFLOAD set", *status, step.expect, shadow_.SetCapabilities(format, enable));
    return true;
  }

  bool Execute(const vectors::AddSaStep& step, report::StepResult& out) {
    const auto sa = vector_.sas.find(step.sa);
    if (sa == vector_.sas.end()) return Invalid(out, "add_sa names an SA the vector does not define: " + step.sa);
    auto reply = AddSa(sa->second);
    if (!reply) return Error(out, reply.error());
    const nic::OidResult rule = ShadowAddSa(step.sa, sa->second);
    if (CheckStatus(out, "OID_TCP_TASK_IPSEC_ADD_SA", reply->status, step.expect, rule) &&
        reply->status == NDIS_STATUS_SUCCESS) {
      Remember(step.sa, reply->handle, out);
    }
    return true;
  }

  bool Execute(const vectors::DeleteSaStep& step, report::StepResult& out) {
    auto status = job_.candidate->DeleteSa(Resolve(step.handle));
    if (!status) return Error(out, status.error());
    CheckStatus(out, "OID_TCP_TASK_IPSEC_DELETE_SA", *status, step.expect, shadow_.DeleteSa(ShadowResolve(step.handle)));
    return true;
  }

  bool Execute(const vectors::FillSaTableStep& step, report::StepResult& out) {
    const auto sa = vector_.sas.find(step.sa);
    if (sa == vector_.sas.end()) return Invalid(out, "fill_sa_table names an SA the vector does not define: " + step.sa);
    out.expected_status = NDIS_STATUS_RESOURCES;
    ShadowAddSa(step.sa, sa->second);  // one copy: the shadow only needs the handle for later sends
    for (std::size_t added = 0; added <= step.limit; ++added) {
      if (StopRequested(stop_)) {
        interrupted_ = true;
        return true;
      }
      auto reply = AddSa(sa->second);
      if (!reply) return Error(out, reply.error());
      if (!observed()) {
        out.notes.push_back("SA table capacity not observed (captured candidate)");
        if (reply->status == NDIS_STATUS_SUCCESS) Remember(step.sa, reply->handle, out);
        return true;
      }
      if (reply->status == NDIS_STATUS_RESOURCES) {
        out.actual_status = reply->status;
        out.notes.push_back("NDIS_STATUS_RESOURCES after " + std::to_string(added) + " copies");
        return true;
      }
      if (reply->status != NDIS_STATUS_SUCCESS) {
        out.actual_status = reply->status;
        out.verdict = Verdict::kFail;
        out.diagnosis = "OID_TCP_TASK_IPSEC_ADD_SA copy " + std::to_string(added + 1) + ": status " +
                        StatusText(reply->status) + ", expected NDIS_STATUS_SUCCESS or NDIS_STATUS_RESOURCES";
        return true;
      }
      if (!Remember(step.sa, reply->handle, out)) return true;
    }
    out.actual_status = NDIS_STATUS_SUCCESS;
    out.verdict = Verdict::kFail;
    out.diagnosis = "never answered NDIS_STATUS_RESOURCES within " + std::to_string(step.limit) + " copies of SA " + step.sa;
    return true;
  }

  bool Execute(const vectors::SendStep& step, report::StepResult& out) {
    SendRequest request;
    request.frame = step.frame;
    request.split = step.split;
    if (step.has_info) {
      NDIS_IPSEC_PACKET_INFO info{};
      info.Transmit.OffloadHandle = Resolve(step.offload_handle);
      info.Transmit.NextOffloadHandle = Resolve(step.next_offload_handle);
      request.info = info;
    }
    for (const auto& [name, ivs] : step.ivs) {
      const auto handle = handles_.find(name);
      if (handle != handles_.end()) request.ivs.push_back(IvInjection{handle->second, ivs});
    }
    request.context.vector_id = vector_.id;
    request.context.step_index = out.index;
    out.input_frame = step.frame;
    out.expected_frame = step.expect_frame;
    out.expected_status = step.expect_status;
    out.iv_bytes = step.iv_bytes;

    auto reply = job_.candidate->Send(request);
    if (!reply) return Error(out, reply.error());
    out.actual_status = reply->status;
    if (reply->frame && !reply->frame->empty()) out.actual_frame = reply->frame;
    SendJudgement judgement = judge_.Judge(step, *reply);
    out.verdict = judgement.verdict;
    out.diagnosis = std::move(judgement.diagnosis);
    if (reply->status != step.expect_status && step.expect_status != NDIS_STATUS_SUCCESS) {
      out.diagnosis += ShadowSendRule(step);
    }
    out.notes = std::move(judgement.notes);
    out.differences = std::move(judgement.differences);
    out.leaked = judgement.leaked;
    out.leaked_plaintext = judgement.leaked_plaintext;
    if (judgement.picked_own_ivs) {
      picked_own_ivs_ = true;
      out.notes.push_back("the candidate used its own IVs: judged by decrypt-and-compare");
    }
    // IV reuse under one SA (the NIC is fresh per vector, so an SA lives within this vector).
    // Injected IVs are remembered too; only an IV the candidate chose can be its repeat.
    for (IvUse& use : judgement.ivs) {
      const auto [first, fresh] = ivs_seen_[use.sa].emplace(use.iv, out.index);
      if (!fresh && use.chosen_by_candidate) {
        const std::string what = RepeatedIv(use, first->second, out.index);
        if (use.aead && out.verdict == Verdict::kPass) {
          out.verdict = Verdict::kFail;
          out.diagnosis = what;
        } else {
          out.notes.push_back(what);
        }
      }
      ivs_.push_back(std::move(use));
    }
    return true;
  }

  // "IV <hex> repeated under SA <name>: ..." with the rule it breaks.
  static std::string RepeatedIv(const IvUse& use, std::size_t first_step, std::size_t step) {
    std::string text = "IV " + vectors::ToHex(use.iv) + " repeated under SA " + use.sa + ": step " +
                       std::to_string(step) + " reuses the IV of step " + std::to_string(first_step) +
                       (use.in_clear ? "" : ", inside the encrypted tunnel (read after decryption)");
    if (use.aead) {
      // RFC 4106 3.1 / RFC 4543 3.1: for a given key the IV MUST NOT repeat.
      const bool gcm = use.algorithm == "AES-GCM";
      return text + " (" + use.algorithm + ": the same nonce twice under one key gives away " +
             (gcm ? "the XOR of the two plaintexts and " : "") + "the GHASH key, with which ICVs can be forged; " +
             (gcm ? "RFC 4106" : "RFC 4543") + " section 3.1)";
    }
    return text + " (" + use.algorithm + ": a repeated CBC IV is not random and is predictable, RFC 3602 section 3; " +
           "flagged, not failed)";
  }

  std::string ShadowSendRule(const vectors::SendStep& step) {
    NDIS_IPSEC_PACKET_INFO info{};
    info.Transmit.OffloadHandle = ShadowResolve(step.offload_handle);
    info.Transmit.NextOffloadHandle = ShadowResolve(step.next_offload_handle);
    std::vector<nic::ByteSpan> chain;
    SplitFrame(step.frame, step.split, chain);
    Bytes wire(kWireBufferSize);
    const nic::SendResult result = shadow_.Send(chain, step.has_info ? &info : nullptr, wire);
    return Because(step.expect_status, result.status, result.reason,
                   result.offset == 0 ? std::string() : "at byte " + std::to_string(result.offset));
  }

  Outcome<AddSaReply> AddSa(const vectors::SaSpec& sa) {
    vectors::AddSaRequest built = vectors::BuildAddSaRequest(sa);
    AddSaRequest request;
    request.spec = &sa;
    request.buffer = std::move(built.buffer);
    request.extension = built.extension;
    return job_.candidate->AddSa(request);
  }

  bool Remember(const std::string& name, NDIS_HANDLE handle, report::StepResult& out) {
    if (handle == nullptr && observed()) {
      out.verdict = Verdict::kFail;
      out.diagnosis = "OID_TCP_TASK_IPSEC_ADD_SA succeeded but left OffloadHandle 0 (0 means \"no offload\" on a send)";
      return false;
    }
    handles_[name] = handle;
    issued_.insert(handle);
    return true;
  }

  bool Error(report::StepResult& out, const CandidateError& error) {
    out.diagnosis = error.reason;
    return false;
  }

  bool Invalid(report::StepResult& out, std::string why) {
    out.verdict = Verdict::kFail;
    out.diagnosis = std::move(why);
    result_.verdict = Verdict::kInvalidVector;
    return true;
  }

  JobState& job_;
  const vectors::Vector& vector_;
  report::VectorResult& result_;
  std::vector<IvUse>& ivs_;
  bool& picked_own_ivs_;
  const std::atomic<bool>* stop_;
  bool interrupted_ = false;  // a step loop (fill_sa_table) stopped early on the stop flag
  SendJudge judge_;
  std::map<std::string, NDIS_HANDLE> handles_;
  std::set<NDIS_HANDLE> issued_;
  std::map<std::string, std::map<Bytes, std::size_t>> ivs_seen_;  // SA -> IV -> step that first drew it
  // The reference NIC, programmed alongside, to quote the rule behind an expected refusal.
  nic::ReferenceNic shadow_;
  std::map<std::string, NDIS_HANDLE> shadow_handles_;
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
            std::vector<IvUse>& ivs, bool& picked_own_ivs, const RunOptions& options) {
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
    VectorExecution execution(job, selected, result, ivs, picked_own_ivs, options.stop);
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

// Big-endian difference b - a modulo 2^(8n), as bytes.
Bytes Difference(const Bytes& a, const Bytes& b) {
  Bytes out(a.size());
  int borrow = 0;
  for (std::size_t i = a.size(); i-- > 0;) {
    int value = int{b[i]} - int{a[i]} - borrow;
    borrow = value < 0 ? 1 : 0;
    out[i] = static_cast<std::uint8_t>(value + (borrow != 0 ? 256 : 0));
  }
  return out;
}

}  // namespace

namespace {
std::vector<std::string> CbcIvFindingsOfOneLength(const std::vector<Bytes>& ivs);
}  // namespace

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

std::vector<std::string> CbcIvFindings(const std::vector<Bytes>& ivs_in_run_order) {
  // DES/3DES (8-byte) and AES (16-byte) IVs are examined separately.
  std::map<std::size_t, std::vector<Bytes>> by_length;
  for (const Bytes& iv : ivs_in_run_order) by_length[iv.size()].push_back(iv);
  std::vector<std::string> findings;
  for (const auto& [length, ivs] : by_length) {
    (void)length;
    for (std::string& finding : CbcIvFindingsOfOneLength(ivs)) findings.push_back(std::move(finding));
  }
  return findings;
}

namespace {

std::vector<std::string> CbcIvFindingsOfOneLength(const std::vector<Bytes>& ivs) {
  std::vector<std::string> findings;
  if (ivs.size() < 2) return findings;
  if (std::all_of(ivs.begin(), ivs.end(), [&](const Bytes& iv) { return iv == ivs.front(); })) {
    findings.push_back("predictable CBC IVs: the candidate wrote the same IV " + vectors::ToHex(ivs.front()) +
                       " in all " + std::to_string(ivs.size()) + " CBC IVs it chose (RFC 3602 section 3: IVs are "
                       "chosen at random and unpredictable)");
    return findings;
  }
  if (ivs.size() >= 3) {
    const Bytes step = Difference(ivs[0], ivs[1]);
    bool counter = true;
    for (std::size_t i = 2; i < ivs.size() && counter; ++i) counter = Difference(ivs[i - 1], ivs[i]) == step;
    if (counter) {
      findings.push_back("predictable CBC IVs: the candidate's " + std::to_string(ivs.size()) +
                         " CBC IVs form a counter (step " + vectors::ToHex(step) + "; RFC 3602 section 3)");
      return findings;
    }
  }
  std::set<Bytes> distinct(ivs.begin(), ivs.end());
  if (distinct.size() < ivs.size()) {
    findings.push_back("repeated CBC IVs: " + std::to_string(ivs.size() - distinct.size()) + " of the candidate's " +
                       std::to_string(ivs.size()) + " CBC IVs repeat an earlier one (RFC 3602 section 3)");
  }
  return findings;
}

}  // namespace

RunOutcome RunVectors(const std::vector<SelectedVector>& selected, const CandidateFactory& factory,
                      const RunOptions& options) {
  RunOutcome outcome;
  outcome.result.candidate.spec = factory.spec;
  outcome.result.vectors.resize(selected.size());
  std::vector<std::vector<IvUse>> ivs(selected.size());
  std::vector<char> picked_own(selected.size(), 0);
  std::vector<char> ran(selected.size(), 0);
  std::atomic<bool> abandoned{false};
  Shared shared;
  std::atomic<std::size_t> next{0};
  const std::size_t jobs = std::max<std::size_t>(1, std::min(options.jobs, std::max<std::size_t>(1, selected.size())));

  const auto worker = [&] {
    JobState job;
    job.candidate = factory.Make();
    for (std::size_t index = next++; index < selected.size(); index = next++) {
      if (StopRequested(options.stop)) break;
      bool picked = false;
      if (!RunOne(job, shared, selected[index], outcome.result.vectors[index], ivs[index], picked, options)) {
        abandoned = true;
        ivs[index].clear();  // an abandoned vector's IVs are not judged
        picked = false;
      }
      picked_own[index] = picked ? 1 : 0;
      ran[index] = 1;
      std::lock_guard lock(shared.mutex);
      ++shared.done;
      if (options.progress) options.progress(shared.done, selected.size());
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

  outcome.interrupted = abandoned.load();
  for (std::size_t index = 0; index < selected.size(); ++index) {
    if (ran[index] != 0) continue;
    outcome.interrupted = true;
    NotRun(selected[index], outcome.result.vectors[index]);
  }
  outcome.result.complete = !outcome.interrupted;
  outcome.candidate_never_ran = !shared.any_started && !selected.empty() && !outcome.interrupted;
  outcome.candidate_error = shared.first_start_error;
  if (shared.identity) {
    outcome.result.candidate.identity = shared.identity->Describe();
    outcome.result.candidate.claimed_caps =
        vectors::CapabilityNames(shared.capabilities->task, shared.capabilities->extension);
  }
  outcome.result.candidate.picks_own_ivs = std::any_of(picked_own.begin(), picked_own.end(), [](char c) { return c != 0; });

  // Run-wide IV findings, in vector order (the same for any --jobs).
  std::vector<Bytes> cbc_ivs;
  std::map<Bytes, std::string> aead_nonces;  // key || salt || IV -> first vector that used it
  std::size_t aead_repeats = 0;
  for (std::size_t index = 0; index < selected.size(); ++index) {
    for (const IvUse& use : ivs[index]) {
      if (use.chosen_by_candidate && use.cbc) cbc_ivs.push_back(use.iv);
      if (!use.chosen_by_candidate || !use.aead) continue;
      // Across SAs (vectors) that share a key, the same IV is the same GCM nonce (RFC 4106 3.1).
      Bytes nonce = use.key;
      nonce.insert(nonce.end(), use.iv.begin(), use.iv.end());
      const auto [first, inserted] = aead_nonces.emplace(std::move(nonce), selected[index].vector->id);
      if (!inserted && first->second != selected[index].vector->id && ++aead_repeats <= 5) {
        outcome.result.run_notes.push_back("AES-GCM/GMAC nonce reuse across SAs with the same key: IV " +
                                           vectors::ToHex(use.iv) + " in " + first->second + " and " +
                                           selected[index].vector->id);
      }
    }
    for (const report::StepResult& step : outcome.result.vectors[index].steps) {
      for (const std::string& note : step.notes) {
        if (note.find(" repeated under SA ") != std::string::npos) {
          outcome.result.run_notes.push_back(outcome.result.vectors[index].id + ": " + note);
        }
      }
    }
  }
  if (aead_repeats > 5) {
    outcome.result.run_notes.push_back("... " + std::to_string(aead_repeats - 5) + " more AES-GCM/GMAC nonce reuses");
  }
  for (std::string& finding : CbcIvFindings(cbc_ivs)) outcome.result.run_notes.push_back(std::move(finding));
  return outcome;
}

int ExitCodeOf(const report::RunResult& result) {
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
