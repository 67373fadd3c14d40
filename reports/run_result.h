// What one `sendpath run` found: filled in by the harness, written out by the report writers
// (pcaps, report.html, junit.xml, results.json). Plain data.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sendpath::report {

struct CheckResult;  // reports/receive_check.h

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

// Why a send failed (reports/causes.h): a cause proven by recomputing the send with one known
// mistake, a status failure (accepted-must-refuse, refused-must-accept), or `unexplained`.
struct Cause {
  std::string id;      // stable: "ah-ttl-not-zeroed", ..., "unexplained" (reports/RESULTS.md)
  std::string header;  // "transport AH", "tunnel ESP", ... ("" when not about one header)
  std::string text;    // one line; the diagnosis leads with it
  std::string rule;    // the rule broken, or what the step tests
  std::string proof;   // "recomputed, all 12 ICV bytes match"; "" when nothing was recomputed
  std::vector<std::string> also;  // other cause ids whose recomputation gives the same bytes
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
  std::optional<Cause> cause;     // set for every failed send
  bool leaked = false;            // emitted a frame on a refused send
  bool leaked_plaintext = false;  // ... and that frame carried the plaintext
  // 1-based frame numbers in input.pcap / expected.pcap / actual.pcap (0: not in that file).
  std::size_t input_frame_number = 0;
  std::size_t expected_frame_number = 0;
  std::size_t actual_frame_number = 0;
  double seconds = 0;
  // The receive check of expected_frame against every SA of the vector (SaTable::OfEverySa),
  // when the judge made it: the report's sealed_spis read it instead of checking again.
  std::shared_ptr<const CheckResult> expected_check;
};

// How elementary a vector is, from the loaded vector (harness/complexity.h computes it; nothing
// else does). Compared member by member in declaration order, smaller first: the failures of a
// run are shown simplest first, so that the first one a vendor reads exercises the fewest
// features. Ties keep suite order.
enum class SaStructure {
  kNone,                // no SA is added or named
  kSingleSa,            // one transport SA, one SecAssoc element
  kBundle,              // one transport SA, two elements (AH + ESP)
  kTunnel,              // one tunnel SA, one element
  kTunnelBundle,        // one tunnel SA, two elements
  kTransportOverTunnel  // a send naming two SAs (OffloadHandle and NextOffloadHandle)
};
const char* SaStructureName(SaStructure structure);  // "none", "single SA", "bundle", ...

struct ComplexityRank {
  bool should = false;  // a SHOULD vector: every MUST failure comes first
  SaStructure sa_structure = SaStructure::kNone;  // the most complex structure any step uses
  bool ipv4_options = false;            // a sent frame carries IPv4 options (IHL > 5)
  std::uint32_t buffer_splits = 0;      // buffer-chain cuts over every send
  bool ethernet = false;                // frames carry an Ethernet II header
  std::uint32_t add_sa_raw_fields = 0;  // raw ADD_SA overrides: NumSAs, Operation, KeyLen, Flags,
                                        // algoKeylen, literal algorithm identifiers
  std::uint32_t sa_extensions = 0;      // ESN elements, integrity-first KeyMat
  bool payload = false;                 // an offloaded send carries payload bytes (empty ones first)
  std::uint32_t steps = 0;
  std::uint64_t frame_bytes = 0;        // bytes of every frame sent
  auto operator<=>(const ComplexityRank&) const = default;
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
  ComplexityRank rank;
  std::string cause;  // for a failure (IsFailure): the cause it is grouped under; "" otherwise
  std::optional<Cause> step_cause;  // the first failing step's Cause, when it has one
};

// fail and candidate error: what the summary lists, groups by cause and counts against a candidate.
bool IsFailure(Verdict verdict);

// Failures sharing one cause (harness/failure_groups.h).
struct FailureGroup {
  std::string cause;      // "ah-ttl-not-zeroed (RFC 4302 §3.3.3.1.1.1: ...)" or a normalised diagnosis
  std::size_t count = 0;  // vectors in the group
  std::size_t must = 0;   // of which MUST
  std::string simplest;   // id of its simplest vector (by rank)
  std::vector<std::string> vector_ids;  // simplest first
};

struct CandidateInfo {
  std::string spec;      // as given: "reference", "lib:./nic.so", "exec:...", "pcap:..."
  std::string identity;  // what the candidate says it is (name, version, ABI)
  std::vector<std::string> claimed_caps;  // capability names it reports
  bool picks_own_ivs = false;             // did not take the injected IVs
  bool ivs_offered = true;                // false under `run --own-ivs`: no IVs were injected
};

// ---- Run-wide findings ---------------------------------------------------------------------
// What the harness found about the IVs a candidate chose itself, over one SA or across the SAs
// of the run (harness/iv_policy.cc). A finding is a value: the summary, results.json, JUnit and
// the HTML report render it (FindingText), and nothing reads a finding's text back.

enum class FindingKind {
  kIvRepeatedUnderSa,        // an IV the candidate chose repeats one drawn earlier under the same SA
  kAeadNonceReuseAcrossSas,  // AES-GCM/GMAC: the same key, salt and IV under two or more SAs
  kCbcIvConstant,            // CBC: every IV the candidate chose (under one SA, or across the run) is the same
  kCbcIvCounter,             // CBC: the IVs form a counter (a fixed increment, big- or little-endian)
  kCbcIvRepeatedAcrossSas,   // CBC: an IV the candidate chose under one SA is chosen again under another
};
const char* FindingKindName(FindingKind kind);  // "iv_repeated_under_sa", "cbc_iv_counter", ...

enum class Severity { kMust, kShould };
const char* SeverityName(Severity severity);  // "MUST", "SHOULD"

// One IV a candidate wrote: where, and what.
struct IvOccurrence {
  std::string vector;    // vector id
  std::string sa;        // "<sa name>/esp" or "<sa name>/ah", as the vector names the SA
  std::size_t step = 0;  // step number in the vector
  Bytes iv;
  bool in_clear = true;  // false: the IV of a header inside an encrypted tunnel, read decrypted
};

struct RunFinding {
  FindingKind kind = FindingKind::kIvRepeatedUnderSa;
  Severity severity = Severity::kMust;  // MUST: the run exits 1
  std::string algorithm;                // "AES-CBC", "3DES-CBC", "DES-CBC", "AES-GCM", "AES-GMAC" ("/"-joined)
  std::vector<IvOccurrence> occurrences;  // run order; the SAs, steps and IVs of the finding
  Bytes increment;                        // kCbcIvCounter: the fixed difference between consecutive IVs
  bool little_endian = false;             // kCbcIvCounter: the IVs count little-endian
  std::string rule;                       // the rule broken, cited: "RFC 3602 section 3: ..."

  // The distinct SAs of the occurrences, as "<vector id> <sa>", in first-seen order.
  std::vector<std::string> Sas() const;
};

// One line for a finding: what, under which SAs, at which steps, with which IVs, and the rule.
std::string FindingText(const RunFinding& finding);

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
  std::vector<RunFinding> run_findings;  // run-wide IV findings; a MUST finding fails the run
  std::vector<std::string> run_notes;     // free text about the run (candidate options, limits)
  bool udp_esp = false;  // a vector added an SA by OID_TCP_TASK_IPSEC_ADD_UDPESP_SA (ESP behind UDP 4500)
  // Every failure in exactly one group; groups ordered by their simplest vector's rank.
  std::vector<FailureGroup> failure_groups;
};

// Indices into run.vectors of the failures (IsFailure), simplest first (by rank, ties in suite
// order): the order of the stdout summary and of results.json.
std::vector<std::size_t> FailuresSimplestFirst(const RunResult& run);

}  // namespace sendpath::report
