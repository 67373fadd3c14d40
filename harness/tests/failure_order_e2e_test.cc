// Issue 11 end to end: a faulty sample NIC (candidates/FAULTS.md, AH_TTL_NOT_ZEROED) through
// `sendpath run` over the bundled suites. The first failure the summary and results.json show is
// the simplest failing vector by rank, not the first in suite order, and the failures are grouped
// by cause with counts.
#include "harness/complexity.h"
#include "harness/runner.h"

#include <vectors/loader/vector_loader.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace sendpath::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kVectors = SENDPATH_TEST_VECTORS;
const std::string kSendpath = SENDPATH_TEST_SENDPATH;
const std::string kFaultyNic = SENDPATH_TEST_FAULTY_AH_TTL_NIC;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The line after `heading` in `lines` ("" when there is none).
std::string LineAfter(const std::vector<std::string>& lines, const std::string& heading) {
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i].starts_with(heading)) return lines[i + 1];
  }
  return "";
}

class FaultyNicRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string((fs::temp_directory_path() / ("sendpath-failure-order-e2e-" + std::to_string(getpid()))).string());
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    const std::string command = "'" + kSendpath + "' run --candidate 'lib:" + kFaultyNic + "' --out '" + *dir_ +
                                "/report' --no-progress --jobs 2 > '" + *dir_ + "/stdout' 2> '" + *dir_ + "/stderr'";
    const int status = std::system(command.c_str());
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  static std::string* dir_;
  static int exit_code_;
};
std::string* FaultyNicRun::dir_ = nullptr;
int FaultyNicRun::exit_code_ = -1;

TEST_F(FaultyNicRun, LeadsWithTheSimplestFailingVectorAndGroupsByCause) {
  ASSERT_EQ(exit_code_, 1) << ReadFile(*dir_ + "/stdout") << ReadFile(*dir_ + "/stderr");
  const json results = json::parse(ReadFile(*dir_ + "/report/results.json"));

  // The bundled suites as the command loads them, in suite order, with their ranks.
  const vectors::LoadResult loaded = vectors::LoadVectorPaths(
      {kVectors + "/kat", kVectors + "/independent", kVectors + "/contract", kVectors + "/robustness", kVectors + "/regressions"});
  ASSERT_TRUE(loaded.errors.empty());
  const std::vector<SelectedVector> suite = SelectVectors(loaded.files, {});
  std::map<std::string, report::ComplexityRank> rank_of;
  for (const SelectedVector& entry : suite) rank_of[entry.vector->id] = RankOf(*entry.vector);

  std::set<std::string> failed;
  std::size_t must_failed = 0;
  for (const json& vector : results["vectors"]) {
    if (vector["verdict"] == "fail" || vector["verdict"] == "candidate error") {
      failed.insert(vector["id"].get<std::string>());
      must_failed += vector["class"] == "MUST" ? 1 : 0;
    }
  }
  ASSERT_GT(failed.size(), 10u);
  std::string first_in_suite_order;
  for (const SelectedVector& entry : suite) {
    if (failed.count(entry.vector->id) != 0) {
      first_in_suite_order = entry.vector->id;
      break;
    }
  }

  // results.json: the failures first, simplest first, then the rest.
  const json& vectors = results["vectors"];
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const bool failure = failed.count(vectors[i]["id"].get<std::string>()) != 0;
    EXPECT_EQ(failure, i < failed.size()) << "at " << i << ": " << vectors[i]["id"];
    if (failure && i > 0) {
      EXPECT_LE(rank_of.at(vectors[i - 1]["id"].get<std::string>()), rank_of.at(vectors[i]["id"].get<std::string>())) << "at " << i;
    }
  }
  const std::string first = vectors[0]["id"].get<std::string>();
  for (const std::string& id : failed) EXPECT_LE(rank_of.at(first), rank_of.at(id)) << id;
  EXPECT_NE(first, first_in_suite_order) << "this fault's first failure in suite order is already the simplest";
  EXPECT_LT(rank_of.at(first), rank_of.at(first_in_suite_order));
  // The simplest failure is a plain single-SA vector: whole frames, no options, no raw fields.
  EXPECT_EQ(vectors[0]["rank"]["sa_structure"], "single SA");
  EXPECT_EQ(vectors[0]["rank"]["buffer_splits"], 0);
  EXPECT_EQ(vectors[0]["rank"]["ipv4_options"], false);
  EXPECT_EQ(vectors[0]["rank"]["add_sa_raw_fields"], 0);

  // Groups: every failure in one, counts, the TTL cause proven and leading.
  const json& groups = results["failure_groups"];
  ASSERT_FALSE(groups.empty());
  std::size_t grouped = 0, grouped_must = 0;
  for (const json& group : groups) {
    EXPECT_EQ(group["count"], group["vectors"].size());
    EXPECT_EQ(group["simplest"], group["vectors"][0]);
    grouped += group["count"].get<std::size_t>();
    grouped_must += group["must"].get<std::size_t>();
  }
  EXPECT_EQ(grouped, failed.size());
  EXPECT_EQ(grouped_must, must_failed);
  EXPECT_EQ(groups[0]["simplest"], first);
  EXPECT_EQ(groups[0]["cause"].get<std::string>().rfind("ah-ttl-not-zeroed (", 0), 0u) << groups[0]["cause"];
  EXPECT_GT(groups[0]["count"].get<std::size_t>(), 50u);  // 75 when this was written
  EXPECT_EQ(vectors[0]["failure_group"], 0);
  EXPECT_EQ(vectors[0]["cause"]["group"], groups[0]["cause"]);
  EXPECT_EQ(vectors[0]["cause"]["id"], "ah-ttl-not-zeroed");

  // The stdout summary says the same, in the same order.
  const std::vector<std::string> lines = LinesOf(ReadFile(*dir_ + "/stdout"));
  const std::string group_line = LineAfter(lines, "failures by cause (" + std::to_string(groups.size()) + "):");
  EXPECT_EQ(group_line, "  " + std::to_string(groups[0]["count"].get<std::size_t>()) + " vectors: " +
                            groups[0]["cause"].get<std::string>() + "; simplest: " + first);
  const std::string failure_line = LineAfter(lines, "failures, simplest first:");
  EXPECT_TRUE(failure_line.starts_with("  FAIL  MUST   " + first + ": ")) << failure_line;
}

// A fault whose failures include SHOULD robustness vectors of simpler structure than its
// simplest MUST failure: the MUST failures still come first.
TEST(FaultyNicMustFirst, MustFailuresLeadEvenWhenASimplerShouldVectorFails) {
  const std::string dir =
      (fs::temp_directory_path() / ("sendpath-failure-order-must-" + std::to_string(getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string command = "'" + kSendpath + "' run --candidate 'lib:" + SENDPATH_TEST_FAULTY_ICV_TRUNCATED_NIC +
                              "' --out '" + dir + "/report' --no-progress --jobs 2 > '" + dir + "/stdout' 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 1) << ReadFile(dir + "/stdout");
  const json results = json::parse(ReadFile(dir + "/report/results.json"));
  fs::remove_all(dir);
  bool should_failed = false, seen_should = false;
  for (const json& vector : results["vectors"]) {
    if (vector["verdict"] != "fail" && vector["verdict"] != "candidate error") break;
    const bool should = vector["class"] == "SHOULD";
    should_failed = should_failed || should;
    EXPECT_FALSE(seen_should && !should) << vector["id"] << ": a MUST failure after a SHOULD one";
    seen_should = seen_should || should;
  }
  EXPECT_TRUE(should_failed) << "the fault no longer fails a SHOULD vector: the test shows nothing";
  EXPECT_EQ(results["vectors"][0]["class"], "MUST");
  EXPECT_EQ(results["vectors"][0]["rank"]["should"], false);
}

}  // namespace
}  // namespace sendpath::harness
