#include "reports/commands.h"

#include "reports/pcap_io.h"
#include "reports/tests/report_fixture.h"
#include "reports/tests/test_support.h"
#include "vectors/loader/vector_loader.h"

#include <gtest/gtest.h>

#include "reports/writers.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sendpath::report {
namespace {

struct Corpus {
  std::string directory;
  std::string sa_path;
  std::vector<std::vector<std::uint8_t>> expected;
};

// Every independent case's expected frame in one raw-IP capture, and all their SAs in one
// sendpath-sas/1 file (written with the loader's writer, read back with its LoadSaFile).
Corpus WriteCorpus() {
  Corpus corpus{testing::TemporaryDirectory(), "", {}};
  vectors::SaFile file;
  for (const auto& sample : testing::LoadIndependentCases()) {
    corpus.expected.push_back(testing::FromHex(sample.at("expected_ip").get<std::string>()));
    for (auto& [name, spec] : testing::SaSpecsOfCase(sample)) file.sas[name] = spec;
  }
  corpus.sa_path = corpus.directory + "/sas.json";
  std::ofstream(corpus.sa_path) << vectors::WriteSaFile(file).dump(1);
  return corpus;
}

void WriteCapture(const std::string& path, const std::vector<std::vector<std::uint8_t>>& frames) {
  auto writer = PcapWriter::Create(path, LinkType::kRawIp);
  ASSERT_TRUE(writer.ok());
  for (const auto& frame : frames) writer.value().Write(frame);
  ASSERT_TRUE(writer.value().Commit().ok());
}

TEST(VerifyCommandTest, AcceptsEveryIndependentCaseAndRejectsOneFlippedCiphertextByte) {
  auto corpus = WriteCorpus();
  WriteCapture(corpus.directory + "/good.pcap", corpus.expected);
  std::ostringstream out, err;
  EXPECT_EQ(RunVerifyCommand({corpus.directory + "/good.pcap", corpus.sa_path, true, 100}, out, err), 0) << out.str() << err.str();
  EXPECT_NE(out.str().find("62 frames: 62 verified, 0 failed"), std::string::npos) << out.str();

  auto frames = corpus.expected;
  // Frame 1 is ESP transport: flip a byte in the middle of its ciphertext.
  ASSERT_EQ(frames[0][9], 50);
  frames[0][frames[0].size() / 2] ^= 0x20;
  WriteCapture(corpus.directory + "/bad.pcap", frames);
  std::ostringstream bad_out, bad_err;
  EXPECT_EQ(RunVerifyCommand({corpus.directory + "/bad.pcap", corpus.sa_path, true, 100}, bad_out, bad_err), 1);
  EXPECT_NE(bad_out.str().find("frame 1: FAIL: ESP SPI"), std::string::npos) << bad_out.str();
  EXPECT_NE(bad_out.str().find("ICV does not verify"), std::string::npos) << bad_out.str();
  // The byte it points at is named in the inspection library's words.
  EXPECT_NE(bad_out.str().find(": esp.icv)"), std::string::npos) << bad_out.str();
  EXPECT_NE(bad_out.str().find("61 verified, 1 failed"), std::string::npos) << bad_out.str();
}

TEST(VerifyCommandTest, ReadsTheCommittedPcapngFixture) {
  const std::string data = SENDPATH_REPORTS_TEST_DATA;
  std::ostringstream out, err;
  EXPECT_EQ(RunVerifyCommand({data + "/three-frames.pcapng", data + "/three-frames.sas.json", true, 100}, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("3 frames: 3 verified"), std::string::npos) << out.str();
}

TEST(VerifyCommandTest, BadInputsExitTwo) {
  auto corpus = WriteCorpus();
  WriteCapture(corpus.directory + "/good.pcap", corpus.expected);
  std::ostringstream out, err;
  EXPECT_EQ(RunVerifyCommand({corpus.directory + "/missing.pcap", corpus.sa_path, false, 100}, out, err), 2);
  std::ofstream(corpus.directory + "/bad-sas.json") << "{\"format\": \"sendpath-sas/1\", \"sas\": 7}";
  EXPECT_EQ(RunVerifyCommand({corpus.directory + "/good.pcap", corpus.directory + "/bad-sas.json", false, 100}, out, err), 2);
  EXPECT_NE(err.str().find("bad-sas.json"), std::string::npos) << err.str();
  // Truncate the capture inside frame 10.
  std::ifstream in(corpus.directory + "/good.pcap", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::size_t offset = 24;
  for (std::size_t i = 0; i < 9; ++i) offset += 16 + corpus.expected[i].size();
  std::ofstream(corpus.directory + "/cut.pcap", std::ios::binary) << bytes.substr(0, offset + 20);
  std::ostringstream cut_out, cut_err;
  EXPECT_EQ(RunVerifyCommand({corpus.directory + "/cut.pcap", corpus.sa_path, false, 100}, cut_out, cut_err), 2);
  EXPECT_NE(cut_err.str().find("frame 10 at byte offset " + std::to_string(offset)), std::string::npos) << cut_err.str();
}

TEST(DiffCommandTest, NamesTheAhIcvAndTheInnerTtl) {
  auto corpus = WriteCorpus();
  auto fixture = testing::FaultyNicRun();
  std::vector<std::vector<std::uint8_t>> expected, actual;
  for (std::size_t v = 0; v < 3; ++v) {
    const auto& step = fixture.run.vectors[v].steps[0];
    expected.push_back(*step.expected_frame);
    actual.push_back(*step.actual_frame);
  }
  WriteCapture(corpus.directory + "/expected.pcap", expected);
  WriteCapture(corpus.directory + "/actual.pcap", actual);
  DiffCommandOptions options;
  options.expected_path = corpus.directory + "/expected.pcap";
  options.actual_path = corpus.directory + "/actual.pcap";
  options.sa_path = corpus.sa_path;
  options.html_path = corpus.directory + "/diff.html";
  std::ostringstream out, err;
  EXPECT_EQ(RunDiffCommand(options, out, err), 1) << err.str();
  EXPECT_NE(out.str().find("frame 2: 1 field(s) differ; first: ah.icv at byte 32"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("frame 3: "), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("first: ipv4[inner].ttl"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("3 frame pairs compared, 2 differ"), std::string::npos) << out.str();
  std::ifstream html(*options.html_path);
  std::string text((std::istreambuf_iterator<char>(html)), {});
  EXPECT_NE(text.find("ipv4[inner].ttl differs"), std::string::npos);

  std::ostringstream same_out, same_err;
  options.actual_path = options.expected_path;
  options.html_path.reset();
  EXPECT_EQ(RunDiffCommand(options, same_out, same_err), 0) << same_out.str();

  // --ignore turns the AH ICV difference off; frame 3 still differs.
  options.actual_path = corpus.directory + "/actual.pcap";
  options.ignore = {"ah.icv", "*inner*", "esp*"};
  std::ostringstream ignored_out, ignored_err;
  EXPECT_EQ(RunDiffCommand(options, ignored_out, ignored_err), 0) << ignored_out.str();
}

TEST(DiffCommandTest, DifferentFrameCountsAndBadFilesAreReported) {
  auto corpus = WriteCorpus();
  WriteCapture(corpus.directory + "/all.pcap", corpus.expected);
  WriteCapture(corpus.directory + "/fewer.pcap", std::vector<std::vector<std::uint8_t>>(corpus.expected.begin(), corpus.expected.begin() + 60));
  DiffCommandOptions options;
  options.expected_path = corpus.directory + "/all.pcap";
  options.actual_path = corpus.directory + "/fewer.pcap";
  std::ostringstream out, err;
  EXPECT_EQ(RunDiffCommand(options, out, err), 1);
  EXPECT_NE(out.str().find("2 only in"), std::string::npos) << out.str();
  std::ofstream(corpus.directory + "/garbage.pcap") << "not a capture at all, just text";
  options.actual_path = corpus.directory + "/garbage.pcap";
  std::ostringstream bad_out, bad_err;
  EXPECT_EQ(RunDiffCommand(options, bad_out, bad_err), 2);
  EXPECT_NE(bad_err.str().find("garbage.pcap"), std::string::npos) << bad_err.str();
}

std::size_t Lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

// One frame missing from ACTUAL: reported as missing, every other frame pairs with its own
// (before: every frame after the gap compared with its neighbour, hundreds of lines).
TEST(DiffCommandTest, AMissingFrameIsReportedAsMissingNotAsAShift) {
  auto corpus = WriteCorpus();
  WriteCapture(corpus.directory + "/expected.pcap", corpus.expected);
  auto fewer = corpus.expected;
  fewer.erase(fewer.begin() + 29);  // frame 30
  WriteCapture(corpus.directory + "/actual.pcap", fewer);
  DiffCommandOptions options;
  options.expected_path = corpus.directory + "/expected.pcap";
  options.actual_path = corpus.directory + "/actual.pcap";
  std::ostringstream out, err;
  EXPECT_EQ(RunDiffCommand(options, out, err), 1) << err.str();
  EXPECT_NE(out.str().find("frame 30: missing: only in " + options.expected_path), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("summary: 61 frame pairs compared, 0 differ, 1 only in " + options.expected_path + " (missing)"), std::string::npos)
      << out.str();
  EXPECT_LE(Lines(out.str()), 2u) << out.str();
}

// An extra frame in ACTUAL and, later, a frame that really differs: the extra one is extra, the
// differing one pairs with its own expected frame.
TEST(DiffCommandTest, AnExtraFrameAndADifferingFrameAreToldApart) {
  auto corpus = WriteCorpus();
  WriteCapture(corpus.directory + "/expected.pcap", corpus.expected);
  auto actual = corpus.expected;
  actual.insert(actual.begin() + 10, corpus.expected[40]);  // a duplicate of frame 41 after frame 10
  actual[40 + 1][actual[40 + 1].size() - 1] ^= 0x01;           // expected frame 41, now actual #42: last ICV byte
  WriteCapture(corpus.directory + "/actual.pcap", actual);
  DiffCommandOptions options;
  options.expected_path = corpus.directory + "/expected.pcap";
  options.actual_path = corpus.directory + "/actual.pcap";
  std::ostringstream out, err;
  EXPECT_EQ(RunDiffCommand(options, out, err), 1) << err.str();
  EXPECT_NE(out.str().find("actual frame 11: extra: only in " + options.actual_path), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("frame 41 (actual #42): "), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("summary: 62 frame pairs compared, 1 differ, 1 only in " + options.actual_path + " (extra)"), std::string::npos)
      << out.str();
}

// In a report folder the index pairs expected and actual frames by vector and step, names the
// vector, and the leak (a frame only in actual.pcapng) is an extra frame of its vector. The HTML
// is a diff page, not a conformance report.
TEST(DiffCommandTest, ReportFolderCapturesPairByVectorAndNameIt) {
  auto fixture = testing::FaultyNicRun();
  const std::string directory = testing::TemporaryDirectory();
  ReportOptions report_options;
  report_options.sas_for_vector = [&fixture](const VectorResult& vector) { return fixture.SasFor(vector); };
  ASSERT_TRUE(WriteReportFolder(fixture.run, directory, report_options).ok());
  DiffCommandOptions options;
  options.expected_path = directory + "/" + kExpectedCapture;
  options.actual_path = directory + "/" + kActualCapture;
  options.html_path = directory + "/diff.html";
  std::ostringstream out, err;
  EXPECT_EQ(RunDiffCommand(options, out, err), 1) << err.str();
  const std::string text = out.str();
  EXPECT_NE(text.find("note: frames paired by vector and step"), std::string::npos) << text;
  const auto& ah = fixture.run.vectors[1];
  EXPECT_NE(text.find("frame 2 [vector " + ah.id + " step 0]: 1 field(s) differ; first: ah.icv"), std::string::npos) << text;
  EXPECT_NE(text.find("[vector robustness/deleted-handle/<leak> step 1]: extra: only in"), std::string::npos) << text;
  EXPECT_NE(text.find("2 differ"), std::string::npos) << text;
  EXPECT_NE(text.find("1 only in " + options.actual_path + " (extra)"), std::string::npos) << text;

  std::ifstream in(*options.html_path);
  const std::string html((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(html.find("sendpath diff: two captures"), std::string::npos);
  EXPECT_NE(html.find(options.expected_path), std::string::npos);
  EXPECT_NE(html.find("2 of 3 frame pairs differ"), std::string::npos);
  EXPECT_NE(html.find(">extra<"), std::string::npos);
  EXPECT_NE(html.find("ah.icv differs"), std::string::npos);
  for (const char* run_only : {"conformance report", "MUST vector", "Claimed profile", "claimed profile"}) {
    EXPECT_EQ(html.find(run_only), std::string::npos) << run_only;
  }
}

// verify finds the index beside a report folder's capture: frames the NIC must leave unchanged
// are skipped with a count; the same capture elsewhere (no index) fails on them.
TEST(VerifyCommandTest, FramesLeftUnprocessedByDesignAreSkippedWithTheIndex) {
  auto fixture = testing::FaultyNicRun();
  // A send without offload: an ESP frame framed by the transport (ICV space zero), to go out unchanged.
  const VectorResult& tunnel = fixture.run.vectors[2];
  VectorResult unprocessed = tunnel;
  unprocessed.id = "contract/handles/zero-handle-like";
  unprocessed.verdict = Verdict::kPass;
  unprocessed.diagnosis.clear();
  StepResult& step = unprocessed.steps[0];
  ASSERT_TRUE(step.input_frame.has_value());
  ASSERT_NE(*step.input_frame, *step.expected_frame);
  step.expected_frame = step.actual_frame = step.input_frame;
  step.verdict = Verdict::kPass;
  step.differences.clear();
  step.diagnosis.clear();
  fixture.run.vectors.push_back(unprocessed);
  fixture.sas[unprocessed.id] = std::make_unique<SaTable>();
  for (std::size_t i = 0; i < fixture.SasFor(tunnel)->size(); ++i) fixture.sas[unprocessed.id]->Add(fixture.SasFor(tunnel)->keys(i));

  const std::string directory = testing::TemporaryDirectory();
  ReportOptions report_options;
  report_options.sas_for_vector = [&fixture](const VectorResult& vector) { return fixture.SasFor(vector); };
  ASSERT_TRUE(WriteReportFolder(fixture.run, directory, report_options).ok());
  auto corpus = WriteCorpus();  // every independent case's SA, the fixture's among them
  std::ostringstream out, err;
  EXPECT_EQ(RunVerifyCommand({directory + "/" + kExpectedCapture, corpus.sa_path, false, 100}, out, err), 0) << out.str() << err.str();
  EXPECT_NE(out.str().find("1 left unprocessed by design (skipped)"), std::string::npos) << out.str();

  std::filesystem::create_directories(directory + "/elsewhere");
  std::filesystem::copy_file(directory + "/" + kExpectedCapture, directory + "/elsewhere/" + kExpectedCapture);
  std::ostringstream alone_out, alone_err;
  EXPECT_EQ(RunVerifyCommand({directory + "/elsewhere/" + kExpectedCapture, corpus.sa_path, false, 100}, alone_out, alone_err), 1);
  EXPECT_NE(alone_out.str().find("frame 4: FAIL: ESP"), std::string::npos) << alone_out.str();
}

// A vector's deliberately malformed frame (9 bytes that are no IPv4 packet, sent with
// OffloadHandle 0) in an Ethernet capture: its synthetic Ethernet header does not claim IPv4, so
// verify counts it as "not IPv4" instead of failing a "malformed IPv4 header".
TEST(VerifyCommandTest, ASyntheticEthernetHeaderDoesNotClaimIpv4ForGarbage) {
  RunResult run;
  const Bytes ethernet_frame = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0x8e, 0x9c, 192, 0, 2, 1, 198, 51, 100, 7};
  const Bytes garbage = {0xcb, 0xdb, 0xa2, 0xd7, 0x12, 0x7c, 0xf1, 0xd5, 0xd5};
  for (const bool ethernet : {true, false}) {
    VectorResult vector;
    vector.id = ethernet ? "ethernet/plain" : "contract/handles/zero-handle-garbage-frame";
    vector.ethernet = ethernet;
    StepResult step;
    step.op = "send";
    step.input_frame = step.expected_frame = step.actual_frame = ethernet ? ethernet_frame : garbage;
    vector.steps.push_back(step);
    run.vectors.push_back(vector);
  }
  const std::string directory = testing::TemporaryDirectory();
  ASSERT_TRUE(WriteReportFolder(run, directory).ok());
  auto reader = PcapReader::Open(directory + "/" + kExpectedCapture);
  ASSERT_TRUE(reader.ok());
  ASSERT_EQ(reader.value().link_type(), LinkType::kEthernet);
  PcapRecord record;
  std::string error;
  ASSERT_EQ(reader.value().Read(record, error), PcapReader::Next::kRecord);
  ASSERT_EQ(reader.value().Read(record, error), PcapReader::Next::kRecord);
  ASSERT_EQ(record.data.size(), 14 + garbage.size());
  EXPECT_EQ(record.data[12], 0x88);
  EXPECT_EQ(record.data[13], 0xb5);

  auto corpus = WriteCorpus();
  std::filesystem::create_directories(directory + "/alone");
  std::filesystem::copy_file(directory + "/" + kExpectedCapture, directory + "/alone/" + kExpectedCapture);
  std::ostringstream out, err;
  EXPECT_EQ(RunVerifyCommand({directory + "/alone/" + kExpectedCapture, corpus.sa_path, false, 100}, out, err), 0) << out.str();
  EXPECT_NE(out.str().find("0 failed, 0 with an unknown SPI, 1 without AH/ESP, 1 not IPv4"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("malformed"), std::string::npos) << out.str();
}

// Leaks in the middle of a run (frames only in actual.pcapng, two in a row) do not shift the
// pairing: with the index every frame pairs with its own vector's.
TEST(DiffCommandTest, LeaksInTheMiddlePairByIndex) {
  auto corpus = WriteCorpus();
  RunResult run;
  const auto add = [&](const std::string& id, const std::optional<Bytes>& expected, const std::optional<Bytes>& actual) {
    VectorResult vector;
    vector.id = id;
    StepResult step;
    step.op = "send";
    step.input_frame = expected ? expected : actual;
    step.expected_frame = expected;
    step.actual_frame = actual;
    step.verdict = expected == actual ? Verdict::kPass : Verdict::kFail;
    step.leaked = !expected;
    vector.verdict = step.verdict;
    vector.steps.push_back(step);
    run.vectors.push_back(vector);
  };
  add("a", corpus.expected[0], corpus.expected[0]);
  add("leak-1", std::nullopt, corpus.expected[1]);
  add("leak-2", std::nullopt, corpus.expected[2]);
  add("b", corpus.expected[3], corpus.expected[3]);
  add("c", corpus.expected[4], corpus.expected[4]);
  add("leak-3", std::nullopt, corpus.expected[5]);
  add("d", corpus.expected[6], corpus.expected[6]);
  const std::string directory = testing::TemporaryDirectory();
  ASSERT_TRUE(WriteReportFolder(run, directory).ok());
  DiffCommandOptions options;
  options.expected_path = directory + "/" + kExpectedCapture;
  options.actual_path = directory + "/" + kActualCapture;
  std::ostringstream out, err;
  EXPECT_EQ(RunDiffCommand(options, out, err), 1) << err.str();
  for (const char* leak : {"actual frame 2 [vector leak-1 step 0]: extra", "actual frame 3 [vector leak-2 step 0]: extra",
                           "actual frame 6 [vector leak-3 step 0]: extra"}) {
    EXPECT_NE(out.str().find(leak), std::string::npos) << leak << "\n" << out.str();
  }
  EXPECT_NE(out.str().find("summary: 4 frame pairs compared, 0 differ, 3 only in"), std::string::npos) << out.str();

  // The same captures without their index pair by content, with the same result.
  std::filesystem::create_directories(directory + "/e");
  std::filesystem::create_directories(directory + "/a");
  std::filesystem::copy_file(options.expected_path, directory + "/e/expected.pcapng");
  std::filesystem::copy_file(options.actual_path, directory + "/a/actual.pcapng");
  options.expected_path = directory + "/e/expected.pcapng";
  options.actual_path = directory + "/a/actual.pcapng";
  std::ostringstream content_out, content_err;
  EXPECT_EQ(RunDiffCommand(options, content_out, content_err), 1) << content_err.str();
  for (const char* leak : {"actual frame 2: extra", "actual frame 3: extra", "actual frame 6: extra"}) {
    EXPECT_NE(content_out.str().find(leak), std::string::npos) << leak << "\n" << content_out.str();
  }
  EXPECT_NE(content_out.str().find("summary: 4 frame pairs compared, 0 differ, 3 only in"), std::string::npos) << content_out.str();
}

// An index.json that lists the capture but cannot be read is bad input, named with the place.
TEST(VerifyCommandTest, ABrokenIndexIsBadInputNamingThePlace) {
  auto fixture = testing::FaultyNicRun();
  const std::string directory = testing::TemporaryDirectory();
  ReportOptions report_options;
  report_options.sas_for_vector = [&fixture](const VectorResult& vector) { return fixture.SasFor(vector); };
  ASSERT_TRUE(WriteReportFolder(fixture.run, directory, report_options).ok());
  auto corpus = WriteCorpus();
  std::ifstream in(directory + "/" + kPcapIndexFile);
  const std::string index((std::istreambuf_iterator<char>(in)), {});
  in.close();

  std::string bad_spi = index;
  const std::size_t spi = bad_spi.find("\"0x");
  ASSERT_NE(spi, std::string::npos);
  bad_spi.replace(spi, 3, "\"zz");
  std::ofstream(directory + "/" + kPcapIndexFile, std::ios::trunc) << bad_spi;
  std::ostringstream out, err;
  EXPECT_EQ(RunVerifyCommand({directory + "/" + kExpectedCapture, corpus.sa_path, false, 100}, out, err), 2);
  EXPECT_NE(err.str().find(directory + "/index.json: /frames/"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("sealed_spis: \"zz"), std::string::npos) << err.str();

  std::ofstream(directory + "/" + kPcapIndexFile, std::ios::trunc) << index.substr(0, index.size() / 2);
  std::ostringstream cut_out, cut_err;
  EXPECT_EQ(RunVerifyCommand({directory + "/" + kExpectedCapture, corpus.sa_path, false, 100}, cut_out, cut_err), 2);
  EXPECT_NE(cut_err.str().find("index.json: byte "), std::string::npos) << cut_err.str();
}

}  // namespace
}  // namespace sendpath::report
