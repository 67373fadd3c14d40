#include "reports/diff.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace sendpath::report {
namespace {

bool SameQualifier(const Field& a, const Field& b) {
  if (a.qualifier == nullptr || b.qualifier == nullptr) return a.qualifier == b.qualifier;
  return std::strcmp(a.qualifier, b.qualifier) == 0;
}

bool SameShape(const Field& a, const Field& b) {
  return a.offset == b.offset && a.length == b.length && a.level == b.level && a.bit_width == b.bit_width &&
         a.bit_shift == b.bit_shift && std::strcmp(a.protocol, b.protocol) == 0 && SameQualifier(a, b) &&
         a.leaf_name() == b.leaf_name();
}

bool SameName(const Field& a, const Field& b) {
  return a.level == b.level && std::strcmp(a.protocol, b.protocol) == 0 && SameQualifier(a, b) &&
         a.leaf_name() == b.leaf_name();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string FrameComparison::Summary() const {
  const FieldDifference* cause = FirstCause();
  if (cause == nullptr) return "";
  std::string text = cause->field + " differs: expected " + cause->expected + ", actual " + cause->actual;
  if (differences.size() > 1) text += " (+" + std::to_string(differences.size() - 1) + " more)";
  return text;
}

FrameDiffer::FrameDiffer(SaTable* sas, DiffOptions options) : sas_(sas), options_(std::move(options)) {
  if (sas_ != nullptr) checker_ = std::make_unique<ReceiveChecker>(*sas_);
}

bool FrameDiffer::Masked(std::size_t offset) const {
  for (const auto& [begin, length] : options_.masked) {
    if (offset >= begin && offset < begin + length) return true;
  }
  return false;
}

bool FrameDiffer::Ignored(const Dissection& dissection, const Field& field) {
  if (options_.ignore.empty()) return false;
  dissection.NameInto(field, name_buffer_);
  for (const std::string& pattern : options_.ignore) {
    if (GlobMatch(pattern, name_buffer_)) return true;
  }
  return false;
}

void FrameDiffer::AddDifference(const Field& field, const Dissection& owner, std::string expected, std::string actual) {
  FieldDifference difference;
  difference.field = owner.Name(field);
  difference.offset = field.offset;
  difference.length = field.length;
  difference.expected = std::move(expected);
  difference.actual = std::move(actual);
  result_.differences.push_back(std::move(difference));
  difference_fields_.push_back(&field);
}

void FrameDiffer::CompareField(const Field* expected, const Field* actual, bool semantic) {
  const Field& any = expected != nullptr ? *expected : *actual;
  const Dissection& owner = expected != nullptr ? expected_ : actual_;
  auto cover = [&](const Field& field) {
    for (std::size_t i = field.offset; i < std::size_t{field.offset} + field.length && i < covered_.size(); ++i) covered_[i] = 1;
  };
  if (expected != nullptr) cover(*expected);
  if (actual != nullptr) cover(*actual);
  if (Ignored(owner, any)) return;
  if (expected == nullptr || actual == nullptr) {
    AddDifference(any, owner, expected != nullptr ? expected_.Value(*expected) : "(absent)",
                  actual != nullptr ? actual_.Value(*actual) : "(absent)");
    return;
  }
  if (any.kind == FieldKind::kIv && options_.ivs_dont_care) return;
  if (semantic && any.kind == FieldKind::kCiphertext && expected->decrypted == actual->decrypted) {
    // Judged through the decrypted fields it holds.
    if (actual->header >= 0 && static_cast<std::size_t>(actual->header) < actual_check_.headers.size() &&
        actual_check_.headers[static_cast<std::size_t>(actual->header)].decrypted) {
      return;
    }
  }
  if (semantic && any.kind == FieldKind::kIcv && actual->header >= 0 &&
      static_cast<std::size_t>(actual->header) < actual_check_.headers.size()) {
    const HeaderCheck& header = actual_check_.headers[static_cast<std::size_t>(actual->header)];
    if (header.icv_checked && !header.icv_ok) AddDifference(*actual, actual_, "an ICV that verifies", actual_.Value(*actual) + " (does not verify)");
    return;
  }
  const auto expected_bytes = expected_.Bytes(*expected);
  const auto actual_bytes = actual_.Bytes(*actual);
  bool differs = false;
  if (any.bit_width > 0) {
    differs = expected_.Number(*expected) != actual_.Number(*actual) && !Masked(expected->offset);
  } else if (expected_bytes.size() != actual_bytes.size()) {
    differs = true;
  } else {
    for (std::size_t i = 0; i < expected_bytes.size(); ++i) {
      if (expected_bytes[i] != actual_bytes[i] && !Masked(expected->offset + i)) {
        differs = true;
        break;
      }
    }
  }
  if (!differs) return;
  std::string expected_value = expected_.Value(*expected);
  std::string actual_value = actual_.Value(*actual);
  if (expected_value == actual_value || expected->length > 32) {
    // Long byte fields: point at the first differing byte.
    for (std::size_t i = 0; i < std::min(expected_bytes.size(), actual_bytes.size()); ++i) {
      if (expected_bytes[i] != actual_bytes[i]) {
        const std::size_t from = i;
        const std::size_t to = std::min(expected_bytes.size(), i + 8);
        expected_value += " [byte +" + std::to_string(from) + ": " + ToHex(expected_bytes.subspan(from, to - from)) + "]";
        actual_value += " [byte +" + std::to_string(from) + ": " +
                        ToHex(actual_bytes.subspan(from, std::min(actual_bytes.size(), i + 8) - from)) + "]";
        break;
      }
    }
  }
  AddDifference(*expected, expected_, std::move(expected_value), std::move(actual_value));
}

void FrameDiffer::MarkConsequences() {
  auto& differences = result_.differences;
  const std::size_t count = differences.size();
  // Decrypted fields of an ESP payload that does not verify on the actual side are garbage or
  // missing (an AEAD tag that fails yields no plaintext): they follow from the ciphertext or the
  // ICV and explain neither.
  unverified_.assign(count, false);
  for (std::size_t i = 0; i < count; ++i) {
    const Field& field = *difference_fields_[i];
    if (!field.decrypted) continue;
    for (const HeaderCheck& header : actual_check_.headers) {
      if (header.protocol != IpsecProtocol::kEsp) continue;
      const bool inside = field.offset >= header.data_offset && field.offset < header.data_offset + header.data_length;
      const bool verified = header.decrypted && (header.icv_length > 0 ? header.icv_ok : header.trailer_ok);
      if (inside && !verified) unverified_[i] = true;
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    const Field& field = *difference_fields_[i];
    if (unverified_[i]) {
      differences[i].consequence = true;
    } else if (field.kind == FieldKind::kCiphertext) {
      // Explained by a different IV of the same header or by a decrypted field inside it.
      for (std::size_t j = 0; j < count; ++j) {
        if (j == i || unverified_[j]) continue;
        const Field& other = *difference_fields_[j];
        const bool same_iv = other.kind == FieldKind::kIv && other.header == field.header;
        const bool inside = other.decrypted && other.offset >= field.offset && other.offset < field.offset + field.length;
        if (same_iv || inside) differences[i].consequence = true;
      }
    } else if (field.kind == FieldKind::kIcv) {
      for (std::size_t j = 0; j < count; ++j) {
        if (j == i || unverified_[j]) continue;
        const Field& other = *difference_fields_[j];
        const bool inside = other.offset >= field.cover_begin && other.offset < field.cover_end;
        // AH zeroes the mutable fields of its own IPv4 header: a change there cannot explain it.
        const bool zeroed = std::strcmp(field.protocol, "ah") == 0 && other.ip_mutable && other.level == field.level &&
                            std::strcmp(other.protocol, "ipv4") == 0;
        if (inside && !zeroed) differences[i].consequence = true;
      }
    }
  }
  result_.first = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (!differences[i].consequence) {
      result_.first = i;
      break;
    }
  }
}

const FrameComparison& FrameDiffer::Compare(std::span<const std::uint8_t> expected, std::span<const std::uint8_t> actual,
                                            LinkType link) {
  result_.equivalent = true;
  result_.differences.clear();
  result_.notes.clear();
  result_.first = 0;
  difference_fields_.clear();
  // Identical bytes cannot differ in any field (semantic mode needs IVs that differ): skip the
  // receive check and the dissection, which is what keeps a million-frame diff fast.
  if (std::ranges::equal(expected, actual)) return result_;
  const CheckResult* expected_check = nullptr;
  const CheckResult* actual_check = nullptr;
  if (checker_) {
    checker_->Check(expected, link, expected_check_);
    checker_->Check(actual, link, actual_check_);
    expected_check = &expected_check_;
    actual_check = &actual_check_;
  } else {
    expected_check_.Reset();
    actual_check_.Reset();
  }
  Dissect(expected, link, expected_check, expected_);
  Dissect(actual, link, actual_check, actual_);
  // Names carry the nesting ("[outer]"/"[inner]"); compare under one naming scheme.
  actual_.max_level = expected_.max_level = std::max(expected_.max_level, actual_.max_level);
  covered_.assign(std::max(expected.size(), actual.size()), 0);

  // Semantic mode: a don't-care IV that differs makes ciphertext and ICVs incomparable byte for byte.
  bool semantic = false;
  for (const Field& field : expected_.fields) {
    if (field.kind != FieldKind::kIv) continue;
    bool dont_care = options_.ivs_dont_care || Ignored(expected_, field);
    for (std::size_t i = field.offset; !dont_care && i < std::size_t{field.offset} + field.length; ++i) dont_care = Masked(i);
    if (!dont_care) continue;
    for (const Field& other : actual_.fields) {
      if (SameShape(field, other) && !std::ranges::equal(expected_.Bytes(field), actual_.Bytes(other))) semantic = true;
    }
  }
  if (semantic) result_.notes.emplace_back("IV differs (don't care): ciphertext judged by its plaintext, ICVs by verification");

  const auto& ef = expected_.fields;
  const auto& af = actual_.fields;
  bool same_shape = ef.size() == af.size();
  for (std::size_t i = 0; same_shape && i < ef.size(); ++i) same_shape = SameShape(ef[i], af[i]);
  if (same_shape) {
    for (std::size_t i = 0; i < ef.size(); ++i) CompareField(&ef[i], &af[i], semantic);
  } else {
    // Pair by name and occurrence; fields only on one side are differences of their own.
    std::vector<bool> used(af.size(), false);
    for (std::size_t i = 0; i < ef.size(); ++i) {
      std::size_t occurrence = 0;
      for (std::size_t k = 0; k < i; ++k) occurrence += SameName(ef[k], ef[i]) ? 1 : 0;
      const Field* match = nullptr;
      for (std::size_t j = 0, seen = 0; j < af.size(); ++j) {
        if (!SameName(af[j], ef[i])) continue;
        if (seen++ == occurrence) {
          match = &af[j];
          used[j] = true;
          break;
        }
      }
      CompareField(&ef[i], match, semantic && match != nullptr && SameShape(ef[i], *match));
    }
    for (std::size_t j = 0; j < af.size(); ++j) {
      if (!used[j]) CompareField(nullptr, &af[j], false);
    }
  }
  if (expected.size() != actual.size()) {
    FieldDifference difference{"frame.length", 0, 0, std::to_string(expected.size()) + " bytes", std::to_string(actual.size()) + " bytes"};
    result_.differences.insert(result_.differences.begin(), difference);
    difference_fields_.insert(difference_fields_.begin(), nullptr);
  }
  // Bytes no field covers (or that fields did not compare) still count.
  for (std::size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
    if (covered_[i] == 0 && expected[i] != actual[i] && !Masked(i)) {
      result_.differences.push_back({"frame.bytes", i, 1, ToHex(expected.subspan(i, 1)), ToHex(actual.subspan(i, 1))});
      difference_fields_.push_back(nullptr);
      break;
    }
  }
  // Order by offset (stable: frame.length first), then find the first cause.
  std::vector<std::size_t> order(result_.differences.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const bool a_length = result_.differences[a].field == "frame.length";
    const bool b_length = result_.differences[b].field == "frame.length";
    if (a_length != b_length) return a_length;
    return result_.differences[a].offset < result_.differences[b].offset;
  });
  std::vector<FieldDifference> sorted;
  std::vector<const Field*> sorted_fields;
  sorted.reserve(order.size());
  for (std::size_t index : order) {
    sorted.push_back(std::move(result_.differences[index]));
    sorted_fields.push_back(difference_fields_[index]);
  }
  result_.differences = std::move(sorted);
  difference_fields_ = std::move(sorted_fields);
  // MarkConsequences needs a field for every difference; synthetic ones are always causes.
  static const Field kSynthetic{};
  for (auto& field : difference_fields_) {
    if (field == nullptr) field = &kSynthetic;
  }
  MarkConsequences();
  result_.equivalent = result_.differences.empty();
  return result_;
}

}  // namespace sendpath::report
