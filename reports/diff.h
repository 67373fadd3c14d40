// Field-by-field comparison of an expected and an actual frame. Both are dissected (and, with
// SA keys, decrypted and checked), fields are paired by name, and every difference is reported
// with both values. Differences that another one explains (the ciphertext and ICVs over a
// changed plaintext byte, the ciphertext after a different IV) are marked as consequences, so
// the first *cause* names the wrong field.
//
// Don't-care: byte ranges of the expected frame (the IV bytes when the candidate picks its own
// IVs) and field-name globs (`--ignore 'ipv4[inner].id'`, `'*.iv'`; `*` and `?` only, brackets
// are literal). When an IV is don't-care and differs, the ciphertext is judged through the
// decrypted plaintext and each ICV by whether it verifies.
#pragma once

#include "reports/dissector.h"
#include "reports/receive_check.h"
#include "reports/run_result.h"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sendpath::report {

// `*` matches any run of characters, `?` one character; everything else is literal.
bool GlobMatch(std::string_view pattern, std::string_view text);

struct DiffOptions {
  std::vector<std::string> ignore;                          // field-name globs
  std::vector<std::pair<std::size_t, std::size_t>> masked;  // (offset, length) in the expected frame
  bool ivs_dont_care = false;                               // every IV field is don't-care
};

struct FrameComparison {
  bool equivalent = true;
  std::vector<FieldDifference> differences;  // in frame order
  std::size_t first = 0;                     // index of the first cause (valid when !equivalent)
  std::vector<std::string> notes;            // e.g. "IV differs (don't care): ICVs judged by verification"

  const FieldDifference* FirstCause() const { return equivalent ? nullptr : &differences[first]; }
  // "ah.icv differs: expected 0a1b…, actual 0a1c…" (and "+N more fields"); "" when equivalent.
  std::string Summary() const;
};

class FrameDiffer {
 public:
  // `sas` may be null: ESP payloads then compare as opaque bytes.
  FrameDiffer(SaTable* sas, DiffOptions options);

  const FrameComparison& Compare(std::span<const std::uint8_t> expected, std::span<const std::uint8_t> actual, LinkType link);

  const Dissection& expected_dissection() const { return expected_; }
  const Dissection& actual_dissection() const { return actual_; }
  const CheckResult& expected_check() const { return expected_check_; }
  const CheckResult& actual_check() const { return actual_check_; }
  DiffOptions& options() { return options_; }

 private:
  bool Ignored(const Dissection& dissection, const Field& field);
  bool Masked(std::size_t offset) const;
  void CompareField(const Field* expected, const Field* actual, bool semantic);
  void AddDifference(const Field& field, const Dissection& owner, std::string expected, std::string actual);
  void MarkConsequences();

  SaTable* sas_;
  DiffOptions options_;
  std::unique_ptr<ReceiveChecker> checker_;
  CheckResult expected_check_, actual_check_;
  Dissection expected_, actual_;
  FrameComparison result_;
  std::vector<std::uint8_t> covered_;
  std::vector<const Field*> difference_fields_;  // parallel to result_.differences (field of the expected side, or actual)
  std::vector<bool> unverified_;                 // parallel too: decrypted under an ESP header that does not verify
  std::string name_buffer_;
};

}  // namespace sendpath::report
