#include "reports/failure_groups.h"
#include "reports/writers.h"

#include "reports/pcap_io.h"
#include "reports/receive_check.h"
#include "reports/tests/report_fixture.h"
#include "reports/tests/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace sendpath::report {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string RunCommand(const std::string& command, int* status = nullptr) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  std::string output;
  if (!pipe) return output;
  std::array<char, 4096> buffer;
  std::size_t read;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) output.append(buffer.data(), read);
  const int result = ::pclose(pipe.release());
  if (status != nullptr) *status = result;
  return output;
}

struct Written {
  testing::RunFixture fixture;
  std::string directory;
};

Written WriteFixture(bool complete = true) {
  Written written{testing::FaultyNicRun(), testing::TemporaryDirectory()};
  written.fixture.run.complete = complete;
  GroupRunFailures(written.fixture.run);
  ReportOptions options;
  const auto* fixture = &written.fixture;
  options.sas_for_vector = [fixture](const VectorResult& vector) { return fixture->SasFor(vector); };
  auto status = WriteReportFolder(written.fixture.run, written.directory, options);
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
  return written;
}

TEST(WritersTest, PcapsHoldTheFramesWhereTheIndexSays) {
  auto written = WriteFixture();
  const auto index = nlohmann::json::parse(ReadFile(written.directory + "/index.json"));
  EXPECT_EQ(index.at("format"), kPcapIndexFormat);
  EXPECT_EQ(index.at("link_type"), "raw-ip");
  std::map<std::string, std::vector<std::vector<std::uint8_t>>> files;
  for (const char* name : {"input", "expected", "actual"}) {
    auto reader = PcapReader::Open(written.directory + "/" + name + ".pcapng");
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    PcapRecord record;
    std::string error;
    while (reader.value().Read(record, error) == PcapReader::Next::kRecord) files[name].emplace_back(record.data.begin(), record.data.end());
    EXPECT_TRUE(error.empty()) << error;
  }
  // Every step with frames is indexed, and the frame numbers point at the step's own bytes.
  std::size_t checked = 0;
  for (const auto& entry : index.at("frames")) {
    for (const auto& vector : written.fixture.run.vectors) {
      if (vector.id != entry.at("vector")) continue;
      for (const auto& step : vector.steps) {
        if (step.index != entry.at("step").get<std::size_t>()) continue;
        auto check = [&](const char* file, const std::optional<Bytes>& frame, std::size_t number) {
          EXPECT_EQ(entry.at(file).get<std::size_t>(), number);
          if (!frame) {
            EXPECT_EQ(number, 0u);
            return;
          }
          ASSERT_GE(number, 1u);
          ASSERT_LE(number, files[file].size());
          EXPECT_EQ(files[file][number - 1], *frame) << vector.id << " " << file;
          ++checked;
        };
        check("input", step.input_frame, step.input_frame_number);
        check("expected", step.expected_frame, step.expected_frame_number);
        check("actual", step.actual_frame, step.actual_frame_number);
      }
    }
  }
  EXPECT_EQ(checked, files["input"].size() + files["expected"].size() + files["actual"].size());
  EXPECT_EQ(files["input"].size(), 4u);
  EXPECT_EQ(files["expected"].size(), 3u);  // the refused send expects nothing
}

// The judge hands the report its receive check of each expected frame (StepResult::expected_check)
// when it had every SA of the vector; the index's sealed_spis and the esp_sa table are then read
// from that check, and are what the report's own check gives.
TEST(WritersTest, TheJudgesCheckOfAnExpectedFrameGivesTheIndexItsOwnCheckGives) {
  const auto write = [](testing::RunFixture& fixture, const std::string& directory) {
    ReportOptions options;
    const auto* run = &fixture;
    options.sas_for_vector = [run](const VectorResult& vector) { return run->SasFor(vector); };
    auto status = WriteReportFolder(fixture.run, directory, options);
    EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
    return ReadFile(directory + "/index.json") + ReadFile(directory + "/wireshark/esp_sa");
  };
  testing::RunFixture own = testing::FaultyNicRun();
  const std::string checked_here = write(own, testing::TemporaryDirectory());
  ASSERT_NE(checked_here.find("sealed_spis"), std::string::npos);

  testing::RunFixture handed = testing::FaultyNicRun();
  std::size_t shared = 0;
  for (VectorResult& vector : handed.run.vectors) {
    SaTable* sas = handed.SasFor(vector);
    for (StepResult& step : vector.steps) {
      if (sas == nullptr || !step.expected_frame) continue;
      auto check = std::make_shared<CheckResult>();
      ReceiveChecker(*sas).Check(*step.expected_frame, LinkType::kRawIp, *check);
      step.expected_check = std::move(check);
      ++shared;
    }
  }
  ASSERT_GT(shared, 0u);
  EXPECT_EQ(write(handed, testing::TemporaryDirectory()), checked_here);

  // The check handed over is the one read: one that found no header seals nothing.
  testing::RunFixture empty = testing::FaultyNicRun();
  for (VectorResult& vector : empty.run.vectors) {
    for (StepResult& step : vector.steps) {
      if (step.expected_frame) step.expected_check = std::make_shared<CheckResult>();
    }
  }
  EXPECT_NE(write(empty, testing::TemporaryDirectory()), checked_here);
}

TEST(WritersTest, PcapsOpenInTshark) {
  if (RunCommand("command -v tshark").empty()) GTEST_SKIP() << "tshark is not installed";
  auto written = WriteFixture();
  const std::string fields = RunCommand("tshark -r " + written.directory + "/" + kActualCapture + " -T fields -e frame.number -e ip.proto 2>/dev/null");
  EXPECT_NE(fields.find("1\t50"), std::string::npos) << fields;
  EXPECT_NE(fields.find("2\t51"), std::string::npos) << fields;
}

// The captures explain themselves: each frame's comment names its vector, step and verdict, and
// the printed command opens expected.pcapng with the run's ESP SAs: the tunnel's ESP decrypts
// and its ICV verifies, and UDP port 4500 is not taken for NAT-T.
TEST(WritersTest, CapturesCarryCommentsAndOpenDecryptedWithThePrintedCommand) {
  if (RunCommand("command -v tshark").empty()) GTEST_SKIP() << "tshark is not installed";
  auto written = WriteFixture();
  const std::string esp_sa = ReadFile(written.directory + "/" + kEspSaFile);
  EXPECT_NE(esp_sa.find("\"IPv4\",\""), std::string::npos) << esp_sa;
  const auto index = nlohmann::json::parse(ReadFile(written.directory + "/" + kPcapIndexFile));
  EXPECT_EQ(index.at("esp_sa"), kEspSaFile);
  EXPECT_NE(index.at("wireshark").get<std::string>().find("--disable-protocol udpencap"), std::string::npos);
  const std::string command = WiresharkCommand(written.directory, kExpectedCapture, /*udp_esp=*/false);
  EXPECT_NE(command.find("--disable-protocol udpencap"), std::string::npos);
  EXPECT_NE(command.find("esp.enable_encryption_decode:TRUE"), std::string::npos);
  EXPECT_NE(command.find("esp.enable_authentication_check:TRUE"), std::string::npos);
  const std::string fields =
      RunCommand(command + " -T fields -E 'separator=|' -e frame.number -e esp.icv_good -e frame.protocols -e frame.comment 2>/dev/null");
  const auto& tunnel = written.fixture.run.vectors[2];
  ASSERT_EQ(tunnel.verdict, Verdict::kFail);
  const std::string number = std::to_string(tunnel.steps[0].expected_frame_number);
  const std::string line = fields.substr(fields.find("\n" + number + "|") + 1);
  EXPECT_EQ(line.rfind(number + "|1|", 0), 0u) << fields;            // ICV good
  EXPECT_NE(line.find(":esp:ip:"), std::string::npos) << fields;     // decrypted: the inner IPv4 is dissected
  EXPECT_NE(line.find("vector " + tunnel.id + ", step 0 (send), expected frame; verdict fail"), std::string::npos) << fields;
  // Without the command's options the same frame stays ciphertext.
  const std::string plain = RunCommand("tshark -r " + written.directory + "/" + kExpectedCapture + " -T fields -e frame.protocols 2>/dev/null");
  EXPECT_EQ(plain.find(":esp:ip:"), std::string::npos) << plain;
}

// A run with UDP-ESP SAs keeps Wireshark's NAT-T dissector (udpencap): the printed command, the
// report's and index.json's leave it on, or ESP behind UDP 4500 would show as plain UDP data.
TEST(WritersTest, TheCommandKeepsNatTraversalForARunWithUdpEspSas) {
  EXPECT_EQ(WiresharkCommand(".", kExpectedCapture, true).find("udpencap"), std::string::npos);
  Written written{testing::FaultyNicRun(), testing::TemporaryDirectory()};
  EXPECT_FALSE(RunUsesUdpEsp(written.fixture.run));
  StepResult add;
  add.op = "add_udpesp_sa";
  written.fixture.run.vectors[0].steps.insert(written.fixture.run.vectors[0].steps.begin(), add);
  EXPECT_TRUE(RunUsesUdpEsp(written.fixture.run));
  GroupRunFailures(written.fixture.run);
  ReportOptions options;
  const auto* fixture = &written.fixture;
  options.sas_for_vector = [fixture](const VectorResult& vector) { return fixture->SasFor(vector); };
  ASSERT_TRUE(WriteReportFolder(written.fixture.run, written.directory, options).ok());
  const auto index = nlohmann::json::parse(ReadFile(written.directory + "/" + kPcapIndexFile));
  EXPECT_EQ(index.at("wireshark"), WiresharkCommand(".", kExpectedCapture, true));
  const std::string html = ReadFile(written.directory + "/report.html");
  EXPECT_EQ(html.find("--disable-protocol udpencap"), std::string::npos);
  EXPECT_NE(html.find("esp.enable_encryption_decode:TRUE"), std::string::npos);
}

// A leaked frame (a refused send that emitted one) is dissected and checked like any other: its
// fields are named and the receive check judges its ESP header.
TEST(WritersTest, ALeakedFrameIsDissected) {
  auto fixture = testing::FaultyNicRun();
  const VectorResult& tunnel = fixture.run.vectors[2];
  VectorResult vector = tunnel;
  StepResult& step = vector.steps[0];
  step.actual_frame = step.expected_frame;  // the NIC sealed and sent a frame it had to refuse
  step.expected_frame.reset();
  step.leaked = true;
  step.verdict = Verdict::kFail;
  const nlohmann::json decoded = DecodeStep(vector, step, fixture.SasFor(tunnel));
  std::set<std::string> names;
  for (const auto& field : decoded.at("fields")) names.insert(field.at("name").get<std::string>());
  EXPECT_TRUE(names.count("esp[outer].spi") == 1 || names.count("esp.spi") == 1) << decoded.dump();
  EXPECT_EQ(names.count("ipv4[inner].ttl"), 1u) << decoded.dump();
  EXPECT_EQ(decoded.at("receive_check").at("status"), "verified") << decoded.dump();
  for (const auto& field : decoded.at("fields")) {
    EXPECT_TRUE(field.at("expected").is_null()) << field.dump();
    EXPECT_FALSE(field.at("actual").is_null()) << field.dump();
  }
}

TEST(WritersTest, JunitXmlParsesWithOneTestcasePerStep) {
  auto written = WriteFixture();
  const std::string path = written.directory + "/junit.xml";
  // Parse it back with Python's XML parser and count what CI systems read.
  const std::string script =
      "import sys, xml.etree.ElementTree as E\n"
      "r = E.parse(sys.argv[1]).getroot()\n"
      "cases = r.findall('.//testcase')\n"
      "print(r.tag, len(cases), r.get('tests'), r.get('failures'), r.get('errors'), r.get('skipped'))\n"
      "for c in cases:\n"
      "  f = c.find('failure')\n"
      "  if f is not None: print('FAIL', c.get('classname'), '|', f.get('message'))\n";
  const std::string script_path = written.directory + "/parse.py";
  std::ofstream(script_path) << script;
  int status = 0;
  const std::string output = RunCommand("/usr/bin/python3 " + script_path + " " + path, &status);
  ASSERT_EQ(status, 0) << output;
  // 3 sends + (add_sa, send) + (send, delete_sa) + 1 vector without steps = 8 testcases.
  EXPECT_NE(output.find("testsuites 8 8 2 1 3"), std::string::npos) << output;
  EXPECT_NE(output.find("ah.icv differs"), std::string::npos) << output;
  EXPECT_NE(output.find("ipv4[inner].ttl differs"), std::string::npos) << output;
}

TEST(WritersTest, ResultsJsonHasTheDocumentedShape) {
  auto written = WriteFixture(false);
  const auto results = nlohmann::json::parse(ReadFile(written.directory + "/results.json"));
  for (const char* key : {"format", "sendpath_version", "command_line", "started_utc", "finished_utc", "complete", "candidate",
                          "vector_files", "load_errors", "run_notes", "summary", "pcaps", "vectors"}) {
    EXPECT_TRUE(results.contains(key)) << key;
  }
  EXPECT_EQ(results.at("format"), kResultsFormat);
  EXPECT_FALSE(results.at("complete").get<bool>());
  EXPECT_EQ(results.at("candidate").at("claimed_caps").size(), 3u);
  EXPECT_EQ(results.at("vector_files").at(0).at("sha256").get<std::string>().size(), 64u);
  EXPECT_EQ(results.at("summary").at("by_verdict").at("fail"), 3);
  EXPECT_EQ(results.at("summary").at("must").at("fail"), 2);
  EXPECT_EQ(results.at("summary").at("should").at("fail"), 1);
  EXPECT_EQ(results.at("summary").at("must_failures"), 3);  // two fails + one candidate error
  // results.json lists failures first (RESULTS.md, "Order of failures"): find the tunnel vector by id.
  const std::string tunnel_id = written.fixture.run.vectors.at(2).id;
  const auto& vectors = results.at("vectors");
  const auto found = std::find_if(vectors.begin(), vectors.end(), [&](const auto& v) { return v.at("id") == tunnel_id; });
  ASSERT_NE(found, vectors.end());
  const auto& tunnel = *found;
  EXPECT_EQ(tunnel.at("verdict"), "fail");
  const auto& step = tunnel.at("steps").at(0);
  for (const char* key : {"index", "op", "verdict", "diagnosis", "notes", "expected_status", "actual_status", "input_frame",
                          "expected_frame", "actual_frame", "iv_bytes", "differences", "leaked", "leaked_plaintext", "frames", "decoded"}) {
    EXPECT_TRUE(step.contains(key)) << key;
  }
  EXPECT_EQ(step.at("frames").at("actual"), 3);
  bool ttl_decoded = false;
  for (const auto& field : step.at("decoded").at("fields")) {
    if (field.at("name") == "ipv4[inner].ttl") ttl_decoded = field.value("differs", false) && field.value("decrypted", false);
  }
  EXPECT_TRUE(ttl_decoded);
  EXPECT_EQ(step.at("expected_status"), "NDIS_STATUS_SUCCESS");
}

// The streamed results.json writes the entries of vectors that did not fail without a DOM: each
// is the value WriteResultsJson's DOM gives, in nlohmann's own compact form (sorted keys, its
// number and escape formats), so the file is the same whichever way an entry was written.
TEST(WritersTest, EntriesWrittenWithoutADomAreTheDomsBytes) {
  auto written = WriteFixture();
  RunResult& run = written.fixture.run;
  // Strings that need escaping, UTF-8, an invalid byte and numbers of every shape.
  VectorResult odd = run.vectors.at(0);
  ASSERT_EQ(odd.verdict, Verdict::kPass);
  odd.id = "odd/\"quoted\"\\back\tslash";
  odd.title = "caf\xc3\xa9 \x01 \xff end";
  odd.diagnosis = "line\nbreak";
  odd.flags = {"A/B~C", "\x7f"};
  odd.notes = {"a note"};
  odd.seconds = 1.25e-7;
  for (StepResult& step : odd.steps) {
    step.notes = {"n\"1", "\xe2\x82\xac"};
    step.seconds = 12345.678901234;
    step.iv_bytes = {{8, 16}, {40, 8}};
    step.actual_status = static_cast<std::int32_t>(0xc0010017u);  // a status without a name
  }
  VectorResult skipped = run.vectors.at(0);
  skipped.id = "odd/skipped";
  skipped.verdict = Verdict::kSkipped;
  skipped.steps.clear();
  skipped.seconds = 0;
  run.vectors.push_back(odd);
  run.vectors.push_back(skipped);
  const std::string directory = written.directory + "/again";
  ReportOptions options;
  const auto* fixture = &written.fixture;
  options.sas_for_vector = [fixture](const VectorResult& vector) { return fixture->SasFor(vector); };
  ASSERT_TRUE(WriteReportFolder(run, directory, options).ok());
  ASSERT_TRUE(WriteResultsJson(run, directory + "/dom.json", options).ok());

  const auto dom = nlohmann::json::parse(ReadFile(directory + "/dom.json")).at("vectors");
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& vector : dom) by_id.emplace(vector.at("id").get<std::string>(), vector);
  std::istringstream lines(ReadFile(directory + "/results.json"));
  std::size_t entries = 0, plain = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.ends_with(",")) line.pop_back();  // entries are separated by ",\n"
    if (!line.starts_with("{\"cause\":")) continue;
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(entry.is_discarded()) << line;
    ++entries;
    // nlohmann's compact form of a passing entry's value is the line itself (a failure's entry
    // gets its "failure_group" appended at the end of the run) ...
    if (entry.at("verdict") == "pass" || entry.at("verdict") == "skipped") {
      ++plain;
      EXPECT_EQ(entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), line);
    }
    // ... and the value is the DOM writer's.
    const auto found = by_id.find(entry.at("id").get<std::string>());
    ASSERT_NE(found, by_id.end()) << line;
    EXPECT_EQ(entry, found->second) << entry.at("id");
  }
  EXPECT_EQ(entries, run.vectors.size());
  EXPECT_GE(plain, 3u);
  // index.json's frame entries are written the same way: each line is nlohmann's compact form.
  std::istringstream index(ReadFile(directory + "/" + kPcapIndexFile));
  std::size_t frames = 0;
  for (std::string line; std::getline(index, line);) {
    if (line.ends_with(",")) line.pop_back();  // entries are separated by ",\n"
    if (!line.starts_with("{\"actual\":")) continue;
    ++frames;
    const auto frame = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(frame.is_discarded()) << line;
    EXPECT_EQ(frame.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), line);
  }
  EXPECT_GT(frames, 0u);
}

TEST(WritersTest, WritesLeaveNoTemporaryFiles) {
  auto written = WriteFixture();
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(written.directory)) names.insert(entry.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{kActualCapture, kExpectedCapture, kPcapIndexFile, kInputCapture, "junit.xml", "report.html", "results.json",
                                          kWiresharkDir}));
  std::set<std::string> wireshark;
  for (const auto& entry : std::filesystem::directory_iterator(written.directory + "/" + kWiresharkDir)) wireshark.insert(entry.path().filename().string());
  EXPECT_EQ(wireshark, (std::set<std::string>{"esp_sa"}));
}

TEST(WritersTest, HtmlIsSelfContainedAndEscaped) {
  auto written = WriteFixture(false);
  const std::string html = ReadFile(written.directory + "/report.html");
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_NE(html.find("id=\"incomplete\""), std::string::npos);
}

// A reviewer meets the failures first: MUST failures, then candidate errors, ... passes last,
// each group in run order (the fixture's run starts with a pass).
TEST(WritersTest, HtmlListsFailuresBeforePasses) {
  auto written = WriteFixture();
  const std::string html = ReadFile(written.directory + "/report.html");
  const auto& vectors = written.fixture.run.vectors;
  const std::string open = "<script type=\"application/json\" id=\"rows-data\">";
  const std::size_t begin = html.find(open);
  ASSERT_NE(begin, std::string::npos);
  const auto rows = nlohmann::json::parse(html.substr(begin + open.size(), html.find("</script>", begin) - begin - open.size()));
  ASSERT_EQ(rows.size(), vectors.size());
  std::vector<std::size_t> position(vectors.size());
  for (std::size_t i = 0; i < rows.size(); ++i) position[rows[i].at(0).get<std::size_t>()] = i;
  std::size_t first_pass = vectors.size(), first_fail = vectors.size(), first_error = vectors.size(), not_claimed = vectors.size();
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    EXPECT_EQ(rows[position[i]].at(1), vectors[i].id);
    if (vectors[i].verdict == Verdict::kPass) first_pass = std::min(first_pass, position[i]);
    if (vectors[i].verdict == Verdict::kFail && vectors[i].must) first_fail = std::min(first_fail, position[i]);
    if (vectors[i].verdict == Verdict::kCandidateError) first_error = std::min(first_error, position[i]);
    if (vectors[i].verdict == Verdict::kNotClaimed) not_claimed = std::min(not_claimed, position[i]);
  }
  ASSERT_EQ(vectors.front().verdict, Verdict::kPass);
  ASSERT_LT(first_fail, vectors.size());
  ASSERT_LT(first_error, vectors.size());
  ASSERT_LT(not_claimed, vectors.size());
  EXPECT_LT(first_fail, first_error);
  EXPECT_LT(first_error, not_claimed);
  EXPECT_LT(not_claimed, first_pass);
}


// The page itself needs no emoji or symbol font: every character outside ASCII is Latin-1 or
// general punctuation (em dash, middle dot), not a pictograph, dingbat or geometric shape.
void ExpectNoSpecialGlyphs(const std::string& html) {
  for (std::size_t i = 0; i < html.size();) {
    const auto c = static_cast<unsigned char>(html[i]);
    std::uint32_t code = c;
    std::size_t length = 1;
    if (c >= 0xf0) {
      code = (c & 0x07u) << 18 | (html[i + 1] & 0x3fu) << 12 | (html[i + 2] & 0x3fu) << 6 | (html[i + 3] & 0x3fu);
      length = 4;
    } else if (c >= 0xe0) {
      code = (c & 0x0fu) << 12 | (html[i + 1] & 0x3fu) << 6 | (html[i + 2] & 0x3fu);
      length = 3;
    } else if (c >= 0xc0) {
      code = (c & 0x1fu) << 6 | (html[i + 1] & 0x3fu);
      length = 2;
    }
    EXPECT_LT(code, 0x2100u) << "U+" << std::hex << code << " at byte " << std::dec << i << ": "
                             << html.substr(i > 40 ? i - 40 : 0, 80);
    i += length;
  }
}

TEST(WritersTest, HtmlNeedsNoEmojiFont) {
  auto written = WriteFixture();
  const std::string html = ReadFile(written.directory + "/report.html");
  ExpectNoSpecialGlyphs(html);
  EXPECT_EQ(html.find("\xf0\x9f\x94\x93"), std::string::npos);  // the old "decrypted" padlock
  EXPECT_NE(html.find("'decrypted'"), std::string::npos);         // now a text tag
}

std::string Chromium() { return RunCommand("command -v chromium || command -v chromium-browser"); }

// The DOM of `url` after its scripts ran, from headless Chromium at 1280x900.
std::string DumpDom(const std::string& url, int* status) {
  const std::string profile = testing::TemporaryDirectory();
  const std::string command =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --disable-dev-shm-usage --allow-file-access-from-files --window-size=1280,900 "
      "--user-data-dir=" + profile + " --virtual-time-budget=20000 --dump-dom '" + url + "' 2>/dev/null";
  return RunCommand(command, status);
}

// A test page that loads report.html in a 1280x900 frame (the first screen of a laptop) and
// writes what lies where once the report's script is done: "PROBE {json}".
std::string ProbeFirstScreen(const std::string& directory) {
  const std::string probe = R"html(<!doctype html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:1280px;height:900px;border:0"></iframe><pre id="out"></pre>
<script>
const f = document.getElementById('f');
function probe(){
  const d = f.contentDocument;
  if (!d || !d.body || d.body.dataset.ready !== '1'){ setTimeout(probe, 20); return; }
  const box = id => { const e = d.getElementById(id); if (!e) return null; const r = e.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.bottom)]; };
  const diag = d.querySelector('#vectors thead th:nth-child(6)');
  const out = {outcome: box('outcome'), profile: box('profile'), groups: box('groups'), provenance: box('provenance'),
               provenance_open: d.getElementById('provenance').open, diagnosis_width: diag ? Math.round(diag.getBoundingClientRect().width) : 0,
               rows: d.querySelectorAll('#vector-rows tr.row').length, shown: d.getElementById('shown').textContent,
               page: d.getElementById('page').textContent, groups_text: d.getElementById('groups').innerText};
  document.getElementById('out').textContent = 'PROBE ' + JSON.stringify(out) + ' END';
}
f.addEventListener('load', probe);
</script></body></html>)html";
  std::ofstream(directory + "/probe.html") << probe;
  int status = 0;
  const std::string dom = DumpDom("file://" + directory + "/probe.html", &status);
  EXPECT_EQ(status, 0) << dom.substr(0, 400);
  const std::size_t begin = dom.find("PROBE ");
  const std::size_t end = dom.find(" END", begin);
  if (begin == std::string::npos || end == std::string::npos) return "{}";
  std::string json = dom.substr(begin + 6, end - begin - 6);
  // --dump-dom escapes the text: undo what JSON.stringify output can contain.
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
    for (std::size_t at = json.find(from); at != std::string::npos; at = json.find(from, at + to.size())) json.replace(at, from.size(), to);
  }
  return json;
}

// Renders report.html in headless Chromium and reads the DOM after the scripts ran.
TEST(WritersTest, ReportRendersInHeadlessChromium) {
  if (Chromium().empty()) GTEST_SKIP() << "chromium is not installed";
  auto written = WriteFixture();
  int status = 0;
  const std::string dom = DumpDom("file://" + written.directory + "/report.html#expand", &status);
  ASSERT_EQ(status, 0) << dom.substr(0, 400);
  EXPECT_NE(dom.find("data-ready=\"1\""), std::string::npos) << "the page script did not finish";
  for (const auto& vector : written.fixture.run.vectors) {
    if (vector.verdict == Verdict::kPass) continue;
    std::string escaped_id;
    for (char c : vector.id) escaped_id += c == '<' ? std::string("&lt;") : c == '>' ? std::string("&gt;") : std::string(1, c);
    EXPECT_NE(dom.find(escaped_id), std::string::npos) << vector.id;
  }
  // The diagnoses, rendered both in the table and in the expanded details.
  EXPECT_NE(dom.find("ah.icv differs"), std::string::npos);
  EXPECT_NE(dom.find("ipv4[inner].ttl differs: expected"), std::string::npos);
  EXPECT_NE(dom.find("candidate crashed: signal 11"), std::string::npos);
  // Details were rendered from the embedded JSON: byte maps, decoded fields, pcap frame numbers.
  EXPECT_NE(dom.find("class=\"bytemap\""), std::string::npos);
  EXPECT_NE(dom.find("class=\"r-icv diff\""), std::string::npos);
  EXPECT_NE(dom.find("<summary>decoded fields, expected vs actual</summary>"), std::string::npos);
  EXPECT_NE(dom.find(std::string(kActualCapture) + " #3"), std::string::npos);
  EXPECT_NE(dom.find("· LEAKED a frame carrying plaintext"), std::string::npos);
  EXPECT_NE(dom.find("class=\"tag\""), std::string::npos);  // "decrypted", as text

  // #v-N (the failure groups link there) opens row N on its page, and only that row.
  const std::string one = DumpDom("file://" + written.directory + "/report.html#v-2", &status);
  ASSERT_EQ(status, 0);
  // (The page's script holds these texts too: look for them as rendered elements.)
  EXPECT_NE(one.find("<summary>decoded fields, expected vs actual</summary>"), std::string::npos);
  std::size_t steps = 0;
  for (std::size_t at = one.find("class=\"step\""); at != std::string::npos; at = one.find("class=\"step\"", at + 1)) ++steps;
  EXPECT_EQ(steps, written.fixture.run.vectors[2].steps.size());
  EXPECT_EQ(one.find("· LEAKED a frame carrying plaintext"), std::string::npos);
}

// The first screen (1280x900) holds the verdict, the claimed profile and the failure groups;
// provenance is folded below them; the diagnosis column is wide enough to read.
TEST(WritersTest, FirstScreenIsVerdictProfileAndFailureGroups) {
  if (Chromium().empty()) GTEST_SKIP() << "chromium is not installed";
  auto written = WriteFixture();
  const auto probe = nlohmann::json::parse(ProbeFirstScreen(written.directory), nullptr, false);
  ASSERT_FALSE(probe.is_discarded());
  ASSERT_TRUE(probe.contains("groups")) << probe.dump();
  for (const char* part : {"outcome", "profile", "groups"}) {
    ASSERT_TRUE(probe.at(part).is_array()) << part << " " << probe.dump();
    EXPECT_LE(probe.at(part).at(1).get<int>(), 900) << part << " ends below the first screen: " << probe.dump();
  }
  EXPECT_LT(probe.at("outcome").at(0).get<int>(), probe.at("groups").at(0).get<int>());
  EXPECT_LT(probe.at("groups").at(1).get<int>(), probe.at("provenance").at(0).get<int>()) << probe.dump();
  EXPECT_FALSE(probe.at("provenance_open").get<bool>());
  EXPECT_GE(probe.at("diagnosis_width").get<int>(), 300) << probe.dump();
  const std::string groups = probe.at("groups_text").get<std::string>();
  EXPECT_NE(groups.find("ah.icv differs"), std::string::npos) << groups;
  EXPECT_NE(groups.find("ipv4[inner].ttl differs\t"), std::string::npos) << "a cause carries no values: " << groups;
  EXPECT_NE(groups.find("candidate crashed: signal 11 (SIGSEGV)"), std::string::npos) << groups;
  EXPECT_EQ(groups.find("sha256"), std::string::npos) << groups;
}

// 100,000 vectors: the page stays small and loads with one page of rows drawn; the failures are
// grouped by cause. The times are printed, not asserted (speed belongs in bench/).
TEST(WritersTest, AHundredThousandVectorsLoad) {
  if (Chromium().empty()) GTEST_SKIP() << "chromium is not installed";
  RunResult run;
  run.sendpath_version = "test";
  run.command_line = "sendpath run (synthetic)";
  run.candidate.spec = "synthetic";
  run.candidate.claimed_caps = {"V4ESP.Send"};
  constexpr std::size_t kVectors = 100000;
  for (std::size_t i = 0; i < kVectors; ++i) {
    VectorResult vector;
    char id[64];
    std::snprintf(id, sizeof id, "synthetic/group-%03zu/vector-%06zu", i % 500, i);
    vector.id = id;
    vector.title = "synthetic vector";
    vector.file = "synthetic.json";
    StepResult step;
    step.op = "send";
    step.input_frame_number = step.expected_frame_number = step.actual_frame_number = i + 1;
    if (i % 100 == 7) {
      vector.verdict = step.verdict = Verdict::kFail;
      char diagnosis[96];
      std::snprintf(diagnosis, sizeof diagnosis, "ah.icv differs: expected %08zx, actual %08zx", i, i + 1);
      vector.diagnosis = step.diagnosis = diagnosis;
    } else if (i % 250 == 11) {
      vector.verdict = step.verdict = Verdict::kFail;
      vector.diagnosis = step.diagnosis = "status NDIS_STATUS_SUCCESS, expected NDIS_STATUS_FAILURE";
    }
    vector.steps.push_back(std::move(step));
    run.vectors.push_back(std::move(vector));
  }
  GroupRunFailures(run);
  const std::string directory = testing::TemporaryDirectory();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(WriteHtmlReport(run, directory + "/report.html").ok());
  const double write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(std::filesystem::file_size(directory + "/report.html"), 40u * 1024 * 1024);
  ExpectNoSpecialGlyphs(ReadFile(directory + "/report.html"));
  const auto load_started = std::chrono::steady_clock::now();
  const auto probe = nlohmann::json::parse(ProbeFirstScreen(directory), nullptr, false);
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_started).count();
  ASSERT_FALSE(probe.is_discarded());
  ASSERT_TRUE(probe.contains("rows")) << probe.dump();
  EXPECT_EQ(probe.at("rows").get<int>(), 100);
  EXPECT_EQ(probe.at("shown").get<std::string>(), "100000 of 100000 vectors shown");
  EXPECT_NE(probe.at("page").get<std::string>().find("page 1 of 1000"), std::string::npos) << probe.dump();
  const std::string groups = probe.at("groups_text").get<std::string>();
  EXPECT_NE(groups.find("1000\tMUST fail\tah.icv differs\t"), std::string::npos) << groups;
  EXPECT_NE(groups.find("400\tMUST fail\tsend status NDIS_STATUS_SUCCESS, expected NDIS_STATUS_FAILURE"), std::string::npos) << groups;
  std::printf("100,000 vectors: report.html written in %.2f s (%ju bytes), loaded in Chromium in %.2f s\n", write_seconds,
              static_cast<std::uintmax_t>(std::filesystem::file_size(directory + "/report.html")), load_seconds);
}

}  // namespace
}  // namespace sendpath::report
