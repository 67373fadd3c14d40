// The `sendpath` command as a CI job meets it (issue 13): an interrupted run exits 4 and writes an
// incomplete report (no wall-clock bound is asserted: the machine may be loaded), an unwritable --out or a candidate that cannot start is one
// line on stderr before any vector runs, absurd sizes in a vector are invalid vectors, messages
// name what they are about, report names are relative, and `compare` / `--rerun-failed` read
// results.json. Each test reproduces a reported bug; the exit codes are those of README.md.
#include "harness/compare.h"

#include <reports/pcap_io.h>
#include <vectors/loader/vector_loader.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace sendpath::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kVectors = SENDPATH_TEST_VECTORS;
const std::string kSendpath = SENDPATH_TEST_SENDPATH;
const std::string kMisbehavingAgent = SENDPATH_TEST_MISBEHAVING_AGENT;
const std::string kMisbehavingLib = SENDPATH_TEST_MISBEHAVING_LIB;
const std::string kReferenceLib = SENDPATH_TEST_REFERENCE_LIB;

std::string TempDir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("sendpath-command-test-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false);
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::size_t Lines(const std::string& text) { return Count(text, "\n"); }

// A finished `sendpath` run: exit code (or -signal), stdout, stderr.
struct Ran {
  int code = -1;
  std::string out, err;
};

// A `sendpath` process with stdout and stderr captured in files.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::string& dir) : out_(dir + "/stdout"), err_(dir + "/stderr") {
    std::vector<std::string> argv = {kSendpath};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (std::string& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, raw[0], &actions, nullptr, raw.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  Ran Wait() {
    Ran ran;
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, 0) == pid_) {
      ran.code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    pid_ = -1;
    ran.out = ReadFile(out_);
    ran.err = ReadFile(err_);
    return ran;
  }

 private:
  pid_t pid_ = -1;
  std::string out_, err_;
};

Ran Sendpath(const std::vector<std::string>& args, const std::string& dir) { return Process(args, dir).Wait(); }

// Waits (up to a minute, for a busy machine) until `path` exists.
bool WaitFor(const std::string& path) {
  for (int i = 0; i < 600; ++i) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// ---- 1. An interrupted run ---------------------------------------------------------------------

// Starts a run, waits until it has created its report folder (the signal handlers are in place
// by then), lets it get into its vector, signals it and waits for it to end. A run that ignored
// the signal would run on to its end (a minute and more, or a 10-minute hang) and leave a complete
// report, which ExpectIncompleteReport refuses; ctest's timeout bounds a run that never ends.
Ran InterruptRun(const std::vector<std::string>& args, const std::string& dir, const std::string& out, int signal) {
  Process process(args, dir);
  EXPECT_GT(process.pid(), 0);
  EXPECT_TRUE(WaitFor(out)) << "the run never created " << out;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // into the vector; the result does not depend on it
  kill(process.pid(), signal);
  return process.Wait();
}

// The report of an interrupted run: complete false, every vector passed or skipped (never a
// candidate error), at least one skipped for the interruption; in JUnit the skipped vectors are
// <skipped> and the run is an "incomplete run" error, so CI does not go green.
void ExpectIncompleteReport(const std::string& out) {
  const json results = ReadJson(out + "/results.json");
  ASSERT_FALSE(results.is_discarded());
  EXPECT_FALSE(results["complete"].get<bool>());
  std::size_t skipped = 0;
  for (const json& vector : results["vectors"]) {
    const std::string verdict = vector["verdict"];
    EXPECT_TRUE(verdict == "pass" || verdict == "skipped") << vector["id"] << ": " << verdict;
    if (verdict != "skipped") continue;
    ++skipped;
    EXPECT_NE(vector["diagnosis"].get<std::string>().find("the run was interrupted"), std::string::npos)
        << vector["diagnosis"];
  }
  EXPECT_GE(skipped, 1u);
  const std::string junit = ReadFile(out + "/junit.xml");
  EXPECT_EQ(junit.find("type=\"candidate error\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<skipped message=\"skipped: "), std::string::npos);
  EXPECT_NE(junit.find("type=\"incomplete run\""), std::string::npos);
}

TEST(Interrupt, SigintAbandonsTheReferenceFillingItsSaTable) {
  // contract/add-sa/table-full fills the reference's 4096-entry SA table in one step; 1000 copies
  // of it keep the in-process reference busy for a minute or more, most of it inside that step.
  const std::string dir = TempDir("sigint"), out = dir + "/report";
  json document = ReadJson(kVectors + "/contract/contract-add-sa.json");
  json table_full;
  for (const json& vector : document["vectors"]) {
    if (vector["id"] == "contract/add-sa/table-full") table_full = vector;
  }
  ASSERT_TRUE(table_full.is_object());
  document["vectors"] = json::array();
  for (int i = 0; i < 1000; ++i) {
    document["vectors"].push_back(table_full);
    document["vectors"].back()["id"] = "stop/table-full-" + std::to_string(i);
  }
  std::ofstream(dir + "/table-full-x1000.json") << document.dump();
  const Ran run =
      InterruptRun({"run", "--no-progress", dir + "/table-full-x1000.json", "--out", out}, dir, out, SIGINT);
  EXPECT_EQ(run.code, 4) << run.out << run.err;
  EXPECT_NE(run.out.find("exit 4: the run was interrupted"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("every MUST vector passed"), std::string::npos);
  EXPECT_NE(run.err.find("interrupted by SIGINT"), std::string::npos) << run.err;
  ExpectIncompleteReport(out);
  fs::remove_all(dir);
}

TEST(Interrupt, SigtermKillsAHungSubprocessCandidate) {
  // The agent hangs on the vector's send; with a 10-minute timeout only the stop can end it.
  const std::string dir = TempDir("sigterm"), out = dir + "/report";
  const std::string id = "kat/rfc3602/case-5";
  const Ran run = InterruptRun({"run", "--no-progress", kVectors + "/kat", "--filter", id, "--timeout", "600000",
                                        "--candidate", "exec:" + kMisbehavingAgent + " --hang-on " + id, "--out", out},
                                       dir, out, SIGTERM);
  EXPECT_EQ(run.code, 4) << run.out << run.err;
  EXPECT_NE(run.err.find("interrupted by SIGTERM"), std::string::npos) << run.err;
  ExpectIncompleteReport(out);
  EXPECT_EQ(ReadJson(out + "/results.json")["vectors"][0]["verdict"], "skipped");
  fs::remove_all(dir);
}

TEST(Interrupt, SigtermKillsAHungLibraryHost) {
  const std::string dir = TempDir("sigterm-lib"), out = dir + "/report";
  const std::string id = "kat/rfc3602/case-5";
  const Ran run =
      InterruptRun({"run", "--no-progress", kVectors + "/kat", "--filter", id, "--timeout", "600000", "--candidate",
                    "lib:" + kMisbehavingLib + ",delegate=" + kReferenceLib + ",hang_on_send=1", "--out", out},
                   dir, out, SIGTERM);
  EXPECT_EQ(run.code, 4) << run.out << run.err;
  ExpectIncompleteReport(out);
  EXPECT_EQ(ReadJson(out + "/results.json")["vectors"][0]["verdict"], "skipped");
  fs::remove_all(dir);
}

// ---- 2. Fail fast ------------------------------------------------------------------------------

TEST(FailFast, AnUnwritableOutIsOneLineOnStderrBeforeAnyVector) {
  const std::string dir = TempDir("out");
  const Ran proc = Sendpath({"run", "--no-progress", kVectors + "/kat", "--out", "/proc/x"}, dir);
  EXPECT_EQ(proc.code, 2);
  EXPECT_EQ(Lines(proc.err), 1u) << proc.err;
  EXPECT_EQ(Count(proc.err, "/proc/x"), 1u) << proc.err;
  EXPECT_EQ(proc.out, "");  // no vector ran, no summary claiming a report
  std::ofstream(dir + "/a-file") << "x";
  const Ran file = Sendpath({"run", "--no-progress", kVectors + "/kat", "--out", dir + "/a-file"}, dir);
  EXPECT_EQ(file.code, 2);
  EXPECT_EQ(Lines(file.err), 1u) << file.err;
  EXPECT_EQ(file.out, "");
  fs::remove_all(dir);
}

void ExpectCandidateCannotRun(const std::string& spec) {
  const std::string dir = TempDir("candidate"), out = dir + "/report";
  const Ran ran = Sendpath({"run", "--no-progress", kVectors + "/kat", "--candidate", spec, "--out", out}, dir);
  EXPECT_EQ(ran.code, 3) << spec;
  EXPECT_EQ(Lines(ran.err), 1u) << spec << ": " << ran.err;
  EXPECT_NE(ran.err.find("the candidate cannot be run"), std::string::npos) << ran.err;
  EXPECT_EQ(Count(ran.out, "ERROR"), 0u) << ran.out;
  // The report says so, and no vector was run.
  const json results = ReadJson(out + "/results.json");
  ASSERT_FALSE(results.is_discarded());
  EXPECT_FALSE(results["complete"].get<bool>());
  ASSERT_FALSE(results["vectors"].empty());
  for (const json& vector : results["vectors"]) EXPECT_EQ(vector["verdict"], "skipped");
  const std::string junit = ReadFile(out + "/junit.xml");
  EXPECT_NE(junit.find("type=\"incomplete run\""), std::string::npos);
  EXPECT_NE(junit.find("the candidate could not be run"), std::string::npos);
  fs::remove_all(dir);
}

TEST(FailFast, AMissingProgramIsExit3BeforeAnyVector) { ExpectCandidateCannotRun("exec:/nonexistent"); }
TEST(FailFast, ANonLibraryIsExit3BeforeAnyVector) { ExpectCandidateCannotRun("lib:/etc/passwd"); }

// ---- 3. Loader limits --------------------------------------------------------------------------

// The first send step of the first vector of the RFC 3602 KAT file, as JSON to edit.
json KatDocument() { return ReadJson(kVectors + "/kat/kat-rfc3602-aes-cbc-esp.json"); }

std::size_t FirstSend(const json& vector) {
  for (std::size_t i = 0; i < vector["steps"].size(); ++i) {
    if (vector["steps"][i]["op"] == "send") return i;
  }
  ADD_FAILURE() << "no send step";
  return 0;
}

std::string ParseError(const json& document) {
  auto parsed = vectors::ParseVectorFile(document.dump(), "x.json");
  if (const auto* error = std::get_if<vectors::LoadError>(&parsed)) return error->pointer + ": " + error->message;
  return "loaded";
}

TEST(LoaderLimits, FramesLargerThanAnIpv4DatagramAreInvalid) {
  json document = KatDocument();
  json& vector = document["vectors"][0];
  const std::size_t send = FirstSend(vector);
  const std::string at = "/vectors/0/steps/" + std::to_string(send);
  ASSERT_EQ(vector["encapsulation"], "null");
  vector["steps"][send]["frame"] = std::string(2 * 70000, 'a');
  EXPECT_EQ(ParseError(document).rfind(at + "/frame: frame of 70000 bytes; the largest is 65535", 0), 0u)
      << ParseError(document);
  vector["steps"][send]["frame"] = std::string(2 * 65536, 'a');
  EXPECT_EQ(ParseError(document).rfind(at + "/frame:", 0), 0u);
  // ieee802.3 allows the Ethernet header on top.
  vector["encapsulation"] = "ieee802.3";
  vector["steps"][send]["frame"] = std::string(2 * 65549, 'a');
  vector["steps"][send].erase("split");
  vector["steps"][send]["expect"]["iv_bytes"] = json::array();
  vector["steps"][send]["expect"]["frame"] = nullptr;
  EXPECT_EQ(ParseError(document), "loaded");
  vector["steps"][send]["frame"] = std::string(2 * 65550, 'a');
  EXPECT_EQ(ParseError(document).rfind(at + "/frame: frame of 65550 bytes; the largest is 65549", 0), 0u)
      << ParseError(document);
  vector["steps"][send]["frame"] = "4500";
  vector["steps"][send]["expect"]["frame"] = std::string(2 * 65550, 'b');
  EXPECT_EQ(ParseError(document).rfind(at + "/expect/frame:", 0), 0u) << ParseError(document);
}

TEST(LoaderLimits, AbsurdKeysIvsAndFillCountsAreInvalid) {
  {
    json document = KatDocument();
    json& sas = document["vectors"][0]["sas"];
    const std::string name = sas.begin().key();
    sas[name]["bundle"][0]["conf"]["key"] = std::string(2 * 257, '0');
    EXPECT_EQ(ParseError(document).rfind("/vectors/0/sas/" + name + "/bundle/0/conf/key: key of 257 bytes", 0), 0u)
        << ParseError(document);
  }
  {
    json document = KatDocument();
    json& vector = document["vectors"][0];
    const std::size_t send = FirstSend(vector);
    const std::string name = vector["sas"].begin().key();
    vector["steps"][send]["ivs"] = {{name, json::array({std::string(2 * 65, '0')})}};
    EXPECT_EQ(ParseError(document).rfind("/vectors/0/steps/" + std::to_string(send) + "/ivs/" + name + "/0: IV of 65 bytes", 0), 0u)
        << ParseError(document);
    vector["steps"][send]["ivs"] = {{name, json::array()}};
    for (int i = 0; i < 17; ++i) vector["steps"][send]["ivs"][name].push_back(std::string(32, '0'));
    EXPECT_EQ(ParseError(document).rfind("/vectors/0/steps/" + std::to_string(send) + "/ivs/" + name + ": 17 IVs", 0), 0u)
        << ParseError(document);
  }
  {
    json document = KatDocument();
    json& vector = document["vectors"][0];
    const std::string name = vector["sas"].begin().key();
    vector["steps"].insert(vector["steps"].begin() + 1, json{{"op", "fill_sa_table"}, {"sa", name}, {"limit", 1000001}});
    EXPECT_EQ(ParseError(document).rfind("/vectors/0/steps/1/limit: 1000001 is above the maximum 1000000", 0), 0u)
        << ParseError(document);
  }
}

TEST(LoaderLimits, ARunWithAnOversizedFrameReportsAnInvalidVectorNotACandidateFailure) {
  const std::string dir = TempDir("oversized"), out = dir + "/report";
  json document = KatDocument();
  json& vector = document["vectors"][0];
  vector["steps"][FirstSend(vector)]["frame"] = std::string(2 * 70000, 'a');
  std::ofstream(dir + "/big.json") << document.dump();
  // Alone: nothing to run, the reason on stderr.
  const Ran alone = Sendpath({"run", "--no-progress", dir + "/big.json", "--out", out}, dir);
  EXPECT_EQ(alone.code, 2);
  const std::string where = dir + "/big.json:/vectors/0/steps/" + std::to_string(FirstSend(vector)) + "/frame: frame of 70000 bytes";
  EXPECT_NE(alone.err.find(where), std::string::npos) << alone.err;
  // With another suite: that one runs, the file is invalid in the summary and the report, exit 2.
  const Ran ran = Sendpath({"run", "--no-progress", dir + "/big.json", kVectors + "/kat", "--out", out}, dir);
  EXPECT_EQ(ran.code, 2);
  EXPECT_NE(ran.out.find("INVALID " + where), std::string::npos) << ran.out << ran.err;
  EXPECT_EQ(ran.out.find("BUFFER_TOO_SHORT"), std::string::npos) << ran.out;
  // The file's other vectors load on their own (a file is read a vector at a time): they run, and
  // the same known answers in kat/ are then repeated ids, each an error of its own.
  const json results = ReadJson(out + "/results.json");
  ASSERT_EQ(results["load_errors"].size(), document["vectors"].size());
  EXPECT_NE(results["load_errors"][0].get<std::string>().find(where), std::string::npos);
  for (std::size_t i = 1; i < results["load_errors"].size(); ++i) {
    EXPECT_NE(results["load_errors"][i].get<std::string>().find("duplicate id"), std::string::npos) << results["load_errors"][i];
  }
  for (const json& result : results["vectors"]) EXPECT_EQ(result["verdict"], "pass") << result["id"];
  fs::remove_all(dir);
}

// ---- 4. Messages -------------------------------------------------------------------------------

TEST(Messages, ANonexistentPathIsReportedOnce) {
  const std::string dir = TempDir("missing");
  const Ran ran = Sendpath({"run", "--no-progress", dir + "/no-such-vectors", "--out", dir + "/report"}, dir);
  EXPECT_EQ(ran.code, 2);
  EXPECT_EQ(Count(ran.err, "no such file or directory"), 1u) << ran.err;
  fs::remove_all(dir);
}

TEST(Messages, AnEmptyFolderIsNamed) {
  const std::string dir = TempDir("empty");
  fs::create_directories(dir + "/empty-suite");
  const Ran ran = Sendpath({"run", "--no-progress", dir + "/empty-suite", "--out", dir + "/report"}, dir);
  EXPECT_EQ(ran.code, 2);
  EXPECT_NE(ran.err.find("no vector to run in " + dir + "/empty-suite: no *.json vector file there"), std::string::npos)
      << ran.err;
  const Ran filtered = Sendpath({"run", "--no-progress", kVectors + "/kat", "--filter", "nothing*", "--out", dir + "/r"}, dir);
  EXPECT_EQ(filtered.code, 2);
  EXPECT_NE(filtered.err.find("--filter nothing* matches none of its"), std::string::npos) << filtered.err;
  fs::remove_all(dir);
}

TEST(Messages, AVectorFileGivenAsAnSaFileIsNamedAsSuch) {
  const std::string dir = TempDir("verify-sa");
  const std::string vector_file = kVectors + "/kat/kat-rfc3602-aes-cbc-esp.json";
  auto parsed = vectors::LoadSaFile(vector_file);
  ASSERT_TRUE(std::holds_alternative<vectors::LoadError>(parsed));
  const vectors::LoadError& error = std::get<vectors::LoadError>(parsed);
  EXPECT_EQ(error.pointer, "/format");
  EXPECT_NE(error.message.find("not a sendpath-sas/1 file"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("it is a vector file"), std::string::npos) << error.message;
  // Through `sendpath verify`, with an empty raw-IP capture.
  const unsigned char empty_pcap[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                        0,    0,    0,    0,    0xff, 0xff, 0, 0, 101, 0, 0, 0};
  std::ofstream(dir + "/empty.pcap", std::ios::binary).write(reinterpret_cast<const char*>(empty_pcap), sizeof empty_pcap);
  const Ran ran = Sendpath({"verify", dir + "/empty.pcap", "--sa", vector_file}, dir);
  EXPECT_EQ(ran.code, 2);
  EXPECT_NE(ran.err.find("not a sendpath-sas/1 file"), std::string::npos) << ran.err;
  EXPECT_EQ(ran.err.find("unknown key 'description'"), std::string::npos) << ran.err;
  fs::remove_all(dir);
}

TEST(Messages, RunHelpListsTheExitCodes) {
  const std::string dir = TempDir("help");
  const Ran ran = Sendpath({"run", "--help"}, dir);
  EXPECT_EQ(ran.code, 0);
  EXPECT_NE(ran.out.find("Exit codes:"), std::string::npos) << ran.out;
  for (const char* code : {"\n  0  ", "\n  1  ", "\n  2  ", "\n  3  ", "\n  4  "}) {
    EXPECT_NE(ran.out.find(code), std::string::npos) << code;
  }
  fs::remove_all(dir);
}

// ---- Run-wide findings through the command ---------------------------------------------------

TEST(Findings, APredictableCbcIvFailsTheRunInEveryReport) {
  const std::string dir = TempDir("findings");
  const Ran ran = Sendpath({"run", "--no-progress", "--candidate", "exec:" + kMisbehavingAgent + " --constant-ivs",
                            "--filter", "kat/rfc3602/*", "--out", dir + "/report"},
                           dir);
  EXPECT_EQ(ran.code, 1) << ran.out << ran.err;
  EXPECT_NE(ran.out.find("FINDING MUST   cbc_iv_constant: predictable CBC IVs"), std::string::npos) << ran.out;
  const json results = ReadJson(dir + "/report/results.json");
  ASSERT_EQ(results["run_findings"].size(), 1u) << results["run_findings"].dump();
  const json& finding = results["run_findings"][0];
  EXPECT_EQ(finding["kind"], "cbc_iv_constant");
  EXPECT_EQ(finding["severity"], "MUST");
  EXPECT_EQ(finding["algorithm"], "AES-CBC");
  EXPECT_EQ(finding["rule"].get<std::string>().rfind("RFC 3602 section 3", 0), 0u);
  EXPECT_GE(finding["sas"].size(), 2u);
  ASSERT_FALSE(finding["occurrences"].empty());
  EXPECT_EQ(finding["occurrences"][0]["iv"], std::string(32, '0'));
  EXPECT_TRUE(finding["occurrences"][0].contains("step"));
  EXPECT_EQ(finding["occurrences"][0]["vector"].get<std::string>().rfind("kat/rfc3602/", 0), 0u);
  const std::string junit = ReadFile(dir + "/report/junit.xml");
  EXPECT_NE(junit.find("<testcase classname=\"run findings\" name=\"1 cbc_iv_constant\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("type=\"MUST\""), std::string::npos);
  const std::string html = ReadFile(dir + "/report/report.html");
  EXPECT_NE(html.find("id=\"run-findings\""), std::string::npos);
  EXPECT_NE(html.find("cbc_iv_constant"), std::string::npos);
  fs::remove_all(dir);
}

// ---- --own-ivs: no IVs offered, any candidate judged by decrypt-and-compare -----------------

TEST(OwnIvs, TheSampleNicPassesEveryMustVectorPickingItsOwnIvs) {
  const std::string library = SENDPATH_TEST_SAMPLE_NIC;
  if (library.empty() || !fs::exists(library)) GTEST_SKIP() << "libsendpath_sample_nic.so not built";
  const std::string dir = TempDir("own-ivs");
  const Ran own = Sendpath({"run", "--no-progress", "--own-ivs", "--jobs", "2", "--candidate", "lib:" + library,
                            "--out", dir + "/own"},
                           dir);
  EXPECT_EQ(own.code, 0) << own.out << own.err;
  EXPECT_NE(own.out.find("IVs: none offered (--own-ivs)"), std::string::npos) << own.out;
  const json results = ReadJson(dir + "/own/results.json");
  EXPECT_EQ(results["candidate"]["ivs_offered"], false);
  EXPECT_EQ(results["candidate"]["picks_own_ivs"], true);
  EXPECT_NE(results["candidate"]["identity"].get<std::string>().find("own IVs"), std::string::npos)
      << results["candidate"]["identity"];
  std::size_t must = 0, judged_by_decryption = 0, udp_esp = 0;  // the sample NIC claims the UDP-ESP subtypes too
  for (const json& vector : results["vectors"]) {
    if (vector["class"] != "MUST") continue;
    ++must;
    udp_esp += vector["id"].get<std::string>().rfind("contract/udp-esp/", 0) == 0 ? 1 : 0;
    EXPECT_EQ(vector["verdict"], "pass") << vector["id"] << ": " << vector["diagnosis"];
    for (const json& step : vector["steps"]) {
      for (const json& note : step["notes"]) {
        judged_by_decryption += note == "the candidate used its own IVs: judged by decrypt-and-compare" ? 1 : 0;
      }
    }
  }
  EXPECT_GT(must, 400u);
  EXPECT_GE(udp_esp, 50u);
  EXPECT_GT(judged_by_decryption, 200u);  // every send with an IV
  EXPECT_TRUE(results["run_findings"].empty()) << results["run_findings"].dump();

  // The same NIC offered the IVs takes them: no send is judged by decryption.
  const Ran injected = Sendpath({"run", "--no-progress", "--candidate", "lib:" + library, "--filter",
                                 "contract/esp-transport/*", "--out", dir + "/injected"},
                                dir);
  EXPECT_EQ(injected.code, 0) << injected.out << injected.err;
  const json offered = ReadJson(dir + "/injected/results.json");
  EXPECT_EQ(offered["candidate"]["ivs_offered"], true);
  EXPECT_EQ(offered["candidate"]["picks_own_ivs"], false);
  fs::remove_all(dir);
}

TEST(OwnIvs, RunHelpDescribesTheFlag) {
  const std::string dir = TempDir("own-ivs-help");
  const Ran ran = Sendpath({"run", "--help"}, dir);
  EXPECT_NE(ran.out.find("--own-ivs"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("decrypting"), std::string::npos) << ran.out;
  fs::remove_all(dir);
}

// ---- 5. Names relative to the vector root ------------------------------------------------------

TEST(RelativeNames, JunitAndResultsNamesDoNotDependOnTheWorkspace) {
  const std::string dir = TempDir("names");
  std::vector<std::pair<std::string, std::string>> runs;  // junit.xml, results.json
  for (const std::string& workspace : {dir + "/ws1", dir + "/elsewhere/ws2"}) {
    fs::create_directories(workspace + "/suites");
    fs::copy(kVectors + "/kat", workspace + "/suites/kat", fs::copy_options::recursive);
    const Ran ran = Sendpath({"run", "--no-progress", workspace + "/suites/kat", "--filter", "kat/rfc3602/case-[56]", "--out",
                              workspace + "/report"},
                             dir);
    ASSERT_EQ(ran.code, 0) << ran.out << ran.err;
    // The summary says how to open the expected capture decrypted (the report's wireshark/esp_sa).
    EXPECT_NE(ran.out.find("decrypted captures: WIRESHARK_CONFIG_DIR='" + workspace + "/report/wireshark' tshark -r '" + workspace +
                           "/report/expected.pcapng'"),
              std::string::npos)
        << ran.out;
    runs.emplace_back(ReadFile(workspace + "/report/junit.xml"), ReadFile(workspace + "/report/results.json"));
  }
  const std::string& junit = runs[0].first;
  EXPECT_NE(junit.find("<testsuite name=\"kat/kat-rfc3602-aes-cbc-esp.json\""), std::string::npos) << junit;
  EXPECT_EQ(junit.find(dir), std::string::npos);
  const json results = json::parse(runs[0].second);
  EXPECT_EQ(results["vectors"][0]["file"], "kat/kat-rfc3602-aes-cbc-esp.json");
  ASSERT_EQ(results["vector_files"].size(), 2u);
  EXPECT_EQ(results["vector_files"][0]["path"], "kat/kat-mcgrew-gcm-gmac-esp.json");
  EXPECT_EQ(results["vector_files"][1]["path"], "kat/kat-rfc3602-aes-cbc-esp.json");
  // The same names from the other workspace (timestamps aside).
  const json other = json::parse(runs[1].second);
  EXPECT_EQ(other["vectors"][0]["file"], results["vectors"][0]["file"]);
  EXPECT_EQ(other["vector_files"], results["vector_files"]);
  // The bundled suites are named relative to their root.
  const Ran bundled = Sendpath({"run", "--no-progress", "--filter", "kat/rfc3602/case-5", "--out", dir + "/bundled"}, dir);
  ASSERT_EQ(bundled.code, 0) << bundled.out << bundled.err;
  EXPECT_NE(ReadFile(dir + "/bundled/junit.xml").find("<testsuite name=\"kat/kat-rfc3602-aes-cbc-esp.json\""),
            std::string::npos);
  fs::remove_all(dir);
}

// ---- 6. compare and --rerun-failed -------------------------------------------------------------

json ResultsDocument(const std::vector<std::tuple<std::string, std::string, std::string, std::string>>& vectors,
                     bool complete = true) {
  json list = json::array();
  for (const auto& [id, cls, verdict, diagnosis] : vectors) {
    list.push_back({{"id", id}, {"title", "t"}, {"file", "f.json"}, {"class", cls}, {"verdict", verdict},
                    {"diagnosis", diagnosis}, {"steps", json::array({{{"index", 0}, {"op", "send"}}})}});
  }
  return {{"format", "sendpath-results/1"}, {"complete", complete}, {"candidate", {{"spec", "x"}}}, {"vectors", list}};
}

std::string Write(const std::string& path, const json& document) {
  std::ofstream(path) << document.dump(1);
  return path;
}

TEST(Compare, NewFailuresFixesAndChangedCauses) {
  const std::string dir = TempDir("compare");
  const std::string old_path = Write(dir + "/old.json", ResultsDocument({{"a", "MUST", "pass", ""},
                                                                         {"b", "MUST", "fail", "ipv4.ttl differs"},
                                                                         {"c", "MUST", "fail", "esp.icv differs"},
                                                                         {"d", "SHOULD", "pass", ""},
                                                                         {"e", "MUST", "fail", "same"},
                                                                         {"f", "MUST", "candidate error", "hang"}}));
  const std::string new_path = Write(dir + "/new.json", ResultsDocument({{"a", "MUST", "fail", "esp.iv differs"},
                                                                         {"b", "MUST", "pass", ""},
                                                                         {"c", "MUST", "fail", "esp.padding differs"},
                                                                         {"d", "SHOULD", "fail", "leak"},
                                                                         {"e", "MUST", "fail", "same"},
                                                                         {"f", "MUST", "not claimed", "not claimed"},
                                                                         {"g", "MUST", "candidate error", "crash"}}));
  auto old_read = ReadResultsFile(old_path);
  auto new_read = ReadResultsFile(new_path);
  ASSERT_TRUE(std::holds_alternative<ResultsFile>(old_read));
  ASSERT_TRUE(std::holds_alternative<ResultsFile>(new_read));
  const Comparison comparison = CompareResults(std::get<ResultsFile>(old_read), std::get<ResultsFile>(new_read));
  ASSERT_EQ(comparison.newly_failing.size(), 3u);  // a, d (SHOULD), g (new)
  EXPECT_EQ(comparison.newly_failing[0].id, "a");
  EXPECT_EQ(comparison.newly_failing[2].id, "g");
  EXPECT_EQ(comparison.new_must_failures(), 2u);
  ASSERT_EQ(comparison.fixed.size(), 1u);
  EXPECT_EQ(comparison.fixed[0].id, "b");
  ASSERT_EQ(comparison.changed_diagnosis.size(), 1u);
  EXPECT_EQ(comparison.changed_diagnosis[0].old_diagnosis, "esp.icv differs");
  EXPECT_EQ(comparison.changed_diagnosis[0].new_diagnosis, "esp.padding differs");
  ASSERT_EQ(comparison.no_longer_judged.size(), 1u);
  EXPECT_EQ(comparison.no_longer_judged[0].id, "f");
  EXPECT_EQ(comparison.still_failing_same, 1u);

  const Ran ran = Sendpath({"compare", old_path, new_path}, dir);
  EXPECT_EQ(ran.code, 1);
  EXPECT_NE(ran.out.find("newly failing: 3"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("a: fail: esp.iv differs (was pass)"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("fixed: 1"), std::string::npos);
  EXPECT_NE(ran.out.find("was fail: esp.icv differs"), std::string::npos);
  EXPECT_NE(ran.out.find("now fail: esp.padding differs"), std::string::npos);
  EXPECT_EQ(Sendpath({"compare", new_path, old_path}, dir).code, 1);  // the other way round b newly fails
  EXPECT_EQ(Sendpath({"compare", old_path, old_path}, dir).code, 0);
  fs::remove_all(dir);
}

TEST(Compare, BadInputNamesTheFileAndPointer) {
  const std::string dir = TempDir("compare-bad");
  const std::string good = Write(dir + "/good.json", ResultsDocument({{"a", "MUST", "pass", ""}}));
  json bad_verdict = ResultsDocument({{"a", "MUST", "pass", ""}, {"b", "MUST", "maybe", ""}});
  json no_verdict = ResultsDocument({{"a", "MUST", "pass", ""}, {"b", "MUST", "pass", ""}});
  no_verdict["vectors"][1].erase("verdict");
  json duplicate = ResultsDocument({{"a", "MUST", "pass", ""}, {"a", "MUST", "fail", "x"}});
  json wrong_format = ResultsDocument({});
  wrong_format["format"] = "sendpath-vectors/1";
  const std::vector<std::pair<json, std::string>> cases = {
      {bad_verdict, ":/vectors/1/verdict: unknown verdict 'maybe'"},
      {no_verdict, ":/vectors/1: missing required key 'verdict'"},
      {duplicate, ":/vectors/1/id: duplicate vector id 'a' (first at /vectors/0)"},
      {wrong_format, ":/format: not a sendpath-results/1 file"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string path = Write(dir + "/bad" + std::to_string(i) + ".json", cases[i].first);
    const Ran ran = Sendpath({"compare", good, path}, dir);
    EXPECT_EQ(ran.code, 2) << cases[i].second;
    EXPECT_NE(ran.err.find(path + cases[i].second), std::string::npos) << ran.err;
  }
  std::ofstream(dir + "/truncated.json") << "{\"format\": \"sendpath-results/1\", \"vectors\": [";
  const Ran truncated = Sendpath({"compare", dir + "/truncated.json", good}, dir);
  EXPECT_EQ(truncated.code, 2);
  EXPECT_NE(truncated.err.find(dir + "/truncated.json: not valid JSON"), std::string::npos) << truncated.err;
  EXPECT_EQ(Sendpath({"compare", good, dir + "/missing.json"}, dir).code, 2);
  fs::remove_all(dir);
}

TEST(Compare, RerunFailedRunsOnlyTheFailedVectors) {
  const std::string dir = TempDir("rerun");
  const std::string victim = "kat/rfc3602/case-5";
  const Ran first = Sendpath({"run", "--no-progress", kVectors + "/kat", "--candidate",
                              "exec:" + kMisbehavingAgent + " --crash-on " + victim, "--out", dir + "/first"},
                             dir);
  ASSERT_EQ(first.code, 1) << first.out << first.err;
  const Ran rerun = Sendpath({"run", "--no-progress", kVectors + "/kat", "--rerun-failed", dir + "/first/results.json",
                              "--out", dir + "/rerun"},
                             dir);
  EXPECT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  const json results = ReadJson(dir + "/rerun/results.json");
  ASSERT_EQ(results["vectors"].size(), 1u);
  EXPECT_EQ(results["vectors"][0]["id"], victim);
  EXPECT_EQ(results["vectors"][0]["verdict"], "pass");
  // The rerun compared with the first run: the crash is fixed.
  const Ran compared = Sendpath({"compare", dir + "/first/results.json", dir + "/rerun/results.json"}, dir);
  EXPECT_EQ(compared.code, 0);
  EXPECT_NE(compared.out.find("fixed: 1"), std::string::npos) << compared.out;

  // A failed id that is not among the vectors any more is reported (exit 2); the others still run.
  const std::string stale = Write(dir + "/stale.json", ResultsDocument({{victim, "MUST", "fail", "x"},
                                                                       {"kat/gone/case-1", "MUST", "fail", "y"}}));
  const Ran missing = Sendpath({"run", "--no-progress", kVectors + "/kat", "--rerun-failed", stale, "--out", dir + "/stale"}, dir);
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("vector 'kat/gone/case-1' failed there but is not among the vectors"), std::string::npos)
      << missing.err;
  EXPECT_EQ(ReadJson(dir + "/stale/results.json")["vectors"].size(), 1u);
  // Only ids that are gone: nothing to run, both said on stderr.
  const std::string gone = Write(dir + "/gone.json", ResultsDocument({{"kat/gone/case-1", "MUST", "fail", "y"}}));
  const Ran none = Sendpath({"run", "--no-progress", kVectors + "/kat", "--rerun-failed", gone, "--out", dir + "/gone"}, dir);
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("vector 'kat/gone/case-1' failed there"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("vectors failed in " + gone), std::string::npos) << none.err;
  // A bad results file: exit 2 before anything runs.
  std::ofstream(dir + "/bad.json") << "[]";
  const Ran bad = Sendpath({"run", "--no-progress", kVectors + "/kat", "--rerun-failed", dir + "/bad.json", "--out", dir + "/bad"}, dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find(dir + "/bad.json: expected object"), std::string::npos) << bad.err;
  fs::remove_all(dir);
}


// ---- A streamed run of a few thousand sends -----------------------------------------------------

// Copies of the AES-GCM known answers (15 sends each), `copies` times over three files, with the
// expected frame of one send of one vector made wrong: that vector fails, every other passes.
// Returns the id of the failing vector.
std::string WriteCopiedSuite(const std::string& dir, std::size_t copies) {
  const json kat = ReadJson(kVectors + "/kat/kat-mcgrew-gcm-gmac-esp.json");
  const std::size_t per_file = (copies + 2) / 3;
  std::string failing;
  for (std::size_t file = 0; file * per_file < copies; ++file) {
    json document = kat;
    document["vectors"] = json::array();
    for (std::size_t copy = file * per_file; copy < copies && copy < (file + 1) * per_file; ++copy) {
      for (json vector : kat["vectors"]) {
        vector["id"] = "copy" + std::to_string(copy) + "/" + vector["id"].get<std::string>();
        if (copy == copies / 2 && failing.empty()) {
          for (json& step : vector["steps"]) {
            if (step["op"] != "send" || step["expect"]["frame"].is_null()) continue;
            json& expected = step["expect"]["frame"];  // HEX: a string or an array of strings
            json& last = expected.is_array() ? expected.back() : expected;
            std::string hex = last;
            hex.back() = hex.back() == '0' ? '1' : '0';  // the last ICV byte
            last = hex;
            failing = vector["id"];
            break;
          }
        }
        document["vectors"].push_back(std::move(vector));
      }
    }
    std::ofstream(dir + "/suite-" + std::to_string(file) + ".json") << document.dump(1);
  }
  return failing;
}

// The frame `number` (1-based) of a capture.
std::vector<std::uint8_t> FrameOf(const std::string& capture, std::size_t number) {
  auto reader = report::PcapReader::Open(capture);
  if (!reader) return {};
  report::PcapRecord record;
  std::string error;
  while (reader.value().Read(record, error) == report::PcapReader::Next::kRecord) {
    if (record.number == number) return {record.data.begin(), record.data.end()};
  }
  return {};
}

TEST(Stream, ThousandsOfSendsAgreeAcrossResultsJunitIndexAndCaptures) {
  const std::string dir = TempDir("stream");
  fs::create_directories(dir + "/suite");
  constexpr std::size_t kCopies = 200;  // 3,000 vectors, 3,000 sends
  const std::string failing = WriteCopiedSuite(dir + "/suite", kCopies);
  ASSERT_FALSE(failing.empty());
  const Ran ran = Sendpath({"run", dir + "/suite", "--out", dir + "/out", "--no-progress", "-j", "2"}, dir);
  EXPECT_EQ(ran.code, 1) << ran.out << ran.err;

  const json results = ReadJson(dir + "/out/results.json");
  ASSERT_TRUE(results.is_object()) << "results.json does not parse";
  const json& vectors = results["vectors"];
  const std::size_t total = 15 * kCopies;
  EXPECT_EQ(results["summary"]["vectors"], total);
  EXPECT_EQ(results["summary"]["by_verdict"]["fail"], 1u);
  ASSERT_EQ(vectors.size(), total);
  // The failure first, in full; then the others in suite order, passing steps without frames.
  EXPECT_EQ(vectors[0]["id"], failing);
  EXPECT_EQ(vectors[0]["verdict"], "fail");
  EXPECT_EQ(vectors[0]["failure_group"], 0);
  std::size_t sends = 0, expected_frames = 0, last_expected = 0;
  json failing_step;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    if (i > 0) {
      EXPECT_EQ(vectors[i]["verdict"], "pass") << vectors[i]["id"];
    }
    for (const json& step : vectors[i]["steps"]) {
      if (step["op"] != "send") continue;
      ++sends;
      const std::size_t expected = step["frames"]["expected"];
      if (expected > 0) ++expected_frames;
      if (step["verdict"] == "pass") {
        EXPECT_FALSE(step.contains("expected_frame")) << vectors[i]["id"];
        // Passing vectors after the failure are in run order: their frame numbers ascend.
        if (i > 0 && expected > 0) {
          EXPECT_GT(expected, last_expected);
          last_expected = expected;
        }
      } else {
        failing_step = step;
      }
    }
  }
  EXPECT_EQ(sends, total);
  ASSERT_TRUE(failing_step.is_object());
  ASSERT_TRUE(failing_step["actual_frame"].is_string());
  ASSERT_TRUE(failing_step["expected_frame"].is_string());
  EXPECT_TRUE(failing_step.contains("decoded"));

  // The captures hold every frame, the failing step's at the numbers results.json gives.
  const std::size_t actual_number = failing_step["frames"]["actual"];
  const std::size_t expected_number = failing_step["frames"]["expected"];
  EXPECT_EQ(vectors::ToHex(FrameOf(dir + "/out/actual.pcapng", actual_number)), failing_step["actual_frame"]);
  EXPECT_EQ(vectors::ToHex(FrameOf(dir + "/out/expected.pcapng", expected_number)), failing_step["expected_frame"]);
  EXPECT_FALSE(FrameOf(dir + "/out/expected.pcapng", expected_frames).empty());
  EXPECT_TRUE(FrameOf(dir + "/out/expected.pcapng", expected_frames + 1).empty());

  // index.json: a frame entry per send; the failing step's numbers agree.
  const json index = ReadJson(dir + "/out/index.json");
  ASSERT_TRUE(index.is_object());
  EXPECT_EQ(index["frames"].size(), sends);
  EXPECT_EQ(index["complete"], true);
  bool indexed = false;
  for (const json& frame : index["frames"]) {
    if (frame["vector"] != failing || frame["step"] != failing_step["index"]) continue;
    indexed = true;
    EXPECT_EQ(frame["actual"], actual_number);
    EXPECT_EQ(frame["expected"], expected_number);
  }
  EXPECT_TRUE(indexed);

  // junit.xml: a testcase per step, one failure, one suite per file.
  const std::string junit = ReadFile(dir + "/out/junit.xml");
  std::size_t steps = 0;
  for (const json& vector : vectors) steps += vector["steps"].size();
  EXPECT_EQ(Count(junit, "<testcase "), steps);
  EXPECT_EQ(Count(junit, "<failure "), 1u);
  EXPECT_EQ(Count(junit, "<testsuite "), 3u);
  EXPECT_NE(junit.find("tests=\"" + std::to_string(steps) + "\" failures=\"1\""), std::string::npos);

  // One job or two: the same results in the same order.
  const Ran one = Sendpath({"run", dir + "/suite", "--out", dir + "/one", "--no-progress"}, dir);
  EXPECT_EQ(one.code, 1);
  const json single = ReadJson(dir + "/one/results.json");
  ASSERT_EQ(single["vectors"].size(), total);
  for (std::size_t i = 0; i < total; ++i) EXPECT_EQ(single["vectors"][i]["id"], vectors[i]["id"]);
  EXPECT_EQ(ReadFile(dir + "/one/index.json"), ReadFile(dir + "/out/index.json"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sendpath::harness
