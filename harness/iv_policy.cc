#include "harness/iv_policy.h"

#include <vectors/loader/vector_loader.h>

#include <algorithm>
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

std::vector<std::string> CbcIvFindingsOfOneLength(const std::vector<Bytes>& ivs) {
  std::vector<std::string> findings;
  if (ivs.size() < 2) return findings;
  if (std::all_of(ivs.begin(), ivs.end(), [&](const Bytes& iv) { return iv == ivs.front(); })) {
    findings.push_back("predictable CBC IVs: the candidate wrote the same IV " + vectors::ToHex(ivs.front()) +
                       " in all " + std::to_string(ivs.size()) + " CBC IVs it chose (RFC 3602 section 3: IVs are "
                       "chosen at random and unpredictable)");
    return findings;
  }
  if (ivs.size() >= 3) {
    const Bytes step = Difference(ivs[0], ivs[1]);
    bool counter = true;
    for (std::size_t i = 2; i < ivs.size() && counter; ++i) counter = Difference(ivs[i - 1], ivs[i]) == step;
    if (counter) {
      findings.push_back("predictable CBC IVs: the candidate's " + std::to_string(ivs.size()) +
                         " CBC IVs form a counter (step " + vectors::ToHex(step) + "; RFC 3602 section 3)");
      return findings;
    }
  }
  std::set<Bytes> distinct(ivs.begin(), ivs.end());
  if (distinct.size() < ivs.size()) {
    findings.push_back("repeated CBC IVs: " + std::to_string(ivs.size() - distinct.size()) + " of the candidate's " +
                       std::to_string(ivs.size()) + " CBC IVs repeat an earlier one (RFC 3602 section 3)");
  }
  return findings;
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
  return text + " (" + use.algorithm + ": a repeated CBC IV is not random and is predictable, RFC 3602 section 3; " +
         "flagged, not failed)";
}

std::vector<std::string> CbcIvFindings(const std::vector<Bytes>& ivs_in_run_order) {
  // DES/3DES (8-byte) and AES (16-byte) IVs are examined separately.
  std::map<std::size_t, std::vector<Bytes>> by_length;
  for (const Bytes& iv : ivs_in_run_order) by_length[iv.size()].push_back(iv);
  std::vector<std::string> findings;
  for (const auto& [length, ivs] : by_length) {
    (void)length;
    for (std::string& finding : CbcIvFindingsOfOneLength(ivs)) findings.push_back(std::move(finding));
  }
  return findings;
}

std::vector<std::string> RunWideIvNotes(const std::vector<VectorIvs>& ivs,
                                        const std::vector<report::VectorResult>& results) {
  std::vector<std::string> notes;
  std::vector<Bytes> cbc_ivs;
  std::map<Bytes, std::string> aead_nonces;  // key || salt || IV -> first vector that used it
  std::size_t aead_repeats = 0;
  for (std::size_t index = 0; index < ivs.size() && index < results.size(); ++index) {
    const std::string& id = results[index].id;
    for (const IvSighting& sighting : ivs[index].sightings) {
      const IvUse& use = sighting.use;
      if (use.chosen_by_candidate && use.cbc) cbc_ivs.push_back(use.iv);
      if (!use.chosen_by_candidate || !use.aead) continue;
      // Across SAs (vectors) that share a key, the same IV is the same GCM nonce (RFC 4106 3.1).
      Bytes nonce = use.key;
      nonce.insert(nonce.end(), use.iv.begin(), use.iv.end());
      const auto [first, inserted] = aead_nonces.emplace(std::move(nonce), id);
      if (!inserted && first->second != id && ++aead_repeats <= 5) {
        notes.push_back("AES-GCM/GMAC nonce reuse across SAs with the same key: IV " + vectors::ToHex(use.iv) + " in " +
                        first->second + " and " + id);
      }
    }
    for (const report::StepResult& step : results[index].steps) {
      for (const std::string& note : step.notes) {
        if (note.find(" repeated under SA ") != std::string::npos) notes.push_back(id + ": " + note);
      }
    }
  }
  if (aead_repeats > 5) notes.push_back("... " + std::to_string(aead_repeats - 5) + " more AES-GCM/GMAC nonce reuses");
  for (std::string& finding : CbcIvFindings(cbc_ivs)) notes.push_back(std::move(finding));
  return notes;
}

}  // namespace sendpath::harness
