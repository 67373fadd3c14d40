#include "reports/writers.h"

#include "reports/pcap_io.h"
#include "reports/tests/report_fixture.h"
#include "reports/tests/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
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
    auto reader = PcapReader::Open(written.directory + "/" + name + ".pcap");
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

TEST(WritersTest, PcapsOpenInTshark) {
  if (RunCommand("command -v tshark").empty()) GTEST_SKIP() << "tshark is not installed";
  auto written = WriteFixture();
  const std::string fields = RunCommand("tshark -r " + written.directory + "/actual.pcap -T fields -e frame.number -e ip.proto 2>/dev/null");
  EXPECT_NE(fields.find("1\t50"), std::string::npos) << fields;
  EXPECT_NE(fields.find("2\t51"), std::string::npos) << fields;
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

TEST(WritersTest, WritesLeaveNoTemporaryFiles) {
  auto written = WriteFixture();
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(written.directory)) names.insert(entry.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"actual.pcap", "expected.pcap", "index.json", "input.pcap", "junit.xml", "report.html", "results.json"}));
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
  const auto row = [&](std::size_t index) { return html.find("<tr class=\"row\" id=\"v-" + std::to_string(index) + "\""); };
  std::size_t first_pass = std::string::npos, first_fail = std::string::npos, first_error = std::string::npos,
              not_claimed = std::string::npos;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    ASSERT_NE(row(i), std::string::npos) << vectors[i].id;
    const auto at = row(i);
    if (vectors[i].verdict == Verdict::kPass) first_pass = std::min(first_pass, at);
    if (vectors[i].verdict == Verdict::kFail && vectors[i].must) first_fail = std::min(first_fail, at);
    if (vectors[i].verdict == Verdict::kCandidateError) first_error = std::min(first_error, at);
    if (vectors[i].verdict == Verdict::kNotClaimed) not_claimed = std::min(not_claimed, at);
  }
  ASSERT_EQ(vectors.front().verdict, Verdict::kPass);
  ASSERT_NE(first_fail, std::string::npos);
  ASSERT_NE(first_error, std::string::npos);
  ASSERT_NE(not_claimed, std::string::npos);
  EXPECT_LT(first_fail, first_error);
  EXPECT_LT(first_error, not_claimed);
  EXPECT_LT(not_claimed, first_pass);
}

// Renders report.html in headless Chromium and reads the DOM after the scripts ran.
TEST(WritersTest, ReportRendersInHeadlessChromium) {
  const std::string chromium = RunCommand("command -v chromium || command -v chromium-browser");
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed";
  auto written = WriteFixture();
  const std::string profile = testing::TemporaryDirectory();
  const std::string command =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=" + profile +
      " --virtual-time-budget=5000 --dump-dom 'file://" + written.directory + "/report.html#expand' 2>/dev/null";
  int status = 0;
  const std::string dom = RunCommand(command, &status);
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
  EXPECT_NE(dom.find("decoded fields, expected vs actual"), std::string::npos);
  EXPECT_NE(dom.find("actual.pcap #3"), std::string::npos);
  EXPECT_NE(dom.find("LEAKED a frame carrying plaintext"), std::string::npos);
}

}  // namespace
}  // namespace sendpath::report
