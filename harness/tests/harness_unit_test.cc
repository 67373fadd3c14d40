// Unit tests of the harness pieces that need no candidate: protocol encodings, OID buffers,
// command splitting, the supervisor against misbehaving shell children, the IV findings.
#include "harness/candidate_spec.h"
#include "harness/export.h"
#include "harness/iv_policy.h"
#include "harness/protocol.h"
#include "harness/runner.h"
#include "harness/supervisor.h"
#include "harness/task_offload_buffer.h"

#include <vectors/loader/vector_loader.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace sendpath::harness {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(Protocol, HandlesKeepAll64Bits) {
  const auto handle = reinterpret_cast<NDIS_HANDLE>(static_cast<std::uintptr_t>(0xFEDCBA9876543210ull));
  EXPECT_EQ(protocol::HandleToJson(handle), "0xfedcba9876543210");
  EXPECT_EQ(protocol::HandleFromJson(json("0xfedcba9876543210")), handle);
  EXPECT_EQ(protocol::HandleFromJson(json("0x0")), nullptr);
  EXPECT_FALSE(protocol::HandleFromJson(json("12")).has_value());
  EXPECT_FALSE(protocol::HandleFromJson(json("0x1g")).has_value());
  EXPECT_FALSE(protocol::HandleFromJson(json("0x10000000000000000")).has_value());
  EXPECT_FALSE(protocol::HandleFromJson(json(true)).has_value());
}

TEST(Protocol, StatusesByNameOrValue) {
  EXPECT_EQ(protocol::StatusToJson(NDIS_STATUS_INVALID_PACKET), "NDIS_STATUS_INVALID_PACKET");
  EXPECT_EQ(protocol::StatusFromJson(json("NDIS_STATUS_INVALID_PACKET")), NDIS_STATUS_INVALID_PACKET);
  const NDIS_STATUS odd = static_cast<NDIS_STATUS>(0xC0001234u);
  EXPECT_EQ(protocol::StatusToJson(odd), "0xC0001234");
  EXPECT_EQ(protocol::StatusFromJson(json(protocol::StatusToJson(odd))), odd);
  EXPECT_EQ(protocol::StatusFromJson(json(0)), NDIS_STATUS_SUCCESS);
  EXPECT_FALSE(protocol::StatusFromJson(json("NDIS_STATUS_MAYBE")).has_value());
}

TEST(Protocol, CapabilitiesAsNames) {
  Capabilities caps;
  ASSERT_TRUE(vectors::SetCapability(caps.task, caps.extension, "V4ESP.Send"));
  ASSERT_TRUE(vectors::SetCapability(caps.task, caps.extension, "V2.ENCRYPTION_AES_GCM_128"));
  const json names = protocol::CapabilitiesToJson(caps);
  EXPECT_EQ(names, json({"V4ESP.Send", "V2.ENCRYPTION_AES_GCM_128"}));
  Capabilities back;
  std::string error;
  ASSERT_TRUE(protocol::CapabilitiesFromJson(names, back, error)) << error;
  // Bit-fields: compare what they mean, not their padding bits.
  EXPECT_EQ(vectors::CapabilityNames(back.task, back.extension), vectors::CapabilityNames(caps.task, caps.extension));
  EXPECT_EQ(back.task.V4ESP.Send, 1u);
  EXPECT_EQ(back.task.V4ESP.Transport, 0u);
  EXPECT_EQ(back.extension.EncryptionAlgorithms, caps.extension.EncryptionAlgorithms);
  EXPECT_FALSE(protocol::CapabilitiesFromJson(json({"V4ESP.Teleport"}), back, error));
  EXPECT_NE(error.find("V4ESP.Teleport"), std::string::npos);
}

TEST(TaskOffloadBuffer, RoundTripsBothEntries) {
  NDIS_ENCAPSULATION_FORMAT format{};
  format.Encapsulation = IEEE_802_3_Encapsulation;
  format.EncapsulationHeaderSize = 14;
  Capabilities caps;
  caps.task.V4ESP.Send = 1;
  caps.task.Supported.V4_OPTIONS = 1;
  caps.extension.Flags = SENDPATH_EXT_ESN;
  const Bytes buffer = EncodeTaskOffload(format, caps);
  EXPECT_EQ(buffer.size(), TaskOffloadBufferSize());
  DecodedTaskOffload decoded;
  std::string error;
  ASSERT_TRUE(DecodeTaskOffload(buffer, decoded, error)) << error;
  EXPECT_TRUE(decoded.has_ipsec);
  EXPECT_TRUE(decoded.has_extension);
  EXPECT_EQ(decoded.encapsulation.Encapsulation, IEEE_802_3_Encapsulation);
  EXPECT_EQ(decoded.capabilities.task.V4ESP.Send, 1u);
  EXPECT_EQ(decoded.capabilities.task.Supported.V4_OPTIONS, 1u);
  EXPECT_EQ(decoded.capabilities.extension.Flags, static_cast<ULONG>(SENDPATH_EXT_ESN));

  const Bytes without = EncodeTaskOffload(format, caps, /*with_extension=*/false);
  ASSERT_TRUE(DecodeTaskOffload(without, decoded, error)) << error;
  EXPECT_FALSE(decoded.has_extension);
  EXPECT_EQ(decoded.capabilities.extension.Flags, 0u);
}

TEST(TaskOffloadBuffer, MalformedBuffersAreErrorsNotCrashes) {
  NDIS_ENCAPSULATION_FORMAT format{};
  Capabilities caps;
  Bytes buffer = EncodeTaskOffload(format, caps);
  DecodedTaskOffload decoded;
  std::string error;
  EXPECT_FALSE(DecodeTaskOffload(std::span(buffer).first(10), decoded, error));
  EXPECT_NE(error.find("shorter than"), std::string::npos);
  // TaskBufferLength past the end.
  Bytes truncated(buffer.begin(), buffer.end() - 30);
  EXPECT_FALSE(DecodeTaskOffload(truncated, decoded, error));
  // An entry whose OffsetNextTask points at itself forever.
  Bytes loop = buffer;
  const std::size_t first = loop[offsetof(NDIS_TASK_OFFLOAD_HEADER, OffsetFirstTask)];
  const ULONG zero_offset = 0;
  std::memcpy(loop.data() + first + offsetof(NDIS_TASK_OFFLOAD, OffsetNextTask), &zero_offset, 4);
  ASSERT_TRUE(DecodeTaskOffload(loop, decoded, error));  // 0 ends the list
  const ULONG self = 1;  // 1 byte on: a bogus entry, then eventually out of bounds or too many
  std::memcpy(loop.data() + first + offsetof(NDIS_TASK_OFFLOAD, OffsetNextTask), &self, 4);
  EXPECT_FALSE(DecodeTaskOffload(loop, decoded, error));
  Bytes version = buffer;
  version[0] = 2;
  EXPECT_FALSE(DecodeTaskOffload(version, decoded, error));
  EXPECT_NE(error.find("Version"), std::string::npos);
}

TEST(CandidateSpec, SplitsCommandsLikeAShell) {
  EXPECT_EQ(SplitCommand("python3 agent.py --x 1"), (std::vector<std::string>{"python3", "agent.py", "--x", "1"}));
  EXPECT_EQ(SplitCommand("sh -c 'a b | c' \"d e\""), (std::vector<std::string>{"sh", "-c", "a b | c", "d e"}));
  EXPECT_EQ(SplitCommand("a\\ b"), (std::vector<std::string>{"a b"}));
  EXPECT_FALSE(SplitCommand("sh -c 'unterminated").has_value());
}

TEST(CandidateSpec, BadSpecsAreUsageErrors) {
  SpecOptions options;
  EXPECT_FALSE(MakeCandidateFactory("bogus", options).factory);
  EXPECT_FALSE(MakeCandidateFactory("exec:", options).factory);
  EXPECT_FALSE(MakeCandidateFactory("exec:'x", options).factory);
  EXPECT_FALSE(MakeCandidateFactory("lib:", options).factory);
  const FactoryResult missing = MakeCandidateFactory("pcap:/nonexistent/capture.pcap", options);
  EXPECT_FALSE(missing.factory);
  EXPECT_NE(missing.error.find("programming.json"), std::string::npos) << missing.error;
  EXPECT_TRUE(MakeCandidateFactory("reference", options).factory);
  EXPECT_TRUE(MakeCandidateFactory("exec:some-agent --flag", options).factory);
}

TEST(Export, SaKeysAreValidNames) {
  EXPECT_EQ(ExportSaKey("contract/esp transport/x", "t"), "contract_esp_transport_x.t");
}

// ---- Supervisor ------------------------------------------------------------------------------

TEST(Supervisor, ReadsLinesAndNamesTheSignalOfACrash) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"sh", "-c", "read line; echo \"got $line\"; kill -SEGV $$"}));
  ASSERT_TRUE(child.WriteLine("hello", 1000ms));
  auto line = child.ReadLine(2000ms, 1024);
  ASSERT_TRUE(line) << line.error().reason;
  EXPECT_EQ(*line, "got hello");
  auto end = child.ReadLine(2000ms, 1024);
  ASSERT_FALSE(end);
  EXPECT_NE(end.error().reason.find("SIGSEGV"), std::string::npos) << end.error().reason;
  EXPECT_FALSE(child.running());
}

TEST(Supervisor, KillsAHangWithinTheTimeout) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"sleep", "30"}));
  const auto start = std::chrono::steady_clock::now();
  auto line = child.ReadLine(200ms, 1024);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(line);
  EXPECT_NE(line.error().reason.find("hang"), std::string::npos) << line.error().reason;
  // Not a speed bound: well under the child's 30 s, so the hang was cut, not waited out.
  EXPECT_LT(elapsed, 25s);
  EXPECT_FALSE(child.running());
}

TEST(Supervisor, ReportsExitStatusAndStderr) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"sh", "-c", "echo 'fatal: no licence' >&2; exit 4"}));
  auto line = child.ReadLine(2000ms, 1024);
  ASSERT_FALSE(line);
  EXPECT_NE(line.error().reason.find("status 4"), std::string::npos) << line.error().reason;
  EXPECT_NE(line.error().reason.find("fatal: no licence"), std::string::npos) << line.error().reason;
}

TEST(Supervisor, WritingToADeadChildIsAnErrorNotSigpipe) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"sh", "-c", "exit 0"}));
  std::this_thread::sleep_for(100ms);
  const std::string big(1 << 20, 'x');  // more than the socket buffer
  auto written = child.WriteLine(big, 1000ms);
  EXPECT_FALSE(written);
}

TEST(Supervisor, OverlongLinesAreGarbage) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"sh", "-c", "head -c 100000 /dev/zero | tr '\\0' 'a'; sleep 30"}));
  auto line = child.ReadLine(2000ms, 1000);
  ASSERT_FALSE(line);
  EXPECT_NE(line.error().reason.find("garbage"), std::string::npos) << line.error().reason;
}

TEST(Supervisor, NonexistentProgramCannotStart) {
  ChildProcess child;
  auto started = child.Start({"/nonexistent/sendpath-agent"});
  // posix_spawnp reports the failure either at once or as an exit status 127 on first read.
  if (started) {
    auto line = child.ReadLine(2000ms, 1024);
    ASSERT_FALSE(line);
    EXPECT_NE(line.error().reason.find("127"), std::string::npos) << line.error().reason;
  }
}

// ---- Run-wide IV findings (iv_policy.h) ------------------------------------------------------

IvSighting Sighting(const std::string& sa, std::size_t step, Bytes iv, const std::string& algorithm, bool chosen = true) {
  IvSighting sighting;
  sighting.step = step;
  sighting.use.sa = sa;
  sighting.use.algorithm = algorithm;
  sighting.use.aead = algorithm == "AES-GCM" || algorithm == "AES-GMAC";
  sighting.use.cbc = !sighting.use.aead;
  sighting.use.chosen_by_candidate = chosen;
  sighting.use.iv = std::move(iv);
  if (sighting.use.aead) sighting.use.key = Bytes(20, 0x4b);  // key || salt
  return sighting;
}

// One vector per entry: its id and the IVs its sends wrote.
struct IvRun {
  std::vector<VectorIvs> ivs;
  std::vector<report::VectorResult> results;
  void Vector(const std::string& id, std::vector<IvSighting> sightings) {
    VectorIvs vector;
    vector.sightings = std::move(sightings);
    ivs.push_back(std::move(vector));
    results.emplace_back().id = id;
  }
  std::vector<report::RunFinding> Findings() const { return RunWideIvFindings(ivs, results); }
};

Bytes Iv(std::size_t length, std::uint64_t value, bool little_endian = false) {
  Bytes iv(length, 0);
  for (std::size_t i = 0; i < 8 && i < length; ++i) {
    iv[little_endian ? i : length - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
  return iv;
}

Bytes Random(std::size_t length, std::uint8_t seed) {
  Bytes iv(length);
  for (std::size_t i = 0; i < length; ++i) iv[i] = static_cast<std::uint8_t>((i + 3) * 37 * (seed + 11) + seed * 101);
  return iv;
}

TEST(IvCounter, AnyFixedIncrementInEitherByteOrder) {
  const auto by_one = CounterOf({Iv(16, 0xff), Iv(16, 0x100), Iv(16, 0x101)});  // with a carry
  ASSERT_TRUE(by_one);
  EXPECT_FALSE(by_one->little_endian);
  EXPECT_EQ(by_one->increment, Iv(16, 1));
  const auto by_seven = CounterOf({Iv(8, 5), Iv(8, 12), Iv(8, 19), Iv(8, 26)});
  ASSERT_TRUE(by_seven);
  EXPECT_EQ(by_seven->increment, Iv(8, 7));
  const auto little = CounterOf({Iv(8, 0x1ff, true), Iv(8, 0x200, true), Iv(8, 0x201, true)});
  ASSERT_TRUE(little);
  EXPECT_TRUE(little->little_endian);
  EXPECT_EQ(little->increment, Iv(8, 1, true));
  EXPECT_FALSE(CounterOf({Iv(8, 1), Iv(8, 2)}));                      // two IVs do not make a counter
  EXPECT_FALSE(CounterOf({Iv(8, 1), Iv(8, 1), Iv(8, 1)}));            // constant is not a counter
  EXPECT_FALSE(CounterOf({Random(16, 1), Random(16, 2), Random(16, 3)}));
}

TEST(IvFindings, AConstantCbcIvUnderOneSaIsAMustFindingWithSaStepsIvsAndRule) {
  IvRun run;
  run.Vector("v/aes-cbc", {Sighting("t/esp", 2, Iv(16, 0), "AES-CBC"), Sighting("t/esp", 3, Iv(16, 0), "AES-CBC"),
                           Sighting("t/esp", 4, Iv(16, 0), "AES-CBC")});
  const auto findings = run.Findings();
  ASSERT_EQ(findings.size(), 1u);
  const report::RunFinding& finding = findings[0];
  EXPECT_EQ(finding.kind, report::FindingKind::kCbcIvConstant);
  EXPECT_EQ(finding.severity, report::Severity::kMust);
  EXPECT_EQ(finding.algorithm, "AES-CBC");
  EXPECT_EQ(finding.Sas(), std::vector<std::string>{"v/aes-cbc t/esp"});
  ASSERT_EQ(finding.occurrences.size(), 3u);
  EXPECT_EQ(finding.occurrences[1].step, 3u);
  EXPECT_EQ(finding.occurrences[2].iv, Iv(16, 0));
  EXPECT_EQ(finding.rule.rfind("RFC 3602 section 3", 0), 0u) << finding.rule;
  report::RunResult result;
  result.run_findings = findings;
  EXPECT_EQ(ExitCodeOf(result), 1);
}

TEST(IvFindings, ACbcCounterUnderOneSaIsAFinding) {
  for (const bool little_endian : {false, true}) {
    IvRun run;
    run.Vector("v/3des", {Sighting("t/esp", 2, Iv(8, 41, little_endian), "3DES-CBC"),
                          Sighting("t/esp", 3, Iv(8, 42, little_endian), "3DES-CBC"),
                          Sighting("t/esp", 4, Iv(8, 43, little_endian), "3DES-CBC")});
    const auto findings = run.Findings();
    ASSERT_EQ(findings.size(), 1u) << little_endian;
    EXPECT_EQ(findings[0].kind, report::FindingKind::kCbcIvCounter);
    EXPECT_EQ(findings[0].little_endian, little_endian);
    EXPECT_EQ(findings[0].increment, Iv(8, 1, little_endian));
    EXPECT_EQ(findings[0].severity, report::Severity::kMust);
  }
}

TEST(IvFindings, PredictableCbcIvsAcrossSasAreOneRunWideFinding) {
  // A counter running across the run: each SA sees only two IVs, the run sees a counter.
  IvRun counter;
  counter.Vector("v/one", {Sighting("a/esp", 2, Iv(16, 10), "AES-CBC"), Sighting("a/esp", 3, Iv(16, 11), "AES-CBC")});
  counter.Vector("v/two", {Sighting("b/esp", 2, Iv(16, 12), "AES-CBC"), Sighting("b/esp", 3, Iv(16, 13), "AES-CBC")});
  auto findings = counter.Findings();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, report::FindingKind::kCbcIvCounter);
  EXPECT_EQ(findings[0].Sas().size(), 2u);
  // The same IV everywhere: one finding for the run, not one per SA.
  IvRun constant;
  constant.Vector("v/one", {Sighting("a/esp", 2, Iv(8, 0), "DES-CBC"), Sighting("a/esp", 3, Iv(8, 0), "DES-CBC")});
  constant.Vector("v/two", {Sighting("b/esp", 2, Iv(8, 0), "3DES-CBC"), Sighting("b/esp", 3, Iv(8, 0), "3DES-CBC")});
  findings = constant.Findings();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, report::FindingKind::kCbcIvConstant);
  EXPECT_EQ(findings[0].algorithm, "DES-CBC/3DES-CBC");
  EXPECT_EQ(findings[0].occurrences.size(), 4u);
  // One IV chosen again under another SA, the rest random.
  IvRun repeated;
  repeated.Vector("v/one", {Sighting("a/esp", 2, Random(16, 1), "AES-CBC"), Sighting("a/esp", 3, Random(16, 2), "AES-CBC")});
  repeated.Vector("v/two", {Sighting("b/esp", 2, Random(16, 3), "AES-CBC"), Sighting("b/esp", 3, Random(16, 1), "AES-CBC")});
  findings = repeated.Findings();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, report::FindingKind::kCbcIvRepeatedAcrossSas);
  EXPECT_EQ(findings[0].Sas(), (std::vector<std::string>{"v/one a/esp", "v/two b/esp"}));
}

TEST(IvFindings, RandomCbcIvsAndInjectedIvsAreNotFindings) {
  IvRun run;
  run.Vector("v/one", {Sighting("a/esp", 2, Random(16, 1), "AES-CBC"), Sighting("a/esp", 3, Random(16, 2), "AES-CBC"),
                       Sighting("a/esp", 4, Random(16, 3), "AES-CBC")});
  // Injected IVs are the vector's: a constant or counter the vector chose is not the candidate's.
  run.Vector("v/two", {Sighting("b/esp", 2, Iv(16, 0), "AES-CBC", false), Sighting("b/esp", 3, Iv(16, 0), "AES-CBC", false),
                       Sighting("b/esp", 4, Iv(16, 1), "AES-CBC", false), Sighting("b/esp", 5, Iv(16, 2), "AES-CBC", false)});
  EXPECT_TRUE(run.Findings().empty());
  report::RunResult result;
  result.run_findings = run.Findings();
  EXPECT_EQ(ExitCodeOf(result), 0);
}

TEST(IvFindings, GcmAndGmacCountersAreLegalButRepeatsAreNot) {
  IvRun counters;
  counters.Vector("v/gcm", {Sighting("t/esp", 2, Iv(8, 1), "AES-GCM"), Sighting("t/esp", 3, Iv(8, 2), "AES-GCM"),
                            Sighting("t/esp", 4, Iv(8, 3), "AES-GCM")});
  counters.Vector("v/gmac", {Sighting("t/ah", 2, Iv(8, 1), "AES-GMAC"), Sighting("t/ah", 3, Iv(8, 2), "AES-GMAC"),
                             Sighting("t/ah", 4, Iv(8, 3), "AES-GMAC")});
  // Different keys per vector: the same counter values are different nonces.
  counters.ivs[1].sightings[0].use.key = counters.ivs[1].sightings[1].use.key = counters.ivs[1].sightings[2].use.key =
      Bytes(20, 0x77);
  EXPECT_TRUE(counters.Findings().empty());

  IvRun repeat;
  repeat.Vector("v/gcm", {Sighting("t/esp", 2, Iv(8, 5), "AES-GCM", false), Sighting("t/esp", 3, Iv(8, 5), "AES-GCM")});
  auto findings = repeat.Findings();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, report::FindingKind::kIvRepeatedUnderSa);
  EXPECT_EQ(findings[0].rule.rfind("RFC 4106 section 3.1", 0), 0u) << findings[0].rule;
  ASSERT_EQ(findings[0].occurrences.size(), 2u);  // the injected IV it repeats, then the repeat
  EXPECT_EQ(findings[0].occurrences[0].step, 2u);
  EXPECT_EQ(findings[0].occurrences[1].step, 3u);

  // The same key under two SAs: the same IV is the same nonce.
  IvRun across;
  across.Vector("v/one", {Sighting("a/esp", 2, Iv(8, 9), "AES-GCM")});
  across.Vector("v/two", {Sighting("b/esp", 2, Iv(8, 9), "AES-GCM")});
  findings = across.Findings();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, report::FindingKind::kAeadNonceReuseAcrossSas);
  EXPECT_EQ(findings[0].Sas().size(), 2u);
}

TEST(IvFindings, TheTextIsBuiltFromTheValues) {
  IvRun run;
  run.Vector("v/aes-cbc", {Sighting("t/esp", 2, Iv(16, 1), "AES-CBC"), Sighting("t/esp", 3, Iv(16, 2), "AES-CBC"),
                           Sighting("t/esp", 4, Iv(16, 3), "AES-CBC")});
  const auto findings = run.Findings();
  ASSERT_EQ(findings.size(), 1u);
  const std::string text = report::FindingText(findings[0]);
  for (const std::string& part : {std::string("t/esp"), std::string("v/aes-cbc"), std::string("step 4"),
                                  vectors::ToHex(Iv(16, 3)), std::string("increment 01, big-endian"), findings[0].rule}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << " not in " << text;
  }
}

}  // namespace
}  // namespace sendpath::harness
