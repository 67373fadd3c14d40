#include "reports/commands.h"

#include "reports/pcap_io.h"
#include "reports/tests/report_fixture.h"
#include "reports/tests/test_support.h"
#include "vectors/loader/vector_loader.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sendpath::report
