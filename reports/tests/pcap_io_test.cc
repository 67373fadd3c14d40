#include "reports/pcap_io.h"

#include "reports/tests/test_support.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

namespace sendpath::report {
namespace {

std::vector<std::uint8_t> FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}
void WriteBytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::vector<std::uint8_t>> SampleFrames(std::size_t count) {
  std::vector<std::vector<std::uint8_t>> frames;
  for (const auto& sample : testing::LoadIndependentCases()) {
    frames.push_back(testing::FromHex(sample.at("expected_ip").get<std::string>()));
    if (frames.size() == count) break;
  }
  return frames;
}

class PcapIoTest : public ::testing::TestWithParam<LinkType> {};

TEST_P(PcapIoTest, WriteThenReadRoundTrip) {
  const std::string path = testing::TemporaryDirectory() + "/round.pcap";
  auto frames = SampleFrames(5);
  if (GetParam() == LinkType::kEthernet) {
    for (auto& frame : frames) frame.insert(frame.begin(), {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00});
  }
  {
    auto writer = PcapWriter::Create(path, GetParam());
    ASSERT_TRUE(writer.ok()) << writer.error().message;
    for (std::size_t i = 0; i < frames.size(); ++i) writer.value().Write(frames[i], static_cast<std::int64_t>(i + 1), 250);
    // Nothing is visible under the final name before Commit().
    EXPECT_FALSE(std::ifstream(path).good());
    ASSERT_TRUE(writer.value().Commit().ok());
  }
  auto reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader.value().link_type(), GetParam());
  PcapRecord record;
  std::string error;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(reader.value().Read(record, error), PcapReader::Next::kRecord) << error;
    EXPECT_EQ(record.number, i + 1);
    EXPECT_EQ(record.seconds, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(record.microseconds, 250);
    EXPECT_EQ(std::vector<std::uint8_t>(record.data.begin(), record.data.end()), frames[i]);
    EXPECT_EQ(record.wire_length, frames[i].size());
    const auto ip = Ipv4Offset(record.data, GetParam());
    ASSERT_TRUE(ip.has_value());
    EXPECT_EQ(*ip, GetParam() == LinkType::kEthernet ? 14u : 0u);
  }
  EXPECT_EQ(reader.value().Read(record, error), PcapReader::Next::kEnd);
}

INSTANTIATE_TEST_SUITE_P(LinkTypes, PcapIoTest, ::testing::Values(LinkType::kRawIp, LinkType::kEthernet),
                         [](const ::testing::TestParamInfo<LinkType>& param_info) { return std::string(param_info.param == LinkType::kRawIp ? "RawIp" : "Ethernet"); });

TEST(PcapIoTest, UncommittedWriterLeavesNoFile) {
  const std::string directory = testing::TemporaryDirectory();
  {
    auto writer = PcapWriter::Create(directory + "/never.pcap", LinkType::kRawIp);
    ASSERT_TRUE(writer.ok());
    writer.value().Write(SampleFrames(1)[0]);
  }
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) ++files;
  EXPECT_EQ(files, 0u);
}

// tests/data/three-frames.pcapng: three Ethernet frames of gen_capture --kind esp-tunnel,
// converted with `editcap -F pcapng` (tshark 4.0).
TEST(PcapIoTest, ReadsPcapng) {
  auto reader = PcapReader::Open(std::string(SENDPATH_REPORTS_TEST_DATA) + "/three-frames.pcapng");
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader.value().link_type(), LinkType::kEthernet);
  PcapRecord record;
  std::string error;
  std::size_t frames = 0;
  while (reader.value().Read(record, error) == PcapReader::Next::kRecord) {
    ++frames;
    EXPECT_EQ(Ipv4Offset(record.data, LinkType::kEthernet), std::optional<std::size_t>(14));
  }
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(frames, 3u);
}

TEST(PcapIoTest, TruncatedCaptureNamesFrameAndOffset) {
  const std::string directory = testing::TemporaryDirectory();
  const std::string path = directory + "/whole.pcap";
  auto frames = SampleFrames(3);
  {
    auto writer = PcapWriter::Create(path, LinkType::kRawIp);
    ASSERT_TRUE(writer.ok());
    for (const auto& frame : frames) writer.value().Write(frame);
    ASSERT_TRUE(writer.value().Commit().ok());
  }
  auto bytes = FileBytes(path);
  const std::size_t third_record = 24 + 16 + frames[0].size() + 16 + frames[1].size();
  bytes.resize(third_record + 16 + 10);  // the third record's data is cut short
  WriteBytes(directory + "/truncated.pcap", bytes);
  auto reader = PcapReader::Open(directory + "/truncated.pcap");
  ASSERT_TRUE(reader.ok());
  PcapRecord record;
  std::string error;
  EXPECT_EQ(reader.value().Read(record, error), PcapReader::Next::kRecord);
  EXPECT_EQ(reader.value().Read(record, error), PcapReader::Next::kRecord);
  EXPECT_EQ(reader.value().Read(record, error), PcapReader::Next::kError);
  EXPECT_NE(error.find("frame 3"), std::string::npos) << error;
  EXPECT_NE(error.find("byte offset " + std::to_string(third_record)), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST(PcapIoTest, GarbageAndMissingFilesAreErrors) {
  const std::string directory = testing::TemporaryDirectory();
  std::vector<std::uint8_t> garbage(200);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<std::uint8_t>(i * 97 + 5);
  WriteBytes(directory + "/garbage.pcap", garbage);
  auto reader = PcapReader::Open(directory + "/garbage.pcap");
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.error().message.find("garbage.pcap"), std::string::npos);
  EXPECT_FALSE(PcapReader::Open(directory + "/missing.pcap").ok());
  WriteBytes(directory + "/empty.pcap", {});
  EXPECT_FALSE(PcapReader::Open(directory + "/empty.pcap").ok());

  // A valid header followed by a record claiming an absurd length.
  auto header = FileBytes(std::string(SENDPATH_REPORTS_TEST_DATA) + "/three-frames.pcap");
  header.resize(24);
  std::vector<std::uint8_t> record = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3};
  header.insert(header.end(), record.begin(), record.end());
  WriteBytes(directory + "/absurd.pcap", header);
  auto absurd = PcapReader::Open(directory + "/absurd.pcap");
  ASSERT_TRUE(absurd.ok());
  PcapRecord out;
  std::string error;
  EXPECT_EQ(absurd.value().Read(out, error), PcapReader::Next::kError);
  EXPECT_NE(error.find("frame 1 at byte offset 24"), std::string::npos) << error;
}

TEST(PcapIoTest, UnsupportedLinkTypeIsAnError) {
  const std::string path = testing::TemporaryDirectory() + "/usb.pcap";
  auto bytes = FileBytes(std::string(SENDPATH_REPORTS_TEST_DATA) + "/three-frames.pcap");
  bytes.resize(24);
  bytes[20] = 189;  // LINKTYPE_USB_LINUX
  WriteBytes(path, bytes);
  auto reader = PcapReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.error().message.find("not supported"), std::string::npos) << reader.error().message;
}

std::uint32_t Le32(const std::vector<std::uint8_t>& bytes, std::size_t offset) {
  return bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (static_cast<std::uint32_t>(bytes[offset + 3]) << 24);
}

std::string Shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  std::string output;
  std::array<char, 4096> buffer;
  std::size_t read;
  while (pipe && (read = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) output.append(buffer.data(), read);
  return output;
}

// Frames of 1, 2, 3, 4, 5 and 41 bytes and comments of every length mod 4 exercise the 32-bit
// padding of packet data and options.
std::vector<std::vector<std::uint8_t>> OddFrames() {
  std::vector<std::vector<std::uint8_t>> frames;
  for (std::size_t length : {1, 2, 3, 4, 5, 41}) {
    std::vector<std::uint8_t> frame(length);
    for (std::size_t i = 0; i < length; ++i) frame[i] = static_cast<std::uint8_t>(0x45 + i);
    frames.push_back(std::move(frame));
  }
  frames.push_back(SampleFrames(1).front());
  return frames;
}
const std::vector<std::string> kComments = {"a", "bb", "ccc", "dddd", "", "vector kat/x step 2: fail", "sendpath: \xc3\xa9t\xc3\xa9"};

std::string WriteOddPcapng(const std::string& path) {
  auto writer = PcapngWriter::Create(path, LinkType::kRawIp, "expected", "sendpath: frames the contract says must come out");
  EXPECT_TRUE(writer.ok()) << writer.error().message;
  const auto frames = OddFrames();
  for (std::size_t i = 0; i < frames.size(); ++i) writer.value().Write(frames[i], static_cast<std::int64_t>(i + 1), 250, kComments[i]);
  EXPECT_EQ(writer.value().frames_written(), frames.size());
  EXPECT_TRUE(writer.value().Commit().ok());
  return path;
}

// The block structure by hand: SHB, IDB, one EPB per frame; little-endian; every block a
// multiple of 4 bytes with its length at both ends.
TEST(PcapngWriterTest, BlocksAreWellFormed) {
  const auto bytes = FileBytes(WriteOddPcapng(testing::TemporaryDirectory() + "/odd.pcapng"));
  ASSERT_GE(bytes.size(), 28u);
  EXPECT_EQ(Le32(bytes, 0), 0x0A0D0D0Au);
  EXPECT_EQ(Le32(bytes, 8), 0x1A2B3C4Du);
  std::vector<std::uint32_t> types;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    ASSERT_LE(offset + 12, bytes.size());
    const std::uint32_t length = Le32(bytes, offset + 4);
    ASSERT_EQ(length % 4, 0u) << "block at " << offset;
    ASSERT_LE(offset + length, bytes.size());
    EXPECT_EQ(Le32(bytes, offset + length - 4), length) << "block at " << offset;
    types.push_back(Le32(bytes, offset));
    if (types.back() == 1) {
      EXPECT_EQ(bytes[offset + 8] | (bytes[offset + 9] << 8), 101);  // LINKTYPE_RAW
    }
    offset += length;
  }
  EXPECT_EQ(offset, bytes.size());
  ASSERT_EQ(types.size(), 2 + OddFrames().size());
  EXPECT_EQ(types[0], 0x0A0D0D0Au);
  EXPECT_EQ(types[1], 1u);
  for (std::size_t i = 2; i < types.size(); ++i) EXPECT_EQ(types[i], 6u);
}

// libpcap (the reader of every sendpath command) reads the frames, lengths and timestamps back.
TEST(PcapngWriterTest, LibpcapReadsItBack) {
  const std::string path = WriteOddPcapng(testing::TemporaryDirectory() + "/odd.pcapng");
  auto reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader.value().link_type(), LinkType::kRawIp);
  const auto frames = OddFrames();
  PcapRecord record;
  std::string error;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(reader.value().Read(record, error), PcapReader::Next::kRecord) << error;
    EXPECT_EQ(record.number, i + 1);
    EXPECT_EQ(std::vector<std::uint8_t>(record.data.begin(), record.data.end()), frames[i]);
    EXPECT_EQ(record.wire_length, frames[i].size());
    EXPECT_EQ(record.seconds, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(record.microseconds, 250);
  }
  EXPECT_EQ(reader.value().Read(record, error), PcapReader::Next::kEnd) << error;
}

TEST(PcapngWriterTest, UncommittedLeavesNothing) {
  const std::string directory = testing::TemporaryDirectory();
  {
    auto writer = PcapngWriter::Create(directory + "/never.pcapng", LinkType::kEthernet, "x", "y");
    ASSERT_TRUE(writer.ok());
    writer.value().Write(SampleFrames(1).front(), 1, 0, "c");
  }
  EXPECT_TRUE(std::filesystem::is_empty(directory));
}

// Wireshark's reader: the comments and the interface description come out as written.
TEST(PcapngWriterTest, TsharkShowsCommentsAndInterfaceDescription) {
  if (Shell("command -v tshark").empty()) GTEST_SKIP() << "tshark is not installed";
  const std::string path = WriteOddPcapng(testing::TemporaryDirectory() + "/odd.pcapng");
  const std::string fields =
      Shell("tshark -r " + path + " -T fields -E 'separator=|' -e frame.number -e frame.comment -e frame.interface_description 2>&1");
  EXPECT_NE(fields.find("1|a|sendpath: frames the contract says must come out"), std::string::npos) << fields;
  EXPECT_NE(fields.find("4|dddd|"), std::string::npos) << fields;
  EXPECT_NE(fields.find("6|vector kat/x step 2: fail|"), std::string::npos) << fields;
  EXPECT_NE(fields.find("7|sendpath: \xc3\xa9t\xc3\xa9|"), std::string::npos) << fields;
  EXPECT_EQ(fields.find("rror"), std::string::npos) << fields;
  EXPECT_EQ(fields.find("appears to"), std::string::npos) << fields;  // "appears to be damaged or corrupt"
}

}  // namespace
}  // namespace sendpath::report
