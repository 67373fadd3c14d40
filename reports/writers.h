// Writing a run's report folder: input.pcap / expected.pcap / actual.pcap with index.json,
// results.json, junit.xml and report.html. Every file is written atomically (temporary file
// renamed into place), so an interrupted run leaves complete files; a RunResult with
// complete == false produces a report marked incomplete. Shapes are documented in RESULTS.md.
#pragma once

#include "reports/pcap_io.h"
#include "reports/result.h"
#include "reports/run_result.h"
#include "reports/sa_keys.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <string>

namespace sendpath::report {

struct ReportOptions {
  // SA keys of a vector, to decrypt and decode its frames in report.html and results.json
  // (return nullptr when unknown: ESP payloads are then shown as opaque bytes).
  std::function<SaTable*(const VectorResult&)> sas_for_vector;
};

inline constexpr const char* kResultsFormat = "sendpath-results/1";
inline constexpr const char* kPcapIndexFormat = "sendpath-pcap-index/1";

// Numbers the frames of every step as they appear in input.pcap, expected.pcap and actual.pcap
// (1-based, in run order; 0: the step has no frame in that file).
void AssignFrameNumbers(RunResult& run);

// The link type the three pcaps use: raw IP when no vector uses Ethernet framing, else Ethernet
// (with a synthetic Ethernet II header in front of raw-IP frames, recorded in index.json).
LinkType PcapLinkType(const RunResult& run);

Status WritePcaps(const RunResult& run, const std::string& directory);  // + index.json
Status WriteResultsJson(const RunResult& run, const std::string& path, const ReportOptions& options = {});
Status WriteJunitXml(const RunResult& run, const std::string& path);
Status WriteHtmlReport(const RunResult& run, const std::string& path, const ReportOptions& options = {});

// All of the above into `directory` (created if missing), after AssignFrameNumbers.
Status WriteReportFolder(RunResult& run, const std::string& directory, const ReportOptions& options = {});

// ---- pieces shared by the writers -----------------------------------------------------------
struct RunSummary {
  std::size_t total = 0;
  std::size_t by_verdict[6] = {};           // indexed by Verdict
  std::size_t must[6] = {}, should[6] = {};  // by class
  std::size_t must_failures = 0;
};
RunSummary Summarize(const RunResult& run);
// Status as a name ("NDIS_STATUS_FAILURE") or hex when unknown.
std::string StatusText(std::int32_t status);
// The decoded view of one step for the HTML and JSON: fields expected vs actual, byte regions.
nlohmann::json DecodeStep(const VectorResult& vector, const StepResult& step, SaTable* sas);

}  // namespace sendpath::report
