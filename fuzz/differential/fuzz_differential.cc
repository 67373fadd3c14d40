// libFuzzer target: differential fuzzing of a candidate NIC against the reference NIC. The same
// script (fuzz/common/script.h) runs through both — SET, ADD_SA / DELETE_SA cycles, the SA table,
// the sends, each on a fresh NIC per input — and any difference in status or bytes aborts with
// the signature `<candidate>-<operation>-<first differing field>` (fuzz/common/signature.h), so
// that findings deduplicate.
//
// The candidate (fuzz/common/candidate_choice.h) is any `sendpath run --candidate` SPEC of a live
// NIC, or a bare library path for the fast in-process form:
//   SENDPATH_FUZZ_CANDIDATE=/path/lib.so[,key=value...]   in process (harness AbiCandidate)
//   SENDPATH_FUZZ_CANDIDATE=lib:/path/lib.so[,key=...]    in sendpath-candidate-host, out of process
//   SENDPATH_FUZZ_CANDIDATE='exec:COMMAND [ARGS...]'      a sendpath-candidate/1 subprocess
//   SENDPATH_FUZZ_CANDIDATE=reference                     the reference NIC again (self-check)
// default: libsendpath_sample_nic.so beside this executable (or in the build tree's candidates/),
// in process. Out of process, a crash, a hang (no reply within SENDPATH_FUZZ_TIMEOUT_MS, default
// 2000) or a protocol error of the candidate is itself a finding (`...-candidate-crash`,
// `-candidate-hang`, `-candidate-error`), its input kept like any other.
// Options after a library path go to the candidate's Create (default "sa_capacity=8"); the
// reference NIC is given the spec's sa_capacity (else SENDPATH_FUZZ_SA_CAPACITY, else 8), so that
// SA-table exhaustion is compared too.
#include "fuzz/common/candidate_choice.h"
#include "fuzz/common/driver.h"
#include "fuzz/common/framing.h"
#include "fuzz/common/programming.h"
#include "fuzz/common/script.h"
#include "fuzz/common/signature.h"

#include "harness/candidates/reference/reference_candidate.h"

#include <reports/diff.h>
#include <vectors/loader/vector_loader.h>

#include <unistd.h>

#include <openssl/crypto.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace sendpath;

struct Context {
  fuzz::CandidateChoice candidate;
  std::unique_ptr<fuzz::Driver> reference;
  std::unique_ptr<fuzz::Driver> tested;
  nic::Capabilities common;  // what both report: the sets enable (part of) it
};

constexpr std::size_t kNoSa = static_cast<std::size_t>(-1);

const fuzz::Script* g_script = nullptr;
std::size_t g_send = 0;

// A difference between the reference and the candidate.
struct Difference {
  std::string operation, field, detail;
};

[[noreturn]] void Differ(const std::string& operation, const std::string& field, const std::string& detail) {
  throw Difference{operation, field, detail};
}

[[noreturn]] void Report(const Context& context, const Difference& difference) {
  std::fprintf(stderr, "\n==sendpath-fuzz== SIGNATURE: %s-%s-%s\n==sendpath-fuzz== %s\n", context.candidate.name.c_str(),
               difference.operation.c_str(), difference.field.c_str(), difference.detail.c_str());
  if (g_script != nullptr) {
    std::fprintf(stderr, "==sendpath-fuzz== at send %zu of\n%s\n", g_send, fuzz::DescribeScript(*g_script).c_str());
  }
  std::abort();
}

[[noreturn]] void Fatal(const std::string& message) {
  std::fprintf(stderr, "fuzz_differential: %s\n", message.c_str());
  std::exit(2);
}

std::string StatusText(NDIS_STATUS status) {
  const auto name = nic::StatusName(status);
  if (!name.empty()) return std::string(name);
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(status));
  return text;
}

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// SENDPATH_FUZZ_CANDIDATE, or the clean sample NIC in process: beside the executable in a
// ClusterFuzzLite $OUT, in candidates/ of a CMake build tree.
fuzz::CandidateChoice CandidateFromEnvironment() {
  std::string spec = Environment("SENDPATH_FUZZ_CANDIDATE");
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error).parent_path();
  if (spec.empty()) {
    spec = (self / "libsendpath_sample_nic.so").string();
    const auto in_build_tree = self.parent_path() / "candidates" / "libsendpath_sample_nic.so";
    if (!std::filesystem::exists(spec, error) && std::filesystem::exists(in_build_tree, error)) spec = in_build_tree.string();
  }
  // sendpath-candidate-host for lib:: $SENDPATH_CANDIDATE_HOST, beside this executable, or in the
  // build tree's harness/.
  std::string host = Environment("SENDPATH_CANDIDATE_HOST");
  if (host.empty()) {
    host = (self / "sendpath-candidate-host").string();
    const auto in_build_tree = self.parent_path() / "harness" / "sendpath-candidate-host";
    if (!std::filesystem::exists(host, error) && std::filesystem::exists(in_build_tree, error)) host = in_build_tree.string();
  }
  const std::string capacity = Environment("SENDPATH_FUZZ_SA_CAPACITY");
  const std::string timeout = Environment("SENDPATH_FUZZ_TIMEOUT_MS");
  fuzz::CandidateChoice choice = fuzz::ChooseCandidate(
      spec, capacity.empty() ? 8 : std::strtoul(capacity.c_str(), nullptr, 10),
      std::chrono::milliseconds(timeout.empty() ? 2000 : std::strtoul(timeout.c_str(), nullptr, 10)), host);
  if (!choice.error.empty()) Fatal("SENDPATH_FUZZ_CANDIDATE=" + spec + ": " + choice.error);
  if (const std::string name = Environment("SENDPATH_FUZZ_CANDIDATE_NAME"); !name.empty()) choice.name = name;
  return choice;
}

std::unique_ptr<fuzz::Driver> Start(std::unique_ptr<harness::Candidate> candidate, const std::string& what) {
  auto driver = std::make_unique<fuzz::Driver>(std::move(candidate));
  if (const std::string error = driver->Start(); !error.empty()) Fatal(what + " " + error);
  return driver;
}

Context& Get() {
  static Context context = [] {
    Context made;
    made.candidate = CandidateFromEnvironment();
    nic::NicOptions options;
    options.sa_capacity = made.candidate.sa_capacity;
    made.reference = Start(std::make_unique<harness::ReferenceCandidate>(options), "the reference NIC");
    made.tested = Start(fuzz::MakeCandidate(made.candidate), made.candidate.spec);
    made.common = fuzz::CommonCapabilities(made.reference->reported(), made.tested->reported());
    std::fprintf(stderr, "fuzz_differential: %s (%s, %s) against the reference NIC, IVs %s\n", made.candidate.spec.c_str(),
                 made.candidate.in_process ? "in process" : "out of process",
                 made.tested->identity().Describe().c_str(),
                 made.tested->identity().iv_injection ? "injected (byte-exact)" : "its own (decrypt and verify)");
    return made;
  }();
  return context;
}

// Both outcomes of one operation must agree.
void Compare(const std::string& operation, const harness::Outcome<NDIS_STATUS>& expected,
             const harness::Outcome<NDIS_STATUS>& actual) {
  if (!expected) Fatal("the reference NIC failed " + operation + ": " + expected.error().reason);
  if (!actual) Differ(operation, fuzz::CandidateErrorKind(actual.error().reason), actual.error().reason);
  if (*expected != *actual) {
    Differ(operation, "status", "expected " + StatusText(*expected) + ", candidate " + StatusText(*actual));
  }
}

// ADD_SA on both; the handles each returned (nullptr where it failed).
std::pair<NDIS_HANDLE, NDIS_HANDLE> AddSa(Context& context, const std::string& operation, const vectors::SaSpec& spec,
                                          const vectors::AddSaRequest& built) {
  const harness::AddSaRequest request = fuzz::MakeAddSaRequest(spec, built);
  const auto expected = context.reference->candidate().AddSa(request);
  const auto actual = context.tested->candidate().AddSa(request);
  if (!expected) Fatal("the reference NIC failed " + operation + ": " + expected.error().reason);
  if (!actual) Differ(operation, fuzz::CandidateErrorKind(actual.error().reason), actual.error().reason);
  Compare(operation, expected->status, actual->status);
  if (actual->status == NDIS_STATUS_SUCCESS && actual->handle == nullptr) {
    Differ(operation, "null-handle", "ADD_SA succeeded with OffloadHandle 0");
  }
  return {expected->status == NDIS_STATUS_SUCCESS ? expected->handle : nullptr,
          actual->status == NDIS_STATUS_SUCCESS ? actual->handle : nullptr};
}

void RunSend(Context& context, const fuzz::Script& script, std::size_t index, const fuzz::Programming& programming,
             fuzz::CheckTables& tables) {
  static fuzz::FrameBuilder builder;
  static std::vector<std::uint8_t> frame;
  static fuzz::Layout layout;
  static std::vector<std::size_t> cuts;
  const fuzz::SendDef& send = script.sends[index];
  g_send = index;
  builder.Build(script.setup, programming.framing, send, frame, layout);
  fuzz::FrameBuilder::Cuts(send, layout, frame.size(), cuts);

  const auto expected = context.reference->candidate().Send(context.reference->Request(script, index, programming, frame, cuts));
  const auto actual = context.tested->candidate().Send(context.tested->Request(script, index, programming, frame, cuts));
  if (!expected) Fatal("the reference NIC failed a send: " + expected.error().reason);
  if (!actual) Differ("send", fuzz::CandidateErrorKind(actual.error().reason), actual.error().reason);
  if (actual->status != NDIS_STATUS_SUCCESS && actual->frame && !actual->frame->empty()) {
    Differ("send", "leak", "status " + StatusText(actual->status) + " with " +
                                         std::to_string(actual->frame->size()) + " bytes emitted");
  }
  if (expected->status != actual->status) {
    Differ("send", "status", "expected " + StatusText(expected->status) + ", candidate " + StatusText(actual->status));
  }
  if (expected->status != NDIS_STATUS_SUCCESS) return;
  const harness::Bytes& want = *expected->frame;
  const harness::Bytes& got = *actual->frame;
  if (want.size() != got.size()) {
    Differ("send", "length", "expected " + std::to_string(want.size()) + " bytes, candidate " + std::to_string(got.size()));
  }
  if (want == got) return;

  // The first differing field that is a cause (fuzz/common/signature.h), from the reports' field
  // diff (with the SAs' keys, so a candidate with its own IVs is judged by decryption and
  // verification).
  std::size_t first = 0, second = 0;
  const bool tunnelled = fuzz::SaIndexOf(send.next, programming.specs.size(), second);
  const bool has_first = fuzz::SaIndexOf(send.offload, programming.specs.size(), first);
  report::SaTable* table = has_first ? tables.Get(programming, tunnelled ? second : first, tunnelled ? first : kNoSa) : nullptr;
  report::DiffOptions options;
  options.ivs_dont_care = !context.tested->identity().iv_injection;
  report::FrameDiffer differ(table, options);
  const auto link = script.setup.ethernet ? report::LinkType::kEthernet : report::LinkType::kRawIp;
  const report::FrameComparison& comparison = differ.Compare(want, got, link);
  if (comparison.equivalent) {
    if (context.tested->identity().iv_injection) {
      Differ("send", "bytes", "frames differ but the field diff finds them equivalent");
    }
    return;
  }
  Differ("send", fuzz::SignatureField(comparison, differ), comparison.Summary());
}

// Both NICs freshly initialised and programmed with `setup`: the set(s), ADD_SA / DELETE_SA
// cycles, the SA table, the deletions.
void Program(Context& context, const fuzz::Setup& setup, fuzz::Programming& programming) {
  for (fuzz::Driver* driver : {context.reference.get(), context.tested.get()}) {
    auto reset = driver->candidate().Reset();
    if (!reset) Differ("reset", fuzz::CandidateErrorKind(reset.error().reason), reset.error().reason);
    driver->Forget();
  }
  harness::Candidate& reference = context.reference->candidate();
  harness::Candidate& tested = context.tested->candidate();
  programming = fuzz::Program(setup, context.common);
  Compare("set", reference.Set(programming.encapsulation, programming.enable),
          tested.Set(programming.encapsulation, programming.enable));
  if (setup.second_set) {
    Compare("second_set", reference.Set(programming.encapsulation, programming.enable),
            tested.Set(programming.encapsulation, programming.enable));
  }
  // Deleted SAs' slots must come back: ADD_SA + DELETE_SA cycles of a plain ESP SA.
  const vectors::SaSpec churn_spec = fuzz::MakeSaSpec(fuzz::SaDef{}, 0);
  const vectors::AddSaRequest churn_request = vectors::BuildAddSaRequest(churn_spec);
  for (unsigned cycle = 0; cycle < setup.churn; ++cycle) {
    const auto [expected, actual] = AddSa(context, "churn_add_sa", churn_spec, churn_request);
    if (expected == nullptr) break;
    Compare("churn_delete_sa", reference.DeleteSa(expected), tested.DeleteSa(actual));
  }
  for (std::size_t i = 0; i < programming.specs.size(); ++i) {
    const auto [expected, actual] = AddSa(context, "add_sa", programming.specs[i], programming.requests[i]);
    context.reference->Record(expected);
    context.tested->Record(actual);
  }
  context.reference->Seal();
  context.tested->Seal();
  for (std::size_t i = 0; i < setup.sas.size(); ++i) {
    if (setup.sas[i].deleted && context.reference->added(i)) {
      Compare("delete_sa", reference.DeleteSa(context.reference->handle(i)),
              tested.DeleteSa(context.tested->handle(i)));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // OpenSSL and the reference NIC's providers first: their exit-time cleanup then runs after the
  // destructors of the statics below, which still hold EVP objects.
  static const bool openssl_ready = OPENSSL_init_crypto(0, nullptr) == 1 && nic::FullCapabilities().task.V4ESP.Send != 0;
  (void)openssl_ready;
  Context& context = Get();
  // NICs programmed with the previous input's setup serve the next input with the same setup:
  // initialising a candidate (its OpenSSL library context, providers) costs far more than a send.
  static std::optional<fuzz::Setup> programmed;
  static fuzz::Programming programming;
  static std::unique_ptr<fuzz::CheckTables> tables;
  const fuzz::Script script = fuzz::DecodeScript(std::span<const std::uint8_t>(data, size));
  g_script = &script;
  const auto run = [&](bool fresh) {
    if (fresh) {
      programmed.reset();
      g_send = 0;
      Program(context, script.setup, programming);
      programmed = script.setup;
      tables = std::make_unique<fuzz::CheckTables>();
    }
    for (std::size_t i = 0; i < script.sends.size(); ++i) RunSend(context, script, i, programming, *tables);
  };
  const bool reuse = programmed && *programmed == script.setup;
  try {
    run(!reuse);
  } catch (const Difference& difference) {
    if (!reuse) Report(context, difference);
    // Seen on NICs that earlier inputs sent through: only what a fresh pair shows is a finding
    // (its input then reproduces it alone). An out-of-process candidate that died is started
    // afresh first.
    if (difference.field.rfind("candidate-", 0) == 0) {
      context.tested->candidate().Stop();
      if (const std::string error = context.tested->Start(); !error.empty()) {
        Report(context, Difference{"restart", "candidate-error", error});
      }
    }
    try {
      run(true);
    } catch (const Difference& again) {
      Report(context, again);
    }
  }
  g_script = nullptr;
  return 0;
}
