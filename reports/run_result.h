// What one `sendpath run` found: filled in by the harness, written out by the report writers
// (pcaps, report.html, junit.xml, results.json). Plain data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sendpath::report {

using Bytes = std::vector<std::uint8_t>;

enum class Verdict {
  kPass,
  kFail,            // the candidate broke the contract (or a SHOULD rule, see VectorResult::must)
  kNotClaimed,      // the candidate does not report a capability the vector requires
  kCandidateError,  // crash, hang, garbage reply, early exit
  kInvalidVector,   // the vector could not be loaded or run as written
  kSkipped,         // a later step after an earlier failure, or filtered out
};
const char* VerdictName(Verdict verdict);  // "pass", "fail", "not claimed", ...

// One differing field found by the diff engine, or one checked hypothesis.
struct FieldDifference {
  std::string field;  // "ipv4.ttl", "esp[outer].icv", "ah[inner].icv" ...
  std::size_t offset = 0;
  std::size_t length = 0;
  std::string expected;  // rendered value
  std::string actual;
  // True when another difference explains this one (a ciphertext that differs because the
  // plaintext or IV does, an ICV over bytes that differ): the diagnosis names the cause instead.
  bool consequence = false;
};

struct StepResult {
  std::size_t index = 0;      // step number in the vector
  std::string op;             // "set", "add_sa", "delete_sa", "fill_sa_table", "send"
  Verdict verdict = Verdict::kPass;
  std::string diagnosis;      // one line; names the first wrong field
  std::vector<std::string> notes;  // further lines (hypotheses checked, IV reuse, leak details)
  std::optional<std::int32_t> expected_status;
  std::optional<std::int32_t> actual_status;
  std::optional<Bytes> input_frame;     // what the transport handed over
  std::optional<Bytes> expected_frame;  // nullopt: nothing to be emitted
  std::optional<Bytes> actual_frame;    // nullopt: nothing emitted
  std::vector<std::pair<std::size_t, std::size_t>> iv_bytes;  // masked when the candidate picks IVs
  std::vector<FieldDifference> differences;
  bool leaked = false;            // emitted a frame on a refused send
  bool leaked_plaintext = false;  // ... and that frame carried the plaintext
  // 1-based frame numbers in input.pcap / expected.pcap / actual.pcap (0: not in that file).
  std::size_t input_frame_number = 0;
  std::size_t expected_frame_number = 0;
  std::size_t actual_frame_number = 0;
  double seconds = 0;
};

struct VectorResult {
  std::string id;
  std::string title;
  std::string file;
  bool must = true;  // class MUST (false: SHOULD)
  std::vector<std::string> flags;
  std::vector<std::string> notes;  // the notes the flags point to
  std::vector<std::string> requires_caps;
  std::vector<std::string> missing_caps;  // for kNotClaimed
  bool ethernet = false;                  // frames carry an Ethernet II header
  Verdict verdict = Verdict::kPass;
  std::string diagnosis;  // the first failing step's diagnosis
  std::vector<StepResult> steps;
  double seconds = 0;
};

struct CandidateInfo {
  std::string spec;      // as given: "reference", "lib:./nic.so", "exec:...", "pcap:..."
  std::string identity;  // what the candidate says it is (name, version, ABI)
  std::vector<std::string> claimed_caps;  // capability names it reports
  bool picks_own_ivs = false;             // did not take the injected IVs
};

struct VectorFileDigest {
  std::string path;
  std::string sha256;
};

struct RunResult {
  std::string sendpath_version;
  std::string command_line;
  std::string started_utc;  // ISO 8601
  std::string finished_utc;
  bool complete = true;     // false when the run was interrupted (or its candidate could not be run)
  std::string incomplete_reason;  // why complete is false: "the run was interrupted by SIGTERM (...)"
  CandidateInfo candidate;
  std::vector<VectorFileDigest> vector_files;
  std::vector<std::string> load_errors;  // invalid vector files, with file and JSON pointer
  std::vector<VectorResult> vectors;
  std::vector<std::string> run_notes;  // run-wide findings (IV reuse, predictable IVs)
};

}  // namespace sendpath::report
