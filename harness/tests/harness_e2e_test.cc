// End-to-end tests: the bundled vectors run against every candidate kind, against candidates that
// crash, hang, print garbage, exit, leak, reuse IVs or compute a wrong ICV, and through the
// `sendpath` command for its exit codes. Paths of the built executables come from CMake.
#include "harness/candidate_spec.h"
#include "harness/candidates/reference/reference_candidate.h"
#include "harness/export.h"
#include "harness/runner.h"
#include "reports/pcap_io.h"

#include <vectors/loader/vector_loader.h>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace sendpath::harness {
namespace {

using report::Verdict;

const std::string kVectors = SENDPATH_TEST_VECTORS;
const std::string kSendpath = SENDPATH_TEST_SENDPATH;
const std::string kAgent = SENDPATH_TEST_REFERENCE_AGENT;
const std::string kReferenceLib = SENDPATH_TEST_REFERENCE_LIB;
const std::string kMisbehavingAgent = SENDPATH_TEST_MISBEHAVING_AGENT;
const std::string kMisbehavingLib = SENDPATH_TEST_MISBEHAVING_LIB;

// The bundled suites (every one that exists): the reference in every form must pass them all.
const vectors::LoadResult& Suite() {
  static const vectors::LoadResult loaded = [] {
    std::vector<std::string> paths;
    for (const char* suite : {"kat", "independent", "contract", "robustness", "regressions"}) {
      if (std::filesystem::is_directory(kVectors + "/" + suite)) paths.push_back(kVectors + "/" + suite);
    }
    return vectors::LoadVectorPaths(paths);
  }();
  return loaded;
}

std::vector<SelectedVector> Select(std::vector<std::string> filters) {
  EXPECT_TRUE(Suite().errors.empty()) << Suite().errors.front().ToString();
  return SelectVectors(Suite().files, filters);
}

RunOutcome RunWith(const std::string& spec, const std::vector<SelectedVector>& selected, std::size_t jobs = 1,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  SpecOptions options;
  options.request_timeout = timeout;
  options.host_path = SENDPATH_TEST_HOST;
  FactoryResult factory = MakeCandidateFactory(spec, options);
  EXPECT_TRUE(factory.factory) << factory.error;
  RunOptions run;
  run.jobs = jobs;
  return RunVectors(selected, *factory.factory, run);
}

std::map<std::string, Verdict> Verdicts(const report::RunResult& run) {
  std::map<std::string, Verdict> verdicts;
  for (const auto& vector : run.vectors) verdicts[vector.id] = vector.verdict;
  return verdicts;
}

std::size_t Count(const report::RunResult& run, Verdict verdict) {
  std::size_t n = 0;
  for (const auto& vector : run.vectors) n += vector.verdict == verdict ? 1 : 0;
  return n;
}

const report::VectorResult& Find(const report::RunResult& run, const std::string& id) {
  for (const auto& vector : run.vectors) {
    if (vector.id == id) return vector;
  }
  ADD_FAILURE() << "no result for " << id;
  return run.vectors.front();
}

std::string LibSpec(const std::string& options = "") {
  return "lib:" + kMisbehavingLib + ",delegate=" + kReferenceLib + (options.empty() ? "" : "," + options);
}

// ---- The three candidate kinds ----------------------------------------------------------------

TEST(EndToEnd, ReferenceInEveryFormPassesTheSameWay) {
  const auto selected = Select({});
  ASSERT_GT(selected.size(), 20u);
  const RunOutcome in_process = RunWith("reference", selected);
  const RunOutcome library = RunWith("lib:" + kReferenceLib, selected);
  const RunOutcome subprocess = RunWith("exec:" + kAgent, selected);
  for (const RunOutcome* outcome : {&in_process, &library, &subprocess}) {
    EXPECT_EQ(Count(outcome->result, Verdict::kPass), selected.size()) << outcome->result.candidate.spec;
    EXPECT_EQ(ExitCodeOf(outcome->result), 0);
    EXPECT_FALSE(outcome->result.candidate.picks_own_ivs);
    EXPECT_TRUE(outcome->result.run_findings.empty());  // injected IVs are the vector's, not judged
    EXPECT_EQ(outcome->result.candidate.claimed_caps, in_process.result.candidate.claimed_caps);
  }
  EXPECT_NE(library.result.candidate.identity.find("sendpath-abi/1"), std::string::npos)
      << library.result.candidate.identity;
  EXPECT_EQ(Verdicts(library.result), Verdicts(in_process.result));
  EXPECT_EQ(Verdicts(subprocess.result), Verdicts(in_process.result));
}

TEST(EndToEnd, JobsDoNotChangeTheResults) {
  const auto selected = Select({});
  const RunOutcome one = RunWith("exec:" + kMisbehavingAgent + " --own-ivs --leak", selected, 1);
  const RunOutcome two = RunWith("exec:" + kMisbehavingAgent + " --own-ivs --leak", selected, 2);
  ASSERT_EQ(one.result.vectors.size(), two.result.vectors.size());
  for (std::size_t i = 0; i < one.result.vectors.size(); ++i) {
    EXPECT_EQ(one.result.vectors[i].id, two.result.vectors[i].id);
    EXPECT_EQ(one.result.vectors[i].verdict, two.result.vectors[i].verdict) << one.result.vectors[i].id;
    EXPECT_EQ(one.result.vectors[i].diagnosis, two.result.vectors[i].diagnosis);
  }
  EXPECT_EQ(one.result.run_notes, two.result.run_notes);
  ASSERT_EQ(one.result.run_findings.size(), two.result.run_findings.size());
  for (std::size_t i = 0; i < one.result.run_findings.size(); ++i) {
    EXPECT_EQ(report::FindingText(one.result.run_findings[i]), report::FindingText(two.result.run_findings[i]));
  }
}

// The findings of `kind`.
std::vector<report::RunFinding> FindingsOf(const report::RunResult& run, report::FindingKind kind) {
  std::vector<report::RunFinding> found;
  for (const report::RunFinding& finding : run.run_findings) {
    if (finding.kind == kind) found.push_back(finding);
  }
  return found;
}

// The send steps of `vector` that name SA `sa` (an IV is drawn for it), in order.
std::vector<std::size_t> SendsUnder(const vectors::Vector& vector, const std::string& sa) {
  std::vector<std::size_t> steps;
  for (std::size_t index = 0; index < vector.steps.size(); ++index) {
    const auto* send = std::get_if<vectors::SendStep>(&vector.steps[index].op);
    if (send != nullptr && send->expect_frame && send->ivs.count(sa) != 0) steps.push_back(index);
  }
  return steps;
}

// The steps at which `finding` saw SA `sa` of `vector`.
std::vector<std::size_t> StepsOf(const report::RunFinding& finding, const std::string& vector, const std::string& sa) {
  std::vector<std::size_t> steps;
  for (const report::IvOccurrence& at : finding.occurrences) {
    if (at.vector == vector && at.sa == sa) steps.push_back(at.step);
  }
  return steps;
}

TEST(EndToEnd, FilterSelectsByGlobOnIds) {
  const auto gcm = Select({"kat/mcgrew-gcm/*"});
  ASSERT_FALSE(gcm.empty());
  for (const auto& entry : gcm) EXPECT_EQ(entry.vector->id.rfind("kat/mcgrew-gcm/", 0), 0u);
  const auto two = Select({"kat/rfc3602/case-5", "kat/rfc3602/case-6"});
  EXPECT_EQ(two.size(), 2u);
  EXPECT_TRUE(Select({"no-such-vector*"}).empty());
}

// ---- Misbehaving candidates cost their vector only --------------------------------------------

struct Misbehaviour {
  std::string option;
  std::string reason;  // expected in the diagnosis
};

TEST(EndToEnd, EachMisbehaviourCostsOnlyItsVector) {
  const auto selected = Select({"kat/*"});
  const std::string victim = "kat/mcgrew-gcm/case-03";
  for (const Misbehaviour& m : {Misbehaviour{"--crash-on", "SIGSEGV"}, Misbehaviour{"--hang-on", "hang"},
                                Misbehaviour{"--garbage-on", "garbage"}, Misbehaviour{"--exit-on", "status 7"}}) {
    const RunOutcome outcome =
        RunWith("exec:" + kMisbehavingAgent + " " + m.option + " " + victim, selected, 1, std::chrono::milliseconds(1500));
    const auto& hit = Find(outcome.result, victim);
    EXPECT_EQ(hit.verdict, Verdict::kCandidateError) << m.option;
    EXPECT_NE(hit.diagnosis.find(m.reason), std::string::npos) << m.option << ": " << hit.diagnosis;
    EXPECT_EQ(Count(outcome.result, Verdict::kPass), selected.size() - 1) << m.option;
    EXPECT_EQ(ExitCodeOf(outcome.result), 1) << m.option;
    EXPECT_FALSE(outcome.candidate_never_ran);
  }
}

TEST(EndToEnd, ACrashingOrHangingLibraryCostsOnlyItsVector) {
  const auto selected = Select({"kat/*"});
  const std::string marker = std::filesystem::temp_directory_path() / ("sendpath-once-" + std::to_string(getpid()));
  std::filesystem::remove(marker);
  const RunOutcome crash = RunWith(LibSpec("crash_on_send=3,once=" + marker), selected);
  EXPECT_EQ(Count(crash.result, Verdict::kCandidateError), 1u);
  EXPECT_EQ(Count(crash.result, Verdict::kPass), selected.size() - 1);
  const auto& crashed = crash.result.vectors[2];
  EXPECT_EQ(crashed.verdict, Verdict::kCandidateError);
  EXPECT_NE(crashed.diagnosis.find("SIGSEGV"), std::string::npos) << crashed.diagnosis;

  std::filesystem::remove(marker);
  const RunOutcome hang = RunWith(LibSpec("hang_on_send=2,once=" + marker), selected, 1, std::chrono::milliseconds(1500));
  std::filesystem::remove(marker);
  EXPECT_EQ(hang.result.vectors[1].verdict, Verdict::kCandidateError);
  EXPECT_NE(hang.result.vectors[1].diagnosis.find("hang"), std::string::npos) << hang.result.vectors[1].diagnosis;
  EXPECT_EQ(Count(hang.result, Verdict::kPass), selected.size() - 1);
}

TEST(EndToEnd, ACandidateThatNeverStartsIsReported) {
  const auto selected = Select({"kat/rfc3602/*"});
  const RunOutcome outcome = RunWith("exec:/nonexistent/agent", selected);
  EXPECT_TRUE(outcome.candidate_never_ran);
  EXPECT_EQ(Count(outcome.result, Verdict::kCandidateError), selected.size());
  EXPECT_FALSE(outcome.candidate_error.empty());

  setenv("SENDPATH_TEST_ABI_VERSION", "99", 1);
  const RunOutcome wrong_abi = RunWith(LibSpec(), selected);
  unsetenv("SENDPATH_TEST_ABI_VERSION");
  EXPECT_TRUE(wrong_abi.candidate_never_ran);
  EXPECT_NE(wrong_abi.candidate_error.find("ABI version 99"), std::string::npos) << wrong_abi.candidate_error;
}

// ---- Stopping (SIGINT/SIGTERM set RunOptions::stop) -------------------------------------------

// The reference NIC, raising the stop flag at its `stop_at`-th ADD_SA, counting the calls after.
class StoppingCandidate final : public Candidate {
 public:
  StoppingCandidate(std::atomic<bool>& stop, std::size_t stop_at, std::size_t& adds_after_stop)
      : stop_(stop), stop_at_(stop_at), adds_after_stop_(adds_after_stop) {}
  Outcome<CandidateIdentity> Start() override { return inner_.Start(); }
  Outcome<Done> Reset() override { return inner_.Reset(); }
  Outcome<Capabilities> QueryCapabilities() override { return inner_.QueryCapabilities(); }
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) override {
    return inner_.Set(encapsulation, enable);
  }
  Outcome<AddSaReply> AddSa(const AddSaRequest& request) override {
    if (stop_.load()) ++adds_after_stop_;
    if (++adds_ == stop_at_) stop_.store(true);
    return inner_.AddSa(request);
  }
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE handle) override { return inner_.DeleteSa(handle); }
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& r) override { return inner_.AddUdpEspSa(r); }
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE h, NDIS_HANDLE entry) override { return inner_.DeleteUdpEspSa(h, entry); }
  Outcome<SendReply> Send(const SendRequest& request) override { return inner_.Send(request); }

 private:
  ReferenceCandidate inner_;
  std::atomic<bool>& stop_;
  std::size_t stop_at_;
  std::size_t& adds_after_stop_;
  std::size_t adds_ = 0;
};

class StoppingFactory final : public CandidateFactory {
 public:
  StoppingFactory(std::atomic<bool>& stop, std::size_t stop_at, std::size_t& adds_after_stop)
      : stop_(stop), stop_at_(stop_at), adds_after_stop_(adds_after_stop) {
    spec = "stopping";
  }
  std::unique_ptr<Candidate> Make() const override {
    return std::make_unique<StoppingCandidate>(stop_, stop_at_, adds_after_stop_);
  }

 private:
  std::atomic<bool>& stop_;
  std::size_t stop_at_;
  std::size_t& adds_after_stop_;
};

TEST(Stop, AFillInProgressIsAbandonedAtOnceAndTheRestIsNotRun) {
  // The vectors before table-full pass; table-full adds thousands of SAs in one step and the
  // stop comes at its 100th ADD_SA; the vectors after it are not run.
  const auto selected = Select({"contract/add-sa/*", "kat/rfc3602/case-5"});
  std::size_t fill = selected.size();
  for (std::size_t i = 0; i < selected.size(); ++i) {
    if (selected[i].vector->id == "contract/add-sa/table-full") fill = i;
  }
  ASSERT_LT(fill, selected.size() - 1);
  std::size_t adds_before = 0;
  for (std::size_t i = 0; i < fill; ++i) {
    for (const auto& step : selected[i].vector->steps) adds_before += std::holds_alternative<vectors::AddSaStep>(step.op) ? 1 : 0;
  }
  std::atomic<bool> stop{false};
  std::size_t adds_after_stop = 0;
  StoppingFactory factory(stop, adds_before + 100, adds_after_stop);
  RunOptions options;
  options.stop = &stop;
  const RunOutcome outcome = RunVectors(selected, factory, options);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_FALSE(outcome.result.complete);
  EXPECT_EQ(adds_after_stop, 0u);  // the fill loop looks at the flag before every ADD_SA
  for (std::size_t i = 0; i < fill; ++i) EXPECT_NE(outcome.result.vectors[i].verdict, Verdict::kSkipped) << i;
  const auto& abandoned = outcome.result.vectors[fill];
  EXPECT_EQ(abandoned.verdict, Verdict::kSkipped);
  EXPECT_NE(abandoned.diagnosis.find("(fill_sa_table): the run was interrupted"), std::string::npos) << abandoned.diagnosis;
  ASSERT_EQ(abandoned.steps.size(), selected[fill].vector->steps.size());
  bool from_fill = false;
  for (const auto& step : abandoned.steps) {
    from_fill = from_fill || step.op == "fill_sa_table";
    EXPECT_EQ(step.verdict == Verdict::kSkipped, from_fill) << step.index;
  }
  for (std::size_t i = fill + 1; i < outcome.result.vectors.size(); ++i) {
    EXPECT_EQ(outcome.result.vectors[i].verdict, Verdict::kSkipped);
    EXPECT_EQ(outcome.result.vectors[i].diagnosis, "not run: the run was interrupted");
  }
  EXPECT_EQ(ExitCodeOf(outcome.result), 0);  // hence `sendpath run` looks at `complete` (exit 4)
}

TEST(Stop, AStopBeforeTheFirstVectorRunsNothing) {
  const auto selected = Select({"kat/*"});
  std::atomic<bool> stop{true};
  std::size_t adds_after_stop = 0;
  StoppingFactory factory(stop, 0, adds_after_stop);
  RunOptions options;
  options.stop = &stop;
  const RunOutcome outcome = RunVectors(selected, factory, options);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_FALSE(outcome.candidate_never_ran);
  EXPECT_EQ(Count(outcome.result, Verdict::kSkipped), selected.size());
  EXPECT_EQ(adds_after_stop, 0u);
}

// ---- Judging ----------------------------------------------------------------------------------

TEST(Judge, OwnIvsAreJudgedByDecryptAndCompare) {
  const auto selected = Select({});
  const RunOutcome outcome = RunWith("exec:" + kMisbehavingAgent + " --own-ivs", selected);
  EXPECT_EQ(Count(outcome.result, Verdict::kPass), selected.size());
  EXPECT_TRUE(outcome.result.candidate.picks_own_ivs);
  // Random IVs of its own (the reference NIC's generator): no finding, the run passes.
  EXPECT_TRUE(outcome.result.run_findings.empty()) << report::FindingText(outcome.result.run_findings.front());
  EXPECT_EQ(ExitCodeOf(outcome.result), 0);
}

TEST(Judge, ConstantCbcIvsAcrossTheRunFailIt) {
  const auto selected = Select({"kat/rfc3602/*"});
  const RunOutcome outcome = RunWith("exec:" + kMisbehavingAgent + " --constant-ivs", selected);
  // Every frame decrypts (the IV is sent along), but RFC 3602 section 3 makes the run fail.
  EXPECT_EQ(Count(outcome.result, Verdict::kPass), selected.size());
  EXPECT_EQ(ExitCodeOf(outcome.result), 1);
  ASSERT_EQ(outcome.result.run_findings.size(), 1u) << report::FindingText(outcome.result.run_findings.front());
  const report::RunFinding& finding = outcome.result.run_findings.front();
  EXPECT_EQ(finding.kind, report::FindingKind::kCbcIvConstant);
  EXPECT_EQ(finding.severity, report::Severity::kMust);
  EXPECT_EQ(finding.algorithm, "AES-CBC");
  EXPECT_GE(finding.Sas().size(), 2u);
  for (const report::IvOccurrence& at : finding.occurrences) EXPECT_EQ(at.iv, Bytes(16, 0)) << at.vector;
  EXPECT_EQ(finding.rule.rfind("RFC 3602 section 3", 0), 0u) << finding.rule;
}

TEST(Judge, AGcmIvRepeatedUnderOneSaFails) {
  auto selected = Select({"kat/mcgrew-gcm/case-01"});
  ASSERT_EQ(selected.size(), 1u);
  // The same send twice under one SA: a NIC drawing a constant IV repeats its nonce.
  vectors::Vector twice = *selected[0].vector;
  const auto send = std::find_if(twice.steps.begin(), twice.steps.end(),
                                 [](const vectors::Step& s) { return std::holds_alternative<vectors::SendStep>(s.op); });
  ASSERT_NE(send, twice.steps.end());
  twice.steps.push_back(*send);
  selected[0].vector = &twice;
  const RunOutcome constant = RunWith("exec:" + kMisbehavingAgent + " --constant-ivs", selected);
  const auto& result = constant.result.vectors[0];
  EXPECT_EQ(result.verdict, Verdict::kFail);
  EXPECT_NE(result.diagnosis.find("repeated under SA"), std::string::npos) << result.diagnosis;
  EXPECT_EQ(result.steps.back().verdict, Verdict::kFail);
  // Fresh random IVs do not repeat.
  const RunOutcome random = RunWith("exec:" + kMisbehavingAgent + " --own-ivs", selected);
  EXPECT_EQ(random.result.vectors[0].verdict, Verdict::kPass) << random.result.vectors[0].diagnosis;
}

// Which algorithm an SA's element draws its IV for (only what the IV vectors use).
bool IsAeadSa(const vectors::SaSpec& sa) {
  for (const vectors::SecAssocSpec& element : sa.bundle) {
    if (element.conf && element.conf->name.rfind("AES_GCM_", 0) == 0) return true;
    if (element.integrity && element.integrity->name.rfind("AES_GMAC_", 0) == 0) return true;
  }
  return false;
}

// The IV length of each CBC IV the NIC draws over the vectors' successful sends, from the
// vectors themselves: the SAs a send injects IVs for, element by element.
std::map<std::size_t, std::size_t> CbcIvCounts(const std::vector<SelectedVector>& selected) {
  std::map<std::size_t, std::size_t> counts;
  for (const SelectedVector& s : selected) {
    for (const vectors::Step& step : s.vector->steps) {
      const auto* send = std::get_if<vectors::SendStep>(&step.op);
      if (send == nullptr || !send->expect_frame) continue;
      for (const auto& [name, ivs] : send->ivs) {
        (void)ivs;
        for (const vectors::SecAssocSpec& element : s.vector->sas.at(name).bundle) {
          if (!element.conf) continue;
          const std::string& conf = element.conf->name;
          if (conf == "DES" || conf == "3_DES") ++counts[8];
          if (conf.rfind("AES_CBC_", 0) == 0) ++counts[16];
        }
      }
    }
  }
  return counts;
}

TEST(Judge, ConstantIvsInsideAnEncryptedTunnelAreReadDecrypted) {
  // Transport ESPs inside encrypted tunnels: on the wire their IVs are ciphertext. A NIC writing
  // all-zero IVs must be reported as the same IV everywhere, not as a scatter of repeats.
  const auto selected = Select({"contract/transport-over-tunnel/*"});
  const std::map<std::size_t, std::size_t> counts = CbcIvCounts(selected);
  ASSERT_EQ(counts.size(), 2u);  // DES/3DES and AES-CBC IVs, inner and outer
  const RunOutcome outcome = RunWith("exec:" + kMisbehavingAgent + " --constant-ivs", selected);
  EXPECT_EQ(Count(outcome.result, Verdict::kPass), selected.size());
  EXPECT_EQ(ExitCodeOf(outcome.result), 1);
  const auto constant = FindingsOf(outcome.result, report::FindingKind::kCbcIvConstant);
  for (const auto& [iv_length, iv_count] : counts) {
    // clang 14 cannot capture structured bindings: plain copies for the lambdas.
    const std::size_t length = iv_length, count = iv_count;
    const bool found = std::any_of(constant.begin(), constant.end(), [&](const report::RunFinding& finding) {
      return finding.occurrences.size() == count &&
             std::all_of(finding.occurrences.begin(), finding.occurrences.end(),
                         [&](const report::IvOccurrence& at) { return at.iv == Bytes(length, 0); });
    });
    EXPECT_TRUE(found) << "no constant-IV finding over the " << count << " CBC IVs of " << length << " bytes";
  }
  EXPECT_TRUE(FindingsOf(outcome.result, report::FindingKind::kCbcIvRepeatedAcrossSas).empty());
}

TEST(Judge, IvFreshnessVectorsCatchARepeatedIv) {
  const auto selected = Select({"contract/iv-freshness/*"});
  ASSERT_GE(selected.size(), 7u);
  // A NIC that takes the injected IVs, or draws random ones, passes every one of them.
  for (const char* spec : {"", " --own-ivs"}) {
    const RunOutcome outcome = RunWith("exec:" + kMisbehavingAgent + spec, selected);
    EXPECT_EQ(Count(outcome.result, Verdict::kPass), selected.size()) << spec;
    EXPECT_TRUE(outcome.result.run_findings.empty()) << report::FindingText(outcome.result.run_findings.front());
    EXPECT_EQ(ExitCodeOf(outcome.result), 0) << spec;
  }
  // A NIC writing the same IV every packet: every vector with an AES-GCM/GMAC SA fails at the
  // send that repeats an IV under that SA, naming the SA, the IV and both steps.
  const RunOutcome constant = RunWith("exec:" + kMisbehavingAgent + " --constant-ivs", selected);
  EXPECT_EQ(ExitCodeOf(constant.result), 1);
  std::size_t aead_vectors = 0, hidden_repeats = 0;
  for (std::size_t v = 0; v < selected.size(); ++v) {
    const vectors::Vector& vector = *selected[v].vector;
    const report::VectorResult& result = constant.result.vectors[v];
    // The expected first repeat under an AES-GCM/GMAC SA, from the vector's sends.
    std::map<std::string, std::size_t> first_send;
    std::optional<std::tuple<std::string, std::size_t, std::size_t>> repeat;
    for (std::size_t index = 0; index < vector.steps.size() && !repeat; ++index) {
      const auto* send = std::get_if<vectors::SendStep>(&vector.steps[index].op);
      if (send == nullptr) continue;
      for (const auto& [name, ivs] : send->ivs) {
        (void)ivs;
        if (!IsAeadSa(vector.sas.at(name))) continue;
        const auto [first, inserted] = first_send.emplace(name, index);
        if (!inserted && !repeat) repeat = std::make_tuple(name, first->second, index);
      }
    }
    if (!repeat) {
      EXPECT_EQ(result.verdict, Verdict::kPass) << vector.id << ": " << result.diagnosis;
      continue;
    }
    ++aead_vectors;
    const auto& [sa, first, again] = *repeat;
    EXPECT_EQ(result.verdict, Verdict::kFail) << vector.id;
    const std::string expected = "step " + std::to_string(again) + " (send): IV 0000000000000000 repeated under SA " +
                                 sa + "/";
    EXPECT_EQ(result.diagnosis.rfind(expected, 0), 0u) << vector.id << ": " << result.diagnosis;
    EXPECT_NE(result.diagnosis.find("reuses the IV of step " + std::to_string(first)), std::string::npos)
        << result.diagnosis;
    EXPECT_NE(result.diagnosis.find("section 3.1"), std::string::npos) << result.diagnosis;
    // The transport SA of a transport-over-tunnel vector whose tunnel SA encrypts: on the wire
    // its IV is the tunnel's ciphertext, and the diagnosis says it was read after decryption.
    const bool under_encrypted_tunnel =
        !vector.sas.at(sa).src_tunnel_addr &&
        std::any_of(vector.sas.begin(), vector.sas.end(), [](const auto& entry) {
          return entry.second.src_tunnel_addr &&
                 std::any_of(entry.second.bundle.begin(), entry.second.bundle.end(),
                             [](const vectors::SecAssocSpec& e) { return e.conf && e.conf->name != "NONE"; });
        });
    hidden_repeats += under_encrypted_tunnel ? 1 : 0;
    EXPECT_EQ(result.diagnosis.find("inside the encrypted tunnel") != std::string::npos, under_encrypted_tunnel)
        << vector.id << ": " << result.diagnosis;
  }
  EXPECT_GE(aead_vectors, 5u);
  EXPECT_GE(hidden_repeats, 1u);
  // Each AES-GCM/GMAC repeat is also a run-wide finding, naming the SA and the steps.
  EXPECT_GE(FindingsOf(constant.result, report::FindingKind::kIvRepeatedUnderSa).size(), aead_vectors);
  // The CBC SAs: their frames decrypt, so the vectors pass, but the constant IVs are a MUST
  // finding naming each CBC SA with every send under it.
  const std::string cbc_id = "contract/iv-freshness/esp-transport-aes-cbc-128-sha-1";
  const auto& cbc = Find(constant.result, cbc_id);
  EXPECT_EQ(cbc.verdict, Verdict::kPass) << cbc.diagnosis;
  const auto cbc_constant = FindingsOf(constant.result, report::FindingKind::kCbcIvConstant);
  const vectors::Vector* cbc_vector = nullptr;
  for (const SelectedVector& s : selected) cbc_vector = s.vector->id == cbc_id ? s.vector : cbc_vector;
  ASSERT_NE(cbc_vector, nullptr);
  const bool named = std::any_of(cbc_constant.begin(), cbc_constant.end(), [&](const report::RunFinding& finding) {
    return finding.severity == report::Severity::kMust && StepsOf(finding, cbc_id, "t/esp") == SendsUnder(*cbc_vector, "t");
  });
  EXPECT_TRUE(named);
}

TEST(Judge, TheSampleNicWithAConstantIvFailsWithCbcFindings) {
  const std::string library = SENDPATH_TEST_SAME_IV_NIC;
  if (library.empty() || !std::filesystem::exists(library)) GTEST_SKIP() << "libsendpath_faulty_same_iv_every_packet.so not built";
  const auto selected = Select({"contract/iv-freshness/esp-transport-aes-cbc-128-sha-1", "contract/iv-freshness/esp-transport-3des-md5"});
  ASSERT_EQ(selected.size(), 2u);
  SpecOptions options;
  options.host_path = SENDPATH_TEST_HOST;
  FactoryResult factory = MakeCandidateFactory("lib:" + library, options);
  ASSERT_TRUE(factory.factory) << factory.error;
  const RunOutcome outcome = RunVectors(selected, *factory.factory, RunOptions{});
  // The frames decrypt: the vectors pass; the IVs do not.
  EXPECT_EQ(Count(outcome.result, Verdict::kPass), selected.size());
  EXPECT_EQ(ExitCodeOf(outcome.result), 1);
  const auto constant = FindingsOf(outcome.result, report::FindingKind::kCbcIvConstant);
  ASSERT_EQ(constant.size(), 2u);  // one per SA: the AES-CBC and the 3DES-CBC IVs are judged apart
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(StepsOf(constant[i], selected[i].vector->id, "t/esp"), SendsUnder(*selected[i].vector, "t"));
    EXPECT_EQ(constant[i].severity, report::Severity::kMust);
  }
  EXPECT_EQ(constant[0].algorithm, "AES-CBC");
  EXPECT_EQ(constant[1].algorithm, "3DES-CBC");
}

TEST(Judge, CounterIvsFailCbcButAreLegalForGcmAndGmac) {
  const auto selected = Select({"contract/iv-freshness/*"});
  const RunOutcome outcome = RunWith("exec:" + kMisbehavingAgent + " --counter-ivs", selected);
  // Every frame decrypts with its counter IV and no AES-GCM/GMAC nonce repeats.
  EXPECT_EQ(Count(outcome.result, Verdict::kPass), selected.size());
  EXPECT_EQ(ExitCodeOf(outcome.result), 1);
  for (const report::RunFinding& finding : outcome.result.run_findings) {
    EXPECT_EQ(finding.kind, report::FindingKind::kCbcIvCounter) << report::FindingText(finding);
    EXPECT_EQ(finding.algorithm.find("GCM"), std::string::npos) << report::FindingText(finding);
    EXPECT_EQ(finding.algorithm.find("GMAC"), std::string::npos) << report::FindingText(finding);
  }
  // Every CBC SA with at least 3 sends is named as a counter, with all its sends.
  std::size_t judged = 0;
  for (const SelectedVector& s : selected) {
    for (const auto& [sa_name, sa] : s.vector->sas) {
      const std::string& name = sa_name;  // clang 14 cannot capture a structured binding
      const bool cbc = std::any_of(sa.bundle.begin(), sa.bundle.end(), [](const vectors::SecAssocSpec& e) {
        return e.conf && (e.conf->name == "DES" || e.conf->name == "3_DES" || e.conf->name.rfind("AES_CBC_", 0) == 0);
      });
      const std::vector<std::size_t> sends = SendsUnder(*s.vector, name);
      if (!cbc || sends.size() < 3) continue;
      ++judged;
      const bool named = std::any_of(outcome.result.run_findings.begin(), outcome.result.run_findings.end(),
                                     [&](const report::RunFinding& finding) {
                                       return StepsOf(finding, s.vector->id, name + "/esp") == sends;
                                     });
      EXPECT_TRUE(named) << s.vector->id << " SA " << name;
    }
  }
  EXPECT_GE(judged, 3u);  // AES-CBC-128, AES-CBC-256 (a tunnel), 3DES
  // The AES-GCM/GMAC vectors alone: a counter is the IV RFC 4106 section 3.1 suggests.
  std::vector<SelectedVector> aead;
  for (const SelectedVector& s : selected) {
    const bool any_cbc = std::any_of(s.vector->sas.begin(), s.vector->sas.end(), [](const auto& entry) {
      return std::any_of(entry.second.bundle.begin(), entry.second.bundle.end(), [](const vectors::SecAssocSpec& e) {
        return e.conf && (e.conf->name == "DES" || e.conf->name == "3_DES" || e.conf->name.rfind("AES_CBC_", 0) == 0);
      });
    });
    if (!any_cbc) aead.push_back(s);
  }
  ASSERT_GE(aead.size(), 5u);
  const RunOutcome gcm = RunWith("exec:" + kMisbehavingAgent + " --counter-ivs", aead);
  EXPECT_EQ(Count(gcm.result, Verdict::kPass), aead.size());
  EXPECT_TRUE(gcm.result.run_findings.empty()) << report::FindingText(gcm.result.run_findings.front());
  EXPECT_EQ(ExitCodeOf(gcm.result), 0);
}

TEST(Judge, EmittingOnARefusedSendIsALeak) {
  const auto selected = Select({"robustness/*"});
  ASSERT_FALSE(selected.empty());
  const RunOutcome outcome = RunWith("exec:" + kMisbehavingAgent + " --leak", selected);
  std::size_t leaks = 0;
  for (const auto& vector : outcome.result.vectors) {
    for (const auto& step : vector.steps) {
      if (!step.leaked) continue;
      ++leaks;
      EXPECT_EQ(step.verdict, Verdict::kFail);
      EXPECT_TRUE(step.leaked_plaintext) << vector.id;  // the input went out unchanged
      EXPECT_NE(step.diagnosis.find("leaked"), std::string::npos);
    }
  }
  EXPECT_GT(leaks, 0u);
  EXPECT_EQ(Count(outcome.result, Verdict::kFail), leaks);
  // These are SHOULD vectors: reported, not fatal.
  EXPECT_EQ(ExitCodeOf(outcome.result), 0);
}

TEST(Judge, VectorsNeedingUnclaimedCapabilitiesAreNotClaimed) {
  class Factory final : public CandidateFactory {
   public:
    std::unique_ptr<Candidate> Make() const override {
      nic::NicOptions options;
      nic::Capabilities reported = nic::FullCapabilities();
      reported.extension.EncryptionAlgorithms &=
          ~static_cast<ULONG>(IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128 | IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192 |
                              IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256);
      options.reported = reported;
      return std::make_unique<ReferenceCandidate>(options);
    }
  } factory;
  factory.spec = "reference without AES-GCM";
  const auto selected = Select({"kat/*"});
  const RunOutcome outcome = RunVectors(selected, factory, RunOptions{});
  const auto& gcm = Find(outcome.result, "kat/mcgrew-gcm/case-01");
  EXPECT_EQ(gcm.verdict, Verdict::kNotClaimed);
  ASSERT_FALSE(gcm.missing_caps.empty());
  EXPECT_EQ(gcm.missing_caps.front().rfind("V2.ENCRYPTION_AES_GCM_", 0), 0u);
  EXPECT_EQ(Find(outcome.result, "kat/rfc3602/case-5").verdict, Verdict::kPass);
  EXPECT_EQ(ExitCodeOf(outcome.result), 0);
  const auto& claimed = outcome.result.candidate.claimed_caps;
  EXPECT_EQ(std::find(claimed.begin(), claimed.end(), "V2.ENCRYPTION_AES_GCM_128"), claimed.end());
}

// A candidate that computes the AH ICV with the TTL left in (a classic bug), built from the
// reference's output by recomputing the HMAC the buggy way; the diagnosis must name the field and
// the checked hypothesis. A candidate with a random wrong ICV gets no hypothesis.
class AhBugCandidate final : public Candidate {
 public:
  AhBugCandidate(bool ttl_bug, std::map<std::string, Bytes> keys) : ttl_bug_(ttl_bug), keys_(std::move(keys)) {}
  Outcome<CandidateIdentity> Start() override { return inner_.Start(); }
  Outcome<Done> Reset() override { return inner_.Reset(); }
  Outcome<Capabilities> QueryCapabilities() override { return inner_.QueryCapabilities(); }
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& e, const Capabilities& c) override { return inner_.Set(e, c); }
  Outcome<AddSaReply> AddSa(const AddSaRequest& r) override { return inner_.AddSa(r); }
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE h) override { return inner_.DeleteSa(h); }
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& r) override { return inner_.AddUdpEspSa(r); }
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE h, NDIS_HANDLE entry) override { return inner_.DeleteUdpEspSa(h, entry); }
  Outcome<SendReply> Send(const SendRequest& request) override {
    auto reply = inner_.Send(request);
    if (!reply || !reply->frame) return reply;
    Bytes& frame = *reply->frame;
    const std::size_t ah = std::size_t{frame[0] & 0x0fu} * 4;
    if (!ttl_bug_) {
      frame[ah + 12] ^= 0x5a;  // the first ICV byte, wrong for no reason
      return reply;
    }
    const Bytes& key = keys_.at(request.context.vector_id);
    Bytes input = frame;
    for (std::size_t at : {1u, 6u, 7u, 10u, 11u}) input[at] = 0;  // TTL (byte 8) kept: the bug
    std::fill_n(input.begin() + static_cast<std::ptrdiff_t>(ah + 12), 12, 0);
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t mac_length = 0;
    EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key.data(), key.size(), input.data(), input.size(), mac,
              sizeof mac, &mac_length);
    std::copy_n(mac, 12, frame.begin() + static_cast<std::ptrdiff_t>(ah + 12));
    return reply;
  }

 private:
  bool ttl_bug_;
  std::map<std::string, Bytes> keys_;
  ReferenceCandidate inner_;
};

TEST(Judge, AhIcvDiagnosisNamesTheFieldAndAProvenCause) {
  // Transport AH with HMAC-SHA1-96, no IPv4 options, a non-zero TTL, raw IP framing.
  std::vector<SelectedVector> selected;
  std::map<std::string, Bytes> keys;
  for (const auto& entry : Select({})) {
    const vectors::Vector& vector = *entry.vector;
    if (vector.sas.size() != 1 || vector.encapsulation != vectors::Encapsulation::kNull) continue;
    const vectors::SaSpec& sa = vector.sas.begin()->second;
    if (sa.bundle.size() != 1 || sa.bundle[0].operation != AUTHENTICATE || sa.src_tunnel_addr || !sa.bundle[0].integrity ||
        sa.bundle[0].integrity->name != "SHA_1") {
      continue;
    }
    bool usable = false;
    for (const auto& step : vector.steps) {
      if (const auto* send = std::get_if<vectors::SendStep>(&step.op)) {
        usable = send->expect_frame && send->has_info && send->offload_handle.kind == vectors::HandleRef::Kind::kSa &&
                 send->frame.size() > 40 && (send->frame[0] & 0x0f) == 5 && send->frame[8] != 0;
      }
    }
    if (!usable) continue;
    selected.push_back(entry);
    keys[vector.id] = sa.bundle[0].integrity->key;
  }
  ASSERT_FALSE(selected.empty()) << "the suite has no plain HMAC-SHA1 AH transport vector";

  class Factory final : public CandidateFactory {
   public:
    Factory(bool bug, std::map<std::string, Bytes> keys) : bug_(bug), keys_(std::move(keys)) {}
    std::unique_ptr<Candidate> Make() const override { return std::make_unique<AhBugCandidate>(bug_, keys_); }

   private:
    bool bug_;
    std::map<std::string, Bytes> keys_;
  };
  Factory ttl(true, keys), random(false, keys);
  ttl.spec = random.spec = "test";
  const RunOutcome with_ttl = RunVectors(selected, ttl, RunOptions{});
  const RunOutcome with_random = RunVectors(selected, random, RunOptions{});
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const auto& bug = with_ttl.result.vectors[i];
    EXPECT_EQ(bug.verdict, Verdict::kFail);
    EXPECT_NE(bug.diagnosis.find("transport AH ICV computed with TTL not zeroed"), std::string::npos) << bug.diagnosis;
    EXPECT_NE(bug.diagnosis.find("recomputed, all 12 ICV bytes match"), std::string::npos) << bug.diagnosis;
    EXPECT_NE(bug.diagnosis.find("ah.icv differs"), std::string::npos) << bug.diagnosis;
    const auto& wrong = with_random.result.vectors[i];
    EXPECT_EQ(wrong.verdict, Verdict::kFail);
    EXPECT_NE(wrong.diagnosis.find("ah.icv differs"), std::string::npos) << wrong.diagnosis;
    EXPECT_NE(wrong.diagnosis.find("no known cause matched"), std::string::npos) << wrong.diagnosis;
    EXPECT_EQ(wrong.diagnosis.find("not zeroed"), std::string::npos) << wrong.diagnosis;
    for (const auto* result : {&bug, &wrong}) {
      for (const auto& step : result->steps) {
        if (step.verdict != Verdict::kFail) continue;
        ASSERT_TRUE(step.cause.has_value()) << result->id;
        EXPECT_EQ(step.cause->id, result == &bug ? "ah-ttl-not-zeroed" : "unexplained") << step.cause->text;
      }
    }
  }
}

// A candidate whose ESP ICV covers the plaintext instead of the ciphertext (RFC 4303 2.8): the
// reference's frame with the ICV recomputed over ESP header, IV and the transport's plaintext.
class EspIcvOverPlaintextCandidate final : public Candidate {
 public:
  explicit EspIcvOverPlaintextCandidate(std::map<std::string, Bytes> keys) : keys_(std::move(keys)) {}
  Outcome<CandidateIdentity> Start() override { return inner_.Start(); }
  Outcome<Done> Reset() override { return inner_.Reset(); }
  Outcome<Capabilities> QueryCapabilities() override { return inner_.QueryCapabilities(); }
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& e, const Capabilities& c) override { return inner_.Set(e, c); }
  Outcome<AddSaReply> AddSa(const AddSaRequest& r) override { return inner_.AddSa(r); }
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE h) override { return inner_.DeleteSa(h); }
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& r) override { return inner_.AddUdpEspSa(r); }
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE h, NDIS_HANDLE entry) override { return inner_.DeleteUdpEspSa(h, entry); }
  Outcome<SendReply> Send(const SendRequest& request) override {
    auto reply = inner_.Send(request);
    if (!reply || !reply->frame) return reply;
    Bytes& frame = *reply->frame;
    const std::size_t esp = std::size_t{frame[0] & 0x0fu} * 4;
    const std::size_t payload = esp + 8 + 16;  // AES-CBC IV
    const std::size_t icv = frame.size() - 12;  // HMAC-SHA1-96
    Bytes input(frame.begin() + static_cast<std::ptrdiff_t>(esp), frame.begin() + static_cast<std::ptrdiff_t>(payload));
    input.insert(input.end(), request.frame.begin() + static_cast<std::ptrdiff_t>(payload),
                 request.frame.begin() + static_cast<std::ptrdiff_t>(icv));
    const Bytes& key = keys_.at(request.context.vector_id);
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t mac_length = 0;
    EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key.data(), key.size(), input.data(), input.size(), mac,
              sizeof mac, &mac_length);
    std::copy_n(mac, 12, frame.begin() + static_cast<std::ptrdiff_t>(icv));
    return reply;
  }

 private:
  std::map<std::string, Bytes> keys_;
  ReferenceCandidate inner_;
};

TEST(Judge, EspIcvOverThePlaintextIsDiagnosed) {
  // Transport ESP, AES-CBC + HMAC-SHA1-96, raw IP framing, no IPv4 options.
  std::vector<SelectedVector> selected;
  std::map<std::string, Bytes> keys;
  for (const auto& entry : Select({})) {
    const vectors::Vector& vector = *entry.vector;
    if (vector.sas.size() != 1 || vector.encapsulation != vectors::Encapsulation::kNull) continue;
    const vectors::SaSpec& sa = vector.sas.begin()->second;
    if (sa.bundle.size() != 1 || sa.bundle[0].operation != ENCRYPT || sa.src_tunnel_addr || !sa.bundle[0].conf ||
        sa.bundle[0].conf->name.rfind("AES_CBC_", 0) != 0 || !sa.bundle[0].integrity ||
        sa.bundle[0].integrity->name != "SHA_1" || sa.bundle[0].esn_high || sa.udp_esp) {
      continue;  // (the fake below finds ESP right after the IPv4 header: no UDP-ESP)
    }
    bool usable = false;
    for (const auto& step : vector.steps) {
      if (const auto* send = std::get_if<vectors::SendStep>(&step.op)) {
        // The IPv4 packet fills the frame (the ICV is its last 12 bytes).
        usable = send->expect_frame && send->has_info && send->offload_handle.kind == vectors::HandleRef::Kind::kSa &&
                 send->frame.size() > 80 && (send->frame[0] & 0x0f) == 5 &&
                 (std::size_t{send->frame[2]} << 8 | send->frame[3]) == send->frame.size();
      }
    }
    if (!usable) continue;
    selected.push_back(entry);
    keys[vector.id] = sa.bundle[0].integrity->key;
  }
  ASSERT_FALSE(selected.empty()) << "the suite has no AES-CBC + HMAC-SHA1 transport ESP vector";
  class Factory final : public CandidateFactory {
   public:
    explicit Factory(std::map<std::string, Bytes> keys) : keys_(std::move(keys)) {}
    std::unique_ptr<Candidate> Make() const override { return std::make_unique<EspIcvOverPlaintextCandidate>(keys_); }

   private:
    std::map<std::string, Bytes> keys_;
  } factory(keys);
  factory.spec = "test";
  const RunOutcome outcome = RunVectors(selected, factory, RunOptions{});
  for (const auto& vector : outcome.result.vectors) {
    EXPECT_EQ(vector.verdict, Verdict::kFail) << vector.id;
    EXPECT_NE(vector.diagnosis.find("esp.icv differs"), std::string::npos) << vector.id << ": " << vector.diagnosis;
    EXPECT_NE(vector.diagnosis.find("over the plaintext"), std::string::npos) << vector.diagnosis;
  }
}

// ---- The command ------------------------------------------------------------------------------

int RunCommand(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string TempDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("sendpath-harness-test-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(Command, ExitCodes) {
  const std::string base = kSendpath + " run --no-progress " + kVectors + "/kat ";
  const std::string out = TempDir("exit");
  const std::string quiet = " > /dev/null 2>&1";
  EXPECT_EQ(RunCommand(base + "--out " + out + "/0" + quiet), 0);
  EXPECT_TRUE(std::filesystem::exists(out + "/0/results.json"));
  EXPECT_EQ(RunCommand(base + "--out " + out + "/1 --candidate 'exec:" + kMisbehavingAgent +
                       " --crash-on kat/rfc3602/case-5'" + quiet),
            1);
  EXPECT_TRUE(std::filesystem::exists(out + "/1/results.json"));
  EXPECT_EQ(RunCommand(base + "--out " + out + "/2 --candidate bogus:spec" + quiet), 2);
  EXPECT_EQ(RunCommand(base + "--out " + out + "/2 --filter 'nothing-matches*'" + quiet), 2);
  EXPECT_EQ(RunCommand(kSendpath + " run --out " + out + "/2 /nonexistent/vectors" + quiet), 2);
  EXPECT_EQ(RunCommand(kSendpath + " run --jobs 0" + quiet), 2);
  EXPECT_EQ(RunCommand(kSendpath + " frobnicate" + quiet), 2);
  EXPECT_EQ(RunCommand(base + "--out " + out + "/3 --candidate exec:/nonexistent/agent" + quiet), 3);
  EXPECT_TRUE(std::filesystem::exists(out + "/3/results.json"));
  // An invalid vector file: reported, the others still run, exit 2.
  std::filesystem::create_directories(out + "/bad-suite");
  std::filesystem::copy(kVectors + "/kat", out + "/bad-suite/kat", std::filesystem::copy_options::recursive);
  std::ofstream(out + "/bad-suite/broken.json") << "{\"format\": \"sendpath-vectors/1\", \"vectors\": [";
  EXPECT_EQ(RunCommand(kSendpath + " run --no-progress " + out + "/bad-suite --out " + out + "/2b" + quiet), 2);
  std::ifstream results(out + "/2b/results.json");
  const auto json = nlohmann::json::parse(results, nullptr, false);
  ASSERT_FALSE(json.is_discarded());
  ASSERT_EQ(json["load_errors"].size(), 1u);
  EXPECT_NE(json["load_errors"][0].get<std::string>().find("broken.json"), std::string::npos);
  EXPECT_FALSE(json["vectors"].empty());
  std::filesystem::remove_all(out);
}

TEST(Command, ExportThenJudgeTheCapture) {
  const std::string dir = TempDir("export");
  const std::string quiet = " > /dev/null 2>&1";
  const std::string paths = " " + kVectors + "/kat " + kVectors + "/robustness ";
  ASSERT_EQ(RunCommand(kSendpath + " export" + paths + "--out " + dir + "/rig" + quiet), 0);
  for (const char* file : {"input.pcap", "programming.json", "sas.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/rig/" + file)) << file;
  }
  // sas.json is a valid sendpath-sas/1 file.
  const auto sas = vectors::LoadSaFile(dir + "/rig/sas.json");
  EXPECT_TRUE(std::holds_alternative<vectors::SaFile>(sas));
  // A "rig": the reference NIC's wire output (actual.pcapng of a run) judged as a capture.
  ASSERT_EQ(RunCommand(kSendpath + " run --no-progress" + paths + "--out " + dir + "/good" + quiet), 0);
  EXPECT_EQ(RunCommand(kSendpath + " run --no-progress" + paths + "--out " + dir + "/judged --candidate pcap:" + dir +
                       "/good/actual.pcapng,programming=" + dir + "/rig/programming.json" + quiet),
            0);
  // A leaky NIC's wire output: the refused sends' frames are found in the capture and judged as leaks.
  RunCommand(kSendpath + " run --no-progress" + paths + "--out " + dir + "/leaky --candidate 'exec:" + kMisbehavingAgent +
             " --leak'" + quiet);
  ASSERT_EQ(RunCommand(kSendpath + " run --no-progress" + paths + "--out " + dir + "/judged-leaky --candidate pcap:" +
                       dir + "/leaky/actual.pcapng,programming=" + dir + "/rig/programming.json" + quiet),
            0);  // the refusals are SHOULD vectors
  std::ifstream results(dir + "/judged-leaky/results.json");
  const auto json = nlohmann::json::parse(results, nullptr, false);
  ASSERT_FALSE(json.is_discarded());
  std::size_t leaked = 0;
  for (const auto& vector : json["vectors"]) {
    for (const auto& step : vector["steps"]) leaked += step.value("leaked", false) ? 1 : 0;
  }
  EXPECT_GT(leaked, 0u);
  // A leaked frame is dissected like any other: named fields, and the receive check of its ESP
  // header with the vector's SAs (not "no IPsec").
  std::ifstream leaky_results(dir + "/leaky/results.json");
  const auto leaky = nlohmann::json::parse(leaky_results, nullptr, false);
  ASSERT_FALSE(leaky.is_discarded());
  std::size_t esp_leaks = 0;
  for (const auto& vector : leaky["vectors"]) {
    for (const auto& step : vector["steps"]) {
      if (!step.value("leaked", false) || !step["actual_frame"].is_string()) continue;
      const std::string frame = step["actual_frame"].get<std::string>();
      if (frame.size() < 20 || frame.substr(18, 2) != "32") continue;  // IPv4 protocol 50 (raw IP)
      if (step["decoded"].contains("actual_error")) continue;            // a malformed IPv4 header (IHL 15 ...)
      ++esp_leaks;
      std::set<std::string> names;
      for (const auto& field : step["decoded"]["fields"]) names.insert(field["name"].get<std::string>());
      EXPECT_TRUE(names.count("esp.spi") == 1 || names.count("esp[outer].spi") == 1) << vector["id"] << " " << step["decoded"].dump();
      EXPECT_NE(step["decoded"]["receive_check"]["status"], "no IPsec") << vector["id"];
    }
  }
  EXPECT_GT(esp_leaks, 0u);
  std::filesystem::remove_all(dir);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// The run's expected capture, checked on the receive side with the export's sas.json, verifies:
// the index.json beside it says which frames the NIC leaves unchanged (no info, OffloadHandle 0,
// a 9-byte frame that is no IPv4 packet) and which inner ESP it leaves for software. The same
// capture without its index fails exactly there.
TEST(Command, TheRunsExpectedCaptureVerifiesWithTheExportsSas) {
  const std::string dir = TempDir("verify");
  std::string paths = " ";
  for (const char* suite : {"kat", "independent", "contract", "robustness", "regressions"}) {
    if (std::filesystem::is_directory(kVectors + "/" + suite)) paths += kVectors + "/" + suite + " ";
  }
  ASSERT_EQ(RunCommand(kSendpath + " export" + paths + "--out " + dir + "/rig > /dev/null 2>&1"), 0);
  ASSERT_EQ(RunCommand(kSendpath + " run --no-progress" + paths + "--out " + dir + "/run > /dev/null 2>&1"), 0);
  const std::string verify = kSendpath + " verify " + dir + "/run/expected.pcapng --sa " + dir + "/rig/sas.json > " + dir + "/verify.txt 2>&1";
  EXPECT_EQ(RunCommand(verify), 0) << ReadText(dir + "/verify.txt");
  const std::string text = ReadText(dir + "/verify.txt");
  EXPECT_NE(text.find(" 0 failed, 0 with an unknown SPI"), std::string::npos) << text;
  EXPECT_NE(text.find("left unprocessed by design (skipped)"), std::string::npos) << text;
  EXPECT_NE(text.find("header(s) left for software not checked"), std::string::npos) << text;
  EXPECT_EQ(text.find("malformed"), std::string::npos) << text;
  EXPECT_EQ(RunCommand(kSendpath + " verify " + dir + "/run/actual.pcapng --sa " + dir + "/rig/sas.json > /dev/null 2>&1"), 0);

  std::filesystem::create_directories(dir + "/alone");
  std::filesystem::copy_file(dir + "/run/expected.pcapng", dir + "/alone/expected.pcapng");
  EXPECT_EQ(RunCommand(kSendpath + " verify " + dir + "/alone/expected.pcapng --sa " + dir + "/rig/sas.json > " + dir + "/alone.txt 2>&1"), 1);
  const std::string alone = ReadText(dir + "/alone.txt");
  EXPECT_NE(alone.find("contract_handles_no-info"), std::string::npos) << alone;
  EXPECT_EQ(alone.find("malformed"), std::string::npos) << alone;  // the 9-byte frame is "not IPv4"
  std::filesystem::remove_all(dir);
}

// The reviewer's case: the run's expected capture against a copy with one frame missing. diff
// reports that frame as missing and names its vector; every other frame pairs with its own.
TEST(Command, DiffReportsAMissingFrameAsMissing) {
  const std::string dir = TempDir("diff-missing");
  ASSERT_EQ(RunCommand(kSendpath + " run --no-progress " + kVectors + "/contract --out " + dir + "/run > /dev/null 2>&1"), 0);
  std::filesystem::create_directories(dir + "/rig");
  std::size_t frames = 0;
  {
    auto reader = report::PcapReader::Open(dir + "/run/expected.pcapng");
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    auto writer = report::PcapngWriter::Create(dir + "/rig/capture.pcapng", reader.value().link_type(), "rig", "one frame lost");
    ASSERT_TRUE(writer.ok());
    report::PcapRecord record;
    std::string error;
    while (reader.value().Read(record, error) == report::PcapReader::Next::kRecord) {
      ++frames;
      if (record.number != 100) writer.value().Write(record.data, record.seconds, record.microseconds, "");
    }
    ASSERT_TRUE(writer.value().Commit().ok());
  }
  ASSERT_GT(frames, 100u);
  const std::string out = dir + "/diff.txt";
  EXPECT_EQ(RunCommand(kSendpath + " diff " + dir + "/run/expected.pcapng " + dir + "/rig/capture.pcapng > " + out + " 2>&1"), 1);
  const std::string text = ReadText(out);
  EXPECT_NE(text.find("frame 100 [vector contract/"), std::string::npos) << text;
  EXPECT_NE(text.find("]: missing: only in " + dir + "/run/expected.pcapng"), std::string::npos) << text;
  EXPECT_NE(text.find("summary: " + std::to_string(frames - 1) + " frame pairs compared, 0 differ, 1 only in"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sendpath::harness
