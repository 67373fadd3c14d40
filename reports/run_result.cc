#include "reports/run_result.h"

#include <algorithm>

namespace sendpath::report {

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kNotClaimed: return "not claimed";
    case Verdict::kCandidateError: return "candidate error";
    case Verdict::kInvalidVector: return "invalid vector";
    case Verdict::kSkipped: return "skipped";
  }
  return "?";
}

const char* SaStructureName(SaStructure structure) {
  switch (structure) {
    case SaStructure::kNone: return "none";
    case SaStructure::kSingleSa: return "single SA";
    case SaStructure::kBundle: return "bundle";
    case SaStructure::kTunnel: return "tunnel";
    case SaStructure::kTunnelBundle: return "tunnel bundle";
    case SaStructure::kTransportOverTunnel: return "transport over tunnel";
  }
  return "?";
}

bool IsFailure(Verdict verdict) { return verdict == Verdict::kFail || verdict == Verdict::kCandidateError; }

std::vector<std::size_t> FailuresSimplestFirst(const RunResult& run) {
  std::vector<std::size_t> failures;
  for (std::size_t i = 0; i < run.vectors.size(); ++i) {
    if (IsFailure(run.vectors[i].verdict)) failures.push_back(i);
  }
  std::stable_sort(failures.begin(), failures.end(),
                   [&](std::size_t a, std::size_t b) { return run.vectors[a].rank < run.vectors[b].rank; });
  return failures;
}

}  // namespace sendpath::report

namespace sendpath::report {
namespace {

std::string Hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::uint8_t byte : bytes) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0x0f];
  }
  return text;
}

// "<vector> SA <sa> step N" ("step N" when the finding has one SA) for up to `shown`
// occurrences, then "and N more".
std::string Places(const std::vector<IvOccurrence>& occurrences, bool one_sa, bool with_iv, std::size_t shown = 6) {
  std::string text;
  for (std::size_t i = 0; i < occurrences.size() && i < shown; ++i) {
    const IvOccurrence& at = occurrences[i];
    text += (i == 0 ? "" : ", ") + (one_sa ? std::string() : at.vector + " SA " + at.sa + " ") + "step " + std::to_string(at.step) +
            (with_iv ? " IV " + Hex(at.iv) : "") + (at.in_clear ? "" : " (inside the encrypted tunnel, read decrypted)");
  }
  if (occurrences.size() > shown) text += " and " + std::to_string(occurrences.size() - shown) + " more";
  return text;
}

// The increment with its leading zeros (in its byte order) left out: "01", "0100".
std::string Increment(const RunFinding& finding) {
  Bytes significant = finding.increment;
  if (finding.little_endian) {
    while (significant.size() > 1 && significant.back() == 0) significant.pop_back();
  } else {
    while (significant.size() > 1 && significant.front() == 0) significant.erase(significant.begin());
  }
  return Hex(significant) + (finding.little_endian ? ", little-endian" : ", big-endian");
}

}  // namespace

const char* FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kIvRepeatedUnderSa: return "iv_repeated_under_sa";
    case FindingKind::kAeadNonceReuseAcrossSas: return "aead_nonce_reuse_across_sas";
    case FindingKind::kCbcIvConstant: return "cbc_iv_constant";
    case FindingKind::kCbcIvCounter: return "cbc_iv_counter";
    case FindingKind::kCbcIvRepeatedAcrossSas: return "cbc_iv_repeated_across_sas";
  }
  return "?";
}

const char* SeverityName(Severity severity) { return severity == Severity::kMust ? "MUST" : "SHOULD"; }

std::vector<std::string> RunFinding::Sas() const {
  std::vector<std::string> sas;
  for (const IvOccurrence& at : occurrences) {
    std::string sa = at.vector + " " + at.sa;
    if (std::find(sas.begin(), sas.end(), sa) == sas.end()) sas.push_back(std::move(sa));
  }
  return sas;
}

std::string FindingText(const RunFinding& finding) {
  const std::size_t n = finding.occurrences.size();
  const std::size_t sas = finding.Sas().size();
  const std::string iv = n > 0 ? Hex(finding.occurrences.front().iv) : std::string();
  const std::string under = sas == 1 && n > 0 ? "under SA " + finding.occurrences.front().sa + " of " +
                                                    finding.occurrences.front().vector
                                              : "under " + std::to_string(sas) + " SAs of the run";
  std::string text;
  switch (finding.kind) {
    case FindingKind::kIvRepeatedUnderSa:
      text = finding.algorithm + " IV " + iv + " repeated " + under + ": " + Places(finding.occurrences, sas == 1, false);
      break;
    case FindingKind::kAeadNonceReuseAcrossSas:
      text = finding.algorithm + " nonce reuse across SAs with the same key and salt: IV " + iv + " at " +
             Places(finding.occurrences, sas == 1, false);
      break;
    case FindingKind::kCbcIvConstant:
      text = "predictable CBC IVs: the candidate chose the same " + finding.algorithm + " IV " + iv + " for all " +
             std::to_string(n) + " sends " + under + ": " + Places(finding.occurrences, sas == 1, false);
      break;
    case FindingKind::kCbcIvCounter:
      text = "predictable CBC IVs: the " + std::to_string(n) + " " + finding.algorithm + " IVs the candidate chose " +
             under + " form a counter (increment " + Increment(finding) + "): " + Places(finding.occurrences, sas == 1, true);
      break;
    case FindingKind::kCbcIvRepeatedAcrossSas:
      text = finding.algorithm + " IV " + iv + " chosen again " + under + ": " + Places(finding.occurrences, sas == 1, false);
      break;
  }
  return text + " (" + finding.rule + ")";
}

}  // namespace sendpath::report
