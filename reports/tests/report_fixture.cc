#include "reports/tests/report_fixture.h"

#include "reports/diff.h"
#include "reports/receive_check.h"
#include "reports/testing/ipsec_builder.h"
#include "reports/tests/test_support.h"

#include <stdexcept>

namespace sendpath::report::testing {
namespace {

struct Sample {
  std::string id;
  std::string layout;
  Bytes input, expected;
  std::unique_ptr<SaTable> sas;
};

Sample Find(const std::string& layout_prefix) {
  for (const auto& sample : LoadIndependentCases()) {
    const std::string layout = sample.at("layout").get<std::string>();
    if (layout.rfind(layout_prefix, 0) != 0) continue;
    auto table = SaTable::FromSaSpecs(SaSpecsOfCase(sample), "sample");
    if (!table.ok()) throw std::runtime_error(table.error().message);
    return {sample.at("id").get<std::string>(), layout, FromHex(sample.at("input_ip").get<std::string>()),
            FromHex(sample.at("expected_ip").get<std::string>()), std::make_unique<SaTable>(std::move(table).value())};
  }
  throw std::runtime_error("no sample " + layout_prefix);
}

StepResult SendStep(std::size_t index, const Sample& sample, Bytes actual, Verdict verdict, SaTable* sas) {
  StepResult step;
  step.index = index;
  step.op = "send";
  step.verdict = verdict;
  step.expected_status = 0;
  step.actual_status = 0;
  step.input_frame = sample.input;
  step.expected_frame = sample.expected;
  step.actual_frame = std::move(actual);
  if (verdict != Verdict::kPass) {
    FrameDiffer differ(sas, {});
    const auto& comparison = differ.Compare(*step.expected_frame, *step.actual_frame, LinkType::kRawIp);
    step.differences = comparison.differences;
    step.diagnosis = comparison.Summary();
  }
  return step;
}

VectorResult Vector(std::string id, std::string title, Verdict verdict, std::vector<StepResult> steps) {
  VectorResult vector;
  vector.id = std::move(id);
  vector.title = std::move(title);
  vector.file = "vectors/independent/samples.json";
  vector.verdict = verdict;
  vector.steps = std::move(steps);
  for (const auto& step : vector.steps) {
    if (step.verdict != Verdict::kPass && vector.diagnosis.empty()) vector.diagnosis = step.diagnosis;
  }
  return vector;
}

}  // namespace

RunFixture FaultyNicRun() {
  RunFixture fixture;
  RunResult& run = fixture.run;
  run.sendpath_version = "0.1.0";
  run.command_line = "sendpath run vectors/independent --candidate lib:./faulty.so --out report";
  run.started_utc = "2024-01-01T00:00:00Z";
  run.finished_utc = "2024-01-01T00:00:05Z";
  run.candidate = {"lib:./faulty.so", "faulty-nic 1.0 <AH ICV & TTL bugs>", {"V4AH.Send", "V4AH.MD5", "V4ESP.Send"}, false};
  run.vector_files.push_back({"vectors/independent/samples.json", std::string(64, 'a')});

  Sample pass = Find("IPv4 / ESP(aes-256-cbc,hmac-sha256-128) / ICMP");
  Sample ah = Find("IPv4 / AH(hmac-sha1-96) / UDP");
  Sample tunnel = Find("IPv4 / ESP(aes-128-cbc,hmac-sha1-96) / IPv4 / UDP");

  run.vectors.push_back(Vector("independent/" + pass.id, pass.layout, Verdict::kPass,
                               {SendStep(0, pass, pass.expected, Verdict::kPass, pass.sas.get())}));
  fixture.sas[run.vectors.back().id] = std::move(pass.sas);

  Bytes bad_icv = ah.expected;
  bad_icv[24 + 12 + 2] ^= 0x40;  // inside the AH ICV (IPv4 20 + AH fixed 12 -> ICV at 32)
  run.vectors.push_back(Vector("independent/" + ah.id, ah.layout, Verdict::kFail,
                               {SendStep(0, ah, bad_icv, Verdict::kFail, ah.sas.get())}));
  fixture.sas[run.vectors.back().id] = std::move(ah.sas);

  // The faulty NIC decremented the inner TTL before sealing.
  ReceiveChecker checker(*tunnel.sas);
  CheckResult check;
  checker.Check(tunnel.expected, LinkType::kRawIp, check);
  Bytes plain = check.plaintext;
  const std::size_t inner = check.ip_packets.at(1).offset;
  plain[inner + 8] = static_cast<std::uint8_t>(plain[inner + 8] - 1);
  RecomputeIpv4Checksum(plain, inner);
  if (!Reseal(plain, check.headers, *tunnel.sas).ok()) throw std::runtime_error("reseal failed");
  run.vectors.push_back(Vector("independent/" + tunnel.id, tunnel.layout, Verdict::kFail,
                               {SendStep(0, tunnel, plain, Verdict::kFail, tunnel.sas.get())}));
  fixture.sas[run.vectors.back().id] = std::move(tunnel.sas);

  // A refused send that leaked the plaintext frame; a SHOULD vector.
  StepResult leak;
  leak.index = 1;
  leak.op = "send";
  leak.verdict = Verdict::kFail;
  leak.expected_status = static_cast<std::int32_t>(NDIS_STATUS_FAILURE);
  leak.actual_status = 0;
  leak.input_frame = Bytes{0x45, 0, 0, 20, 0, 1, 0, 0, 64, 50, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7};
  leak.actual_frame = leak.input_frame;
  leak.leaked = leak.leaked_plaintext = true;
  leak.diagnosis = "leaked: emitted a frame on a refused send (<script>alert(1)</script> & plaintext)";
  StepResult added;
  added.op = "add_sa";
  added.verdict = Verdict::kPass;
  VectorResult leaked = Vector("robustness/deleted-handle/<leak>", "Send on a deleted SA", Verdict::kFail, {added, leak});
  leaked.must = false;
  run.vectors.push_back(std::move(leaked));

  StepResult crash;
  crash.op = "send";
  crash.verdict = Verdict::kCandidateError;
  crash.diagnosis = "candidate crashed: signal 11 (SIGSEGV)";
  StepResult skipped;
  skipped.index = 1;
  skipped.op = "delete_sa";
  skipped.verdict = Verdict::kSkipped;
  run.vectors.push_back(Vector("contract/crash", "Candidate crashes on a tunnel send", Verdict::kCandidateError, {crash, skipped}));

  VectorResult not_claimed = Vector("kat/gcm-1", "AES-GCM case 1", Verdict::kNotClaimed, {});
  not_claimed.missing_caps = {"V2.ENCRYPTION_AES_GCM_128"};
  run.vectors.push_back(std::move(not_claimed));
  run.run_notes.push_back("IV reuse: none detected");
  return fixture;
}

}  // namespace sendpath::report::testing
