// libFuzzer target: differential fuzzing of a candidate NIC against the reference NIC. The same
// script (fuzz/common/script.h) runs through both — SET, ADD_SA / DELETE_SA cycles, the SA table,
// the sends — and any difference in status or bytes that a freshly initialised pair shows aborts with
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
// SA-table exhaustion is compared too. Programmed pairs are kept by Setup (in process 64, out of
// process 1; SENDPATH_FUZZ_NIC_PAIRS=N overrides), and a new Setup with a kept pair's set
// replaces that pair's SAs instead of initialising both NICs again; SENDPATH_FUZZ_STATS=1 prints
// at exit how many inputs ran on reused, recycled and fresh pairs.
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

#include <algorithm>
#include <chrono>
#include <iterator>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace sendpath;

// A reference NIC and a candidate driven in lockstep, and the Setup both are programmed with.
struct Pair {
  std::unique_ptr<fuzz::Driver> reference;
  std::unique_ptr<fuzz::Driver> tested;
  std::optional<fuzz::Setup> setup;  // nullopt: not (completely) programmed
  fuzz::Programming programming;
};

struct Context {
  fuzz::CandidateChoice candidate;
  nic::Capabilities common;  // what both report: the sets enable (part of) it
  std::size_t capacity = 1;  // programmed pairs kept (SENDPATH_FUZZ_NIC_PAIRS)
  std::vector<std::unique_ptr<Pair>> pairs;  // most recently used first
};

// Inputs by how their pair was programmed, printed at exit with SENDPATH_FUZZ_STATS=1
// (fuzz/README.md, Measurements).
struct InputCounts {
  std::size_t reused = 0, recycled = 0, fresh = 0;
  ~InputCounts() {
    if (std::getenv("SENDPATH_FUZZ_STATS") != nullptr) {
      std::fprintf(stderr, "differential: %zu inputs on reused NIC pairs, %zu recycled, %zu fresh\n", reused, recycled, fresh);
    }
  }
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

std::unique_ptr<Pair> MakePair(const fuzz::CandidateChoice& candidate) {
  auto pair = std::make_unique<Pair>();
  nic::NicOptions options;
  options.sa_capacity = candidate.sa_capacity;
  pair->reference = Start(std::make_unique<harness::ReferenceCandidate>(options), "the reference NIC");
  pair->tested = Start(fuzz::MakeCandidate(candidate), candidate.spec);
  return pair;
}

Context& Get() {
  static Context context = [] {
    Context made;
    made.candidate = CandidateFromEnvironment();
    // In process a pair is one more adapter of the library and one more reference NIC; out of
    // process it would be one more process (or rig) per pair, so one is kept.
    const std::string pairs = Environment("SENDPATH_FUZZ_NIC_PAIRS");
    made.capacity = !pairs.empty() ? std::max<std::size_t>(1, std::strtoul(pairs.c_str(), nullptr, 10))
                    : made.candidate.in_process || made.candidate.spec == "reference" ? 64 : 1;
    made.pairs.push_back(MakePair(made.candidate));
    const fuzz::Driver& tested = *made.pairs.front()->tested;
    made.common = fuzz::CommonCapabilities(made.pairs.front()->reference->reported(), tested.reported());
    std::fprintf(stderr, "fuzz_differential: %s (%s, %s) against the reference NIC, IVs %s, %zu NIC pair(s) kept\n",
                 made.candidate.spec.c_str(), made.candidate.in_process ? "in process" : "out of process",
                 tested.identity().Describe().c_str(),
                 tested.identity().iv_injection ? "injected (byte-exact)" : "its own (decrypt and verify)", made.capacity);
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
std::pair<NDIS_HANDLE, NDIS_HANDLE> AddSa(Pair& pair, const std::string& operation, const vectors::SaSpec& spec,
                                          const vectors::AddSaRequest& built) {
  const harness::AddSaRequest request = fuzz::MakeAddSaRequest(spec, built);
  const auto expected = pair.reference->candidate().AddSa(request);
  const auto actual = pair.tested->candidate().AddSa(request);
  if (!expected) Fatal("the reference NIC failed " + operation + ": " + expected.error().reason);
  if (!actual) Differ(operation, fuzz::CandidateErrorKind(actual.error().reason), actual.error().reason);
  Compare(operation, expected->status, actual->status);
  if (actual->status == NDIS_STATUS_SUCCESS && actual->handle == nullptr) {
    Differ(operation, "null-handle", "ADD_SA succeeded with OffloadHandle 0");
  }
  return {expected->status == NDIS_STATUS_SUCCESS ? expected->handle : nullptr,
          actual->status == NDIS_STATUS_SUCCESS ? actual->handle : nullptr};
}

// ADD_UDPESP_SA of SA `sa` on both, each naming its own parser-entry handle (UdpEspSetup); the
// SA handles and the parser entries each got back (nullptr where none).
struct UdpEspAdded {
  NDIS_HANDLE expected = nullptr, actual = nullptr;
  NDIS_HANDLE expected_entry = nullptr, actual_entry = nullptr;
};
UdpEspAdded AddUdpEspSa(Pair& pair, const fuzz::Setup& setup, std::size_t sa, const vectors::SaSpec& spec) {
  const auto request = [&](const fuzz::Driver& driver) {
    const NDIS_HANDLE entry = fuzz::ParserEntryFor(setup, sa, driver.entries(), driver.NeverIssuedEntry());
    return fuzz::MakeAddSaRequest(spec, vectors::BuildAddUdpEspSaRequest(spec, entry));
  };
  const auto expected = pair.reference->candidate().AddUdpEspSa(request(*pair.reference));
  const auto actual = pair.tested->candidate().AddUdpEspSa(request(*pair.tested));
  if (!expected) Fatal("the reference NIC failed add_udpesp_sa: " + expected.error().reason);
  if (!actual) Differ("add_udpesp_sa", fuzz::CandidateErrorKind(actual.error().reason), actual.error().reason);
  Compare("add_udpesp_sa", expected->status, actual->status);
  if (actual->status == NDIS_STATUS_SUCCESS && actual->handle == nullptr) {
    Differ("add_udpesp_sa", "null-handle", "ADD_UDPESP_SA succeeded with OffloadHandle 0");
  }
  // [S15a] an inbound add naming no entry gets the new entry's handle back.
  const bool wants_entry = spec.flags == OFFLOAD_INBOUND_SA &&
                           fuzz::ParserEntryFor(setup, sa, pair.tested->entries(), pair.tested->NeverIssuedEntry()) == nullptr;
  if (wants_entry && actual->status == NDIS_STATUS_SUCCESS && actual->parser_entry == nullptr) {
    Differ("add_udpesp_sa", "null-parser-entry", "an inbound ADD_UDPESP_SA with a NULL EncapTypeEntryOffldHandle returned no entry");
  }
  UdpEspAdded added;
  if (expected->status == NDIS_STATUS_SUCCESS) {
    added.expected = expected->handle;
    if (wants_entry) added.expected_entry = expected->parser_entry;
  }
  if (actual->status == NDIS_STATUS_SUCCESS) {
    added.actual = actual->handle;
    if (wants_entry) added.actual_entry = actual->parser_entry;
  }
  return added;
}

void RunSend(Pair& pair, const fuzz::Script& script, std::size_t index) {
  static fuzz::FrameBuilder builder;
  static std::vector<std::uint8_t> frame;
  static fuzz::Layout layout;
  static std::vector<std::size_t> cuts;
  const fuzz::Programming& programming = pair.programming;
  const fuzz::SendDef& send = script.sends[index];
  g_send = index;
  builder.Build(script.setup, programming.framing, send, frame, layout);
  fuzz::FrameBuilder::Cuts(send, layout, frame.size(), cuts);

  const auto expected = pair.reference->candidate().Send(pair.reference->Request(script, index, programming, frame, cuts));
  const auto actual = pair.tested->candidate().Send(pair.tested->Request(script, index, programming, frame, cuts));
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

  // The proven cause, else the first differing field that is a cause (fuzz/common/signature.h),
  // from the reports' field diff (with the SAs' keys, so a candidate with its own IVs is judged by decryption and
  // verification).
  std::size_t first = 0, second = 0;
  const bool tunnelled = fuzz::SaIndexOf(send.next, programming.specs.size(), second);
  const bool has_first = fuzz::SaIndexOf(send.offload, programming.specs.size(), first);
  static fuzz::CheckTables tables;  // shared by every pair: a table depends only on its two SAs
  report::SaTable* table = has_first ? tables.Get(programming, tunnelled ? second : first, tunnelled ? first : kNoSa) : nullptr;
  report::DiffOptions options;
  options.ivs_dont_care = !pair.tested->identity().iv_injection;
  report::FrameDiffer differ(table, options);
  const auto link = script.setup.ethernet ? report::LinkType::kEthernet : report::LinkType::kRawIp;
  const report::FrameComparison& comparison = differ.Compare(want, got, link);
  if (comparison.equivalent) {
    if (pair.tested->identity().iv_injection) {
      Differ("send", "bytes", "frames differ but the field diff finds them equivalent");
    }
    return;
  }
  // Signed by the proven cause when one reproduces the candidate's frame (checked only here, on
  // a finding, so it costs nothing per execution).
  if (table == nullptr) Differ("send", fuzz::SignatureField(comparison, differ), comparison.Summary());
  // Every SA of the setup, for `wrong-sa`: a send processed with another SA's keys.
  std::map<std::string, vectors::SaSpec> every_sa;
  for (const vectors::SaSpec& spec : programming.specs) every_sa.emplace(spec.name, spec);
  report::SaTable setup_sas = report::SaTable::OfEverySa(every_sa);
  const report::CauseQuery query{frame, want, got, link, *table, &setup_sas, !pair.tested->identity().iv_injection};
  Differ("send", fuzz::SendSignature(query, comparison, differ), comparison.Summary());
}

// Whether two Setups make the same OID_TCP_TASK_OFFLOAD set(s): the same encapsulation, the same
// capabilities left out, the same second set.
bool SameSet(const fuzz::Setup& a, const fuzz::Setup& b) {
  return a.ethernet == b.ethernet && a.second_set == b.second_set && a.disabled == b.disabled;
}

// Both NICs of `pair` programmed with `setup`: the set(s), ADD_SA / DELETE_SA cycles, the SA
// table, the deletions. Fresh: both freshly initialised first (Reset: MiniportHalt +
// MiniportInitialize). Recycled (the pair's set is `setup`'s): the SAs still live deleted on both
// instead, the set kept — initialising a candidate (its OpenSSL library context, providers,
// fetched algorithms) costs far more than programming it, and a recycled pair is judged like a
// reused one (a difference counts only when a fresh pair shows it too).
void Program(Context& context, Pair& pair, const fuzz::Setup& setup, bool recycle) {
  harness::Candidate& reference = pair.reference->candidate();
  harness::Candidate& tested = pair.tested->candidate();
  const std::optional<fuzz::Setup> previous = std::move(pair.setup);
  pair.setup.reset();
  if (recycle) {
    for (std::size_t i = 0; i < previous->sas.size(); ++i) {
      if (pair.reference->added(i) && !previous->sas[i].deleted) {
        Compare("recycle_delete_sa", reference.DeleteSa(pair.reference->handle(i)), tested.DeleteSa(pair.tested->handle(i)));
      }
    }
  } else {
    for (fuzz::Driver* driver : {pair.reference.get(), pair.tested.get()}) {
      auto reset = driver->candidate().Reset();
      if (!reset) Differ("reset", fuzz::CandidateErrorKind(reset.error().reason), reset.error().reason);
    }
  }
  pair.reference->Forget();
  pair.tested->Forget();
  pair.programming = fuzz::Program(setup, context.common);
  const fuzz::Programming& programming = pair.programming;
  if (!recycle) {
    Compare("set", reference.Set(programming.encapsulation, programming.enable),
            tested.Set(programming.encapsulation, programming.enable));
    if (setup.second_set) {
      Compare("second_set", reference.Set(programming.encapsulation, programming.enable),
              tested.Set(programming.encapsulation, programming.enable));
    }
  }
  // Deleted SAs' slots must come back: ADD_SA + DELETE_SA cycles of a plain ESP SA.
  static const vectors::SaSpec churn_spec = fuzz::MakeSaSpec(fuzz::SaDef{}, 0);
  static const vectors::AddSaRequest churn_request = vectors::BuildAddSaRequest(churn_spec);
  for (unsigned cycle = 0; cycle < setup.churn; ++cycle) {
    const auto [expected, actual] = AddSa(pair, "churn_add_sa", churn_spec, churn_request);
    if (expected == nullptr) break;
    Compare("churn_delete_sa", reference.DeleteSa(expected), tested.DeleteSa(actual));
  }
  for (std::size_t i = 0; i < programming.specs.size(); ++i) {
    if (setup.udp.UdpEsp(i)) {
      const UdpEspAdded added = AddUdpEspSa(pair, setup, i, programming.specs[i]);
      pair.reference->Record(added.expected);
      pair.tested->Record(added.actual);
      pair.reference->RecordEntry(added.expected_entry);
      pair.tested->RecordEntry(added.actual_entry);
      continue;
    }
    const auto [expected, actual] = AddSa(pair, "add_sa", programming.specs[i], programming.requests[i]);
    pair.reference->Record(expected);
    pair.tested->Record(actual);
    pair.reference->RecordEntry(nullptr);
    pair.tested->RecordEntry(nullptr);
  }
  pair.reference->Seal();
  pair.tested->Seal();
  for (std::size_t i = 0; i < setup.sas.size(); ++i) {
    if (!setup.sas[i].deleted || !pair.reference->added(i)) continue;
    if (setup.udp.UdpEsp(i)) {
      // [S15d] the entry goes too when the delete names it.
      const bool entry = ((setup.udp.delete_entry >> i) & 1u) != 0;
      Compare("delete_udpesp_sa", reference.DeleteUdpEspSa(pair.reference->handle(i), entry ? pair.reference->entry(i) : nullptr),
              tested.DeleteUdpEspSa(pair.tested->handle(i), entry ? pair.tested->entry(i) : nullptr));
    } else {
      Compare("delete_sa", reference.DeleteSa(pair.reference->handle(i)), tested.DeleteSa(pair.tested->handle(i)));
    }
  }
  pair.setup = setup;
}

// The pair programmed with `setup`, moved to the front; nullptr when there is none.
Pair* Find(Context& context, const fuzz::Setup& setup) {
  const auto found = std::find_if(context.pairs.begin(), context.pairs.end(),
                                  [&](const std::unique_ptr<Pair>& pair) { return pair->setup && *pair->setup == setup; });
  if (found == context.pairs.end()) return nullptr;
  std::rotate(context.pairs.begin(), found, found + 1);
  return context.pairs.front().get();
}

// A pair for a Setup no pair has, moved to the front: a new one while fewer than the capacity
// exist, else the least recently used with the same set (to recycle), else the least recently
// used. `recycle` says which.
Pair& Victim(Context& context, const fuzz::Setup& setup, bool& recycle) {
  recycle = false;
  if (context.pairs.size() < context.capacity) {
    context.pairs.insert(context.pairs.begin(), MakePair(context.candidate));
    return *context.pairs.front();
  }
  // A pair that had UDP-ESP SAs is not recycled: its parser entries would stay behind.
  auto victim = std::find_if(context.pairs.rbegin(), context.pairs.rend(), [&](const std::unique_ptr<Pair>& pair) {
    return pair->setup && pair->setup->udp.sas == 0 && SameSet(*pair->setup, setup);
  });
  recycle = victim != context.pairs.rend();
  if (!recycle) victim = context.pairs.rbegin();
  const auto forward = std::prev(victim.base());
  std::rotate(context.pairs.begin(), forward, forward + 1);
  return *context.pairs.front();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // OpenSSL and the reference NIC's providers first: their exit-time cleanup then runs after the
  // destructors of the statics below, which still hold EVP objects.
  static const bool openssl_ready = OPENSSL_init_crypto(0, nullptr) == 1 && nic::FullCapabilities().task.V4ESP.Send != 0;
  (void)openssl_ready;
  Context& context = Get();
  const fuzz::Script script = fuzz::DecodeScript(std::span<const std::uint8_t>(data, size));
  g_script = &script;
  g_send = 0;
  // NIC pairs programmed with an earlier input's setup serve the next input with the same setup
  // (reused); a new setup takes a pair with the same set and replaces its SAs (recycled), else the
  // least recently used pair, freshly initialised.
  bool recycle = false;
  Pair* reused = Find(context, script.setup);
  Pair& pair = reused != nullptr ? *reused : Victim(context, script.setup, recycle);
  const bool fresh = reused == nullptr && !recycle;
  static InputCounts counts;
  ++(fresh ? counts.fresh : recycle ? counts.recycled : counts.reused);
  try {
    if (reused == nullptr) Program(context, pair, script.setup, recycle);
    for (std::size_t i = 0; i < script.sends.size(); ++i) RunSend(pair, script, i);
  } catch (const Difference& difference) {
    if (fresh) Report(context, difference);
    // Seen on NICs that earlier inputs programmed or sent through: only what a fresh pair shows
    // is a finding (its input then reproduces it alone). An out-of-process candidate that died is
    // started afresh first.
    if (difference.field.rfind("candidate-", 0) == 0) {
      pair.tested->candidate().Stop();
      if (const std::string error = pair.tested->Start(); !error.empty()) {
        Report(context, Difference{"restart", "candidate-error", error});
      }
    }
    try {
      g_send = 0;
      Program(context, pair, script.setup, false);
      for (std::size_t i = 0; i < script.sends.size(); ++i) RunSend(pair, script, i);
    } catch (const Difference& again) {
      Report(context, again);
    }
  }
  g_script = nullptr;
  return 0;
}
