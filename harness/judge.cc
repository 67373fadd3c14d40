#include "harness/judge.h"

#include "harness/protocol.h"

#include <reports/diff.h>
#include <vectors/loader/vector_loader.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>

namespace sendpath::harness {
namespace {

using report::CheckResult;
using report::HeaderCheck;

// First offset at which `a` and `b` differ among the offsets `consider` accepts.
template <class Predicate>
std::optional<std::size_t> FirstDifference(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                                           Predicate consider) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i] && consider(i)) return i;
  }
  return std::nullopt;
}

std::string Hex(std::span<const std::uint8_t> bytes) { return vectors::ToHex(bytes); }

// The plaintext is "left" when the bytes a conforming NIC would have encrypted (after the
// outermost ESP header, skipping up to 16 IV bytes and 16 ICV bytes) went out unchanged; in a
// packet without ESP, when its IPv4 payload went out unchanged.
bool PlaintextLeft(std::span<const std::uint8_t> input, std::span<const std::uint8_t> emitted, std::size_t ip) {
  const std::size_t n = std::min(input.size(), emitted.size());
  if (n < ip + 20) return std::equal(input.begin(), input.end(), emitted.begin(), emitted.end());
  std::size_t position = ip + std::size_t{input[ip] & 0x0fu} * 4;
  std::uint8_t protocol = input[ip + 9];
  if (protocol == 51 && position + 2 <= n) {  // AH: look behind it for ESP
    protocol = input[position];
    position += (std::size_t{input[position + 1]} + 2) * 4;
  }
  std::size_t begin = position;
  std::size_t end = n;
  if (protocol == 50) {
    begin = position + 8 + 16;
    end = n >= 16 ? n - 16 : 0;
  }
  if (begin >= end) return std::equal(input.begin(), input.end(), emitted.begin(), emitted.end());
  return std::equal(input.begin() + static_cast<std::ptrdiff_t>(begin), input.begin() + static_cast<std::ptrdiff_t>(end),
                    emitted.begin() + static_cast<std::ptrdiff_t>(begin));
}

}  // namespace

std::string StatusText(NDIS_STATUS status) { return protocol::StatusToJson(status); }

SendJudge::SendJudge(const vectors::Vector& vector)
    : vector_(vector),
      link_(vector.encapsulation == vectors::Encapsulation::kIeee8023 ? report::LinkType::kEthernet
                                                                     : report::LinkType::kRawIp),
      // SA by SA, element by element: a negative vector's malformed SA must not hide the others.
      vector_sas_(report::SaTable::OfEverySa(vector.sas, &sa_error_)) {
  for (std::size_t entry = 0; entry < vector_sas_.size(); ++entry) {
    const std::string& name = vector_sas_.keys(entry).name;  // "<sa name>/esp" or "<sa name>/ah"
    entries_by_sa_[name.substr(0, name.rfind('/'))].push_back(entry);
  }
}

// The receive side knows only the SAs this send names: a header of another SA (a transport ESP
// left for software inside an offloaded tunnel) is payload to it, as it is to the NIC.
void SendJudge::UseSasOf(const vectors::SendStep& step) {
  std::vector<std::string> named;
  if (step.has_info) {
    for (const vectors::HandleRef* ref : {&step.offload_handle, &step.next_offload_handle}) {
      if (ref->kind == vectors::HandleRef::Kind::kSa && entries_by_sa_.contains(ref->sa)) named.push_back(ref->sa);
    }
  }
  // Naming each SA of the vector once (a send names at most two): the send's table is the
  // vector's, entry for entry.
  const bool every_sa_once = !named.empty() && named.size() == entries_by_sa_.size() && (named.size() == 1 || named[0] != named[1]);
  if (every_sa_once) {
    sas_ = &vector_sas_;
    return;
  }
  std::unique_ptr<report::SaTable>& table = send_sas_[named];
  if (!table) {
    table = std::make_unique<report::SaTable>();
    for (const std::string& name : named) {
      for (const std::size_t entry : entries_by_sa_.at(name)) table->Add(vector_sas_.keys(entry));
    }
  }
  sas_ = table.get();
}

SendJudge::~SendJudge() = default;

SendJudgement SendJudge::Judge(const vectors::SendStep& step, const SendReply& reply) {
  SendJudgement out;
  UseSasOf(step);
  const bool emitted = reply.frame.has_value() && !reply.frame->empty();
  if (reply.status != step.expect_status) {
    out.verdict = report::Verdict::kFail;
    out.diagnosis = "status " + StatusText(reply.status) + ", expected " + StatusText(step.expect_status);
    if (step.expect_status == NDIS_STATUS_SUCCESS) {
      out.cause = report::RefusedMustAccept(out.diagnosis, WhatTheVectorTests(vector_));
    } else if (reply.status == NDIS_STATUS_SUCCESS) {
      out.cause = report::AcceptedMustRefuse(out.diagnosis, "");
    } else {
      out.cause = report::UnexplainedCause(out.diagnosis);
    }
  }
  if (!step.expect_frame) {
    if (emitted) {
      out.verdict = report::Verdict::kFail;
      out.leaked = true;
      const std::size_t ip = link_ == report::LinkType::kEthernet ? 14 : 0;
      out.leaked_plaintext = PlaintextLeft(step.frame, *reply.frame, ip);
      const std::string leak = "leaked: emitted a " + std::to_string(reply.frame->size()) +
                               "-byte frame on a refused send" +
                               (out.leaked_plaintext ? " (the plaintext left the NIC)" : " (its payload was changed)");
      out.diagnosis = out.diagnosis.empty() ? leak : leak + "; " + out.diagnosis;
      out.cause = report::AcceptedMustRefuse(out.diagnosis, "");
    }
    return out;
  }
  if (out.verdict == report::Verdict::kFail) return out;
  if (!emitted) {
    out.verdict = report::Verdict::kFail;
    out.diagnosis = "nothing emitted; expected a " + std::to_string(step.expect_frame->size()) + "-byte frame";
    out.cause = report::UnexplainedCause(out.diagnosis);
    return out;
  }
  JudgeFrame(step, *reply.frame, out);
  return out;
}

// What a send the vector accepts tests, for a refusal: its title and flags.
std::string WhatTheVectorTests(const vectors::Vector& vector) {
  std::string text = vector.title.empty() ? vector.id : vector.title;
  if (!vector.flags.empty()) {
    text += " (flags:";
    for (const std::string& flag : vector.flags) text += " " + flag;
    text += ")";
  }
  return text;
}

void SendJudge::JudgeFrame(const vectors::SendStep& step, const Bytes& actual, SendJudgement& out) {
  const Bytes& expected = *step.expect_frame;
  report::ReceiveChecker checker(*sas_);
  checker.Check(expected, link_, expected_layout_);
  if (sas_ == &vector_sas_) out.expected_check = std::make_shared<const report::CheckResult>(expected_layout_);
  const bool layout_known = expected_layout_.status == report::FrameStatus::kVerified ||
                            expected_layout_.status == report::FrameStatus::kNoIpsec;

  bool own_ivs = false;
  const auto fail = [&](std::size_t offset, const std::string& what_differs) {
    out.verdict = report::Verdict::kFail;
    // The cause, when recomputing the send with one known mistake gives the candidate's frame.
    if (auto cause = report::FindCause({step.frame, expected, actual, link_, *sas_, &vector_sas_, own_ivs})) {
      out.diagnosis = cause->text + "; first difference: " + what_differs;
      out.cause = std::move(cause);
    } else {
      out.cause = report::UnexplainedCause(what_differs);
      out.diagnosis = out.cause->text;
    }
    // The field-level list for the report, from the reports diff engine (consequences marked),
    // with the IVs don't-care when the candidate picked its own.
    report::DiffOptions options;
    if (own_ivs) {
      options.masked = step.iv_bytes;
      options.ivs_dont_care = true;
    }
    report::FrameDiffer differ(sas_, options);
    const report::FrameComparison& comparison = differ.Compare(expected, actual, link_);
    out.differences = comparison.differences;
    for (const std::string& note : comparison.notes) out.notes.push_back(note);
    if (out.differences.empty()) {
      report::FieldDifference difference;
      difference.field = FieldAt(expected, offset);
      difference.offset = offset;
      difference.length = 1;
      if (offset < expected.size()) difference.expected = Hex(std::span(expected).subspan(offset, 1));
      if (offset < actual.size()) difference.actual = Hex(std::span(actual).subspan(offset, 1));
      out.differences.push_back(std::move(difference));
    }
  };

  if (actual.size() != expected.size()) {
    const auto first = FirstDifference(actual, expected, [](std::size_t) { return true; });
    std::string diagnosis = "frame is " + std::to_string(actual.size()) + " bytes, expected " +
                            std::to_string(expected.size());
    if (first) diagnosis += "; first difference: " + FieldAt(expected, *first) + " at offset " +
                            std::to_string(*first);
    fail(first.value_or(std::min(actual.size(), expected.size())), diagnosis);
    return;
  }

  bool took_injected = true;
  for (const auto& [offset, length] : step.iv_bytes) {
    if (offset > expected.size() || length > expected.size() - offset ||
        !std::equal(actual.begin() + static_cast<std::ptrdiff_t>(offset),
                    actual.begin() + static_cast<std::ptrdiff_t>(offset + length),
                    expected.begin() + static_cast<std::ptrdiff_t>(offset))) {
      took_injected = false;
    }
  }

  // The first wrong byte: which field, where, what.
  const auto describe = [&](std::size_t offset) {
    return FieldAt(expected, offset) + " differs (offset " + std::to_string(offset) + ", expected " +
           Hex(std::span(expected).subspan(offset, 1)) + ", got " + Hex(std::span(actual).subspan(offset, 1)) + ")";
  };

  if (took_injected) {
    if (const auto first = FirstDifference(actual, expected, [](std::size_t) { return true; })) {
      // The diff engine knows which differences are consequences of others (an AH ICV over a
      // wrong ESP ICV, a ciphertext after a wrong plaintext byte): name its first cause.
      report::FrameDiffer differ(sas_, report::DiffOptions{});
      const report::FieldDifference* cause = differ.Compare(expected, actual, link_).FirstCause();
      std::size_t offset = *first;
      if (cause != nullptr) {
        for (std::size_t i = cause->offset; i < cause->offset + cause->length && i < expected.size(); ++i) {
          if (actual[i] != expected[i]) {
            offset = i;
            break;
          }
        }
      }
      fail(offset, describe(offset));
    }
    if (layout_known) CollectIvs(expected_layout_, actual, /*chosen=*/false, out);
    return;
  }

  // Decrypt-and-compare with the candidate's own IVs.
  out.picked_own_ivs = true;
  own_ivs = true;
  // kUnknownSa: a header of an SA this send does not name (left for software) is payload.
  const auto checks = [](report::FrameStatus status) {
    return status == report::FrameStatus::kVerified || status == report::FrameStatus::kUnknownSa;
  };
  if (!checks(expected_layout_.status)) {
    out.verdict = report::Verdict::kFail;
    out.diagnosis = "cannot verify a frame with the candidate's own IVs: the expected frame does not check (" +
                    std::string(report::FrameStatusName(expected_layout_.status)) + ": " +
                    (expected_layout_.reason.empty() ? sa_error_ : expected_layout_.reason) + ")";
    out.cause = report::UnexplainedCause(out.diagnosis);
    return;
  }
  std::vector<bool> protected_byte(expected.size(), false);
  const auto mark = [&](std::size_t begin, std::size_t length) {
    for (std::size_t i = begin; i < begin + length && i < protected_byte.size(); ++i) protected_byte[i] = true;
  };
  for (const HeaderCheck& header : expected_layout_.headers) {
    mark(header.iv_offset, header.iv_length);
    mark(header.data_offset, header.data_length);
    mark(header.icv_offset, header.icv_length);
  }
  for (const auto& [offset, length] : step.iv_bytes) mark(offset, length);
  // 1. Every byte outside IV, ciphertext and ICV as expected.
  if (const auto first = FirstDifference(actual, expected, [&](std::size_t i) { return !protected_byte[i]; })) {
    fail(*first, describe(*first));
    return;
  }
  // 2. Its ICVs verify and its ciphertext decrypts (receive side, the candidate's IVs).
  checker.Check(actual, link_, actual_layout_);
  if (actual_layout_.status != expected_layout_.status || !checks(actual_layout_.status)) {
    const std::string diagnosis = FieldAt(expected, actual_layout_.offset) +
                                  " does not verify with the candidate's IV (" +
                                  (actual_layout_.reason.empty() ? report::FrameStatusName(actual_layout_.status)
                                                                 : actual_layout_.reason) +
                                  ")";
    fail(actual_layout_.offset, diagnosis);
    return;
  }
  // 3. The decrypted plaintext equals the expected plaintext.
  if (actual_layout_.plaintext.size() == expected_layout_.plaintext.size()) {
    std::vector<bool> decrypted(expected.size(), false);
    for (const auto& [offset, length] : expected_layout_.plaintext_ranges) {
      for (std::size_t i = offset; i < offset + length && i < decrypted.size(); ++i) decrypted[i] = true;
    }
    // Inside a tunnel's plaintext, an inner ESP's IV and the ICVs (which depend on the IVs) are
    // the candidate's own; the inner ICVs were verified above.
    const auto unmark = [&](std::size_t begin, std::size_t length) {
      for (std::size_t i = begin; i < begin + length && i < decrypted.size(); ++i) decrypted[i] = false;
    };
    for (const HeaderCheck& header : expected_layout_.headers) {
      unmark(header.iv_offset, header.iv_length);
      unmark(header.icv_offset, header.icv_length);
    }
    for (const auto& [offset, length] : step.iv_bytes) unmark(offset, length);
    if (const auto first = FirstDifference(actual_layout_.plaintext, expected_layout_.plaintext,
                                           [&](std::size_t i) { return decrypted[i]; })) {
      fail(*first, FieldAt(expected, *first, /*decrypted=*/true) +
                       " decrypts to a different plaintext with the candidate's IV (offset " +
                       std::to_string(*first) + ")");
      return;
    }
  }
  CollectIvs(actual_layout_, actual, /*chosen=*/true, out);
}

// The field at `offset` of the expected frame, in the inspection library's names
// (reports/dissector.h: "esp[inner].icv", "ipv4.ttl", "udp[outer].checksum").
std::string SendJudge::FieldAt(std::span<const std::uint8_t> expected, std::size_t offset, bool decrypted) {
  report::Dissect(expected, link_, &expected_layout_, dissection_);
  return report::FieldNameAt(dissection_, offset, decrypted);
}

void SendJudge::CollectIvs(const CheckResult& layout, std::span<const std::uint8_t> frame, bool chosen,
                           SendJudgement& out) const {
  // An IV inside a decrypted range (a transport ESP/AH in an encrypted tunnel) is read from the
  // receive check's plaintext: on the wire it is ciphertext, and counting those bytes as IVs
  // would hide a constant IV and invent repeats.
  const std::span<const std::uint8_t> bytes =
      layout.plaintext.size() == frame.size() ? std::span<const std::uint8_t>(layout.plaintext) : frame;
  for (const HeaderCheck& header : layout.headers) {
    if (header.iv_length == 0 || header.sa == report::kNoSa || header.sa >= sas_->size() ||
        header.iv_offset + header.iv_length > bytes.size()) {
      continue;
    }
    const report::SaKeys& keys = sas_->keys(header.sa);
    IvUse use;
    use.sa = keys.name;
    use.aead = keys.cipher == report::CipherAlgorithm::kAesGcm || keys.integrity == report::IntegrityAlgorithm::kAesGmac;
    use.cbc = keys.cipher == report::CipherAlgorithm::kDesCbc || keys.cipher == report::CipherAlgorithm::kTripleDesCbc ||
              keys.cipher == report::CipherAlgorithm::kAesCbc;
    switch (keys.cipher) {
      case report::CipherAlgorithm::kAesGcm: use.algorithm = "AES-GCM"; break;
      case report::CipherAlgorithm::kAesCbc: use.algorithm = "AES-CBC"; break;
      case report::CipherAlgorithm::kTripleDesCbc: use.algorithm = "3DES-CBC"; break;
      case report::CipherAlgorithm::kDesCbc: use.algorithm = "DES-CBC"; break;
      case report::CipherAlgorithm::kNull:
        use.algorithm = keys.integrity == report::IntegrityAlgorithm::kAesGmac ? "AES-GMAC" : "no cipher";
        break;
    }
    use.chosen_by_candidate = chosen;
    for (const auto& [offset, length] : layout.plaintext_ranges) {
      if (header.iv_offset >= offset && header.iv_offset - offset < length) use.in_clear = false;
    }
    if (use.aead) {
      use.key = keys.cipher == report::CipherAlgorithm::kAesGcm ? keys.cipher_key : keys.integrity_key;
      use.key.insert(use.key.end(), keys.salt.begin(), keys.salt.end());
    }
    use.iv.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header.iv_offset),
                  bytes.begin() + static_cast<std::ptrdiff_t>(header.iv_offset + header.iv_length));
    out.ivs.push_back(std::move(use));
  }
}

}  // namespace sendpath::harness
