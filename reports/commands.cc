#include "reports/commands.h"

#include "reports/diff.h"
#include "reports/pcap_io.h"
#include "reports/receive_check.h"
#include "reports/writers.h"
#include "vectors/loader/vector_loader.h"

#include <memory>
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
  const bool strip = expected.value().link_type() != actual.value().link_type();
  const LinkType link = strip ? LinkType::kRawIp : expected.value().link_type();
  if (strip) {
    out << "note: link types differ (" << LinkTypeName(expected.value().link_type()) << " vs "
        << LinkTypeName(actual.value().link_type()) << "): comparing the IPv4 packets\n";
  }
  DiffOptions diff_options;
  diff_options.ignore = options.ignore;
  diff_options.ivs_dont_care = options.ivs_dont_care;
  FrameDiffer differ(sas.get(), diff_options);

  RunResult html_run;  // differing frames, as "vectors" of a report (bounded by html_limit)
  html_run.sendpath_version = "sendpath diff";
  html_run.command_line = "sendpath diff " + options.expected_path + " " + options.actual_path;
  html_run.candidate.spec = "pcap:" + options.actual_path;
  html_run.candidate.identity = options.actual_path;

  PcapRecord e_record, a_record;
  std::string error;
  std::size_t compared = 0, differing = 0, only_expected = 0, only_actual = 0, snapped = 0;
  bool bad_input = false;
  for (;;) {
    const auto e_next = expected.value().Read(e_record, error);
    if (e_next == PcapReader::Next::kError) {
      err << "sendpath diff: " << error << "\n";
      bad_input = true;
      break;
    }
    const auto a_next = actual.value().Read(a_record, error);
    if (a_next == PcapReader::Next::kError) {
      err << "sendpath diff: " << error << "\n";
      bad_input = true;
      break;
    }
    if (e_next == PcapReader::Next::kEnd && a_next == PcapReader::Next::kEnd) break;
    if (e_next == PcapReader::Next::kEnd || a_next == PcapReader::Next::kEnd) {
      // Count the rest of the longer capture without keeping it.
      PcapReader& longer = e_next == PcapReader::Next::kEnd ? actual.value() : expected.value();
      std::size_t& extra = e_next == PcapReader::Next::kEnd ? only_actual : only_expected;
      ++extra;
      PcapRecord record;
      PcapReader::Next next;
      while ((next = longer.Read(record, error)) == PcapReader::Next::kRecord) ++extra;
      if (next == PcapReader::Next::kError) {
        err << "sendpath diff: " << error << "\n";
        bad_input = true;
      }
      break;
    }
    ++compared;
    if (e_record.data.size() < e_record.wire_length || a_record.data.size() < a_record.wire_length) ++snapped;
    const auto e_bytes = Comparable(e_record, expected.value().link_type(), strip);
    const auto a_bytes = Comparable(a_record, actual.value().link_type(), strip);
    const FrameComparison& comparison = differ.Compare(e_bytes, a_bytes, link);
    if (comparison.equivalent) continue;
    ++differing;
    if (differing <= options.max_printed) {
      const FieldDifference* cause = comparison.FirstCause();
      out << "frame " << compared << ": " << comparison.differences.size() << " field(s) differ; first: " << cause->field
          << " at byte " << cause->offset << ": expected " << cause->expected << ", actual " << cause->actual << "\n";
      for (const auto& difference : comparison.differences) {
        out << "    " << difference.field << " @" << difference.offset << "+" << difference.length << "  expected "
            << difference.expected << "  actual " << difference.actual << (difference.consequence ? "  (consequence)" : "") << "\n";
      }
      for (const auto& note : comparison.notes) out << "    note: " << note << "\n";
    } else if (differing == options.max_printed + 1) {
      out << "(further differing frames are counted, not described)\n";
    }
    if (options.html_path && html_run.vectors.size() < options.html_limit) {
      VectorResult vector;
      vector.id = "frame " + std::to_string(compared);
      vector.title = comparison.Summary();
      vector.file = options.actual_path;
      vector.ethernet = link == LinkType::kEthernet;
      vector.verdict = Verdict::kFail;
      vector.diagnosis = vector.title;
      StepResult step;
      step.op = "frame";
      step.verdict = Verdict::kFail;
      step.diagnosis = vector.title;
      step.expected_frame = Bytes(e_bytes.begin(), e_bytes.end());
      step.actual_frame = Bytes(a_bytes.begin(), a_bytes.end());
      step.differences = comparison.differences;
      step.notes = comparison.notes;
      step.expected_frame_number = e_record.number;
      step.actual_frame_number = a_record.number;
      vector.steps.push_back(std::move(step));
      html_run.vectors.push_back(std::move(vector));
    }
  }
  out << "summary: " << compared << " frame pairs compared, " << differing << " differ";
  if (only_expected > 0) out << ", " << only_expected << " only in " << options.expected_path;
  if (only_actual > 0) out << ", " << only_actual << " only in " << options.actual_path;
  if (snapped > 0) out << ", " << snapped << " cut by the snap length";
  out << "\n";
  if (options.html_path) {
    html_run.complete = !bad_input;
    if (differing > html_run.vectors.size()) {
      html_run.run_notes.push_back(std::to_string(differing - html_run.vectors.size()) + " further differing frames are not shown");
    }
    ReportOptions report_options;
    SaTable* table = sas.get();
    report_options.sas_for_vector = [table](const VectorResult&) { return table; };
    if (auto status = WriteHtmlReport(html_run, *options.html_path, report_options); !status) {
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
  ReceiveChecker checker(sas.value());
  CheckResult result;
  PcapRecord record;
  std::string error;
  std::size_t frames = 0, verified = 0, failed = 0, unknown = 0, plain = 0, not_ipv4 = 0;
  auto report = [&](std::size_t number, const std::string& what) {
    if (failed + (options.require_known_sa ? unknown : 0) <= options.max_printed) out << "frame " << number << ": " << what << "\n";
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
    if (record.data.size() < record.wire_length) {
      ++failed;
      report(record.number, "FAIL: captured " + std::to_string(record.data.size()) + " of " + std::to_string(record.wire_length) +
                                " bytes (snap length): cannot verify");
      continue;
    }
    checker.Check(record.data, capture.value().link_type(), result);
    switch (result.status) {
      case FrameStatus::kVerified: ++verified; break;
      case FrameStatus::kFailed:
        ++failed;
        report(record.number, "FAIL: " + result.reason + " (byte " + std::to_string(result.offset) + ")");
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
      << " with an unknown SPI, " << plain << " without AH/ESP, " << not_ipv4 << " not IPv4\n";
  if (failed > 0 || (options.require_known_sa && unknown > 0)) return kExitDiffers;
  return kExitOk;
}

}  // namespace sendpath::report
