// sendpath: the command line (README.md, "Command line").
//
//   sendpath run [VECTOR_PATH...] [--candidate SPEC] [--out DIR] [--jobs N] [--filter GLOB]...
//                [--timeout MS] [--no-progress]
//   sendpath export [VECTOR_PATH...] --out DIR [--filter GLOB]...
//   sendpath diff EXPECTED ACTUAL [...] / sendpath verify CAPTURE --sa SAS.json [...] (reports/)
//
// Exit codes: 0 every MUST vector passed; 1 a MUST vector failed (or its candidate errored);
// 2 usage error or invalid vectors/inputs; 3 the candidate could not be run at all.
#include "harness/candidate_spec.h"
#include "harness/export.h"
#include "harness/runner.h"

#include <reports/commands_cli.h>
#include <reports/sa_keys.h>
#include <reports/writers.h>
#include <vectors/loader/vector_loader.h>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>

namespace {

using namespace sendpath;

constexpr int kExitPass = 0;
constexpr int kExitMustFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitCandidateUnusable = 3;

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The bundled suites: the vector folders of the source tree, or $SENDPATH_VECTORS.
std::vector<std::string> DefaultVectorPaths() {
  std::string root = SENDPATH_VECTORS_DIR;
  if (const char* env = std::getenv("SENDPATH_VECTORS"); env != nullptr && *env != '\0') root = env;
  std::vector<std::string> paths;
  for (const char* suite : {"kat", "independent", "contract", "robustness", "regressions"}) {
    const std::filesystem::path path = std::filesystem::path(root) / suite;
    if (std::filesystem::is_directory(path)) paths.push_back(path.string());
  }
  if (paths.empty()) paths.push_back(root);
  return paths;
}

struct Loaded {
  vectors::LoadResult result;
  std::vector<harness::SelectedVector> selected;
};

Loaded Load(std::vector<std::string> paths, const std::vector<std::string>& filters) {
  Loaded loaded;
  if (paths.empty()) paths = DefaultVectorPaths();
  for (const std::string& path : paths) {
    if (!std::filesystem::exists(path)) loaded.result.errors.push_back({path, "", "no such file or directory"});
  }
  auto result = vectors::LoadVectorPaths(paths);
  loaded.result.files = std::move(result.files);
  for (auto& error : result.errors) loaded.result.errors.push_back(std::move(error));
  loaded.selected = harness::SelectVectors(loaded.result.files, filters);
  return loaded;
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
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
    if (done == total) std::fputs("\n", stderr);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
};

void PrintSummary(const report::RunResult& run, const std::string& out_dir, int exit_code) {
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
  if (run.candidate.picks_own_ivs) std::printf("  IVs: the candidate picks its own; judged by decrypt-and-compare\n");
  std::printf("vectors: %zu (%zu MUST, %zu SHOULD) from %zu files%s\n", run.vectors.size(), must,
              run.vectors.size() - must, run.vector_files.size(), run.complete ? "" : " -- INTERRUPTED");
  const report::Verdict order[] = {report::Verdict::kPass, report::Verdict::kFail, report::Verdict::kNotClaimed,
                                   report::Verdict::kCandidateError, report::Verdict::kInvalidVector,
                                   report::Verdict::kSkipped};
  for (report::Verdict verdict : order) {
    if (counts[static_cast<int>(verdict)] > 0) {
      std::printf("  %-16s %zu\n", report::VerdictName(verdict), counts[static_cast<int>(verdict)]);
    }
  }
  std::size_t shown = 0, failures = 0;
  for (const auto& vector : run.vectors) {
    if (vector.verdict != report::Verdict::kFail && vector.verdict != report::Verdict::kCandidateError) continue;
    ++failures;
    if (shown < 12) {
      std::printf("  %s %-6s %s: %s\n", vector.verdict == report::Verdict::kFail ? "FAIL " : "ERROR",
                  vector.must ? "MUST" : "SHOULD", vector.id.c_str(), vector.diagnosis.c_str());
      ++shown;
    }
  }
  if (failures > shown) std::printf("  ... and %zu more (see the report)\n", failures - shown);
  for (std::size_t i = 0; i < run.load_errors.size() && i < 5; ++i) {
    std::printf("  INVALID %s\n", run.load_errors[i].c_str());
  }
  if (run.load_errors.size() > 5) std::printf("  ... and %zu more invalid files\n", run.load_errors.size() - 5);
  for (std::size_t i = 0; i < run.run_notes.size() && i < 5; ++i) std::printf("  note: %s\n", run.run_notes[i].c_str());
  if (run.run_notes.size() > 5) std::printf("  ... and %zu more notes\n", run.run_notes.size() - 5);
  std::printf("report: %s\n", out_dir.c_str());
  const char* meaning = exit_code == kExitPass ? "every MUST vector passed"
                        : exit_code == kExitMustFailed ? "a MUST vector failed"
                        : exit_code == kExitUsage ? "invalid vectors or inputs"
                                                  : "the candidate could not be run";
  std::printf("exit %d: %s\n", exit_code, meaning);
}

struct RunArgs {
  std::vector<std::string> paths;
  std::string candidate = "reference";
  std::string out = "./sendpath-report";
  std::size_t jobs = 1;
  std::vector<std::string> filters;
  unsigned timeout_ms = 5000;
  bool no_progress = false;
};

int Run(const RunArgs& args, const std::string& command_line) {
  report::RunResult run;
  run.sendpath_version = SENDPATH_VERSION;
  run.command_line = command_line;
  run.started_utc = UtcNow();

  Loaded loaded = Load(args.paths, args.filters);
  for (const auto& error : loaded.result.errors) run.load_errors.push_back(error.ToString());
  for (const auto& file : loaded.result.files) run.vector_files.push_back({file.path, file.sha256});
  if (loaded.selected.empty()) {
    for (const std::string& error : run.load_errors) std::fprintf(stderr, "sendpath: %s\n", error.c_str());
    std::fprintf(stderr, "sendpath run: no vector to run%s\n",
                 args.filters.empty() ? "" : (" (--filter " + Join(args.filters, ", ") + " matches none)").c_str());
    return kExitUsage;
  }

  harness::SpecOptions spec_options;
  spec_options.request_timeout = std::chrono::milliseconds(args.timeout_ms);
  harness::FactoryResult factory = harness::MakeCandidateFactory(args.candidate, spec_options);
  if (!factory.factory) {
    std::fprintf(stderr, "sendpath run: %s\n", factory.error.c_str());
    return kExitUsage;
  }

  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  ProgressBar progress(!args.no_progress && isatty(STDERR_FILENO) != 0);
  harness::RunOptions options;
  options.jobs = std::max<std::size_t>(1, args.jobs);
  options.filters = args.filters;
  options.stop = &g_interrupted;
  options.progress = [&](std::size_t done, std::size_t total) { progress.Update(done, total); };
  harness::RunOutcome outcome = harness::RunVectors(loaded.selected, *factory.factory, options);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  run.complete = outcome.result.complete;
  run.candidate = std::move(outcome.result.candidate);
  run.vectors = std::move(outcome.result.vectors);
  run.run_notes = std::move(factory.notes);
  for (std::string& note : outcome.result.run_notes) run.run_notes.push_back(std::move(note));
  if (outcome.candidate_never_ran) run.run_notes.insert(run.run_notes.begin(), "candidate could not be run: " + outcome.candidate_error);
  run.finished_utc = UtcNow();

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

  int exit_code = harness::ExitCodeOf(run);
  if (!run.load_errors.empty()) exit_code = kExitUsage;
  if (outcome.candidate_never_ran) exit_code = kExitCandidateUnusable;
  if (auto written = report::WriteReportFolder(run, args.out, report_options); !written) {
    std::fprintf(stderr, "sendpath run: writing the report to %s: %s\n", args.out.c_str(), written.error().message.c_str());
    if (exit_code != kExitCandidateUnusable) exit_code = kExitUsage;
  }
  PrintSummary(run, args.out, exit_code);
  return exit_code;
}

int Export(const std::vector<std::string>& paths, const std::string& out, const std::vector<std::string>& filters) {
  Loaded loaded = Load(paths, filters);
  for (const auto& error : loaded.result.errors) std::fprintf(stderr, "sendpath export: %s\n", error.ToString().c_str());
  if (loaded.selected.empty()) {
    std::fprintf(stderr, "sendpath export: no vector to export\n");
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
  run->add_option("--out", run_args.out, "Report folder")->capture_default_str();
  run->add_option("--jobs,-j", run_args.jobs, "Parallel jobs, one candidate (process) each")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  run->add_option("--filter", run_args.filters, "Run only vectors whose id matches this glob (repeatable)");
  run->add_option("--timeout", run_args.timeout_ms, "Milliseconds a live candidate has for each request")
      ->check(CLI::Range(1u, 3600000u))
      ->capture_default_str();
  run->add_flag("--no-progress", run_args.no_progress, "No progress bar (it is shown only on a terminal anyway)");

  std::vector<std::string> export_paths, export_filters;
  std::string export_out;
  CLI::App* export_command =
      app.add_subcommand("export", "Write what a hardware rig needs to replay the suite: input.pcap, programming.json, sas.json");
  export_command->add_option("VECTOR_PATH", export_paths, "Vector files or folders (default: the bundled suites)");
  export_command->add_option("--out", export_out, "Output folder")->required();
  export_command->add_option("--filter", export_filters, "Export only vectors whose id matches this glob (repeatable)");

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
  if (diff->parsed() || verify->parsed()) return report_exit_code;
  return kExitUsage;
}
