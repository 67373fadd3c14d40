// Judges one send of one vector: the candidate's status and frame against the vector's
// expectation, exactly as the contract says.
//
//  - The candidate took the injected IVs (its IV bytes equal the vector's): byte-exact.
//  - It picked its own IVs: decrypt-and-compare. Every byte outside IV, ciphertext and ICV equals
//    the expected frame; its ICVs verify and its ciphertext, decrypted with its own IV, equals
//    the expected plaintext (reports/receive_check, independent of the reference NIC).
//  - A refused send must emit nothing; a frame emitted anyway is a leak, and whether it carried
//    the plaintext is stated.
// Every failure gets a Cause (reports/causes.h): one proven by resealing the send with a known
// mistake and matching the candidate's whole frame, a status cause, or `unexplained` with the
// first wrong field.
#pragma once

#include "harness/candidate.h"

#include <reports/causes.h>
#include <reports/dissector.h>
#include <reports/receive_check.h>
#include <reports/run_result.h>
#include <reports/sa_keys.h>
#include <vectors/loader/vector_model.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sendpath::harness {

// An IV the candidate wrote, for the IV checks (reuse under one SA, predictability run-wide).
struct IvUse {
  std::string sa;         // "<sa name>/esp" or "<sa name>/ah"
  std::string algorithm;  // "AES-GCM", "AES-GMAC", "AES-CBC", "3DES-CBC", "DES-CBC"
  bool aead = false;      // AES-GCM or AES-GMAC: a repeated IV is a MUST failure
  bool cbc = false;       // DES/3DES/AES-CBC: repeats and predictable IVs are flagged
  bool chosen_by_candidate = false;  // false when it used the injected IV
  // False for the IV of a header inside an encrypted tunnel: on the wire those bytes are the
  // tunnel's ciphertext; `iv` holds them as the receive check decrypted them.
  bool in_clear = true;
  Bytes iv;
  Bytes key;  // AES-GCM/GMAC: key and salt (the nonce is salt || IV under this key)
};

struct SendJudgement {
  report::Verdict verdict = report::Verdict::kPass;
  std::string diagnosis;
  std::vector<std::string> notes;
  std::vector<report::FieldDifference> differences;
  std::optional<report::Cause> cause;  // set for every failure
  bool leaked = false;
  bool leaked_plaintext = false;
  bool picked_own_ivs = false;
  std::vector<IvUse> ivs;
  // The receive check of the expected frame, when it was made against every SA of the vector
  // (the send names them all): the report's index reuses it (report::StepResult::expected_check).
  std::shared_ptr<const report::CheckResult> expected_check;
};

// What a vector tests, for a refusal of what it accepts: its title (else id) and flags.
std::string WhatTheVectorTests(const vectors::Vector& vector);

class SendJudge {
 public:
  // Builds the receive-side SA table from the vector's SAs.
  explicit SendJudge(const vectors::Vector& vector);
  ~SendJudge();

  SendJudgement Judge(const vectors::SendStep& step, const SendReply& reply);

 private:
  void UseSasOf(const vectors::SendStep& step);
  void JudgeFrame(const vectors::SendStep& step, const Bytes& actual, SendJudgement& out);
  std::string FieldAt(std::span<const std::uint8_t> expected, std::size_t offset, bool decrypted = false);
  void CollectIvs(const report::CheckResult& layout, std::span<const std::uint8_t> frame, bool chosen,
                  SendJudgement& out) const;

  const vectors::Vector& vector_;
  report::LinkType link_;
  std::string sa_error_;        // why an SA's keys could not be made ("" when all could)
  report::SaTable vector_sas_;  // every SA of the vector (a cause may be another SA's)
  std::map<std::string, std::vector<std::size_t>> entries_by_sa_;  // SA name -> its vector_sas_ entries
  // The SAs a send names, by their names in handle order, made once per vector: sends that
  // name the same SAs share their OpenSSL state. A send naming every SA uses vector_sas_.
  std::map<std::vector<std::string>, std::unique_ptr<report::SaTable>> send_sas_;
  report::SaTable* sas_ = nullptr;  // the SAs of the send being judged
  report::CheckResult expected_layout_, actual_layout_;
  report::Dissection dissection_;  // the expected frame's, to name a field
};

// One line for a status: the NDIS_STATUS_* name or 0x%08X.
std::string StatusText(NDIS_STATUS status);

}  // namespace sendpath::harness
