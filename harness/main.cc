// sendpath: the command line (README.md, "Command line").
//
//   sendpath run [VECTOR_PATH...] [--candidate SPEC] [--out DIR] [--jobs N] [--filter GLOB]...
//                [--timeout MS] [--rerun-failed RESULTS.json] [--no-progress]
//   sendpath export [VECTOR_PATH...] --out DIR [--filter GLOB]...
//   sendpath compare OLD_RESULTS.json NEW_RESULTS.json
//   sendpath diff EXPECTED ACTUAL [...] / sendpath verify CAPTURE --sa SAS.json [...] (reports/)
//
// Exit codes of run: 0 every MUST vector passed; 1 a MUST vector failed (or its candidate errored)
// or a MUST run-wide IV finding was made;
// 2 usage error or invalid vectors/inputs; 3 the candidate could not be run at all; 4 the run was
// interrupted (SIGINT/SIGTERM), the report is incomplete.
#include "harness/candidate_spec.h"
#include "harness/compare.h"
#include "harness/export.h"
#include "harness/failure_groups.h"
#include "harness/runner.h"

#include <reports/commands_cli.h>
#include <reports/sa_keys.h>
#include <reports/writers.h>
#include <vectors/loader/vector_loader.h>

#include <CLI/CLI.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <variant>

namespace {

using namespace sendpath;

constexpr int kExitPass = 0;
constexpr int kExitMustFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitCandidateUnusable = 3;
constexpr int kExitInterrupted = 4;

constexpr const char* kRunExitCodes =
    "Exit codes:\n"
    "  0  every MUST vector passed (SHOULD failures and \"not claimed\" are reported, not fatal)\n"
    "  1  a MUST vector failed or hit a candidate error, or a MUST run-wide IV finding was made\n"
    "  2  usage error or invalid input: a vector file that does not load (the others still run), no vector\n"
    "     selected, --out not creatable or writable (checked before the first vector), an unreadable\n"
    "     capture, programming or --rerun-failed file, a failed vector of --rerun-failed not found\n"
    "  3  the candidate could not be run at all: it did not start or complete the handshake (checked\n"
    "     before the first vector; no vector is run, the report says why)\n"
    "  4  the run was interrupted (SIGINT, SIGTERM): the running vector is abandoned, the report is written\n"
    "     and marked incomplete\n"
    "When several apply, the larger code wins.\n";

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};

extern "C" void OnInterrupt(int signal) {
  g_signal.store(signal);
  g_interrupted.store(true);
}

// SIGINT and SIGTERM set the stop flag while a run is in progress.
class InterruptHandlers {
 public:
  InterruptHandlers() {
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~InterruptHandlers() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The root of the bundled suites: $SENDPATH_VECTORS, else the vector folder of the source tree.
std::string VectorRoot() {
  if (const char* env = std::getenv("SENDPATH_VECTORS"); env != nullptr && *env != '\0') return env;
  return SENDPATH_VECTORS_DIR;
}

// The bundled suites: the vector folders of the vector root.
std::vector<std::string> DefaultVectorPaths() {
  const std::string root = VectorRoot();
  std::vector<std::string> paths;
  for (const char* suite : {"kat", "independent", "contract", "robustness", "regressions"}) {
    const std::filesystem::path path = std::filesystem::path(root) / suite;
    if (std::filesystem::is_directory(path)) paths.push_back(path.string());
  }
  if (paths.empty()) paths.push_back(root);
  return paths;
}

std::filesystem::path AbsoluteNormal(const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) absolute = path;
  absolute = absolute.lexically_normal();
  if (absolute.filename().empty() && absolute.has_parent_path()) absolute = absolute.parent_path();  // "dir/"
  return absolute;
}

// `path` relative to `base` when it lies inside it.
std::optional<std::string> Inside(const std::filesystem::path& path, const std::filesystem::path& base) {
  const std::filesystem::path relative = path.lexically_relative(base);
  if (relative.empty() || *relative.begin() == "..") return std::nullopt;
  return relative.generic_string();
}

// The name a vector file has in the report (junit.xml suites, results.json "file" and
// "vector_files"): relative to the vector root when it lies inside it, else relative to the
// parent of the VECTOR_PATH it was found through (a folder keeps its own name, a file its name).
// Never the absolute path of the machine that ran it.
std::string ReportFileName(const std::string& file, const std::vector<std::string>& arguments) {
  const std::filesystem::path absolute = AbsoluteNormal(file);
  if (auto name = Inside(absolute, AbsoluteNormal(VectorRoot()))) return *name;
  for (const std::string& argument : arguments) {
    const std::filesystem::path base = AbsoluteNormal(argument);
    if (base == absolute) return absolute.filename().generic_string();
    if (auto name = Inside(absolute, base)) return (base.filename() / *name).generic_string();
  }
  return absolute.filename().generic_string();
}

struct Loaded {
  std::vector<std::string> paths;  // as searched (the defaults when none was given)
  vectors::LoadResult result;
  std::vector<harness::SelectedVector> selected;
};

// Loads the vector paths; `report_names` gives every file its report name (ReportFileName).
Loaded Load(std::vector<std::string> paths, const std::vector<std::string>& filters, bool report_names) {
  Loaded loaded;
  if (paths.empty()) paths = DefaultVectorPaths();
  loaded.paths = paths;
  loaded.result = vectors::LoadVectorPaths(paths);  // a missing path is one error there
  if (report_names) {
    for (vectors::VectorFile& file : loaded.result.files) {
      file.path = ReportFileName(file.path, paths);
      for (vectors::Vector& vector : file.vectors) vector.file = file.path;
    }
  }
  loaded.selected = harness::SelectVectors(loaded.result.files, filters);
  return loaded;
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

// Why nothing was selected, naming the paths searched.
std::string NothingToRun(const Loaded& loaded, const std::vector<std::string>& filters,
                         const std::string& rerun_failed = "") {
  std::size_t vectors = 0;
  for (const auto& file : loaded.result.files) vectors += file.vectors.size();
  std::string text = "no vector to run in " + Join(loaded.paths, ", ");
  if (!rerun_failed.empty() && vectors > 0) {
    return text + ": none of its " + std::to_string(vectors) + " vectors" + (filters.empty() ? "" : " matching --filter") +
           " failed in " + rerun_failed;
  }
  if (!filters.empty() && vectors > 0) {
    return text + ": --filter " + Join(filters, ", ") + " matches none of its " + std::to_string(vectors) + " vectors";
  }
  if (!loaded.result.errors.empty() && loaded.result.files.empty()) return text + ": no vector file loaded";
  return text + ": no *.json vector file there";
}

// Checks before the first vector that the report folder can be created and written to.
std::string CheckOutputFolder(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return "cannot create the report folder: " + error.message();
  if (!std::filesystem::is_directory(directory, error)) return "exists and is not a folder";
  std::string probe = (std::filesystem::path(directory) / ".sendpath-write-check-XXXXXX").string();
  const int fd = mkstemp(probe.data());
  if (fd < 0) return std::string("cannot write to the report folder: ") + std::strerror(errno);
  close(fd);
  std::filesystem::remove(probe, error);
  return "";
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void Update(std::size_t done, std::size_t total) {
    if (!enabled_ || total == 0) return;
    constexpr std::size_t kWidth = 40;
    const std::size_t filled = done * kWidth / total;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(), std::string(kWidth - filled, ' ').c_str(),
                 done, total);
    open_ = done != total;
    if (!open_) std::fputs("\n", stderr);
    std::fflush(stderr);
  }
  // Ends a bar left open by an interrupted run.
  void Close() {
    if (open_) std::fputs("\n", stderr);
    open_ = false;
  }

 private:
  bool enabled_;
  bool open_ = false;
};

const char* ExitMeaning(int exit_code) {
  switch (exit_code) {
    case kExitPass: return "every MUST vector passed, no MUST run-wide finding";
    case kExitMustFailed: return "a MUST vector failed or a MUST run-wide finding was made";
    case kExitUsage: return "invalid vectors or inputs";
    case kExitCandidateUnusable: return "the candidate could not be run";
    case kExitInterrupted: return "the run was interrupted; the results are incomplete";
    default: return "";
  }
}

// `captures_command`: how to open the expected capture decrypted; empty when the report was not written.
void PrintSummary(const report::RunResult& run, const std::string& report_line, const std::string& captures_command, int exit_code) {
  std::size_t counts[6] = {};
  std::size_t must = 0;
  for (const auto& vector : run.vectors) {
    ++counts[static_cast<int>(vector.verdict)];
    if (vector.must) ++must;
  }
  std::printf("sendpath %s: candidate %s\n", run.sendpath_version.c_str(), run.candidate.spec.c_str());
  if (!run.candidate.identity.empty()) std::printf("  identity: %s\n", run.candidate.identity.c_str());
  std::printf("  claimed profile (%zu): %s\n", run.candidate.claimed_caps.size(),
              run.candidate.claimed_caps.empty() ? "(none)" : Join(run.candidate.claimed_caps, ", ").c_str());
  if (!run.candidate.ivs_offered) {
    std::printf("  IVs: none offered (--own-ivs); the candidate picks its own, judged by decrypt-and-compare\n");
  } else if (run.candidate.picks_own_ivs) {
    std::printf("  IVs: the candidate picks its own; judged by decrypt-and-compare\n");
  }
  std::printf("vectors: %zu (%zu MUST, %zu SHOULD) from %zu files%s\n", run.vectors.size(), must,
              run.vectors.size() - must, run.vector_files.size(),
              run.complete ? "" : (" -- INCOMPLETE: " + run.incomplete_reason).c_str());
  const report::Verdict order[] = {report::Verdict::kPass, report::Verdict::kFail, report::Verdict::kNotClaimed,
                                   report::Verdict::kCandidateError, report::Verdict::kInvalidVector,
                                   report::Verdict::kSkipped};
  for (report::Verdict verdict : order) {
    if (counts[static_cast<int>(verdict)] > 0) {
      std::printf("  %-16s %zu\n", report::VerdictName(verdict), counts[static_cast<int>(verdict)]);
    }
  }
  // Failures: grouped by cause, the group of the simplest failing vector first; then the
  // failures themselves, simplest first (reports/RESULTS.md, "Order of failures").
  constexpr std::size_t kGroupsShown = 8, kFailuresShown = 12;
  const std::vector<report::FailureGroup>& groups = run.failure_groups;
  if (!groups.empty()) std::printf("failures by cause (%zu):\n", groups.size());
  for (std::size_t i = 0; i < groups.size() && i < kGroupsShown; ++i) {
    std::printf("  %zu vector%s: %s; simplest: %s\n", groups[i].count, groups[i].count == 1 ? "" : "s",
                groups[i].cause.c_str(), groups[i].simplest.c_str());
  }
  if (groups.size() > kGroupsShown) std::printf("  ... and %zu more causes (see the report)\n", groups.size() - kGroupsShown);
  const std::vector<std::size_t> failures = report::FailuresSimplestFirst(run);
  if (!failures.empty()) std::printf("failures, simplest first:\n");
  for (std::size_t i = 0; i < failures.size() && i < kFailuresShown; ++i) {
    const report::VectorResult& vector = run.vectors[failures[i]];
    std::printf("  %s %-6s %s: %s\n", vector.verdict == report::Verdict::kFail ? "FAIL " : "ERROR",
                vector.must ? "MUST" : "SHOULD", vector.id.c_str(), vector.diagnosis.c_str());
  }
  if (failures.size() > kFailuresShown) std::printf("  ... and %zu more (see the report)\n", failures.size() - kFailuresShown);
  for (std::size_t i = 0; i < run.load_errors.size() && i < 5; ++i) {
    std::printf("  INVALID %s\n", run.load_errors[i].c_str());
  }
  if (run.load_errors.size() > 5) std::printf("  ... and %zu more invalid files\n", run.load_errors.size() - 5);
  // Run-wide findings (reports/run_result.h): MUST ones fail the run.
  for (std::size_t i = 0; i < run.run_findings.size() && i < 5; ++i) {
    const report::RunFinding& finding = run.run_findings[i];
    std::printf("  FINDING %-6s %s: %s\n", report::SeverityName(finding.severity), report::FindingKindName(finding.kind),
                report::FindingText(finding).c_str());
  }
  if (run.run_findings.size() > 5) std::printf("  ... and %zu more findings (see the report)\n", run.run_findings.size() - 5);
  for (std::size_t i = 0; i < run.run_notes.size() && i < 5; ++i) std::printf("  note: %s\n", run.run_notes[i].c_str());
  if (run.run_notes.size() > 5) std::printf("  ... and %zu more notes\n", run.run_notes.size() - 5);
  std::printf("report: %s\n", report_line.c_str());
  if (!captures_command.empty()) std::printf("decrypted captures: %s\n", captures_command.c_str());
  std::printf("exit %d: %s\n", exit_code, ExitMeaning(exit_code));
}

struct RunArgs {
  std::vector<std::string> paths;
  std::string candidate = "reference";
  std::string out = "./sendpath-report";
  std::size_t jobs = 1;
  std::vector<std::string> filters;
  unsigned timeout_ms = 5000;
  std::string rerun_failed;  // results.json of an earlier run
  bool no_progress = false;
  bool own_ivs = false;  // offer no IVs: the candidate picks its own (decrypt-and-compare)
};

// Starts one candidate and completes the handshake and the capability query, before any vector.
// "" when it works; the reason otherwise.
std::string PreflightCandidate(const harness::CandidateFactory& factory) {
  std::unique_ptr<harness::Candidate> candidate = factory.Make();
  std::string error;
  if (auto identity = candidate->Start(); !identity) {
    error = identity.error().reason;
  } else if (auto capabilities = candidate->QueryCapabilities(); !capabilities) {
    error = "OID_TCP_TASK_OFFLOAD query: " + capabilities.error().reason;
  }
  candidate->Stop();
  return error;
}

// Every selected vector as "not run", for a report of a run that ran none of them.
void MarkNotRun(report::RunResult& run, const std::vector<harness::SelectedVector>& selected, const std::string& why) {
  for (const auto& entry : selected) {
    report::VectorResult& vector = run.vectors.emplace_back();
    vector.id = entry.vector->id;
    vector.title = entry.vector->title;
    vector.file = entry.vector->file;
    vector.must = entry.vector->vector_class == vectors::VectorClass::kMust;
    vector.requires_caps = entry.vector->requires_caps;
    vector.ethernet = entry.vector->encapsulation == vectors::Encapsulation::kIeee8023;
    vector.verdict = report::Verdict::kSkipped;
    vector.diagnosis = "not run: " + why;
  }
}

int Run(const RunArgs& args, const std::string& command_line) {
  InterruptHandlers handlers;  // from here on SIGINT/SIGTERM stop the run and still write the report
  g_interrupted.store(false);
  report::RunResult run;
  run.sendpath_version = SENDPATH_VERSION;
  run.command_line = command_line;
  run.started_utc = UtcNow();

  // Before any vector: where the report goes, what to rerun, which vectors.
  if (const std::string error = CheckOutputFolder(args.out); !error.empty()) {
    std::fprintf(stderr, "sendpath run: --out %s: %s\n", args.out.c_str(), error.c_str());
    return kExitUsage;
  }
  std::optional<harness::ResultsFile> rerun;
  if (!args.rerun_failed.empty()) {
    auto read = harness::ReadResultsFile(args.rerun_failed);
    if (const auto* error = std::get_if<harness::ResultsError>(&read)) {
      std::fprintf(stderr, "sendpath run: --rerun-failed %s\n", error->message.c_str());
      return kExitUsage;
    }
    rerun = std::move(std::get<harness::ResultsFile>(read));
  }

  Loaded loaded = Load(args.paths, args.filters, /*report_names=*/true);
  for (const auto& error : loaded.result.errors) run.load_errors.push_back(error.ToString());
  for (const auto& file : loaded.result.files) run.vector_files.push_back({file.path, file.sha256});
  if (rerun) {
    const std::vector<std::string> failed = harness::FailedIds(*rerun);
    if (!rerun->complete) {
      std::fprintf(stderr, "sendpath run: note: --rerun-failed %s is an interrupted run: only the vectors it reached are rerun\n",
                   args.rerun_failed.c_str());
    }
    if (failed.empty()) {
      std::printf("sendpath run: --rerun-failed %s: no vector failed or errored there; nothing to rerun\n",
                  args.rerun_failed.c_str());
      return kExitPass;
    }
    std::set<std::string> loaded_ids;
    for (const auto& file : loaded.result.files) {
      for (const auto& vector : file.vectors) loaded_ids.insert(vector.id);
    }
    for (const std::string& id : failed) {
      if (loaded_ids.count(id) != 0) continue;
      run.load_errors.push_back(args.rerun_failed + ": vector '" + id + "' failed there but is not among the vectors of " +
                                Join(loaded.paths, ", "));
      std::fprintf(stderr, "sendpath run: %s\n", run.load_errors.back().c_str());
    }
    const std::set<std::string> wanted(failed.begin(), failed.end());
    std::erase_if(loaded.selected, [&](const harness::SelectedVector& entry) { return wanted.count(entry.vector->id) == 0; });
  }
  if (loaded.selected.empty()) {
    for (const std::string& error : run.load_errors) std::fprintf(stderr, "sendpath run: %s\n", error.c_str());
    std::fprintf(stderr, "sendpath run: %s\n", NothingToRun(loaded, args.filters, args.rerun_failed).c_str());
    return kExitUsage;
  }

  harness::SpecOptions spec_options;
  spec_options.request_timeout = std::chrono::milliseconds(args.timeout_ms);
  spec_options.stop = &g_interrupted;
  spec_options.own_ivs = args.own_ivs;
  harness::FactoryResult factory = harness::MakeCandidateFactory(args.candidate, spec_options);
  if (!factory.factory) {
    std::fprintf(stderr, "sendpath run: %s\n", factory.error.c_str());
    return kExitUsage;
  }
  run.candidate.spec = args.candidate;
  run.run_notes = std::move(factory.notes);

  // SA tables for the report writers, so they can decrypt and decode frames.
  std::map<std::string, const vectors::Vector*> by_id;
  for (const auto& entry : loaded.selected) by_id[entry.vector->id] = entry.vector;
  std::map<std::string, std::unique_ptr<report::SaTable>> tables;
  report::ReportOptions report_options;
  report_options.sas_for_vector = [&](const report::VectorResult& vector) -> report::SaTable* {
    auto& table = tables[vector.id];
    if (!table) {
      table = std::make_unique<report::SaTable>();
      const auto found = by_id.find(vector.id);
      if (found == by_id.end()) return nullptr;
      for (const auto& [name, sa] : found->second->sas) {
        for (std::size_t element = 0; element < sa.bundle.size(); ++element) {
          auto keys = report::MakeSaKeys(name, sa, element);
          if (keys) table->Add(std::move(keys.value()));
        }
      }
    }
    return table.get();
  };
  const auto finish = [&](int exit_code) {
    run.finished_utc = UtcNow();
    harness::RankAndGroupFailures(run, by_id);
    std::string report_line = args.out;
    std::string captures_command = report::WiresharkCommand(args.out, report::kExpectedCapture);
    if (auto written = report::WriteReportFolder(run, args.out, report_options); !written) {
      std::fprintf(stderr, "sendpath run: writing the report to %s: %s\n", args.out.c_str(), written.error().message.c_str());
      exit_code = std::max(exit_code, kExitUsage);
      report_line = "NOT WRITTEN (" + written.error().message + ")";
      captures_command.clear();
    }
    PrintSummary(run, report_line, captures_command, exit_code);
    return exit_code;
  };
  const auto interrupted_reason = [] {
    return std::string("the run was interrupted by ") + (g_signal.load() == SIGTERM ? "SIGTERM" : "SIGINT");
  };

  // The candidate must start and answer before the first vector.
  const std::string candidate_error = PreflightCandidate(*factory.factory);
  if (g_interrupted.load()) {  // a signal while the candidate was being started: no vector ran
    run.complete = false;
    MarkNotRun(run, loaded.selected, "the run was interrupted");
    run.incomplete_reason = interrupted_reason() + " (" + std::to_string(run.vectors.size()) + " of " +
                            std::to_string(run.vectors.size()) + " vectors not run or not finished)";
    std::fprintf(stderr, "sendpath run: %s\n", run.incomplete_reason.c_str());
    return finish(kExitInterrupted);
  }
  if (!candidate_error.empty()) {
    std::fprintf(stderr, "sendpath run: the candidate cannot be run (--candidate %s): %s\n", args.candidate.c_str(),
                 candidate_error.c_str());
    run.complete = false;
    run.incomplete_reason = "the candidate could not be run: " + candidate_error;
    run.run_notes.insert(run.run_notes.begin(), "candidate could not be run: " + candidate_error);
    MarkNotRun(run, loaded.selected, "the candidate could not be run");
    return finish(kExitCandidateUnusable);
  }

  ProgressBar progress(!args.no_progress && isatty(STDERR_FILENO) != 0);
  harness::RunOptions options;
  options.jobs = std::max<std::size_t>(1, args.jobs);
  options.filters = args.filters;
  options.stop = &g_interrupted;
  options.progress = [&](std::size_t done, std::size_t total) { progress.Update(done, total); };
  harness::RunOutcome outcome = harness::RunVectors(loaded.selected, *factory.factory, options);
  progress.Close();

  run.complete = outcome.result.complete;
  run.candidate = std::move(outcome.result.candidate);
  run.candidate.ivs_offered = !args.own_ivs;
  run.vectors = std::move(outcome.result.vectors);
  for (std::string& note : outcome.result.run_notes) run.run_notes.push_back(std::move(note));
  run.run_findings = std::move(outcome.result.run_findings);
  if (outcome.candidate_never_ran) run.run_notes.insert(run.run_notes.begin(), "candidate could not be run: " + outcome.candidate_error);

  int exit_code = harness::ExitCodeOf(run);
  if (!run.load_errors.empty()) exit_code = kExitUsage;
  if (outcome.candidate_never_ran) exit_code = kExitCandidateUnusable;
  if (outcome.interrupted) {
    std::size_t skipped = 0;
    for (const auto& vector : run.vectors) skipped += vector.verdict == report::Verdict::kSkipped ? 1 : 0;
    run.incomplete_reason = interrupted_reason() + " (" + std::to_string(skipped) + " of " +
                            std::to_string(run.vectors.size()) + " vectors not run or not finished)";
    std::fprintf(stderr, "sendpath run: %s\n", run.incomplete_reason.c_str());
    exit_code = kExitInterrupted;
  }
  return finish(exit_code);
}

int Export(const std::vector<std::string>& paths, const std::string& out, const std::vector<std::string>& filters) {
  Loaded loaded = Load(paths, filters, /*report_names=*/false);
  for (const auto& error : loaded.result.errors) std::fprintf(stderr, "sendpath export: %s\n", error.ToString().c_str());
  if (loaded.selected.empty()) {
    std::fprintf(stderr, "sendpath export: %s\n", NothingToRun(loaded, filters).c_str());
    return kExitUsage;
  }
  std::string error;
  if (!harness::WriteExport(loaded.selected, out, error)) {
    std::fprintf(stderr, "sendpath export: %s\n", error.c_str());
    return kExitUsage;
  }
  std::size_t sends = 0;
  for (const auto& entry : loaded.selected) {
    for (const auto& step : entry.vector->steps) sends += std::holds_alternative<vectors::SendStep>(step.op) ? 1 : 0;
  }
  std::printf("exported %zu vectors (%zu sends) to %s: input.pcap, programming.json, sas.json\n",
              loaded.selected.size(), sends, out.c_str());
  return loaded.result.errors.empty() ? kExitPass : kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i == 0 ? "" : " ") + std::string(argv[i]);

  CLI::App app{"sendpath: conformance harness for the NDIS 5.1 IPsec send-path offload contract", "sendpath"};
  app.require_subcommand(1);
  app.set_version_flag("--version", SENDPATH_VERSION);

  RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "Run vectors against a candidate NIC and judge it");
  run->add_option("VECTOR_PATH", run_args.paths, "Vector files or folders (default: the bundled suites)");
  run->add_option("--candidate", run_args.candidate,
                  "reference | lib:PATH.so[,key=value...] | exec:COMMAND [ARGS...] | pcap:CAPTURE[,programming=FILE]")
      ->capture_default_str();
  run->add_option("--out", run_args.out, "Report folder (checked before the first vector)")->capture_default_str();
  run->add_option("--jobs,-j", run_args.jobs, "Parallel jobs, one candidate (process) each")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  run->add_option("--filter", run_args.filters, "Run only vectors whose id matches this glob (repeatable)");
  run->add_option("--timeout", run_args.timeout_ms, "Milliseconds a live candidate has for each request")
      ->check(CLI::Range(1u, 3600000u))
      ->capture_default_str();
  run->add_option("--rerun-failed", run_args.rerun_failed,
                  "Run only the vectors that failed or errored in this results.json of an earlier run (by id)");
  run->add_flag("--no-progress", run_args.no_progress, "No progress bar (it is shown only on a terminal anyway)");
  run->add_flag("--own-ivs", run_args.own_ivs,
                "Offer the candidate no IVs: it picks its own, and ciphertext and ICVs are judged by decrypting "
                "and verifying (results.json: candidate.ivs_offered false)");
  run->footer(kRunExitCodes);

  std::vector<std::string> export_paths, export_filters;
  std::string export_out;
  CLI::App* export_command =
      app.add_subcommand("export", "Write what a hardware rig needs to replay the suite: input.pcap, programming.json, sas.json");
  export_command->add_option("VECTOR_PATH", export_paths, "Vector files or folders (default: the bundled suites)");
  export_command->add_option("--out", export_out, "Output folder")->required();
  export_command->add_option("--filter", export_filters, "Export only vectors whose id matches this glob (repeatable)");
  export_command->footer("Exit codes:\n  0  written\n  2  usage error, invalid vectors, output not writable");

  std::string compare_old, compare_new;
  CLI::App* compare = app.add_subcommand(
      "compare", "Compare two runs' results.json: what newly fails, what got fixed, what changed diagnosis");
  compare->add_option("OLD", compare_old, "results.json of the earlier run")->required();
  compare->add_option("NEW", compare_new, "results.json of the later run")->required();
  compare->footer(
      "Exit codes:\n  0  no MUST vector newly fails\n  1  a MUST vector fails in NEW that did not fail in OLD\n"
      "  2  usage error or bad input (the message names the file and the JSON pointer)");

  // diff and verify: the reports' commands, options defined once in reports/commands_cli.h.
  int report_exit_code = kExitPass;
  CLI::App* diff = report::AddDiffSubcommand(app, report_exit_code);
  CLI::App* verify = report::AddVerifySubcommand(app, report_exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (run->parsed()) return Run(run_args, command_line);
  if (export_command->parsed()) return Export(export_paths, export_out, export_filters);
  if (compare->parsed()) return harness::RunCompareCommand(compare_old, compare_new, std::cout, std::cerr);
  if (diff->parsed() || verify->parsed()) return report_exit_code;
  return kExitUsage;
}
