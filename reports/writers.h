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
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sendpath::report {

struct RunSummary;

struct ReportOptions {
  // SA keys of a vector, to decrypt and decode its frames in report.html and results.json
  // (return nullptr when unknown: ESP payloads are then shown as opaque bytes).
  std::function<SaTable*(const VectorResult&)> sas_for_vector;
  // report.html of a streamed run: the counts of the whole run (run.vectors then holds only the
  // rows the page lists), and how many passing vectors it does not list.
  const RunSummary* summary = nullptr;
  std::size_t unlisted_passes = 0;
  // report.html: a vector's details when the caller has them already (decoded while its SA
  // keys were at hand); nullopt: decoded from the vector with sas_for_vector.
  std::function<std::optional<nlohmann::json>(const VectorResult&)> details_for_vector;
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
// ICV checks on (the run's SAs from wireshark/esp_sa). Without UDP-ESP SAs in the run (`udp_esp`,
// RunResult::udp_esp) the UDP port-4500 NAT-T dissector is turned off: the other vectors' UDP
// payloads to port 4500 are test data; with them it stays on, or their ESP would not be shown.
std::string WiresharkCommand(const std::string& directory, const std::string& capture, bool udp_esp, bool gui = false);
// RunResult::udp_esp, or a step of run.vectors that added a UDP-ESP SA.
bool RunUsesUdpEsp(const RunResult& run);

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

// All of the above into `directory` (created if missing), after AssignFrameNumbers; through a
// ReportStream, so the files are the ones a streamed run writes.
Status WriteReportFolder(RunResult& run, const std::string& directory, const ReportOptions& options = {});

// What a streamed report keeps in memory for report.html, whatever the number of vectors.
struct StreamLimits {
  std::size_t detailed_failures = 500;  // the simplest failures whose frames and dissection the page shows
  std::size_t listed_passes = 2000;     // passing vectors listed as rows (the rest are counted)
};

// The report folder written as the run goes (`sendpath run`): each finished vector, in run
// order, is numbered into the three captures and index.json, and its results.json entry and
// JUnit testcases are written to spool files; Finish() assembles results.json (failures
// simplest first, then the rest in run order), junit.xml, index.json, wireshark/esp_sa and
// report.html, each atomically. Memory holds no passing vector and, per failure, its id, rank,
// cause and diagnosis; frames of passing steps live only in the captures (results.json names
// their frame numbers). A run that stops early calls Finish() with run.complete = false.
class ReportStream {
 public:
  static Result<std::unique_ptr<ReportStream>> Open(const std::string& directory, LinkType link, const std::string& who,
                                                    StreamLimits limits = {});
  ~ReportStream();
  ReportStream(const ReportStream&) = delete;
  ReportStream& operator=(const ReportStream&) = delete;

  // One finished vector (its rank set), with its SA keys (nullptr when unknown).
  Status Add(VectorResult&& vector, SaTable* sas);
  // Writes the folder. `run` carries the run's header (times, candidate, vector files, load
  // errors, findings, notes, complete); Finish sets run.failure_groups and leaves in run.vectors
  // the failures without their frames, in run order.
  Status Finish(RunResult& run);
  // The counts of the vectors added so far.
  const RunSummary& summary() const;

 private:
  ReportStream();
  struct State;
  std::unique_ptr<State> state_;
};

// ---- pieces shared by the writers -----------------------------------------------------------
struct RunSummary {
  std::size_t total = 0;
  std::size_t by_verdict[6] = {};           // indexed by Verdict
  std::size_t must[6] = {}, should[6] = {};  // by class
  std::size_t must_failures = 0;
};
RunSummary Summarize(const RunResult& run);
void CountVector(RunSummary& summary, const VectorResult& vector);
// Status as a name ("NDIS_STATUS_FAILURE") or hex when unknown.
std::string StatusText(std::int32_t status);
// The decoded view of one step for the HTML and JSON: fields expected vs actual, byte regions.
nlohmann::json DecodeStep(const VectorResult& vector, const StepResult& step, SaTable* sas);
// A vector's details as report.html shows them (steps, frames, differences, decoded fields).
nlohmann::json HtmlVectorDetails(const VectorResult& vector, SaTable* sas);

}  // namespace sendpath::report
