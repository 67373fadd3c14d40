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
#include "harness/complexity.h"
#include "harness/iv_policy.h"
#include "harness/runner.h"
#include "harness/scheduler.h"

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
#include <charconv>
#include <cstring>
#include <ctime>
#include <fnmatch.h>
#include <fstream>
#include <unordered_map>
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
// `run.vectors`: the failures (ReportStream::Finish leaves them there); `summary`: every vector's counts.
void PrintSummary(const report::RunResult& run, const report::RunSummary& summary, const std::string& report_line,
                  const std::string& captures_command, int exit_code) {
  const std::size_t* counts = summary.by_verdict;
  std::size_t must = 0;
  for (std::size_t i = 0; i < 6; ++i) must += summary.must[i];
  std::printf("sendpath %s: candidate %s\n", run.sendpath_version.c_str(), run.candidate.spec.c_str());
  if (!run.candidate.identity.empty()) std::printf("  identity: %s\n", run.candidate.identity.c_str());
  std::printf("  claimed profile (%zu): %s\n", run.candidate.claimed_caps.size(),
              run.candidate.claimed_caps.empty() ? "(none)" : Join(run.candidate.claimed_caps, ", ").c_str());
  if (!run.candidate.ivs_offered) {
    std::printf("  IVs: none offered (--own-ivs); the candidate picks its own, judged by decrypt-and-compare\n");
  } else if (run.candidate.picks_own_ivs) {
    std::printf("  IVs: the candidate picks its own; judged by decrypt-and-compare\n");
  }
  std::printf("vectors: %zu (%zu MUST, %zu SHOULD) from %zu files%s\n", summary.total, must,
              summary.total - must, run.vector_files.size(),
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

// The vectors of a run, read a file at a time and a vector at a time (vectors/loader:
// VectorFileReader): the --filter globs and the --rerun-failed ids select; ids are unique across
// the run (a repeated id is an invalid vector, with its file and JSON pointer); every file that
// loads is listed with its SHA-256, every error goes to run.load_errors.
class VectorStream {
 public:
  VectorStream(std::vector<std::string> paths, std::vector<std::string> filters, const std::set<std::string>* wanted,
               report::RunResult& run)
      : paths_(std::move(paths)), filters_(std::move(filters)), wanted_(wanted), run_(run) {
    std::vector<vectors::LoadError> errors;
    files_ = vectors::ListVectorFiles(paths_, errors);
    for (const auto& error : errors) AddError(error.ToString());
  }

  // The next selected vector; nullptr after the last.
  std::unique_ptr<harness::ScheduledVector> Next() {
    if (peeked_) return std::move(peeked_);
    while (true) {
      if (!reader_) {
        if (next_file_ >= files_.size()) return nullptr;
        const std::string& path = files_[next_file_++];
        // Errors name the file as found (like the paths given); the report uses its report name.
        auto opened = vectors::VectorFileReader::Open(path, path, std::move(buffer_));
        if (auto* error = std::get_if<vectors::LoadError>(&opened)) {
          AddError(error->ToString());
          continue;
        }
        reader_.emplace(std::move(std::get<vectors::VectorFileReader>(opened)));
        head_ = std::make_shared<vectors::VectorFile>(reader_->head());
        head_->path = ReportFileName(path, paths_);
        run_.vector_files.push_back({head_->path, head_->sha256});
        ++files_loaded_;
      }
      auto next = reader_->Next();
      if (!next) {
        buffer_ = reader_->TakeBuffer();  // the next file is read into the same memory
        reader_.reset();
        continue;
      }
      if (auto* error = std::get_if<vectors::LoadError>(&*next)) {
        AddError(error->ToString());
        continue;
      }
      auto vector = std::make_unique<harness::ScheduledVector>();
      vector->owned.emplace(std::move(std::get<vectors::Vector>(*next)));
      vector->owned->file = head_->path;
      const vectors::Vector& loaded = *vector->owned;
      ++vectors_loaded_;
      // Ids name vectors in reports and regressions: a repeated one is an error of the later vector.
      const auto [first, fresh] = ids_.emplace(std::hash<std::string>{}(loaded.id), Place{static_cast<std::uint32_t>(next_file_ - 1), VectorIndex(loaded.pointer)});
      if (!fresh) {
        AddError(files_[next_file_ - 1] + ":" + loaded.pointer + "/id: duplicate id '" + loaded.id + "' (first in " +
                 files_[first->second.file] + ":/vectors/" + std::to_string(first->second.vector) + ")");
        continue;
      }
      if (!Selected(loaded.id)) continue;
      vector->file_head = head_;
      vector->selected = harness::SelectedVector{head_.get(), &loaded};
      return vector;
    }
  }

  // Reads ahead to the first selected vector: false when there is none.
  bool AnySelected() {
    if (!peeked_) peeked_ = Next();
    return peeked_ != nullptr;
  }
  // Why nothing was selected, naming the paths searched.
  std::string NothingToRun(const std::string& rerun_failed) const {
    std::string text = "no vector to run in " + Join(paths_, ", ");
    if (!rerun_failed.empty() && vectors_loaded_ > 0) {
      return text + ": none of its " + std::to_string(vectors_loaded_) + " vectors" + (filters_.empty() ? "" : " matching --filter") +
             " failed in " + rerun_failed;
    }
    if (!filters_.empty() && vectors_loaded_ > 0) {
      return text + ": --filter " + Join(filters_, ", ") + " matches none of its " + std::to_string(vectors_loaded_) + " vectors";
    }
    if (!run_.load_errors.empty() && files_loaded_ == 0) return text + ": no vector file loaded";
    return text + ": no *.json vector file there";
  }
  // The --rerun-failed ids not met among the vectors read.
  std::vector<std::string> WantedNotFound() const {
    std::vector<std::string> missing;
    if (wanted_ == nullptr) return missing;
    for (const std::string& id : *wanted_) {
      if (found_.count(id) == 0) missing.push_back(id);
    }
    return missing;
  }
  // Ethernet when a vector file names the ieee802.3 encapsulation: the captures need one link
  // type before their first frame, so the files are searched for the name before the run.
  report::LinkType LinkType() const {
    constexpr std::string_view kName = "\"ieee802.3\"";
    // One buffer for every file; the end of a chunk, where the name may begin, is kept in front
    // of the next (the files are read once more before the run, so no copy per chunk).
    std::string buffer(kName.size() + (1 << 20), '\0');
    for (const std::string& path : files_) {
      std::ifstream in(path, std::ios::binary);
      std::size_t kept = 0;
      while (in) {
        in.read(buffer.data() + kept, static_cast<std::streamsize>(buffer.size() - kept));
        const std::size_t filled = kept + static_cast<std::size_t>(in.gcount());
        if (std::string_view(buffer.data(), filled).find(kName) != std::string_view::npos) return report::LinkType::kEthernet;
        kept = std::min(filled, kName.size() - 1);
        std::memmove(buffer.data(), buffer.data() + filled - kept, kept);
      }
    }
    return report::LinkType::kRawIp;
  }
  std::size_t files_total() const { return files_.size(); }
  std::size_t files_started() const { return next_file_; }

 private:
  // An invalid file or vector: in the report, and on stderr as it is found (the run goes on).
  void AddError(std::string error) {
    std::fprintf(stderr, "sendpath run: %s\n", error.c_str());
    run_.load_errors.push_back(std::move(error));
  }

  bool Selected(const std::string& id) {
    bool match = filters_.empty();
    for (const std::string& filter : filters_) {
      if (fnmatch(filter.c_str(), id.c_str(), 0) == 0) match = true;
    }
    if (!match) return false;
    if (wanted_ == nullptr) return true;
    if (wanted_->count(id) == 0) return false;
    found_.insert(id);
    return true;
  }

  std::vector<std::string> paths_, filters_;
  const std::set<std::string>* wanted_;
  report::RunResult& run_;
  std::vector<std::string> files_;
  std::size_t next_file_ = 0, files_loaded_ = 0, vectors_loaded_ = 0;
  std::optional<vectors::VectorFileReader> reader_;
  std::string buffer_;  // the storage of the last file read
  std::shared_ptr<vectors::VectorFile> head_;
  // Where a vector was read: its file (files_) and N of its pointer "/vectors/N".
  struct Place {
    std::uint32_t file = 0;    // a 64 MiB file holds far fewer vectors, a run far fewer files
    std::uint32_t vector = 0;
  };
  static std::uint32_t VectorIndex(std::string_view pointer) {
    std::uint32_t index = 0;
    const std::string_view digits = pointer.substr(std::min(pointer.size(), std::string_view("/vectors/").size()));
    std::from_chars(digits.data(), digits.data() + digits.size(), index);
    return index;
  }
  // The hash of each id read -> where it was first: about 40 bytes a vector (with its node and bucket).
  std::unordered_map<std::size_t, Place> ids_;
  std::set<std::string> found_;
  std::unique_ptr<harness::ScheduledVector> peeked_;
};

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
  std::optional<std::set<std::string>> wanted;
  if (!args.rerun_failed.empty()) {
    auto read = harness::ReadResultsFile(args.rerun_failed);
    if (const auto* error = std::get_if<harness::ResultsError>(&read)) {
      std::fprintf(stderr, "sendpath run: --rerun-failed %s\n", error->message.c_str());
      return kExitUsage;
    }
    const harness::ResultsFile& rerun = std::get<harness::ResultsFile>(read);
    const std::vector<std::string> failed = harness::FailedIds(rerun);
    if (!rerun.complete) {
      std::fprintf(stderr, "sendpath run: note: --rerun-failed %s is an interrupted run: only the vectors it reached are rerun\n",
                   args.rerun_failed.c_str());
    }
    if (failed.empty()) {
      std::printf("sendpath run: --rerun-failed %s: no vector failed or errored there; nothing to rerun\n",
                  args.rerun_failed.c_str());
      return kExitPass;
    }
    wanted.emplace(failed.begin(), failed.end());
  }

  const std::vector<std::string> paths = args.paths.empty() ? DefaultVectorPaths() : args.paths;
  VectorStream source(paths, args.filters, wanted ? &*wanted : nullptr, run);
  const auto report_missing_reruns = [&] {
    for (const std::string& id : source.WantedNotFound()) {
      run.load_errors.push_back(args.rerun_failed + ": vector '" + id + "' failed there but is not among the vectors of " + Join(paths, ", "));
      std::fprintf(stderr, "sendpath run: %s\n", run.load_errors.back().c_str());
    }
  };
  if (!source.AnySelected()) {
    report_missing_reruns();
    std::fprintf(stderr, "sendpath run: %s\n", source.NothingToRun(args.rerun_failed).c_str());
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

  // The report is written as the run goes; a failure to write it ends the run with exit 2.
  auto opened = report::ReportStream::Open(args.out, source.LinkType(), args.candidate);
  if (!opened) {
    std::fprintf(stderr, "sendpath run: writing the report to %s: %s\n", args.out.c_str(), opened.error().message.c_str());
    return kExitUsage;
  }
  report::ReportStream& report = *opened.value();
  std::optional<report::Error> write_error;
  harness::RunWideIvChecker iv_checker;
  const harness::ResultSink sink = [&](const harness::ScheduledVector& scheduled, report::VectorResult&& result, harness::VectorIvs&& ivs) {
    const vectors::Vector& vector = *scheduled.selected.vector;
    result.rank = harness::RankOf(vector);
    iv_checker.Add(result.id, ivs);
    report::SaTable sas = report::SaTable::OfEverySa(vector.sas);
    if (auto status = report.Add(std::move(result), &sas); !status && !write_error) write_error = status.error();
  };
  const harness::VectorSource next = [&] { return source.Next(); };
  // Every remaining vector as "not run", for a run that runs none of them.
  const auto skip_all = [&](const std::string& why) {
    while (auto scheduled = source.Next()) {
      report::VectorResult vector;
      const vectors::Vector& model = *scheduled->selected.vector;
      vector.id = model.id;
      vector.title = model.title;
      vector.file = model.file;
      vector.must = model.vector_class == vectors::VectorClass::kMust;
      vector.requires_caps = model.requires_caps;
      vector.ethernet = model.encapsulation == vectors::Encapsulation::kIeee8023;
      vector.verdict = report::Verdict::kSkipped;
      vector.diagnosis = "not run: " + why;
      sink(*scheduled, std::move(vector), {});
    }
  };
  const auto finish = [&](int exit_code) {
    report_missing_reruns();
    if (!run.load_errors.empty()) exit_code = std::max(exit_code, kExitUsage);
    run.run_findings = iv_checker.Finish();
    for (const report::RunFinding& finding : run.run_findings) {
      if (finding.severity == report::Severity::kMust) exit_code = std::max(exit_code, kExitMustFailed);
    }
    const report::RunSummary& counts = report.summary();
    if (counts.must_failures > 0 || counts.must[static_cast<std::size_t>(report::Verdict::kInvalidVector)] > 0) {
      exit_code = std::max(exit_code, kExitMustFailed);
    }
    run.finished_utc = UtcNow();
    std::string report_line = args.out;
    report::Status written = write_error ? report::Status(*write_error) : report.Finish(run);
    std::string captures_command = report::WiresharkCommand(args.out, report::kExpectedCapture, run.udp_esp);
    if (!written) {
      std::fprintf(stderr, "sendpath run: writing the report to %s: %s\n", args.out.c_str(), written.error().message.c_str());
      exit_code = std::max(exit_code, kExitUsage);
      report_line = "NOT WRITTEN (" + written.error().message + ")";
      captures_command.clear();
    }
    PrintSummary(run, report.summary(), report_line, captures_command, exit_code);
    return exit_code;
  };
  const auto interrupted_reason = [] {
    return std::string("the run was interrupted by ") + (g_signal.load() == SIGTERM ? "SIGTERM" : "SIGINT");
  };
  const auto skipped_text = [&] {
    const report::RunSummary& counts = report.summary();
    return " (" + std::to_string(counts.by_verdict[static_cast<std::size_t>(report::Verdict::kSkipped)]) + " of " +
           std::to_string(counts.total) + " vectors not run or not finished)";
  };

  // The candidate must start and answer before the first vector.
  const std::string candidate_error = PreflightCandidate(*factory.factory);
  if (g_interrupted.load()) {  // a signal while the candidate was being started: no vector ran
    run.complete = false;
    skip_all("the run was interrupted");
    run.incomplete_reason = interrupted_reason() + skipped_text();
    std::fprintf(stderr, "sendpath run: %s\n", run.incomplete_reason.c_str());
    return finish(kExitInterrupted);
  }
  if (!candidate_error.empty()) {
    std::fprintf(stderr, "sendpath run: the candidate cannot be run (--candidate %s): %s\n", args.candidate.c_str(),
                 candidate_error.c_str());
    run.complete = false;
    run.incomplete_reason = "the candidate could not be run: " + candidate_error;
    run.run_notes.insert(run.run_notes.begin(), "candidate could not be run: " + candidate_error);
    skip_all("the candidate could not be run");
    return finish(kExitCandidateUnusable);
  }

  ProgressBar progress(!args.no_progress && isatty(STDERR_FILENO) != 0);
  harness::RunOptions options;
  options.jobs = std::max<std::size_t>(1, args.jobs);
  options.stop = &g_interrupted;
  // The total is not known before the files are read: the bar counts files.
  options.progress = [&](std::size_t, std::size_t) { progress.Update(source.files_started(), source.files_total()); };
  const harness::ScheduledRun scheduled = harness::RunScheduled(next, sink, *factory.factory, options);
  progress.Close();

  run.complete = !scheduled.interrupted;
  const std::string spec = run.candidate.spec;
  run.candidate = harness::CandidateInfoOf(scheduled, spec);
  run.candidate.ivs_offered = !args.own_ivs;
  const bool never_ran = !scheduled.any_started && !scheduled.interrupted;
  if (never_ran) run.run_notes.insert(run.run_notes.begin(), "candidate could not be run: " + scheduled.first_start_error);

  int exit_code = kExitPass;
  if (never_ran) exit_code = kExitCandidateUnusable;
  if (scheduled.interrupted) {
    run.incomplete_reason = interrupted_reason() + skipped_text();
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
