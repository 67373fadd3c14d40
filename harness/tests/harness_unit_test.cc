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
  EXPECT_LT(elapsed, 5s);
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

// ---- Run-wide IV findings ---------------------------------------------------------------------

TEST(IvFindings, ConstantCounterAndRepeatsAreFlagged) {
  const Bytes a(16, 0x11);
  EXPECT_NE(CbcIvFindings({a, a, a})[0].find("same IV"), std::string::npos);
  Bytes one(16, 0), two(16, 0), three(16, 0);
  one[15] = 0xff;
  two[14] = 1;  // 0x...0100: one + 1 with a carry
  three[14] = 1;
  three[15] = 1;
  EXPECT_NE(CbcIvFindings({one, two, three})[0].find("counter"), std::string::npos);
  Bytes r1(16), r2(16), r3(16);
  for (std::size_t i = 0; i < 16; ++i) {
    r1[i] = static_cast<std::uint8_t>(i * 37 + 1);
    r2[i] = static_cast<std::uint8_t>(i * 91 + 7);
    r3[i] = static_cast<std::uint8_t>(i * 13 + 200);
  }
  EXPECT_TRUE(CbcIvFindings({r1, r2, r3}).empty());
  EXPECT_NE(CbcIvFindings({r1, r2, r1, r3})[0].find("repeat"), std::string::npos);
  // DES (8 bytes) and AES (16 bytes) IVs are judged apart.
  EXPECT_TRUE(CbcIvFindings({r1, Bytes(8, 0x11)}).empty());
}

}  // namespace
}  // namespace sendpath::harness
