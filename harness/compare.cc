#include "harness/compare.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <ostream>

namespace sendpath::harness {
namespace {

using nlohmann::json;

constexpr int kExitSame = 0;
constexpr int kExitNewFailures = 1;
constexpr int kExitBadInput = 2;

const char* const kVerdicts[] = {"pass", "fail", "not claimed", "candidate error", "invalid vector", "skipped"};

struct Bad {
  std::string pointer;
  std::string message;
};

[[noreturn]] void Fail(std::string pointer, std::string message) { throw Bad{std::move(pointer), std::move(message)}; }

const json& Member(const json& object, const std::string& pointer, const char* key) {
  const auto found = object.find(key);
  if (found == object.end()) Fail(pointer, std::string("missing required key '") + key + "'");
  return *found;
}

const std::string& StringAt(const json& value, const std::string& pointer) {
  if (!value.is_string()) Fail(pointer, std::string("expected string, found ") + value.type_name());
  return value.get_ref<const std::string&>();
}

ResultsFile Interpret(const json& document, const std::string& path) {
  if (!document.is_object()) Fail("", std::string("expected object, found ") + document.type_name());
  const json& format = Member(document, "", "format");
  if (StringAt(format, "/format") != kResultsFileFormat) {
    Fail("/format", "not a " + std::string(kResultsFileFormat) + " file: format is '" + format.get<std::string>() + "'");
  }
  ResultsFile results;
  results.path = path;
  const json& complete = Member(document, "", "complete");
  if (!complete.is_boolean()) Fail("/complete", std::string("expected boolean, found ") + complete.type_name());
  results.complete = complete.get<bool>();
  const json& vectors = Member(document, "", "vectors");
  if (!vectors.is_array()) Fail("/vectors", std::string("expected array, found ") + vectors.type_name());
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const std::string at = "/vectors/" + std::to_string(i);
    const json& vector = vectors[i];
    if (!vector.is_object()) Fail(at, std::string("expected object, found ") + vector.type_name());
    ResultsVector entry;
    entry.id = StringAt(Member(vector, at, "id"), at + "/id");
    if (entry.id.empty()) Fail(at + "/id", "empty vector id");
    const std::string& vector_class = StringAt(Member(vector, at, "class"), at + "/class");
    if (vector_class != "MUST" && vector_class != "SHOULD") {
      Fail(at + "/class", "unknown class '" + vector_class + "' (expected MUST or SHOULD)");
    }
    entry.must = vector_class == "MUST";
    entry.verdict = StringAt(Member(vector, at, "verdict"), at + "/verdict");
    bool known = false;
    for (const char* verdict : kVerdicts) known = known || entry.verdict == verdict;
    if (!known) {
      Fail(at + "/verdict", "unknown verdict '" + entry.verdict +
                                "' (expected pass, fail, not claimed, candidate error, invalid vector or skipped)");
    }
    entry.diagnosis = StringAt(Member(vector, at, "diagnosis"), at + "/diagnosis");
    const auto [first, inserted] = seen.emplace(entry.id, i);
    if (!inserted) {
      Fail(at + "/id", "duplicate vector id '" + entry.id + "' (first at /vectors/" + std::to_string(first->second) + ")");
    }
    results.vectors.push_back(std::move(entry));
  }
  return results;
}

std::string Describe(const std::string& verdict, const std::string& diagnosis) {
  if (verdict.empty()) return "absent";
  return diagnosis.empty() || verdict == "pass" ? verdict : verdict + ": " + diagnosis;
}

}  // namespace

std::variant<ResultsFile, ResultsError> ReadResultsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ResultsError{path + ": cannot open the file"};
  // Keep only what the comparison reads; everything else is dropped while parsing.
  std::string top;  // the current top-level key
  const json::parser_callback_t keep = [&top](int depth, json::parse_event_t event, json& parsed) {
    if (event != json::parse_event_t::key) return true;
    if (depth == 1) {
      top = parsed.get<std::string>();
      return top == "format" || top == "complete" || top == "vectors";
    }
    if (depth == 3 && top == "vectors") {
      const std::string& key = parsed.get_ref<const std::string&>();
      return key == "id" || key == "class" || key == "verdict" || key == "diagnosis";
    }
    return true;
  };
  try {
    const json document = json::parse(in, keep);
    return Interpret(document, path);
  } catch (const json::parse_error& error) {
    return ResultsError{path + ": not valid JSON (byte " + std::to_string(error.byte) + "): " + error.what()};
  } catch (const Bad& bad) {
    return ResultsError{path + (bad.pointer.empty() ? "" : ":" + bad.pointer) + ": " + bad.message};
  } catch (const std::exception& error) {
    return ResultsError{path + ": cannot read: " + error.what()};
  }
}

bool IsFailingVerdict(const std::string& verdict) {
  return verdict == "fail" || verdict == "candidate error" || verdict == "invalid vector";
}

std::vector<std::string> FailedIds(const ResultsFile& results) {
  std::vector<std::string> ids;
  for (const ResultsVector& vector : results.vectors) {
    if (IsFailingVerdict(vector.verdict)) ids.push_back(vector.id);
  }
  return ids;
}

std::size_t Comparison::new_must_failures() const {
  std::size_t count = 0;
  for (const Change& change : newly_failing) count += change.must ? 1 : 0;
  return count;
}

Comparison CompareResults(const ResultsFile& old_results, const ResultsFile& new_results) {
  std::map<std::string, const ResultsVector*> old_by_id, new_by_id;
  for (const ResultsVector& vector : old_results.vectors) old_by_id.emplace(vector.id, &vector);
  for (const ResultsVector& vector : new_results.vectors) new_by_id.emplace(vector.id, &vector);
  Comparison comparison;
  for (const ResultsVector& now : new_results.vectors) {
    const auto found = old_by_id.find(now.id);
    const ResultsVector* before = found == old_by_id.end() ? nullptr : found->second;
    Comparison::Change change{now.id, now.must, before ? before->verdict : "", before ? before->diagnosis : "",
                              now.verdict, now.diagnosis};
    const bool failing = IsFailingVerdict(now.verdict);
    const bool was_failing = before != nullptr && IsFailingVerdict(before->verdict);
    if (failing && !was_failing) {
      comparison.newly_failing.push_back(std::move(change));
    } else if (!failing && was_failing) {
      (now.verdict == "pass" ? comparison.fixed : comparison.no_longer_judged).push_back(std::move(change));
    } else if (failing && was_failing) {
      if (now.verdict != before->verdict || now.diagnosis != before->diagnosis) {
        comparison.changed_diagnosis.push_back(std::move(change));
      } else {
        ++comparison.still_failing_same;
      }
    }
  }
  for (const ResultsVector& before : old_results.vectors) {
    if (new_by_id.count(before.id) == 0 && IsFailingVerdict(before.verdict)) {
      comparison.no_longer_judged.push_back({before.id, before.must, before.verdict, before.diagnosis, "", ""});
    }
  }
  return comparison;
}

int RunCompareCommand(const std::string& old_path, const std::string& new_path, std::ostream& out, std::ostream& err) {
  auto old_read = ReadResultsFile(old_path);
  if (const auto* error = std::get_if<ResultsError>(&old_read)) {
    err << "sendpath compare: " << error->message << "\n";
    return kExitBadInput;
  }
  auto new_read = ReadResultsFile(new_path);
  if (const auto* error = std::get_if<ResultsError>(&new_read)) {
    err << "sendpath compare: " << error->message << "\n";
    return kExitBadInput;
  }
  const ResultsFile& old_results = std::get<ResultsFile>(old_read);
  const ResultsFile& new_results = std::get<ResultsFile>(new_read);
  const Comparison comparison = CompareResults(old_results, new_results);

  out << "sendpath compare: OLD " << old_path << " (" << old_results.vectors.size() << " vectors), NEW " << new_path
      << " (" << new_results.vectors.size() << " vectors)\n";
  for (const ResultsFile* results : {&old_results, &new_results}) {
    if (!results->complete) {
      out << "note: " << (results == &old_results ? "OLD" : "NEW")
          << " is an interrupted run (complete: false): vectors it did not reach are not compared\n";
    }
  }
  const auto section = [&out](const char* title, const std::vector<Comparison::Change>& changes, auto&& line) {
    out << title << ": " << changes.size() << "\n";
    for (const Comparison::Change& change : changes) out << "  " << line(change) << "\n";
  };
  const auto cls = [](const Comparison::Change& change) { return std::string(change.must ? "MUST   " : "SHOULD "); };
  section("newly failing", comparison.newly_failing, [&](const Comparison::Change& c) {
    return cls(c) + c.id + ": " + Describe(c.new_verdict, c.new_diagnosis) + " (was " + Describe(c.old_verdict, "") + ")";
  });
  section("fixed", comparison.fixed, [&](const Comparison::Change& c) {
    return cls(c) + c.id + ": now pass (was " + Describe(c.old_verdict, c.old_diagnosis) + ")";
  });
  section("changed diagnosis", comparison.changed_diagnosis, [&](const Comparison::Change& c) {
    return cls(c) + c.id + ":\n      was " + Describe(c.old_verdict, c.old_diagnosis) + "\n      now " +
           Describe(c.new_verdict, c.new_diagnosis);
  });
  section("failing before, not judged now (not claimed, skipped or absent)", comparison.no_longer_judged,
          [&](const Comparison::Change& c) {
            return cls(c) + c.id + ": now " + Describe(c.new_verdict, "") + " (was " +
                   Describe(c.old_verdict, c.old_diagnosis) + ")";
          });
  out << "still failing the same way: " << comparison.still_failing_same << "\n";
  const std::size_t must = comparison.new_must_failures();
  if (must > 0) {
    out << "exit 1: " << must << " MUST vector" << (must == 1 ? "" : "s") << " newly failing\n";
    return kExitNewFailures;
  }
  out << "exit 0: no MUST vector newly failing\n";
  return kExitSame;
}

}  // namespace sendpath::harness
