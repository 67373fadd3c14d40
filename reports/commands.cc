#include "reports/commands.h"

#include "reports/capture_index.h"
#include "reports/diff.h"
#include "reports/pcap_io.h"
#include "reports/receive_check.h"
#include "reports/writers.h"
#include "vectors/loader/vector_loader.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>

namespace sendpath::report {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitDiffers = 1;
constexpr int kExitBadInput = 2;

Result<SaTable> LoadSas(const std::string& path) {
  auto loaded = vectors::LoadSaFile(path);
  if (const auto* error = std::get_if<vectors::LoadError>(&loaded)) return Error{error->ToString()};
  return SaTable::FromSaSpecs(std::get<vectors::SaFile>(loaded).sas, path);
}

// The bytes to compare: whole frames when both captures share a link type, else the IPv4
// packets (a rig's Ethernet capture against a raw-IP expected.pcap).
std::span<const std::uint8_t> Comparable(const PcapRecord& record, LinkType link, bool strip) {
  if (!strip) return record.data;
  const auto offset = Ipv4Offset(record.data, link);
  return offset ? record.data.subspan(*offset) : record.data;
}

// One side of a diff: its reader, its index (when a report folder wrote one) and a bounded
// look-ahead of frames copied out of libpcap's buffer.
struct Pending {
  Bytes bytes;  // the comparable bytes (IPv4 packet when the link types differ)
  std::size_t number = 0;
  bool snapped = false;
  std::uint64_t key = 0;     // index: (vector id, step); 0 without an index
  // Identity: IPv4 addresses, id, protocol, first SPI and sequence number. Computed when first
  // needed: frames that pair by their bytes (nearly all) never need it.
  mutable std::optional<std::uint64_t> weak;
};

std::uint64_t Mix(std::uint64_t hash, std::uint64_t value) {
  hash ^= value + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2);
  return hash;
}

// The identity of a frame that a faulty NIC hardly changes: where it goes, its IPv4 id, and the
// SPI and sequence number of its first AH/ESP header.
std::uint64_t WeakIdentity(std::span<const std::uint8_t> bytes, LinkType link) {
  const auto offset = Ipv4Offset(bytes, link);
  if (!offset || bytes.size() < *offset + 20) return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(bytes.data()), std::min<std::size_t>(bytes.size(), 64)));
  const auto ip = bytes.subspan(*offset);
  std::uint64_t hash = 0;
  for (std::size_t i : {4, 5, 9, 12, 13, 14, 15, 16, 17, 18, 19}) hash = Mix(hash, ip[i]);
  const std::size_t ihl = std::size_t{ip[0] & 0x0fu} * 4;
  if (ip[9] == 51 && ip.size() >= ihl + 12) {
    for (std::size_t i = ihl + 4; i < ihl + 12; ++i) hash = Mix(hash, ip[i]);
  } else if (ip[9] == 50 && ip.size() >= ihl + 8) {
    for (std::size_t i = ihl; i < ihl + 8; ++i) hash = Mix(hash, ip[i]);
  }
  return hash;
}

class Side {
 public:
  Side(PcapReader& reader, const std::optional<CaptureIndex>& index, bool strip) : reader_(reader), index_(index), strip_(strip) {}

  // Reads until `window` frames are buffered or the capture ends; false on a malformed record.
  bool Fill(std::size_t window, std::string& error) {
    while (!ended_ && pending_.size() < window) {
      const auto next = reader_.Read(record_, error);
      if (next == PcapReader::Next::kError) return false;
      if (next == PcapReader::Next::kEnd) {
        ended_ = true;
        break;
      }
      Pending frame;
      if (!spare_.empty()) {
        frame.bytes = std::move(spare_.back());
        spare_.pop_back();
      }
      const auto bytes = Comparable(record_, reader_.link_type(), strip_);
      frame.bytes.assign(bytes.begin(), bytes.end());
      frame.number = record_.number;
      frame.snapped = record_.data.size() < record_.wire_length;
      if (index_) {
        const IndexedFrame* indexed = index_->Frame(record_.number);
        frame.key = indexed != nullptr ? indexed->key : 0;
      }
      pending_.push_back(std::move(frame));
    }
    return true;
  }
  std::deque<Pending>& pending() { return pending_; }
  void Pop() {
    spare_.push_back(std::move(pending_.front().bytes));
    pending_.pop_front();
  }
  std::string Label(std::size_t number) const { return index_ ? index_->Label(number) : std::string(); }
  bool indexed() const { return index_.has_value(); }

 private:
  PcapReader& reader_;
  const std::optional<CaptureIndex>& index_;
  bool strip_;
  PcapRecord record_;
  std::deque<Pending> pending_;
  std::vector<Bytes> spare_;
  bool ended_ = false;
};

}  // namespace

int RunDiffCommand(const DiffCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto expected = PcapReader::Open(options.expected_path);
  if (!expected) {
    err << "sendpath diff: " << expected.error().message << "\n";
    return kExitBadInput;
  }
  auto actual = PcapReader::Open(options.actual_path);
  if (!actual) {
    err << "sendpath diff: " << actual.error().message << "\n";
    return kExitBadInput;
  }
  std::unique_ptr<SaTable> sas;
  if (options.sa_path) {
    auto loaded = LoadSas(*options.sa_path);
    if (!loaded) {
      err << "sendpath diff: " << loaded.error().message << "\n";
      return kExitBadInput;
    }
    sas = std::make_unique<SaTable>(std::move(loaded).value());
  }
  auto expected_index = CaptureIndex::FindBeside(options.expected_path);
  auto actual_index = CaptureIndex::FindBeside(options.actual_path);
  for (const auto* index : {&expected_index, &actual_index}) {
    if (!*index) {
      err << "sendpath diff: " << index->error().message << "\n";
      return kExitBadInput;
    }
  }
  const bool strip = expected.value().link_type() != actual.value().link_type();
  const LinkType link = strip ? LinkType::kRawIp : expected.value().link_type();
  if (strip) {
    out << "note: link types differ (" << LinkTypeName(expected.value().link_type()) << " vs "
        << LinkTypeName(actual.value().link_type()) << "): comparing the IPv4 packets\n";
  }
  // Both captures indexed (two report folders, or expected and actual of one): frames pair by
  // (vector, step). Otherwise by content: identical bytes first, then the frame identity.
  const bool by_index = expected_index.value().has_value() && actual_index.value().has_value();
  if (by_index) {
    out << "note: frames paired by vector and step (" << expected_index.value()->path();
    if (actual_index.value()->path() != expected_index.value()->path()) out << ", " << actual_index.value()->path();
    out << ")\n";
  }
  DiffOptions diff_options;
  diff_options.ignore = options.ignore;
  diff_options.ivs_dont_care = options.ivs_dont_care;
  FrameDiffer differ(sas.get(), diff_options);

  DiffHtmlPage page;
  page.command_line = "sendpath diff " + options.expected_path + " " + options.actual_path;
  page.expected_path = options.expected_path;
  page.actual_path = options.actual_path;
  page.expected_link = LinkTypeName(expected.value().link_type());
  page.actual_link = LinkTypeName(actual.value().link_type());

  Side e_side(expected.value(), expected_index.value(), strip);
  Side a_side(actual.value(), actual_index.value(), strip);
  auto& e_pending = e_side.pending();
  auto& a_pending = a_side.pending();
  constexpr std::size_t kWindow = 64;   // frames looked ahead on each side for a missing or extra frame
  constexpr std::size_t kConfirm = 1;   // frames after a skip that must pair as well
  const auto weak = [&](const Pending& frame) {
    if (!frame.weak) frame.weak = WeakIdentity(frame.bytes, link);
    return *frame.weak;
  };
  const auto same = [&](const Pending& e, const Pending& a, bool strong) {
    if (by_index) return e.key == a.key;
    return strong ? e.bytes == a.bytes : weak(e) == weak(a);
  };
  // The first position p >= 1 of `later` where `head` pairs, with the frames after it pairing too.
  // The first position p >= 1 of `later` where `head` pairs; with `confirm`, the frame after it
  // must pair with the one after `head` as well.
  const auto find = [&](const Pending& head, std::deque<Pending>& later, std::deque<Pending>& other, bool later_is_actual,
                        bool strong, bool confirm) -> std::size_t {
    for (std::size_t p = 1; p < later.size(); ++p) {
      const bool pairs = later_is_actual ? same(head, later[p], strong) : same(later[p], head, strong);
      if (!pairs) continue;
      bool confirmed = true;
      for (std::size_t c = 1; confirm && confirmed && c <= kConfirm && p + c < later.size() && c < other.size(); ++c) {
        confirmed = later_is_actual ? same(other[c], later[p + c], strong) : same(later[p + c], other[c], strong);
      }
      if (confirmed) return p;
    }
    return 0;
  };

  std::string error;
  std::size_t compared = 0, differing = 0, only_expected = 0, only_actual = 0, snapped = 0, described = 0;
  bool bad_input = false;
  const auto label = [](const std::string& text) { return text.empty() ? std::string() : " [" + text + "]"; };
  const auto describe = [&]() {
    if (++described <= options.max_printed) return true;
    if (described == options.max_printed + 1) out << "(further differences are counted, not described)\n";
    return false;
  };
  const auto keep_row = [&](std::string kind, std::string id, std::string title, const Pending* e, const Pending* a,
                            const FrameComparison* comparison) {
    if (!options.html_path || page.rows.size() >= options.html_limit) return;
    VectorResult vector;
    vector.id = std::move(id);
    vector.title = std::move(title);
    vector.ethernet = link == LinkType::kEthernet;
    vector.verdict = Verdict::kFail;
    vector.diagnosis = vector.title;
    StepResult step;
    step.op = "frame";
    step.verdict = Verdict::kFail;
    step.diagnosis = vector.title;
    if (e != nullptr) {
      step.expected_frame = e->bytes;
      step.expected_frame_number = e->number;
    }
    if (a != nullptr) {
      step.actual_frame = a->bytes;
      step.actual_frame_number = a->number;
    }
    if (comparison != nullptr) {
      step.differences = comparison->differences;
      step.notes = comparison->notes;
    }
    vector.steps.push_back(std::move(step));
    page.rows.push_back({std::move(kind), std::move(vector)});
  };
  const auto missing = [&]() {
    const Pending& e = e_pending.front();
    ++only_expected;
    const std::string where = "frame " + std::to_string(e.number) + label(e_side.Label(e.number));
    if (describe()) out << where << ": missing: only in " << options.expected_path << "\n";
    keep_row("missing", where, "only in " + options.expected_path, &e, nullptr, nullptr);
    e_side.Pop();
  };
  const auto extra = [&]() {
    const Pending& a = a_pending.front();
    ++only_actual;
    const std::string where = "actual frame " + std::to_string(a.number) + label(a_side.Label(a.number));
    if (describe()) out << where << ": extra: only in " << options.actual_path << "\n";
    keep_row("extra", where, "only in " + options.actual_path, nullptr, &a, nullptr);
    a_side.Pop();
  };
  for (;;) {
    if (!e_side.Fill(kWindow, error) || !a_side.Fill(kWindow, error)) {
      err << "sendpath diff: " << error << "\n";
      bad_input = true;
      break;
    }
    if (e_pending.empty() && a_pending.empty()) break;
    if (a_pending.empty()) {
      missing();
      continue;
    }
    if (e_pending.empty()) {
      extra();
      continue;
    }
    const Pending& e = e_pending.front();
    const Pending& a = a_pending.front();
    if (!same(e, a, true)) {
      // Not the same frame by bytes (or index): a frame missing from ACTUAL or an extra one?
      // Identical bytes decide first, then the identity; neither: the frames pair and differ.
      // In order: the same bytes further along, confirmed by the next frame; the heads are the
      // same frame by identity (they pair and differ); the same bytes further along without
      // confirmation (another extra or missing frame may follow); the same identity further
      // along, confirmed. With an index, (vector, step) keys are exact: the first step decides.
      std::size_t skip_actual = 0, skip_expected = 0;
      const auto search = [&](bool strong, bool confirm) {
        skip_actual = find(e, a_pending, e_pending, true, strong, confirm);
        skip_expected = find(a, e_pending, a_pending, false, strong, confirm);
        return skip_actual != 0 || skip_expected != 0;
      };
      if (!search(true, !by_index) && !by_index && !same(e, a, false)) {
        if (!search(true, false)) search(false, true);
      }
      if (skip_actual != 0 && (skip_expected == 0 || skip_actual <= skip_expected)) {
        for (std::size_t i = 0; i < skip_actual; ++i) extra();
        continue;
      }
      if (skip_expected != 0) {
        for (std::size_t i = 0; i < skip_expected; ++i) missing();
        continue;
      }
    }
    ++compared;
    if (e.snapped || a.snapped) ++snapped;
    const FrameComparison& comparison = differ.Compare(e.bytes, a.bytes, link);
    if (!comparison.equivalent) {
      ++differing;
      std::string where = "frame " + std::to_string(e.number);
      if (a.number != e.number) where += " (actual #" + std::to_string(a.number) + ")";
      std::string name = e_side.Label(e.number);
      if (name.empty()) name = a_side.Label(a.number);
      where += label(name);
      if (describe()) {
        const FieldDifference* cause = comparison.FirstCause();
        out << where << ": " << comparison.differences.size() << " field(s) differ; first: " << cause->field << " at byte "
            << cause->offset << ": expected " << cause->expected << ", actual " << cause->actual << "\n";
        for (const auto& difference : comparison.differences) {
          out << "    " << difference.field << " @" << difference.offset << "+" << difference.length << "  expected "
              << difference.expected << "  actual " << difference.actual << (difference.consequence ? "  (consequence)" : "") << "\n";
        }
        for (const auto& note : comparison.notes) out << "    note: " << note << "\n";
      }
      keep_row("differs", where, comparison.Summary(), &e, &a, &comparison);
    }
    e_side.Pop();
    a_side.Pop();
  }
  out << "summary: " << compared << " frame pairs compared, " << differing << " differ";
  if (only_expected > 0) out << ", " << only_expected << " only in " << options.expected_path << " (missing)";
  if (only_actual > 0) out << ", " << only_actual << " only in " << options.actual_path << " (extra)";
  if (snapped > 0) out << ", " << snapped << " cut by the snap length";
  out << "\n";
  if (options.html_path) {
    page.expected_frames = expected.value().frames_read();
    page.actual_frames = actual.value().frames_read();
    page.compared = compared;
    page.differing = differing;
    page.missing = only_expected;
    page.extra = only_actual;
    page.complete = !bad_input;
    if (by_index) page.notes.push_back("frames paired by vector and step (index.json)");
    if (strip) page.notes.push_back("link types differ: the IPv4 packets are compared");
    const std::size_t listed = differing + only_expected + only_actual;
    if (listed > page.rows.size()) page.notes.push_back(std::to_string(listed - page.rows.size()) + " further rows are not shown");
    if (auto status = WriteDiffHtml(page, *options.html_path, sas.get()); !status) {
      err << "sendpath diff: " << status.error().message << "\n";
      return kExitBadInput;
    }
  }
  if (bad_input) return kExitBadInput;
  return differing > 0 || only_expected > 0 || only_actual > 0 ? kExitDiffers : kExitOk;
}

int RunVerifyCommand(const VerifyCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto capture = PcapReader::Open(options.capture_path);
  if (!capture) {
    err << "sendpath verify: " << capture.error().message << "\n";
    return kExitBadInput;
  }
  auto sas = LoadSas(options.sa_path);
  if (!sas) {
    err << "sendpath verify: " << sas.error().message << "\n";
    return kExitBadInput;
  }
  // A report folder's index says which frames the NIC must leave unchanged and which headers it
  // seals in the others; a receive check of anything else would judge software's part.
  auto index = CaptureIndex::FindBeside(options.capture_path);
  if (!index) {
    err << "sendpath verify: " << index.error().message << "\n";
    return kExitBadInput;
  }
  if (index.value()) {
    out << "note: " << index.value()->path() << " lists this capture as \"" << index.value()->role()
        << "\": frames the NIC must leave unchanged are skipped, and only the headers it seals are checked\n";
  }
  ReceiveChecker checker(sas.value());
  CheckResult result;
  Dissection dissection;  // names the field a failure points at
  PcapRecord record;
  std::string error;
  std::size_t frames = 0, verified = 0, failed = 0, unknown = 0, plain = 0, not_ipv4 = 0, unchanged = 0, for_software = 0;
  auto report = [&](std::size_t number, const std::string& what) {
    if (failed + (options.require_known_sa ? unknown : 0) <= options.max_printed) {
      const std::string name = index.value() ? index.value()->Label(number) : std::string();
      out << "frame " << number << (name.empty() ? "" : " [" + name + "]") << ": " << what << "\n";
    }
  };
  for (;;) {
    const auto next = capture.value().Read(record, error);
    if (next == PcapReader::Next::kEnd) break;
    if (next == PcapReader::Next::kError) {
      err << "sendpath verify: " << error << "\n";
      out << "summary: stopped at a malformed record after " << frames << " frames\n";
      return kExitBadInput;
    }
    ++frames;
    const IndexedFrame* indexed = index.value() ? index.value()->Frame(record.number) : nullptr;
    if (indexed != nullptr && indexed->unchanged) {
      ++unchanged;
      continue;
    }
    checker.set_sealed_spis(indexed != nullptr && indexed->sealed_known ? std::optional(index.value()->SealedSpis(*indexed)) : std::nullopt);
    if (record.data.size() < record.wire_length) {
      ++failed;
      report(record.number, "FAIL: captured " + std::to_string(record.data.size()) + " of " + std::to_string(record.wire_length) +
                                " bytes (snap length): cannot verify");
      continue;
    }
    checker.Check(record.data, capture.value().link_type(), result);
    for_software += result.left_for_software;
    switch (result.status) {
      case FrameStatus::kVerified: ++verified; break;
      case FrameStatus::kFailed:
        ++failed;
        Dissect(record.data, capture.value().link_type(), &result, dissection);
        report(record.number, "FAIL: " + result.reason + " (byte " + std::to_string(result.offset) + ": " +
                                  FieldNameAt(dissection, result.offset) + ")");
        break;
      case FrameStatus::kUnknownSa:
        ++unknown;
        if (options.require_known_sa) report(record.number, "FAIL: " + result.reason);
        break;
      case FrameStatus::kNoIpsec: ++plain; break;
      case FrameStatus::kNotIpv4: ++not_ipv4; break;
    }
  }
  out << "summary: " << frames << " frames: " << verified << " verified, " << failed << " failed, " << unknown
      << " with an unknown SPI, " << plain << " without AH/ESP, " << not_ipv4 << " not IPv4";
  if (index.value()) {
    out << ", " << unchanged << " left unprocessed by design (skipped)";
    if (for_software > 0) out << ", " << for_software << " header(s) left for software not checked";
  }
  out << "\n";
  if (failed > 0 || (options.require_known_sa && unknown > 0)) return kExitDiffers;
  return kExitOk;
}

}  // namespace sendpath::report
