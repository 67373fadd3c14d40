// Writing a run's report folder: input.pcapng / expected.pcapng / actual.pcapng with index.json
// and wireshark/esp_sa, results.json, junit.xml and report.html. Every file is written atomically (temporary file
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
#include <string_view>

namespace sendpath::report {

struct ReportOptions {
  // SA keys of a vector, to decrypt and decode its frames in report.html and results.json
  // (return nullptr when unknown: ESP payloads are then shown as opaque bytes).
  std::function<SaTable*(const VectorResult&)> sas_for_vector;
};

inline constexpr const char* kResultsFormat = "sendpath-results/1";
inline constexpr const char* kPcapIndexFormat = "sendpath-pcap-index/1";

// The capture files of a report folder (pcapng: a comment per frame names its vector and step).
inline constexpr const char* kInputCapture = "input.pcapng";
inline constexpr const char* kExpectedCapture = "expected.pcapng";
inline constexpr const char* kActualCapture = "actual.pcapng";
inline constexpr const char* kPcapIndexFile = "index.json";
// Wireshark's ESP SA table (the `esp_sa` UAT file) in a folder usable as WIRESHARK_CONFIG_DIR.
inline constexpr const char* kWiresharkDir = "wireshark";
inline constexpr const char* kEspSaFile = "wireshark/esp_sa";

// The one command that opens `capture` of the report folder `directory` with ESP decryption and
// ICV checks on (the run's SAs from wireshark/esp_sa) and without the UDP port-4500 NAT-T
// heuristic (test traffic is not UDP-encapsulated ESP).
std::string WiresharkCommand(const std::string& directory, const std::string& capture, bool gui = false);

// Numbers the frames of every step as they appear in input.pcapng, expected.pcapng and actual.pcapng
// (1-based, in run order; 0: the step has no frame in that file).
void AssignFrameNumbers(RunResult& run);

// The link type the three pcaps use: raw IP when no vector uses Ethernet framing, else Ethernet
// (with a synthetic Ethernet II header in front of raw-IP frames, recorded in index.json).
LinkType PcapLinkType(const RunResult& run);

// The three captures, index.json and wireshark/esp_sa. With SA keys (options.sas_for_vector)
// the index says which AH/ESP headers of each frame the NIC seals ("sealed_spis"), so
// `sendpath verify` checks those and no header left for software.
Status WritePcaps(const RunResult& run, const std::string& directory, const ReportOptions& options = {});
Status WriteResultsJson(const RunResult& run, const std::string& path, const ReportOptions& options = {});
Status WriteJunitXml(const RunResult& run, const std::string& path);
Status WriteHtmlReport(const RunResult& run, const std::string& path, const ReportOptions& options = {});

// `sendpath diff --html`: a page of its own for two captures and their differences (frame pairs
// that differ, frames only in one of them), not a conformance report.
struct DiffHtmlRow {
  std::string kind;     // "differs", "missing" (only in EXPECTED), "extra" (only in ACTUAL)
  VectorResult frame;   // one step: the frame(s), the differences; id = where ("frame 7 / actual #6")
};
struct DiffHtmlPage {
  std::string command_line;
  std::string expected_path, actual_path;
  std::string expected_link, actual_link;
  std::size_t expected_frames = 0, actual_frames = 0;
  std::size_t compared = 0, differing = 0, missing = 0, extra = 0;
  bool complete = true;  // false: a malformed record stopped the comparison
  std::vector<std::string> notes;
  std::vector<DiffHtmlRow> rows;  // bounded by the caller
};
Status WriteDiffHtml(const DiffHtmlPage& page, const std::string& path, SaTable* sas);

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
