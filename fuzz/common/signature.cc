#include "fuzz/common/signature.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace sendpath::fuzz {
namespace {

using report::Dissection;
using report::Field;
using report::FieldKind;

struct Item {
  const Field* field = nullptr;  // null: the difference names no dissected field (a plain wire byte range)
  std::string name;
  std::size_t offset = 0, length = 0;
  const Field* scope = nullptr;  // the innermost ESP ciphertext the field was decrypted from; null: on the wire
};

bool Inside(std::size_t offset, const Field& range) {
  return offset >= range.offset && offset < std::size_t{range.offset} + range.length;
}

class Signer {
 public:
  Signer(const report::FrameComparison& comparison, const report::FrameDiffer& differ) {
    const Dissection& expected = differ.expected_dissection();
    for (const Field& field : expected.fields) {
      if (field.kind == FieldKind::kCiphertext) ciphertexts_.push_back(&field);
    }
    for (const auto& difference : comparison.differences) {
      // A ciphertext whose bytes are equal differs only in what the receive side made of it
      // (it no longer decrypts because its tag is wrong): not a cause.
      const std::size_t end = difference.offset + difference.length;
      const Field* dissected = Find(expected, difference);
      const auto expected_bytes = dissected != nullptr && dissected->decrypted ? expected.plain : expected.frame;
      const auto actual_bytes = dissected != nullptr && dissected->decrypted ? differ.actual_dissection().plain
                                                                               : differ.actual_dissection().frame;
      if (dissected != nullptr && dissected->kind == FieldKind::kCiphertext &&
          end <= expected_bytes.size() && end <= actual_bytes.size() &&
          std::equal(expected_bytes.begin() + static_cast<std::ptrdiff_t>(difference.offset),
                     expected_bytes.begin() + static_cast<std::ptrdiff_t>(end),
                     actual_bytes.begin() + static_cast<std::ptrdiff_t>(difference.offset))) {
        continue;
      }
      // A decrypted field of an ESP payload that does not verify on the candidate's side is
      // missing or garbage there (an AEAD that fails yields no plaintext): it follows from the
      // ciphertext or the ICV and explains neither (as in reports/diff.cc).
      if (dissected != nullptr && dissected->decrypted && Unverified(differ.actual_check(), difference.offset)) continue;
      Item item;
      item.name = difference.field;
      item.offset = difference.offset;
      item.length = difference.length;
      item.field = Find(expected, difference);
      if (item.field == nullptr) item.field = Find(differ.actual_dissection(), difference);
      if (item.field != nullptr && item.field->decrypted) item.scope = Innermost(*item.field);
      items_.push_back(std::move(item));
    }
    expected_ = &expected;
  }

  std::string Select(const Field* scope) const {
    // Differences directly in `scope`, and the ciphertexts directly in it with differences inside.
    std::vector<Item> candidates;
    for (const Item& item : items_) {
      if (item.scope == scope) {
        if (!IsConsequentIcv(item)) candidates.push_back(item);
        continue;
      }
      for (const Field* container = item.scope; container != nullptr; container = Innermost(*container)) {
        if (Innermost(*container) == scope) {
          Item virtual_item;
          virtual_item.field = container;
          virtual_item.name = expected_->Name(*container);
          virtual_item.offset = container->offset;
          virtual_item.length = container->length;
          virtual_item.scope = scope;
          candidates.push_back(std::move(virtual_item));
          break;
        }
        if (!container->decrypted) break;
      }
    }
    const Item* first = nullptr;
    for (const Item& candidate : candidates) {
      if (first == nullptr || candidate.offset < first->offset) first = &candidate;
    }
    if (first == nullptr) return "";
    if (first->field == nullptr || first->field->kind != FieldKind::kCiphertext) return first->name;
    // A ciphertext: its cause lies inside only when everything that differs directly inside is
    // written by the NIC (an inner IV, ciphertext or ICV); a framed field that differs there
    // means this ciphertext is wrong.
    bool inside = false;
    for (const Item& item : items_) {
      if (item.scope != first->field) continue;
      inside = true;
      if (item.field == nullptr || item.field->kind == FieldKind::kPlain) return first->name;
    }
    if (!inside) return first->name;
    const std::string cause = Select(first->field);
    return cause.empty() ? first->name : cause;
  }

 private:
  static const Field* Find(const Dissection& dissection, const report::FieldDifference& difference) {
    for (const Field& field : dissection.fields) {
      if (field.offset == difference.offset && field.length == difference.length &&
          dissection.Name(field) == difference.field) {
        return &field;
      }
    }
    return nullptr;
  }

  static bool Unverified(const report::CheckResult& check, std::size_t offset) {
    for (const report::HeaderCheck& header : check.headers) {
      if (header.protocol != report::IpsecProtocol::kEsp) continue;
      const bool inside = offset >= header.data_offset && offset < header.data_offset + header.data_length;
      const bool verified = header.decrypted && (header.icv_length > 0 ? header.icv_ok : header.trailer_ok);
      if (inside && !verified) return true;
    }
    return false;
  }

  // The smallest ciphertext of the expected frame that holds `field` (other than itself).
  const Field* Innermost(const Field& field) const {
    if (!field.decrypted) return nullptr;
    const Field* best = nullptr;
    for (const Field* ciphertext : ciphertexts_) {
      if (ciphertext == &field || !Inside(field.offset, *ciphertext)) continue;
      if (ciphertext->offset == field.offset && ciphertext->length == field.length) continue;
      if (best == nullptr || ciphertext->length < best->length) best = ciphertext;
    }
    return best;
  }

  // An ICV over another differing field; AH zeroes its own header's mutable fields (RFC 4302
  // §3.3.3.1), so a change there explains nothing.
  bool IsConsequentIcv(const Item& item) const {
    if (item.field == nullptr || item.field->kind != FieldKind::kIcv) return false;
    const Field& icv = *item.field;
    for (const Item& other : items_) {
      // Only what lies wholly inside the covered bytes: an outer ciphertext that holds the
      // covered packet is not covered by it.
      if (&other == &item || other.offset < icv.cover_begin || other.offset + other.length > icv.cover_end) continue;
      if (other.offset >= icv.offset && other.offset < std::size_t{icv.offset} + icv.length) continue;
      const bool zeroed = other.field != nullptr && std::strcmp(icv.protocol, "ah") == 0 && other.field->ip_mutable &&
                          other.field->level == icv.level && std::strcmp(other.field->protocol, "ipv4") == 0;
      if (!zeroed) return true;
    }
    return false;
  }

  std::vector<const Field*> ciphertexts_;
  std::vector<Item> items_;
  const Dissection* expected_ = nullptr;
};

}  // namespace

std::string SignatureField(const report::FrameComparison& comparison, const report::FrameDiffer& differ) {
  if (comparison.equivalent) return "";
  std::string field = Signer(comparison, differ).Select(nullptr);
  if (field.empty() && comparison.FirstCause() != nullptr) field = comparison.FirstCause()->field;
  return field;
}

std::string SendSignature(const report::CauseQuery& query, const report::FrameComparison& comparison,
                          const report::FrameDiffer& differ) {
  if (const std::optional<report::Cause> cause = report::FindCause(query)) return cause->id;
  // A NIC given IVs that wrote others (it asked for another SA's IV: its key context is that SA's)
  // is judged with the IVs it wrote, as `sendpath run` judges a candidate whose IV bytes differ
  // from the injected ones. For IVs as injected this is the same query.
  if (!query.own_ivs) {
    report::CauseQuery with_its_ivs = query;
    with_its_ivs.own_ivs = true;
    if (const std::optional<report::Cause> cause = report::FindCause(with_its_ivs)) return cause->id;
  }
  return SignatureField(comparison, differ);
}

}  // namespace sendpath::fuzz
