#include "reports/causes.h"

#include "reports/ipv4.h"
#include "reports/receive_check.h"
#include "reports/reseal.h"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

namespace sendpath::report {
namespace {

// One deviation to try, with the words of its cause. Tried in this order: among deviations that
// give the same bytes the first is named (the simplest), the others mentioned.
struct Candidate {
  const char* id;
  std::size_t header;  // kEveryHeader for a deviation about the whole send
  std::string what;    // "ICV computed with TTL not zeroed"
  std::string rule;
  Deviation deviation;
  bool expected_ivs = false;  // encrypt with the injected IVs whatever the candidate's IV fields say
  const char* every = nullptr;  // "every AH": the deviation applies to every header of a protocol
  // With the candidate's own IVs: the SAs (by the frame's SPIs) the deviation processed each
  // header with, to read the IVs it sealed inside a tunnel (nullptr: the send's SAs).
  SaTable* decrypt_with = nullptr;
};

constexpr const char* kMutable = "RFC 4302 §3.3.3.1.1.1: mutable, zeroed for the ICV";

std::string HeaderName(const HeaderCheck& header, const SaKeys& keys) {
  return std::string(keys.tunnel ? "tunnel " : "transport ") + (header.protocol == IpsecProtocol::kAh ? "AH" : "ESP");
}

// 3DES keys K1 K2 K3 (RFC 2451 §2.5) in another order.
std::vector<std::uint8_t> Des3Order(const std::vector<std::uint8_t>& key, std::initializer_list<int> order) {
  std::vector<std::uint8_t> out;
  for (const int part : order) {
    out.insert(out.end(), key.begin() + part * 8, key.begin() + part * 8 + 8);
  }
  return out;
}

// The keys a NIC gets when it splits the element's KeyMat in the other order than it was sent
// (OFFLOAD_IPSEC_ADD_SA: KeyMat holds the keys of each element one after the other).
std::optional<SaKeys> KeyMatSwapped(const SaKeys& keys) {
  if (keys.cipher_key.empty() || keys.cipher == CipherAlgorithm::kAesGcm || keys.integrity == IntegrityAlgorithm::kNone) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> integrity = keys.integrity_key;
  if (keys.integrity == IntegrityAlgorithm::kAesGmac) integrity.insert(integrity.end(), keys.salt.begin(), keys.salt.end());
  const std::vector<std::uint8_t>& first = keys.key_mat_integrity_first ? integrity : keys.cipher_key;
  const std::vector<std::uint8_t>& second = keys.key_mat_integrity_first ? keys.cipher_key : integrity;
  std::vector<std::uint8_t> key_mat = first;
  key_mat.insert(key_mat.end(), second.begin(), second.end());
  SaKeys swapped = keys;
  // Read back in the other order.
  const std::size_t conf_length = keys.cipher_key.size();
  const auto split = static_cast<std::ptrdiff_t>(keys.key_mat_integrity_first ? conf_length : integrity.size());
  std::vector<std::uint8_t> a(key_mat.begin(), key_mat.begin() + split), b(key_mat.begin() + split, key_mat.end());
  std::vector<std::uint8_t>& conf = keys.key_mat_integrity_first ? a : b;
  std::vector<std::uint8_t>& integ = keys.key_mat_integrity_first ? b : a;
  swapped.cipher_key = conf;
  if (keys.integrity == IntegrityAlgorithm::kAesGmac) {
    swapped.integrity_key.assign(integ.begin(), integ.end() - 4);
    swapped.salt.assign(integ.end() - 4, integ.end());
  } else {
    swapped.integrity_key = integ;
  }
  if (swapped.cipher_key == keys.cipher_key && swapped.integrity_key == keys.integrity_key) return std::nullopt;
  return swapped;
}

class Catalogue {
 public:
  explicit Catalogue(const CauseQuery& query) : query_(query) {}

  std::optional<Cause> Find() {
    const std::size_t size = query_.expected.size();
    if (query_.actual.size() != size || query_.input.size() != size) return std::nullopt;
    ReceiveChecker checker(query_.sas);
    checker.Check(query_.expected, query_.link, layout_);
    if (layout_.status == FrameStatus::kFailed || layout_.status == FrameStatus::kNotIpv4 || layout_.headers.empty()) {
      return std::nullopt;
    }
    // The IVs to reseal with: the injected ones (the expected frame's, decrypted where they sit
    // in a tunnel's ciphertext), or the candidate's own — as its receive check decrypted them
    // and, for a candidate that sealed in another order or skipped a tunnel, as they stand.
    std::vector<std::span<const std::uint8_t>> sources;
    if (query_.own_ivs) {
      checker.Check(query_.actual, query_.link, actual_layout_);
      if (actual_layout_.plaintext.size() == size) sources.emplace_back(actual_layout_.plaintext);
      if (sources.empty() || !std::equal(actual_layout_.plaintext.begin(), actual_layout_.plaintext.end(), query_.actual.begin())) {
        sources.push_back(query_.actual);
      }
    } else {
      sources.emplace_back(layout_.plaintext);
    }
    baselines_.resize(sources.size());
    for (std::size_t s = 0; s < sources.size(); ++s) {
      if (!Reseal({query_.input, layout_, query_.sas, sources[s]}, Deviation{}, baselines_[s])) return std::nullopt;
      if (std::equal(baselines_[s].begin(), baselines_[s].end(), query_.actual.begin())) return std::nullopt;
    }
    BuildCandidates();
    const Candidate* named = nullptr;
    std::vector<std::string> alternatives;
    for (const Candidate& candidate : candidates_) {
      bool matched = false;
      for (std::size_t s = 0; s < sources.size() && !matched; ++s) {
        const auto source = candidate.expected_ivs ? std::span<const std::uint8_t>(layout_.plaintext) : sources[s];
        if (!Reseal({query_.input, layout_, query_.sas, source}, candidate.deviation, resealed_)) continue;
        // A deviation that changes nothing here (a kept TTL that is zero) tests nothing.
        if (resealed_ == baselines_[s]) continue;
        matched = std::equal(resealed_.begin(), resealed_.end(), query_.actual.begin());
        if (matched) baseline_ = baselines_[s];
      }
      if (!matched && query_.own_ivs && candidate.decrypt_with != nullptr) matched = MatchDecryptedWith(candidate);
      if (!matched) continue;
      if (named == nullptr) {
        named = &candidate;
        named_baseline_ = baseline_;
      } else if (std::string(candidate.id) != named->id) {
        alternatives.push_back(candidate.id);
      }
    }
    baseline_ = named_baseline_;
    if (named == nullptr) return std::nullopt;
    return Describe(*named, alternatives);
  }

 private:
  // The candidate's IVs read by decrypting its frame with the SAs the deviation used (the IV of
  // a transport header sealed with another SA inside the tunnel), each header's IV where it sits.
  bool MatchDecryptedWith(const Candidate& candidate) {
    ReceiveChecker checker(*candidate.decrypt_with);
    checker.Check(query_.actual, query_.link, deviant_layout_);
    if (deviant_layout_.plaintext.size() != query_.actual.size()) return false;
    Deviation deviation = candidate.deviation;
    deviation.ivs_follow_sa = false;
    std::vector<std::uint8_t> baseline;
    if (!Reseal({query_.input, layout_, query_.sas, deviant_layout_.plaintext}, Deviation{}, baseline) ||
        !Reseal({query_.input, layout_, query_.sas, deviant_layout_.plaintext}, deviation, resealed_) ||
        resealed_ == baseline || !std::equal(resealed_.begin(), resealed_.end(), query_.actual.begin())) {
      return false;
    }
    baseline_ = std::move(baseline);
    return true;
  }

  Cause Describe(const Candidate& candidate, std::vector<std::string>& alternatives) {
    Cause cause;
    cause.id = candidate.id;
    cause.rule = candidate.rule;
    bool has_iv = false;
    std::size_t icv_bytes = 0;
    bool only_icv = true;
    for (std::size_t i = 0; i < query_.actual.size(); ++i) {
      if (query_.actual[i] == baseline_[i]) continue;
      bool in_icv = false;
      for (const HeaderCheck& header : layout_.headers) {
        if (header.icv_length > 0 && i >= header.icv_offset && i - header.icv_offset < header.icv_length) in_icv = true;
      }
      only_icv = only_icv && in_icv;
    }
    if (candidate.header != kEveryHeader) {
      const HeaderCheck& header = layout_.headers[candidate.header];
      cause.header = HeaderName(header, query_.sas.keys(header.sa));
      has_iv = header.iv_length > 0;
      icv_bytes = header.icv_length;
    } else {
      if (candidate.every != nullptr) cause.header = candidate.every;
      for (const HeaderCheck& header : layout_.headers) has_iv = has_iv || (header.sa != kNoSa && header.iv_length > 0);
    }
    if (only_icv && icv_bytes > 0) {
      cause.proof = "recomputed, all " + std::to_string(icv_bytes) + " ICV bytes match";
    } else {
      std::size_t differing = 0;
      for (std::size_t i = 0; i < query_.actual.size(); ++i) differing += query_.actual[i] != baseline_[i] ? 1 : 0;
      cause.proof = "recomputed, all " + std::to_string(differing) + " differing bytes match (the whole frame equals the candidate's)";
    }
    if (query_.own_ivs && has_iv) cause.proof += " with the candidate's IV";
    std::sort(alternatives.begin(), alternatives.end());
    alternatives.erase(std::unique(alternatives.begin(), alternatives.end()), alternatives.end());
    if (!alternatives.empty()) {
      std::string also;
      for (const std::string& id : alternatives) also += (also.empty() ? "" : ", ") + id;
      cause.proof += "; the same bytes also follow from " + also;
      cause.also = alternatives;
    }
    cause.text = (cause.header.empty() ? "" : cause.header + " ") + candidate.what + " (" + candidate.rule + "); " + cause.proof;
    return cause;
  }

  void Add(const char* id, std::size_t header, std::string what, std::string rule, Deviation deviation,
           bool expected_ivs = false) {
    deviation.header = header;
    candidates_.push_back({id, header, std::move(what), std::move(rule), std::move(deviation), expected_ivs, nullptr, nullptr});
  }

  void AddAh(const char* id, std::size_t header, std::string what, std::string rule, AhIcvRules rules) {
    Deviation deviation;
    deviation.ah = rules;
    Add(id, header, std::move(what), std::move(rule), std::move(deviation));
  }

  void AddEsp(const char* id, std::size_t header, std::string what, std::string rule, EspIcvRules rules) {
    Deviation deviation;
    deviation.esp = rules;
    Add(id, header, std::move(what), std::move(rule), std::move(deviation));
  }

  // Processing the header with other keys (the SA's keys read wrongly).
  void AddKeys(const char* id, std::size_t header, std::string what, std::string rule, SaKeys keys) {
    if (!MatchAlgorithmRows(keys)) return;  // no algorithm computes with such keys
    variants_.Add(std::move(keys));
    Deviation deviation;
    deviation.sa_overrides.emplace_back(header, variants_.size() - 1);
    deviation.override_table = &variants_;
    Add(id, header, std::move(what), std::move(rule), std::move(deviation));
  }

  void BuildCandidates() {
    std::set<std::string> sa_names;
    for (std::size_t i = 0; i < layout_.headers.size(); ++i) {
      const HeaderCheck& header = layout_.headers[i];
      if (header.sa == kNoSa) continue;
      const SaKeys& keys = query_.sas.keys(header.sa);
      sa_names.insert(SaNameOf(keys));
      if (header.protocol == IpsecProtocol::kAh) {
        AhCandidates(i, keys);
      } else {
        EspCandidates(i, keys);
      }
      for (const std::size_t written : {std::size_t{8}, std::size_t{12}}) {
        if (written >= header.icv_length) continue;
        Deviation deviation;
        deviation.icv_written = written;
        Add("icv-truncated", i,
            "ICV written as " + std::to_string(written) + " bytes of " + std::to_string(header.icv_length) +
                " (the rest left as framed)",
            keys.Description() + ": the ICV is " + std::to_string(header.icv_length) + " bytes", std::move(deviation));
      }
    }
    EveryHeaderCandidates();
    SelectionCandidates(sa_names);
    UdpEspCandidates();
  }

  // A NIC that gets a rule wrong gets it wrong in every header it seals (a transport AH and the
  // tunnel AH around it): the ICV rule deviations of the first header of each protocol, applied
  // to every header, when the send has two or more headers of that protocol.
  void EveryHeaderCandidates() {
    for (const IpsecProtocol protocol : {IpsecProtocol::kAh, IpsecProtocol::kEsp}) {
      std::size_t count = 0, first = kEveryHeader;
      for (std::size_t i = 0; i < layout_.headers.size(); ++i) {
        if (layout_.headers[i].sa == kNoSa || layout_.headers[i].protocol != protocol) continue;
        if (count++ == 0) first = i;
      }
      if (count < 2) continue;
      const std::size_t singles = candidates_.size();
      for (std::size_t c = 0; c < singles; ++c) {
        const Candidate& single = candidates_[c];
        if (single.header != first || !single.deviation.sa_overrides.empty()) continue;
        Candidate every = single;
        every.header = kEveryHeader;
        every.deviation.header = kEveryHeader;
        every.every = protocol == IpsecProtocol::kAh ? "every AH" : "every ESP";
        candidates_.push_back(std::move(every));
      }
    }
  }

  // The distinct mutable option types (RFC 4302 App. A) of the IPv4 header in front of AH header
  // `i`, in the expected frame (decrypted where it lies inside a tunnel).
  std::vector<std::uint8_t> MutableOptionTypes(std::size_t i) const {
    const HeaderCheck& header = layout_.headers[i];
    const std::span<const std::uint8_t> frame =
        layout_.plaintext.size() == query_.expected.size() ? std::span<const std::uint8_t>(layout_.plaintext) : query_.expected;
    const IpPacket* packet = nullptr;
    for (const IpPacket& candidate : layout_.ip_packets) {
      if (candidate.level == header.level && candidate.offset < header.offset) packet = &candidate;
    }
    std::vector<std::uint8_t> types;
    if (packet == nullptr || packet->offset >= frame.size()) return types;
    const std::size_t length = std::size_t{frame[packet->offset] & 0x0fu} * 4;
    if (length < 20 || packet->offset + length > frame.size()) return types;
    ipv4::WalkOptions(frame.subspan(packet->offset, length), [&](std::size_t, std::uint8_t type, std::size_t) {
      if (!ipv4::OptionIsImmutableForAh(type) && std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
    });
    return types;
  }

  void AhCandidates(std::size_t i, const SaKeys& keys) {
    using Tos = AhIcvRules::Tos;
    AhIcvRules rules;
    rules.tos = Tos::kKeptWhole;
    AddAh("ah-tos-not-zeroed", i, "ICV computed with TOS not zeroed", kMutable, rules);
    rules.tos = Tos::kDscpKept;
    AddAh("ah-dscp-not-zeroed", i, "ICV computed with the DSCP bits of TOS not zeroed", kMutable, rules);
    rules.tos = Tos::kEcnKept;
    AddAh("ah-ecn-not-zeroed", i, "ICV computed with the ECN bits of TOS not zeroed", kMutable, rules);
    rules = {};
    rules.keep_flags_offset = true;
    AddAh("ah-flags-offset-not-zeroed", i, "ICV computed with flags and fragment offset not zeroed", kMutable, rules);
    rules = {};
    rules.keep_ttl = true;
    AddAh("ah-ttl-not-zeroed", i, "ICV computed with TTL not zeroed", kMutable, rules);
    rules = {};
    rules.keep_checksum = true;
    AddAh("ah-checksum-not-zeroed", i, "ICV computed with the header checksum not zeroed", kMutable, rules);
    rules = {};
    rules.tos = Tos::kKeptWhole;
    rules.keep_flags_offset = rules.keep_ttl = rules.keep_checksum = true;
    AddAh("ah-mutable-fields-not-zeroed", i, "ICV computed with no mutable field zeroed (TOS, flags, fragment offset, TTL, checksum)",
          kMutable, rules);
    rules = {};
    rules.keep_mutable_options = true;
    AddAh("ah-mutable-option-kept", i, "ICV computed with the mutable IPv4 options kept",
          "RFC 4302 App. A: mutable options are zeroed entirely", rules);
    rules = {};
    rules.zero_immutable_options = true;
    AddAh("ah-immutable-option-zeroed", i, "ICV computed with the immutable IPv4 options zeroed too",
          "RFC 4302 App. A.1: immutable options stay in the ICV", rules);
    // A NIC whose option walk steps over EOL and NOP (they carry no length byte) before asking
    // its (empty) immutable list zeroes every other option and leaves those two as they are.
    rules.nop_eol_kept = true;
    AddAh("ah-immutable-option-zeroed", i, "ICV computed with every option but EOL and NOP zeroed, the immutable ones too",
          "RFC 4302 App. A.1: immutable options stay in the ICV", rules);
    rules = {};
    rules.options_by_copied_flag = true;
    AddAh("ah-copied-flag-as-immutable", i, "ICV computed with options classified by their copied flag",
          "RFC 4302 App. A.1: mutability is per option, not by the copied flag", rules);
    rules = {};
    rules.source_route = AhIcvRules::SourceRoute::kIgnored;
    AddAh("ah-source-route-final-ignored", i, "ICV computed with the destination as sent, not the source route's final one",
          "RFC 4302 §3.3.3.1.1.1: the destination as it arrives at the final destination", rules);
    rules.source_route = AhIcvRules::SourceRoute::kLsrrOnly;
    AddAh("ah-source-route-final-one-kind", i, "ICV computed with the source route's final destination for LSRR only",
          "RFC 4302 §3.3.3.1.1.1: LSRR and SSRR alike", rules);
    rules.source_route = AhIcvRules::SourceRoute::kSsrrOnly;
    AddAh("ah-source-route-final-one-kind", i, "ICV computed with the source route's final destination for SSRR only",
          "RFC 4302 §3.3.3.1.1.1: LSRR and SSRR alike", rules);
    rules = {};
    rules.ihl_ignored = true;
    AddAh("ah-ihl-ignored", i, "ICV computed for an AH read at IP + 20 (IHL ignored)",
          "RFC 791 §3.1: the header is IHL 32-bit words; AH follows the options", rules);
    rules = {};
    rules.options_omitted = true;
    AddAh("ah-ihl-ignored", i, "ICV computed over a 20-byte IPv4 header (IHL ignored): the options left out",
          "RFC 4302 §3.3.3.1.1: the whole IPv4 header is covered, options included (the mutable ones zeroed)", rules);
    rules = {};
    rules.zero_inner_header = true;
    AddAh("ah-inner-header-zeroed", i, "ICV computed with the inner IPv4 header's mutable fields zeroed too",
          "RFC 4302 §3.3.3.1: only the outer header's mutable fields are zeroed; the inner header is payload", rules);
    if (keys.esn_high) {
      rules = {};
      rules.esn_high_omitted = true;
      AddAh("esn-high-bits-omitted", i, "ICV computed without the ESN high 32 bits",
            "RFC 4302 §2.5.1: with ESN the high bits join the ICV input", rules);
    }
    if (keys.integrity == IntegrityAlgorithm::kAesGmac) GmacKeyCandidates(i, keys);
    // A NIC that put some mutable kinds in its immutable list (Record Route and Timestamp look
    // like plain data) keeps those only: with several kinds present, each proper subset. Tried
    // last, so a named rule giving the same bytes (the copied flag) is named first.
    const std::vector<std::uint8_t> types = MutableOptionTypes(i);
    if (types.size() < 2 || types.size() > 4) return;
    for (unsigned subset = 1; subset + 1 < (1u << types.size()); ++subset) {
      rules = {};
      std::string names;
      for (std::size_t k = 0; k < types.size(); ++k) {
        if ((subset & (1u << k)) == 0) continue;
        rules.kept_mutable_types.set(types[k]);
        const char* name = ipv4::OptionName(types[k]);
        names += (names.empty() ? "" : ", ") + (name != nullptr ? std::string(name) : "type " + std::to_string(types[k]));
      }
      AddAh("ah-mutable-option-kept", i, "ICV computed with the mutable IPv4 options " + names + " kept",
            "RFC 4302 App. A: mutable options are zeroed entirely", rules);
    }
  }

  void GmacKeyCandidates(std::size_t i, const SaKeys& keys) {
    Deviation deviation;
    deviation.nonce_iv_first = true;
    Add("gcm-nonce-order", i, "GMAC nonce built as IV || salt", "RFC 4543 §3.1: nonce = salt || IV", deviation);
    if (std::any_of(keys.salt.begin(), keys.salt.end(), [](std::uint8_t b) { return b != 0; })) {
      SaKeys zero = keys;
      std::fill(zero.salt.begin(), zero.salt.end(), 0);
      AddKeys("gcm-salt-zero", i, "GMAC nonce built with a zero salt", "RFC 4543 §3.2: the salt is the KeyMat's last 4 bytes", zero);
    }
  }

  void EspCandidates(std::size_t i, const SaKeys& keys) {
    const HeaderCheck& header = layout_.headers[i];
    const bool gcm = keys.cipher == CipherAlgorithm::kAesGcm;
    const bool mac = !gcm && keys.integrity != IntegrityAlgorithm::kNone;
    const bool gmac = keys.integrity == IntegrityAlgorithm::kAesGmac;
    const bool cipher = keys.cipher != CipherAlgorithm::kNull;
    EspIcvRules rules;
    if (mac) {
      rules.without_header = true;
      AddEsp("esp-icv-without-header", i, "ICV computed without SPI and sequence number",
             "RFC 4303 §2.8: the ICV covers the ESP header", rules);
      if (header.iv_length > 0) {
        rules = {};
        rules.without_iv = true;
        AddEsp("esp-icv-without-iv", i, "ICV computed without the IV", "RFC 4303 §2.8: the ICV covers the IV", rules);
      }
      if (cipher) {
        rules = {};
        rules.over_plaintext = true;
        AddEsp("esp-icv-over-plaintext", i, "ICV computed over the plaintext instead of the ciphertext",
               "RFC 4303 §3.3.2.2: encrypt, then compute the ICV over the ciphertext", rules);
      }
      for (const std::ptrdiff_t delta : {-1, -2, -4, -8, -12, -16, 1, 2, 4, 8, 12, 16}) {
        rules = {};
        rules.coverage_delta = delta;
        AddEsp("esp-icv-coverage-off", i,
               "ICV computed over " + std::to_string(delta < 0 ? -delta : delta) + " bytes " +
                   (delta < 0 ? "fewer" : "more") + " than the ESP header, IV and ciphertext",
               "RFC 4303 §2.8: the ICV covers ESP header, IV and ciphertext up to Next Header", rules);
      }
    }
    if (keys.esn_high && (mac || gcm)) {
      rules = {};
      rules.esn_high_omitted = true;
      AddEsp("esn-high-bits-omitted", i, gcm ? "GCM AAD built without the ESN high 32 bits" : "ICV computed without the ESN high 32 bits",
             gcm ? "RFC 4106 §5: with ESN the AAD is SPI || ESN high || sequence" : "RFC 4303 §2.2.1: with ESN the high bits join the ICV input",
             rules);
    }
    if (gmac) {
      rules = {};
      rules.aad_without_spi = true;
      AddEsp("aad-without-spi", i, "GMAC AAD built without the SPI", "RFC 4543 §3.3: AAD = SPI || sequence || IV || payload", rules);
      rules = {};
      rules.aad_without_sequence = true;
      AddEsp("aad-without-sequence", i, "GMAC AAD built without the sequence number",
             "RFC 4543 §3.3: AAD = SPI || sequence || IV || payload", rules);
      if (keys.esn_high) {
        // With ESN the sequence number is 64 bits: left out, it takes its high half along.
        rules.esn_high_omitted = true;
        AddEsp("aad-without-sequence", i, "GMAC AAD built without the 64-bit extended sequence number",
               "RFC 4543 §3.3: with ESN, AAD = SPI || ESN high || sequence || IV || payload", rules);
      }
      SaKeys as_gcm = keys;
      as_gcm.cipher = CipherAlgorithm::kAesGcm;
      as_gcm.cipher_key = keys.integrity_key;
      as_gcm.integrity = IntegrityAlgorithm::kNone;
      as_gcm.integrity_key.clear();
      AddKeys("gmac-as-gcm", i, "AES-GMAC run as AES-GCM (the payload encrypted)",
              "RFC 4543 §3: ENCR_NULL_AUTH_AES_GMAC authenticates only, the payload stays in clear", as_gcm);
      GmacKeyCandidates(i, keys);
    }
    if (gcm) {
      Deviation deviation;
      deviation.aad_without_spi = true;
      Add("aad-without-spi", i, "GCM AAD built without the SPI", "RFC 4106 §5: AAD = SPI || sequence number", deviation);
      deviation = {};
      deviation.aad_without_sequence = true;
      Add("aad-without-sequence", i, "GCM AAD built without the sequence number", "RFC 4106 §5: AAD = SPI || sequence number",
          deviation);
      if (keys.esn_high) {
        // With ESN the sequence number is 64 bits: left out, it takes its high half along.
        deviation.esp.esn_high_omitted = true;
        Add("aad-without-sequence", i, "GCM AAD built without the 64-bit extended sequence number (the SPI alone)",
            "RFC 4106 §5: with ESN, AAD = SPI || ESN high || sequence number", deviation);
      }
      deviation = {};
      deviation.nonce_iv_first = true;
      Add("gcm-nonce-order", i, "GCM nonce built as IV || salt", "RFC 4106 §4: nonce = salt || IV", deviation);
      if (std::any_of(keys.salt.begin(), keys.salt.end(), [](std::uint8_t b) { return b != 0; })) {
        SaKeys zero = keys;
        std::fill(zero.salt.begin(), zero.salt.end(), 0);
        AddKeys("gcm-salt-zero", i, "GCM nonce built with a zero salt", "RFC 4106 §8.1: the salt is the KeyMat's last 4 bytes", zero);
      }
    }
    if (auto swapped = KeyMatSwapped(keys)) {
      AddKeys("keymat-order-swapped", i,
              std::string("keys read from the KeyMat ") + (keys.key_mat_integrity_first ? "confidentiality" : "integrity") + " key first",
              keys.key_mat_integrity_first ? "SENDPATH_ADD_SA_EXTENSION.KeyOrder: this SA's KeyMat holds the integrity key first"
                                           : "OFFLOAD_IPSEC_ADD_SA: KeyMat holds the confidentiality key first",
              *swapped);
    }
    if (keys.cipher == CipherAlgorithm::kTripleDesCbc && keys.cipher_key.size() == 24) {
      SaKeys reordered = keys;
      reordered.cipher_key = Des3Order(keys.cipher_key, {2, 1, 0});
      AddKeys("des3-key-order", i, "3DES keys used as K3 K2 K1", "RFC 2451 §2.5: K1, K2, K3 in KeyMat order", reordered);
      reordered.cipher_key = Des3Order(keys.cipher_key, {1, 0, 2});
      AddKeys("des3-key-order", i, "3DES keys used as K2 K1 K3", "RFC 2451 §2.5: K1, K2, K3 in KeyMat order", reordered);
    }
    if ((keys.cipher == CipherAlgorithm::kAesCbc || gcm) && keys.cipher_key.size() > 16) {
      SaKeys cut = keys;
      cut.cipher_key.resize(16);
      AddKeys("aes-key-truncated", i, "AES-" + std::to_string(keys.cipher_key.size() * 8) + " key cut to its first 128 bits",
              keys.Description() + ": the whole key", cut);
    }
    if ((cipher || gmac) && header.iv_length > 0) {
      Deviation deviation;
      deviation.iv = Deviation::Iv::kNotWritten;
      Add("iv-not-written", i, "IV not written (sealed with the injected IV, the field left as framed)",
          "RFC 4303 §2.3: the IV is carried in the payload", deviation, /*expected_ivs=*/true);
      deviation = {};
      deviation.iv = Deviation::Iv::kNotLoaded;
      Add("iv-not-loaded", i, "encrypted with an all-zero IV (the IV written but not loaded)",
          gcm || gmac ? "RFC 4106 §3.1, RFC 4543 §3.1: the IV is the nonce's explicit part"
                      : "RFC 3602 §2.3: CBC starts from the IV in the packet",
          deviation);
    }
    if (cipher && header.padding_offset != 0) {
      Deviation deviation;
      deviation.trailer_in_clear = true;
      Add("trailer-in-clear", i, "padding, pad length and next header left in clear (encrypted up to the padding)",
          "RFC 4303 §2.4: padding, Pad Length and Next Header are encrypted", deviation);
    }
    if (header.pad_length > 0) {
      Deviation deviation;
      deviation.padding = Deviation::Padding::kZeros;
      Add("padding-rewritten", i, "padding rewritten as zeros", "the NIC changes nothing but IV, ciphertext and ICV: padding as framed",
          deviation);
      deviation.padding = Deviation::Padding::kCounting;
      Add("padding-rewritten", i, "padding rewritten as 1, 2, 3, ...",
          "the NIC changes nothing but IV, ciphertext and ICV: padding as framed", deviation);
    }
  }

  void SelectionCandidates(const std::set<std::string>& sa_names) {
    unsigned lowest = ~0u, highest = 0;
    bool ah_and_esp = false;
    for (const HeaderCheck& header : layout_.headers) {
      if (header.sa == kNoSa) continue;
      lowest = std::min(lowest, header.level);
      highest = std::max(highest, header.level);
      for (const HeaderCheck& other : layout_.headers) {
        if (other.sa != kNoSa && other.level == header.level && other.protocol != header.protocol) ah_and_esp = true;
      }
    }
    if (sa_names.size() >= 2) {
      for (const HeaderCheck& header : layout_.headers) {
        if (header.sa == kNoSa || !query_.sas.keys(header.sa).tunnel) continue;
        Deviation deviation;
        deviation.skipped_sa = SaNameOf(query_.sas.keys(header.sa));
        Add("next-handle-ignored", kEveryHeader, "NextOffloadHandle ignored: the tunnel SA '" + deviation.skipped_sa + "' not applied",
            "NDIS_IPSEC_PACKET_INFO: NextOffloadHandle names the tunnel SA to apply after OffloadHandle's", deviation);
        break;
      }
      // Handles swapped: each header processed with the other SA's element of the same protocol.
      Deviation swapped;
      bool complete = true;
      for (std::size_t i = 0; i < layout_.headers.size() && complete; ++i) {
        const HeaderCheck& header = layout_.headers[i];
        if (header.sa == kNoSa) continue;
        const SaKeys& keys = query_.sas.keys(header.sa);
        complete = false;
        for (std::size_t j = 0; j < query_.sas.size(); ++j) {
          const SaKeys& other = query_.sas.keys(j);
          if (other.protocol == keys.protocol && SaNameOf(other) != SaNameOf(keys)) {
            swapped.sa_overrides.emplace_back(i, j);
            complete = true;
            break;
          }
        }
      }
      if (complete) {
        swapped.override_table = &query_.sas;
        // The NIC draws each header's IV from the SA it processes it with.
        swapped.ivs_follow_sa = true;
        for (const auto& [which, other] : swapped.sa_overrides) {
          SaKeys keys = query_.sas.keys(other);
          keys.spi = layout_.headers[which].spi;
          swapped_sas_.Add(std::move(keys));
        }
        Add("handles-swapped", kEveryHeader, "OffloadHandle and NextOffloadHandle SAs swapped",
            "NDIS_IPSEC_PACKET_INFO: OffloadHandle is the transport SA, NextOffloadHandle the tunnel SA", swapped);
        candidates_.back().decrypt_with = &swapped_sas_;
      }
    }
    if (highest > lowest) {
      Deviation deviation;
      deviation.order = Deviation::Order::kTunnelFirst;
      Add("tunnel-before-transport", kEveryHeader, "tunnel processed before transport",
          "RFC 4301 §5.1.2: outbound, the inner (transport) header is applied first", deviation);
    }
    if (ah_and_esp) {
      Deviation deviation;
      deviation.order = Deviation::Order::kAhFirst;
      Add("ah-before-esp", kEveryHeader, "AH computed before ESP in the bundle",
          "RFC 4301 §5.1.2 / RFC 4302 §3.3.3: ESP first, the AH ICV covers the finished ESP", deviation);
    }
    if (query_.vector_sas != nullptr) {
      for (std::size_t i = 0; i < layout_.headers.size(); ++i) {
        const HeaderCheck& header = layout_.headers[i];
        if (header.sa == kNoSa) continue;
        const SaKeys& keys = query_.sas.keys(header.sa);
        for (std::size_t j = 0; j < query_.vector_sas->size(); ++j) {
          const SaKeys& other = query_.vector_sas->keys(j);
          if (other.name == keys.name || other.protocol != keys.protocol || other.IvLength() != header.iv_length ||
              other.IcvLength() != header.icv_length) {
            continue;
          }
          Deviation deviation;
          deviation.sa_overrides.emplace_back(i, j);
          deviation.override_table = query_.vector_sas;
          Add("wrong-sa", i, "processed with SA '" + other.name + "' instead of '" + keys.name + "'",
              "NDIS_IPSEC_PACKET_INFO: the handles name the SAs to apply", std::move(deviation));
        }
      }
    }
  }

  // UDP-ESP (RFC 3948): the UDP header in front of an ESP header rewritten by the NIC.
  void UdpEspCandidates() {
    for (std::size_t i = 0; i < layout_.headers.size(); ++i) {
      if (layout_.headers[i].sa == kNoSa || !UdpHeaderOf(layout_, query_.input, i)) continue;
      Deviation deviation;
      deviation.udp_checksum_recomputed = true;
      Add("udp-checksum-recomputed", i, "UDP checksum recomputed over the sealed datagram",
          "RFC 3948 §2.1, §3.1: the UDP header goes out as the transport framed it (checksum zero)", deviation);
      deviation = {};
      deviation.udp_length_without_header = true;
      Add("udp-length-rewritten", i, "UDP Length rewritten as the ESP length (the UDP header's 8 bytes left out)",
          "RFC 768: UDP Length counts header and data; RFC 3948 §2.1: the UDP header goes out as framed", deviation);
    }
  }

  const CauseQuery& query_;
  CheckResult layout_, actual_layout_, deviant_layout_;
  std::vector<std::uint8_t> baseline_, named_baseline_, resealed_;
  std::vector<std::vector<std::uint8_t>> baselines_;
  std::vector<Candidate> candidates_;
  SaTable variants_;  // keys as a mistaken NIC read them; their OpenSSL state is made once per query
  SaTable swapped_sas_;  // each header's SPI with the keys handles-swapped processed it with
};

}  // namespace

std::optional<Cause> FindCause(const CauseQuery& query) { return Catalogue(query).Find(); }

Cause UnexplainedCause(const std::string& what_differs) {
  Cause cause;
  cause.id = "unexplained";
  cause.text = what_differs + "; no known cause matched";
  return cause;
}

Cause AcceptedMustRefuse(const std::string& what, const std::string& rule) {
  Cause cause;
  cause.id = "accepted-must-refuse";
  cause.rule = rule;
  cause.text = what + (rule.empty() ? "" : " (the rule: " + rule + ")");
  return cause;
}

Cause RefusedMustAccept(const std::string& what, const std::string& tests) {
  Cause cause;
  cause.id = "refused-must-accept";
  cause.rule = tests;
  cause.text = what + (tests.empty() ? "" : " (the step tests: " + tests + ")");
  return cause;
}

}  // namespace sendpath::report
