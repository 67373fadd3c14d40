// Reading a run's results.json (`sendpath-results/1`, reports/RESULTS.md) for what follows a
// run: `sendpath compare OLD NEW` (what newly fails, what got fixed, what changed diagnosis) and
// `sendpath run --rerun-failed results.json` (the ids that failed there).
//
// Only the documented keys are read: "format", "complete" and, per vector, "id", "class",
// "verdict" and "diagnosis". The file is parsed as a stream and every other member (steps,
// frames, decoded views) is dropped as soon as it is read, so a large report costs little memory.
// A problem is an error value naming the file and the JSON pointer.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

namespace sendpath::harness {

inline constexpr const char* kResultsFileFormat = "sendpath-results/1";

struct ResultsVector {
  std::string id;
  bool must = true;
  std::string verdict;  // "pass", "fail", "not claimed", "candidate error", "invalid vector", "skipped"
  std::string diagnosis;
};

struct ResultsFile {
  std::string path;
  bool complete = true;
  std::vector<ResultsVector> vectors;  // in run order
};

// "file: message" or "file:pointer: message".
struct ResultsError {
  std::string message;
};

std::variant<ResultsFile, ResultsError> ReadResultsFile(const std::string& path);

// fail, candidate error, invalid vector: the verdicts that fail a run (for a MUST vector).
bool IsFailingVerdict(const std::string& verdict);

// The ids of the vectors that failed or errored in `results`, in run order.
std::vector<std::string> FailedIds(const ResultsFile& results);

struct Comparison {
  struct Change {
    std::string id;
    bool must = true;
    std::string old_verdict;  // "" when the vector is not in OLD
    std::string old_diagnosis;
    std::string new_verdict;  // "" when the vector is not in NEW
    std::string new_diagnosis;
  };
  std::vector<Change> newly_failing;       // failing in NEW, not failing (or absent) in OLD
  std::vector<Change> fixed;               // failing in OLD, pass in NEW
  std::vector<Change> changed_diagnosis;   // failing in both, with another verdict or diagnosis
  std::vector<Change> no_longer_judged;    // failing in OLD; not claimed, skipped or absent in NEW
  std::size_t still_failing_same = 0;      // failing in both, same verdict and diagnosis
  std::size_t new_must_failures() const;
};

Comparison CompareResults(const ResultsFile& old_results, const ResultsFile& new_results);

// `sendpath compare OLD NEW`: prints the comparison to `out`, problems to `err`. Exit code: 1
// when a MUST vector newly fails, 2 on bad input, else 0.
int RunCompareCommand(const std::string& old_path, const std::string& new_path, std::ostream& out, std::ostream& err);

}  // namespace sendpath::harness
