#include "harness/step_executor.h"

#include "harness/handle_map.h"
#include "harness/judge.h"
#include "harness/shadow_reference.h"

#include <reports/causes.h>
#include <vectors/loader/vector_loader.h>

#include <chrono>
#include <string>
#include <string_view>
#include <variant>

namespace sendpath::harness {
namespace {

using report::Verdict;
using Clock = std::chrono::steady_clock;


NDIS_ENCAPSULATION_FORMAT FormatOf(vectors::Encapsulation encapsulation) {
  NDIS_ENCAPSULATION_FORMAT format{};
  const bool ethernet = encapsulation == vectors::Encapsulation::kIeee8023;
  format.Encapsulation = ethernet ? IEEE_802_3_Encapsulation : NULL_Encapsulation;
  format.Flags.FixedHeaderSize = 1;
  format.EncapsulationHeaderSize = ethernet ? 14u : 0u;
  return format;
}

std::string OpName(const vectors::SetStep&) { return "set"; }
std::string OpName(const vectors::AddSaStep&) { return "add_sa"; }
std::string OpName(const vectors::DeleteSaStep&) { return "delete_sa"; }
std::string OpName(const vectors::FillSaTableStep&) { return "fill_sa_table"; }
std::string OpName(const vectors::SendStep&) { return "send"; }
std::string OpName(const vectors::AddUdpEspSaStep&) { return "add_udpesp_sa"; }
std::string OpName(const vectors::DeleteUdpEspSaStep&) { return "delete_udpesp_sa"; }

std::string OpName(const vectors::Step& step) {
  return std::visit([](const auto& op) { return OpName(op); }, step.op);
}

}  // namespace

bool StopRequested(const std::atomic<bool>* stop) { return stop != nullptr && stop->load(); }

class StepExecutor::Impl {
 public:
  Impl(Candidate& candidate, bool statuses_observed, const vectors::Vector& vector, report::VectorResult& result,
       VectorIvs& ivs, const std::atomic<bool>* stop)
      : candidate_(candidate), observed_(statuses_observed), vector_(vector), result_(result), ivs_(ivs),
        stop_(stop), judge_(vector) {}

  ExecutionEnd Run() {
    bool failed = false;
    result_.steps.reserve(vector_.steps.size());  // one result per step: no moves of results while growing
    for (std::size_t index = 0; index < vector_.steps.size(); ++index) {
      const vectors::Step& step = vector_.steps[index];
      report::StepResult& out = result_.steps.emplace_back();
      out.index = index;
      out.op = OpName(step);
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
          skipped.op = OpName(vector_.steps[rest]);
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
      skipped.op = OpName(vector_.steps[rest]);
      skipped.verdict = Verdict::kSkipped;
      skipped.diagnosis = rest == index ? "not finished: the run was interrupted" : "not run: the run was interrupted";
    }
    result_.verdict = Verdict::kSkipped;
    result_.diagnosis = "abandoned at step " + std::to_string(index) + " (" + result_.steps[index].op +
                        "): the run was interrupted";
    return ExecutionEnd::kInterrupted;
  }

  // `rule`: the shadow reference's answer to the same request, quoted when it explains the
  // expected refusal.
  bool CheckStatus(report::StepResult& out, const char* what, NDIS_STATUS actual, NDIS_STATUS expected,
                   const nic::OidResult& rule) {
    out.expected_status = expected;
    if (!observed_) {
      out.notes.push_back("status not observed (captured candidate)");
      return true;
    }
    out.actual_status = actual;
    if (actual != expected) {
      out.verdict = Verdict::kFail;
      const std::string because = ShadowReference::Because(expected, rule.status, rule.reason, rule.detail);
      out.diagnosis = std::string(what) + ": status " + StatusText(actual) + ", expected " + StatusText(expected) + because;
      if (expected == NDIS_STATUS_SUCCESS) {
        out.cause = report::RefusedMustAccept(out.diagnosis, WhatTheVectorTests(vector_));
      } else if (actual == NDIS_STATUS_SUCCESS) {
        // `because` is " (the rule: <reason>)" when the reference refuses for the expected reason.
        static constexpr std::string_view kOpen = " (the rule: ";
        out.cause = report::AcceptedMustRefuse(out.diagnosis, because.size() > kOpen.size() + 1
                                                                  ? because.substr(kOpen.size(), because.size() - kOpen.size() - 1)
                                                                  : std::string());
        out.cause->text = out.diagnosis;  // the diagnosis already quotes the rule
      } else {
        out.cause = report::UnexplainedCause(out.diagnosis);
      }
      return false;
    }
    return true;
  }

  bool Execute(const vectors::SetStep& step, report::StepResult& out) {
    Capabilities enable;
    enable.task = step.task;
    enable.extension = step.extension;
    const NDIS_ENCAPSULATION_FORMAT format = FormatOf(step.encapsulation.value_or(vector_.encapsulation));
    auto status = candidate_.Set(format, enable);
    if (!status) return Error(out, status.error());
    CheckStatus(out, "OID_TCP_TASK_OFFLOAD set", *status, step.expect, shadow_.Set(format, enable));
    return true;
  }

  // The loader only accepts add_sa / fill_sa_table steps that name an SA of the vector
  // (vectors/loader: RequireSaName), so `sas.at` finds it.
  bool Execute(const vectors::AddSaStep& step, report::StepResult& out) {
    const vectors::SaSpec& sa = vector_.sas.at(step.sa);
    auto reply = AddSa(sa);
    if (!reply) return Error(out, reply.error());
    const nic::OidResult rule = shadow_.AddSa(step.sa, sa);
    if (CheckStatus(out, "OID_TCP_TASK_IPSEC_ADD_SA", reply->status, step.expect, rule) &&
        reply->status == NDIS_STATUS_SUCCESS) {
      Remember(step.sa, reply->handle, out);
    }
    return true;
  }

  bool Execute(const vectors::DeleteSaStep& step, report::StepResult& out) {
    auto status = candidate_.DeleteSa(handles_.Resolve(step.handle));
    if (!status) return Error(out, status.error());
    CheckStatus(out, "OID_TCP_TASK_IPSEC_DELETE_SA", *status, step.expect, shadow_.DeleteSa(step.handle));
    return true;
  }

  bool Execute(const vectors::AddUdpEspSaStep& step, report::StepResult& out) {
    const vectors::SaSpec& sa = vector_.sas.at(step.sa);
    vectors::AddSaRequest built = vectors::BuildAddUdpEspSaRequest(sa, handles_.ResolveParserEntry(step.parser_entry));
    AddSaRequest request;
    request.spec = &sa;
    request.buffer = std::move(built.buffer);
    request.extension = built.extension;
    auto reply = candidate_.AddUdpEspSa(request);
    if (!reply) return Error(out, reply.error());
    const nic::OidResult rule = shadow_.AddUdpEspSa(step.sa, sa, step.parser_entry);
    if (CheckStatus(out, "OID_TCP_TASK_IPSEC_ADD_UDPESP_SA", reply->status, step.expect, rule) &&
        reply->status == NDIS_STATUS_SUCCESS && Remember(step.sa, reply->handle, out)) {
      // S15a: an inbound add with a NULL EncapTypeEntryOffldHandle returns the new entry's.
      const bool wants_entry = sa.flags == OFFLOAD_INBOUND_SA && step.parser_entry.kind == vectors::HandleRef::Kind::kZero;
      if (wants_entry && reply->parser_entry == nullptr && observed_) {
        out.verdict = Verdict::kFail;
        out.diagnosis = "OID_TCP_TASK_IPSEC_ADD_UDPESP_SA succeeded for an inbound SA with a NULL "
                        "EncapTypeEntryOffldHandle but returned no parser entry handle";
        return true;
      }
      if (wants_entry) handles_.RememberParserEntry(step.sa, reply->parser_entry);
    }
    return true;
  }

  bool Execute(const vectors::DeleteUdpEspSaStep& step, report::StepResult& out) {
    auto status = candidate_.DeleteUdpEspSa(handles_.Resolve(step.handle), handles_.ResolveParserEntry(step.parser_entry));
    if (!status) return Error(out, status.error());
    CheckStatus(out, "OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA", *status, step.expect,
                shadow_.DeleteUdpEspSa(step.handle, step.parser_entry));
    return true;
  }

  bool Execute(const vectors::FillSaTableStep& step, report::StepResult& out) {
    const vectors::SaSpec& sa = vector_.sas.at(step.sa);
    out.expected_status = NDIS_STATUS_RESOURCES;
    shadow_.AddSa(step.sa, sa);  // one copy: the shadow only needs the handle for later sends
    for (std::size_t added = 0; added <= step.limit; ++added) {
      if (StopRequested(stop_)) {
        interrupted_ = true;
        return true;
      }
      auto reply = AddSa(sa);
      if (!reply) return Error(out, reply.error());
      if (!observed_) {
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
      info.Transmit.OffloadHandle = handles_.Resolve(step.offload_handle);
      info.Transmit.NextOffloadHandle = handles_.Resolve(step.next_offload_handle);
      request.info = info;
    }
    for (const auto& [name, ivs] : step.ivs) {
      if (const NDIS_HANDLE* handle = handles_.Find(name)) request.ivs.push_back(IvInjection{*handle, ivs});
    }
    request.context.vector_id = vector_.id;
    request.context.step_index = out.index;
    out.input_frame = step.frame;
    out.expected_frame = step.expect_frame;
    out.expected_status = step.expect_status;
    out.iv_bytes = step.iv_bytes;

    auto reply = candidate_.Send(request);
    if (!reply) return Error(out, reply.error());
    out.actual_status = reply->status;
    if (reply->frame && !reply->frame->empty()) out.actual_frame = reply->frame;
    SendJudgement judgement = judge_.Judge(step, *reply);
    out.verdict = judgement.verdict;
    out.diagnosis = std::move(judgement.diagnosis);
    out.cause = std::move(judgement.cause);
    const bool must_refuse = out.cause && out.cause->id == "accepted-must-refuse";
    if ((reply->status != step.expect_status && step.expect_status != NDIS_STATUS_SUCCESS) || must_refuse) {
      // " (the rule: <reason>)" from the reference's answer to the same send.
      const std::string rule = shadow_.SendRule(step);
      if (reply->status != step.expect_status) out.diagnosis += rule;
      if (must_refuse && !rule.empty()) {
        static constexpr std::string_view kOpen = " (the rule: ";
        out.cause->rule = rule.substr(kOpen.size(), rule.size() - kOpen.size() - 1);
        out.cause->text += rule;
      }
    }
    out.notes = std::move(judgement.notes);
    out.differences = std::move(judgement.differences);
    out.leaked = judgement.leaked;
    out.leaked_plaintext = judgement.leaked_plaintext;
    out.expected_check = std::move(judgement.expected_check);
    if (judgement.picked_own_ivs) {
      ivs_.picked_own_ivs = true;
      out.notes.push_back("the candidate used its own IVs: judged by decrypt-and-compare");
    }
    // IV reuse under one SA. Injected IVs are remembered too; only an IV the candidate chose can
    // be its repeat.
    for (IvUse& use : judgement.ivs) {
      const std::optional<std::size_t> first = ledger_.Record(use, out.index);
      if (first && use.chosen_by_candidate) {
        const std::string what = RepeatedIvText(use, *first, out.index);
        if (use.aead && out.verdict == Verdict::kPass) {
          out.verdict = Verdict::kFail;
          out.diagnosis = what;
        } else {
          out.notes.push_back(what);
        }
      }
      ivs_.sightings.push_back(IvSighting{out.index, std::move(use)});
    }
    return true;
  }

  Outcome<AddSaReply> AddSa(const vectors::SaSpec& sa) {
    vectors::AddSaRequest built = vectors::BuildAddSaRequest(sa);
    AddSaRequest request;
    request.spec = &sa;
    request.buffer = std::move(built.buffer);
    request.extension = built.extension;
    return candidate_.AddSa(request);
  }

  bool Remember(const std::string& name, NDIS_HANDLE handle, report::StepResult& out) {
    if (handle == nullptr && observed_) {
      out.verdict = Verdict::kFail;
      out.diagnosis = "OID_TCP_TASK_IPSEC_ADD_SA succeeded but left OffloadHandle 0 (0 means \"no offload\" on a send)";
      return false;
    }
    handles_.Remember(name, handle);
    return true;
  }

  static bool Error(report::StepResult& out, const CandidateError& error) {
    out.diagnosis = error.reason;
    return false;
  }

  Candidate& candidate_;
  const bool observed_;
  const vectors::Vector& vector_;
  report::VectorResult& result_;
  VectorIvs& ivs_;
  const std::atomic<bool>* stop_;
  bool interrupted_ = false;  // a step loop (fill_sa_table) stopped early on the stop flag
  SendJudge judge_;
  HandleMap handles_;
  SaIvLedger ledger_;
  ShadowReference shadow_;
};

StepExecutor::StepExecutor(Candidate& candidate, bool statuses_observed, const vectors::Vector& vector,
                           report::VectorResult& result, VectorIvs& ivs, const std::atomic<bool>* stop)
    : impl_(std::make_unique<Impl>(candidate, statuses_observed, vector, result, ivs, stop)) {}

StepExecutor::~StepExecutor() = default;

ExecutionEnd StepExecutor::Run() { return impl_->Run(); }

}  // namespace sendpath::harness
