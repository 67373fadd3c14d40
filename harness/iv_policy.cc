#include "harness/iv_policy.h"

#include <vectors/loader/vector_loader.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <set>

namespace sendpath::harness {
namespace {

// Big-endian difference b - a modulo 2^(8n), as bytes.
Bytes Difference(const Bytes& a, const Bytes& b) {
  Bytes out(a.size());
  int borrow = 0;
  for (std::size_t i = a.size(); i-- > 0;) {
    int value = int{b[i]} - int{a[i]} - borrow;
    borrow = value < 0 ? 1 : 0;
    out[i] = static_cast<std::uint8_t>(value + (borrow != 0 ? 256 : 0));
  }
  return out;
}

}  // namespace

std::optional<std::size_t> SaIvLedger::Record(const IvUse& use, std::size_t step) {
  const auto [first, fresh] = seen_[use.sa].emplace(use.iv, step);
  if (fresh) return std::nullopt;
  return first->second;
}

std::string RepeatedIvText(const IvUse& use, std::size_t first_step, std::size_t step) {
  std::string text = "IV " + vectors::ToHex(use.iv) + " repeated under SA " + use.sa + ": step " +
                     std::to_string(step) + " reuses the IV of step " + std::to_string(first_step) +
                     (use.in_clear ? "" : ", inside the encrypted tunnel (read after decryption)");
  if (use.aead) {
    // RFC 4106 3.1 / RFC 4543 3.1: for a given key the IV MUST NOT repeat.
    const bool gcm = use.algorithm == "AES-GCM";
    return text + " (" + use.algorithm + ": the same nonce twice under one key gives away " +
           (gcm ? "the XOR of the two plaintexts and " : "") + "the GHASH key, with which ICVs can be forged; " +
           (gcm ? "RFC 4106" : "RFC 4543") + " section 3.1)";
  }
  return text + " (" + use.algorithm + ": a repeated CBC IV is not chosen at random, RFC 3602 section 3; " +
         "a MUST run-wide finding)";
}

namespace {

using report::FindingKind;
using report::IvOccurrence;
using report::RunFinding;

// RFC 3602 section 3 states the rule for every CBC cipher of ESP; RFC 2405 (DES-CBC) and RFC 2451
// (3DES-CBC) carry the IV the same way.
constexpr const char* kCbcRule =
    "RFC 3602 section 3: the IV MUST be chosen at random and MUST be unpredictable; the same for DES-CBC "
    "(RFC 2405) and 3DES-CBC (RFC 2451)";

std::string AeadRule(const std::string& algorithm) {
  return algorithm == "AES-GCM" ? "RFC 4106 section 3.1: for a given key the IV MUST NOT repeat"
                                : "RFC 4543 section 3.1: for a given key the IV MUST NOT repeat";
}

// Little-endian difference b - a: the big-endian one of the reversed bytes, reversed back.
Bytes LittleEndianDifference(Bytes a, Bytes b) {
  std::reverse(a.begin(), a.end());
  std::reverse(b.begin(), b.end());
  Bytes difference = Difference(a, b);
  std::reverse(difference.begin(), difference.end());
  return difference;
}

// One IV sighting with the vector it belongs to.
struct Seen {
  const std::string* vector = nullptr;
  const IvSighting* sighting = nullptr;
  const IvUse& use() const { return sighting->use; }
  std::string SaKey() const { return *vector + '\n' + use().sa; }
};

IvOccurrence Occurrence(const Seen& seen) {
  return IvOccurrence{*seen.vector, seen.use().sa, seen.sighting->step, seen.use().iv, seen.use().in_clear};
}

RunFinding Finding(FindingKind kind, const std::vector<Seen>& seen, std::string rule) {
  RunFinding finding;
  finding.kind = kind;
  finding.severity = report::Severity::kMust;
  finding.rule = std::move(rule);
  for (const Seen& one : seen) {
    const std::string& algorithm = one.use().algorithm;
    if (finding.algorithm.find(algorithm) == std::string::npos) {
      finding.algorithm += (finding.algorithm.empty() ? "" : "/") + algorithm;
    }
    finding.occurrences.push_back(Occurrence(one));
  }
  return finding;
}

std::vector<Bytes> IvsOf(const std::vector<Seen>& seen) {
  std::vector<Bytes> ivs;
  for (const Seen& one : seen) ivs.push_back(one.use().iv);
  return ivs;
}

bool AllSame(const std::vector<Seen>& seen) {
  return std::all_of(seen.begin(), seen.end(), [&](const Seen& one) { return one.use().iv == seen.front().use().iv; });
}

// Constant or counter: the predictable CBC sequences (constant needs 2 IVs, a counter 3).
std::optional<RunFinding> PredictableCbc(const std::vector<Seen>& chosen) {
  if (chosen.size() >= 2 && AllSame(chosen)) return Finding(FindingKind::kCbcIvConstant, chosen, kCbcRule);
  if (const std::optional<IvCounter> counter = CounterOf(IvsOf(chosen))) {
    RunFinding finding = Finding(FindingKind::kCbcIvCounter, chosen, kCbcRule);
    finding.increment = counter->increment;
    finding.little_endian = counter->little_endian;
    return finding;
  }
  return std::nullopt;
}

}  // namespace

std::optional<IvCounter> CounterOf(const std::vector<Bytes>& ivs) {
  if (ivs.size() < 3) return std::nullopt;
  for (const Bytes& iv : ivs) {
    if (iv.size() != ivs.front().size()) return std::nullopt;
  }
  // A counter in one byte order is often one in the other too, with a huge increment (a counter
  // in the first byte only reads as + 2^(8(n-1)) big-endian): the smaller increment names it.
  std::optional<IvCounter> found;
  std::size_t found_digits = 0;
  for (const bool little_endian : {false, true}) {
    const auto difference = [&](const Bytes& a, const Bytes& b) {
      return little_endian ? LittleEndianDifference(a, b) : Difference(a, b);
    };
    const Bytes increment = difference(ivs[0], ivs[1]);
    if (std::all_of(increment.begin(), increment.end(), [](std::uint8_t byte) { return byte == 0; })) continue;
    bool counter = true;
    for (std::size_t i = 2; i < ivs.size() && counter; ++i) counter = difference(ivs[i - 1], ivs[i]) == increment;
    if (!counter) continue;
    // Significant bytes of the increment in its byte order.
    std::size_t digits = 0;
    for (std::size_t i = 0; i < increment.size(); ++i) {
      if (increment[i] != 0) digits = little_endian ? i + 1 : std::max(digits, increment.size() - i);
    }
    if (!found || digits < found_digits) {
      found = IvCounter{increment, little_endian};
      found_digits = digits;
    }
  }
  return found;
}

struct RunWideIvChecker::State {
  struct PerSa {
    RunFinding finding;
    bool cbc = false;
    std::size_t length = 0;  // IV length
  };
  std::vector<PerSa> per_sa;
  // Only what the checks across SAs need: the vectors' ids and the IVs the candidate chose.
  std::deque<std::string> ids;
  std::deque<IvSighting> chosen;
  std::map<std::size_t, std::vector<Seen>> cbc_by_length;  // chosen CBC IVs of the run, by IV length
  std::map<Bytes, std::vector<Seen>> aead_nonces;          // key || salt || IV -> chosen uses
  std::vector<Bytes> aead_order;                           // the nonces in first-use order
};

RunWideIvChecker::RunWideIvChecker() : state_(std::make_unique<State>()) {}
RunWideIvChecker::~RunWideIvChecker() = default;

void RunWideIvChecker::Add(const std::string& vector_id, const VectorIvs& ivs) {
  State& state = *state_;
  const std::string& vector = vector_id;
  const std::string* kept_id = nullptr;
  // Under one SA (an SA lives within its vector: the NIC is fresh per vector).
  std::map<std::string, std::vector<Seen>> by_sa;
  std::vector<std::string> sa_order;
  for (const IvSighting& sighting : ivs.sightings) {
    const Seen seen{&vector, &sighting};
    if (by_sa.find(sighting.use.sa) == by_sa.end()) sa_order.push_back(sighting.use.sa);
    by_sa[sighting.use.sa].push_back(seen);
    if (!sighting.use.chosen_by_candidate || (!sighting.use.cbc && !sighting.use.aead)) continue;
    if (kept_id == nullptr) kept_id = &state.ids.emplace_back(vector_id);
    const Seen kept{kept_id, &state.chosen.emplace_back(sighting)};
    if (sighting.use.cbc) state.cbc_by_length[sighting.use.iv.size()].push_back(kept);
    if (sighting.use.aead) {
      Bytes nonce = sighting.use.key;
      nonce.insert(nonce.end(), sighting.use.iv.begin(), sighting.use.iv.end());
      auto& uses = state.aead_nonces[nonce];
      if (uses.empty()) state.aead_order.push_back(nonce);
      uses.push_back(kept);
    }
  }
  for (const std::string& sa : sa_order) {
    const std::vector<Seen>& all = by_sa[sa];
    std::vector<Seen> chosen;
    for (const Seen& seen : all) {
      if (seen.use().chosen_by_candidate) chosen.push_back(seen);
    }
    if (chosen.empty()) continue;
    if (chosen.front().use().cbc) {
      if (std::optional<RunFinding> predictable = PredictableCbc(chosen)) {
        state.per_sa.push_back(State::PerSa{std::move(*predictable), true, chosen.front().use().iv.size()});
        continue;
      }
    }
    // A chosen IV equal to one drawn earlier under this SA (injected IVs count as drawn).
    std::map<Bytes, std::vector<Seen>> by_iv;
    std::vector<Bytes> repeated;
    for (const Seen& seen : all) {
      std::vector<Seen>& same = by_iv[seen.use().iv];
      if (!same.empty() && seen.use().chosen_by_candidate &&
          std::find(repeated.begin(), repeated.end(), seen.use().iv) == repeated.end()) {
        repeated.push_back(seen.use().iv);
      }
      same.push_back(seen);
    }
    for (const Bytes& iv : repeated) {
      const std::vector<Seen>& same = by_iv[iv];
      const IvUse& use = same.front().use();
      if (!use.aead && !use.cbc) continue;
      state.per_sa.push_back(State::PerSa{
          Finding(FindingKind::kIvRepeatedUnderSa, same, use.aead ? AeadRule(use.algorithm) : kCbcRule), use.cbc, iv.size()});
    }
  }
}

std::vector<RunFinding> RunWideIvFindings(const std::vector<VectorIvs>& ivs,
                                          const std::vector<report::VectorResult>& results) {
  RunWideIvChecker checker;
  for (std::size_t index = 0; index < ivs.size() && index < results.size(); ++index) checker.Add(results[index].id, ivs[index]);
  return checker.Finish();
}

std::vector<RunFinding> RunWideIvChecker::Finish() {
  State& state = *state_;
  auto& per_sa = state.per_sa;
  auto& cbc_by_length = state.cbc_by_length;
  auto& aead_nonces = state.aead_nonces;
  auto& aead_order = state.aead_order;
  // Across the SAs of the run: CBC IVs of one length.
  std::vector<RunFinding> run_wide;
  std::set<std::size_t> judged_run_wide;  // lengths whose whole sequence is constant or a counter
  for (const auto& [length, chosen] : cbc_by_length) {
    std::set<std::string> sas;
    for (const Seen& seen : chosen) sas.insert(seen.SaKey());
    if (sas.size() < 2) continue;  // one SA: judged above
    if (std::optional<RunFinding> predictable = PredictableCbc(chosen)) {
      run_wide.push_back(std::move(*predictable));
      judged_run_wide.insert(length);
      continue;
    }
    std::map<Bytes, std::vector<Seen>> by_iv;
    std::vector<Bytes> order;
    for (const Seen& seen : chosen) {
      auto& same = by_iv[seen.use().iv];
      if (same.empty()) order.push_back(seen.use().iv);
      same.push_back(seen);
    }
    for (const Bytes& iv : order) {
      std::set<std::string> under;
      for (const Seen& seen : by_iv[iv]) under.insert(seen.SaKey());
      if (under.size() >= 2) run_wide.push_back(Finding(FindingKind::kCbcIvRepeatedAcrossSas, by_iv[iv], kCbcRule));
    }
  }
  // AES-GCM/GMAC: the same nonce under two SAs with the same key and salt.
  for (const Bytes& nonce : aead_order) {
    const std::vector<Seen>& uses = aead_nonces[nonce];
    std::set<std::string> sas;
    for (const Seen& seen : uses) sas.insert(seen.SaKey());
    if (sas.size() >= 2) {
      run_wide.push_back(Finding(FindingKind::kAeadNonceReuseAcrossSas, uses, AeadRule(uses.front().use().algorithm)));
    }
  }

  // A CBC sequence that is constant or a counter across the whole run is one finding, not one per SA.
  std::vector<RunFinding> findings;
  for (State::PerSa& one : per_sa) {
    if (one.cbc && judged_run_wide.count(one.length) != 0) continue;
    findings.push_back(std::move(one.finding));
  }
  for (RunFinding& finding : run_wide) findings.push_back(std::move(finding));
  return findings;
}

}  // namespace sendpath::harness
