#include "reports/failure_groups.h"

#include <algorithm>
#include <functional>
#include <regex>
#include <tuple>

namespace sendpath::report {
namespace {


// regex_replace with a callback per match.
std::string ReplaceEach(const std::string& text, const std::regex& pattern,
                        const std::function<std::string(const std::smatch&)>& replacement) {
  std::string out;
  auto begin = text.cbegin();
  for (std::sregex_iterator match(text.begin(), text.end(), pattern), end; match != end; ++match) {
    out.append(begin, (*match)[0].first);
    out += replacement(*match);
    begin = (*match)[0].second;
  }
  out.append(begin, text.cend());
  return out;
}

std::string Replace(const std::string& text, const char* pattern, const char* replacement) {
  return std::regex_replace(text, std::regex(pattern), replacement);
}

// The diagnosis with what is specific to the vector taken out.
std::string Normalised(std::string text) {
  text = Replace(text, R"(\s*\(offset \d+, expected [0-9a-fA-F]*, got [0-9a-fA-F]*\))", "");
  text = Replace(text, R"(\s*\(offset \d+\))", "");
  text = Replace(text, R"(: expected [^,]*, actual [^\s(]*)", "");  // a field's two values
  text = Replace(text, R"(\s*\(\+\d+ more\))", "");                   // how many other fields differ
  text = Replace(text, R"(: at byte \d+\))", ")");
  text = Replace(text, R"( at (offset|byte) \d+)", "");
  static const std::regex kLengths(R"(frame is (\d+) bytes, expected (\d+))");
  text = ReplaceEach(text, kLengths, [](const std::smatch& match) {
    return std::string("frame is ") + (std::stoull(match[1].str()) < std::stoull(match[2].str()) ? "shorter" : "longer") +
           " than expected";
  });
  text = Replace(text, R"(\ba \d+-byte frame)", "a frame");
  text = Replace(text, R"(IV [0-9a-fA-F]+ repeated under SA \S+: step \d+ reuses the IV of step \d+)",
                 "an IV repeated under one SA: a later send reuses the IV of an earlier one");
  text = Replace(text, R"(ADD_SA copy \d+:)", "ADD_SA of a copy:");
  text = Replace(text, R"(within \d+ copies of SA \S+)", "within the vector's limit of copies of its SA");
  text = Replace(text, R"(garbage reply "[^"]*")", "garbage reply \"...\"");
  // Hex values (a status keeps its code: an unknown status is the finding), then long hex runs.
  static const std::regex kHex(R"((status )?0x[0-9a-fA-F]+)");
  text = ReplaceEach(text, kHex, [](const std::smatch& match) {
    return match[1].matched ? match[0].str() : std::string("0x...");
  });
  text = Replace(text, R"(\b(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{8,}\b)", "...");
  // The receive check's reasons (a candidate that picks its own IVs): which SA, its algorithm,
  // SPI and ESN, the ICVs found and computed, decoded lengths.
  text = Replace(text, R"((ESP|AH)( \(tunnel level \d+\))? SPI 0x\.\.\.: )", "");
  text = Replace(text, R"(\s*\([^()]*/(esp|ah), [^()]*\))", "");
  text = Replace(text, R"(: found \S+, computed [^\s)]+)", "");
  text = Replace(text, R"(\b(length|Length) \d+)", "$1");
  text = Replace(text, R"(\s*\(\d+ bytes\))", "");
  text = Replace(text, R"(the \d+ bytes)", "the bytes");
  return text;
}

}  // namespace

std::string CauseOfDiagnosis(std::string_view op, std::string_view diagnosis, bool candidate_error) {
  const std::string text(diagnosis);
  if (candidate_error) return "candidate error" + (op.empty() ? std::string() : " during " + std::string(op)) + ": " + Normalised(text);
  std::string cause = Normalised(text);
  if (op == "send" && cause.starts_with("status ")) cause = "send " + cause;
  return cause;
}

bool IsProvenCause(const Cause& cause) {
  return cause.id != "unexplained" && cause.id != "accepted-must-refuse" && cause.id != "refused-must-accept";
}

std::string CauseOf(const VectorResult& vector) {
  if (!IsFailure(vector.verdict)) return "";
  for (const StepResult& step : vector.steps) {
    if (step.verdict == Verdict::kFail || step.verdict == Verdict::kCandidateError) {
      // A proven cause is the group whatever header carries it and whatever the bytes.
      if (step.cause && IsProvenCause(*step.cause)) return step.cause->id + " (" + step.cause->rule + ")";
      return CauseOfDiagnosis(step.op, step.diagnosis, step.verdict == Verdict::kCandidateError);
    }
  }
  // No failing step: the vector failed as a whole (the candidate could not be started or reset).
  return CauseOfDiagnosis("", vector.diagnosis, vector.verdict == Verdict::kCandidateError);
}

std::vector<FailureGroup> GroupFailures(const std::vector<VectorResult>& vectors) {
  std::vector<std::string> causes;                  // in order of appearance
  std::map<std::string, std::vector<std::size_t>> members;  // cause -> vector indices
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    if (!IsFailure(vectors[i].verdict)) continue;
    std::string cause = CauseOf(vectors[i]);
    auto& indices = members[cause];
    if (indices.empty()) causes.push_back(cause);
    indices.push_back(i);
  }
  struct Ordered {
    FailureGroup group;
    ComplexityRank simplest;
    std::size_t appearance = 0;
  };
  std::vector<Ordered> ordered;
  for (std::size_t appearance = 0; appearance < causes.size(); ++appearance) {
    std::vector<std::size_t>& indices = members[causes[appearance]];
    std::stable_sort(indices.begin(), indices.end(),
                     [&](std::size_t a, std::size_t b) { return vectors[a].rank < vectors[b].rank; });
    Ordered& entry = ordered.emplace_back();
    entry.group.cause = causes[appearance];
    entry.group.count = indices.size();
    for (std::size_t index : indices) {
      entry.group.vector_ids.push_back(vectors[index].id);
      entry.group.must += vectors[index].must ? 1 : 0;
    }
    entry.group.simplest = vectors[indices.front()].id;
    entry.simplest = vectors[indices.front()].rank;
    entry.appearance = appearance;
  }
  std::sort(ordered.begin(), ordered.end(), [](const Ordered& a, const Ordered& b) {
    return std::tie(a.simplest, b.group.count, a.appearance) < std::tie(b.simplest, a.group.count, b.appearance);
  });
  std::vector<FailureGroup> groups;
  for (Ordered& entry : ordered) groups.push_back(std::move(entry.group));
  return groups;
}

void AssignCause(VectorResult& vector) {
  vector.cause = CauseOf(vector);
  vector.step_cause.reset();
  if (!IsFailure(vector.verdict)) return;
  for (const StepResult& step : vector.steps) {
    if (step.verdict == Verdict::kFail || step.verdict == Verdict::kCandidateError) {
      vector.step_cause = step.cause;
      return;
    }
  }
}

void GroupRunFailures(RunResult& run) {
  for (VectorResult& vector : run.vectors) AssignCause(vector);
  run.failure_groups = GroupFailures(run.vectors);
}

}  // namespace sendpath::report
