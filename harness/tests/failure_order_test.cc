// Issue 11, "the simplest failing vector first, failures grouped by cause": the complexity rank
// on the bundled vectors, the cause a failure is grouped under, the groups, and the order of
// results.json.
#include "harness/complexity.h"
#include "harness/failure_groups.h"

#include <reports/causes.h>
#include <reports/failure_groups.h>

#include <reports/writers.h>
#include <vectors/loader/vector_loader.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace sendpath::harness {
namespace {

using report::ComplexityRank;
using report::SaStructure;
using report::Verdict;
using report::VectorResult;
using report::CauseOf;
using report::CauseOfDiagnosis;
using report::GroupFailures;

const std::string kVectors = SENDPATH_TEST_VECTORS;

// The bundled contract suite, loaded once.
class BundledVectors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    loaded_ = new vectors::LoadResult(vectors::LoadVectorPaths({kVectors + "/contract"}));
  }
  static void TearDownTestSuite() {
    delete loaded_;
    loaded_ = nullptr;
  }
  static ComplexityRank Rank(const std::string& id) {
    for (const auto& file : loaded_->files) {
      for (const auto& vector : file.vectors) {
        if (vector.id == id) return RankOf(vector);
      }
    }
    ADD_FAILURE() << "no bundled vector " << id;
    return {};
  }
  static vectors::LoadResult* loaded_;
};
vectors::LoadResult* BundledVectors::loaded_ = nullptr;

TEST_F(BundledVectors, LoadWithoutErrors) { EXPECT_TRUE(loaded_->errors.empty()); }

TEST_F(BundledVectors, PlainSingleSaVectorHasTheSimplestComponents) {
  const ComplexityRank md5 = Rank("contract/ah-transport/md5");
  EXPECT_EQ(md5.sa_structure, SaStructure::kSingleSa);
  EXPECT_FALSE(md5.ipv4_options);
  EXPECT_EQ(md5.buffer_splits, 0u);
  EXPECT_FALSE(md5.ethernet);
  EXPECT_EQ(md5.add_sa_raw_fields, 0u);
  EXPECT_EQ(md5.sa_extensions, 0u);
  EXPECT_GT(md5.steps, 0u);
  EXPECT_GT(md5.frame_bytes, 0u);
}

TEST_F(BundledVectors, SaStructureOrdersSingleBeforeBundleBeforeTunnelBeforeTransportOverTunnel) {
  EXPECT_EQ(Rank("contract/bundle-transport/ah-md5-esp-3-des-md5").sa_structure, SaStructure::kBundle);
  EXPECT_EQ(Rank("contract/ah-tunnel/md5").sa_structure, SaStructure::kTunnel);
  EXPECT_EQ(Rank("contract/bundle-tunnel/ah-md5-esp-3-des-md5").sa_structure, SaStructure::kTunnelBundle);
  EXPECT_EQ(Rank("contract/transport-over-tunnel/ah-in-ah").sa_structure, SaStructure::kTransportOverTunnel);
  EXPECT_LT(Rank("contract/ah-transport/md5"), Rank("contract/bundle-transport/ah-md5-esp-3-des-md5"));
  EXPECT_LT(Rank("contract/bundle-transport/ah-md5-esp-3-des-md5"), Rank("contract/ah-tunnel/md5"));
  EXPECT_LT(Rank("contract/ah-tunnel/md5"), Rank("contract/bundle-tunnel/ah-md5-esp-3-des-md5"));
  EXPECT_LT(Rank("contract/bundle-tunnel/ah-md5-esp-3-des-md5"), Rank("contract/transport-over-tunnel/ah-in-ah"));
}

TEST_F(BundledVectors, WholeFramesBeforeBufferSplits) {
  const ComplexityRank split = Rank("contract/splits/ah-transport");
  EXPECT_EQ(split.sa_structure, SaStructure::kSingleSa);
  EXPECT_GT(split.buffer_splits, 0u);
  EXPECT_LT(Rank("contract/ah-transport/md5"), split);
  // More cuts rank later: one-byte buffers after a few cuts.
  const ComplexityRank one_byte = Rank("contract/splits/one-byte-buffers-esp-null");
  EXPECT_EQ(one_byte.sa_structure, SaStructure::kSingleSa);
  EXPECT_FALSE(one_byte.ipv4_options);
  EXPECT_GT(one_byte.buffer_splits, split.buffer_splits);
  EXPECT_LT(split, one_byte);
}

TEST_F(BundledVectors, NoOptionsBeforeOptionsAndNullFramingBeforeEthernet) {
  EXPECT_TRUE(Rank("contract/options/ah-immutable-nop").ipv4_options);
  EXPECT_LT(Rank("contract/ah-transport/md5"), Rank("contract/options/ah-immutable-nop"));
  EXPECT_TRUE(Rank("contract/ethernet/ah-transport").ethernet);
  EXPECT_LT(Rank("contract/ah-transport/md5"), Rank("contract/ethernet/ah-transport"));
}

TEST_F(BundledVectors, RawAddSaFieldsAfterThePlainOnes) {
  const ComplexityRank raw = Rank("contract/add-sa/num-sas-raw-2");
  const ComplexityRank plain = Rank("contract/add-sa/key-order-conf-first-bundle-3des-md5-ah-sha256");
  EXPECT_EQ(raw.sa_structure, plain.sa_structure);
  EXPECT_GT(raw.add_sa_raw_fields, 0u);
  EXPECT_EQ(plain.add_sa_raw_fields, 0u);
  EXPECT_LT(plain, raw);
  EXPECT_GT(Rank("contract/add-sa/num-sas-0").add_sa_raw_fields, 0u);
  EXPECT_GT(Rank("contract/add-sa/operation-3").add_sa_raw_fields, 0u);
  EXPECT_GT(Rank("contract/add-sa/flags-0").add_sa_raw_fields, 0u);
  EXPECT_GT(Rank("contract/add-sa/key-length-stated").add_sa_raw_fields, 0u);
  // Integrity-first KeyMat is an extension: after the default order, same SA otherwise.
  EXPECT_EQ(Rank("contract/add-sa/key-order-integrity-first-esp-aes-cbc-sha1").sa_extensions, 1u);
  EXPECT_LT(Rank("contract/add-sa/key-order-conf-first-esp-aes-cbc-sha1"),
            Rank("contract/add-sa/key-order-integrity-first-esp-aes-cbc-sha1"));
}

TEST(Rank, MustVectorsBeforeShouldOnesWhateverTheirStructure) {
  const vectors::LoadResult loaded = vectors::LoadVectorPaths(
      {kVectors + "/robustness", kVectors + "/contract/contract-transport-over-tunnel.json"});
  ASSERT_TRUE(loaded.errors.empty());
  std::map<std::string, ComplexityRank> rank;
  for (const auto& file : loaded.files) {
    for (const auto& vector : file.vectors) rank[vector.id] = RankOf(vector);
  }
  const ComplexityRank should = rank.at("robustness/spi-mismatch-esp");
  const ComplexityRank must = rank.at("contract/transport-over-tunnel/bundle-in-bundle");
  EXPECT_TRUE(should.should);
  EXPECT_FALSE(must.should);
  EXPECT_EQ(should.sa_structure, SaStructure::kSingleSa);
  EXPECT_EQ(must.sa_structure, SaStructure::kTransportOverTunnel);
  EXPECT_LT(must, should);  // the class outranks the structure
}

TEST_F(BundledVectors, EmptyPayloadsFirstAmongVectorsAlikeOtherwise) {
  // ESP: the plaintext Pad Length ends the payload; AES-CBC-256 with HMAC-SHA-256, empty and not.
  const ComplexityRank empty = Rank("contract/esp-size/aes-cbc-256-sha-256-empty");
  const ComplexityRank full = Rank("contract/esp-transport/aes-cbc-256-sha-256");
  EXPECT_FALSE(empty.payload);
  EXPECT_TRUE(full.payload);
  EXPECT_EQ(empty.sa_structure, full.sa_structure);
  EXPECT_LT(empty, full);
  // Null ESP and AES-GMAC (an IV, no cipher) are read the same way.
  EXPECT_FALSE(Rank("contract/esp-size/none-md5-empty").payload);
  EXPECT_FALSE(Rank("contract/esp-size/none-aes-gmac-192-empty").payload);
  EXPECT_FALSE(Rank("contract/esp-size/aes-gcm-256-none-empty").payload);
  // AH, a tunnel (the inner IPv4 header's payload counts) and transport over tunnel carry data.
  EXPECT_TRUE(Rank("contract/ah-transport/md5").payload);
  EXPECT_TRUE(Rank("contract/esp-tunnel/3-des-md5").payload);
  EXPECT_TRUE(Rank("contract/transport-over-tunnel/esp-in-esp").payload);
  // No offloaded send: nothing carried.
  EXPECT_FALSE(Rank("contract/add-sa/num-sas-0").payload);
  // The structure still outranks the payload: an empty single SA before a tunnel, a tunnel after
  // any single SA.
  EXPECT_LT(full, Rank("contract/esp-tunnel/3-des-md5"));
}

// ---- causes -------------------------------------------------------------------------------------

constexpr const char* kTtlGroup = "ah-ttl-not-zeroed (RFC 4302 \u00a73.3.3.1.1.1: mutable, zeroed for the ICV)";

// A send failure whose cause the judge proved (reports/causes.h), as the judge words it.
report::Cause TtlCause(const std::string& kind) {
  report::Cause cause;
  cause.id = "ah-ttl-not-zeroed";
  cause.header = kind + " AH";
  cause.rule = "RFC 4302 \u00a73.3.3.1.1.1: mutable, zeroed for the ICV";
  cause.proof = "recomputed, all 12 ICV bytes match";
  cause.text = cause.header + " ICV computed with TTL not zeroed (" + cause.rule + "); " + cause.proof;
  return cause;
}

TEST(Cause, VectorSpecificPartsAreTakenOut) {
  EXPECT_EQ(CauseOfDiagnosis("send", "ipv4[inner].ttl differs: expected 64, actual 63 (+3 more)", false), "ipv4[inner].ttl differs");
  EXPECT_EQ(CauseOfDiagnosis("send", "ah.icv differs: expected 0a1b2c3d4e5f, actual 0a1b2c3d4e50", false), "ah.icv differs");
  EXPECT_EQ(CauseOfDiagnosis("send", "esp.icv differs (offset 124, expected f4, got 65)", false),
            "esp.icv differs");
  EXPECT_EQ(CauseOfDiagnosis("send", "frame is 120 bytes, expected 136; first difference: esp.icv at offset 100", false),
            "frame is shorter than expected; first difference: esp.icv");
  EXPECT_EQ(CauseOfDiagnosis("send",
                             "leaked: emitted a 136-byte frame on a refused send (its payload was changed); status "
                             "NDIS_STATUS_SUCCESS, expected NDIS_STATUS_NOT_SUPPORTED (the rule: fragments are not "
                             "offloaded: at byte 6)",
                             false),
            "leaked: emitted a frame on a refused send (its payload was changed); status NDIS_STATUS_SUCCESS, expected "
            "NDIS_STATUS_NOT_SUPPORTED (the rule: fragments are not offloaded)");
  EXPECT_EQ(CauseOfDiagnosis("send", "status NDIS_STATUS_INVALID_PACKET, expected NDIS_STATUS_SUCCESS", false),
            "send status NDIS_STATUS_INVALID_PACKET, expected NDIS_STATUS_SUCCESS");
  EXPECT_EQ(CauseOfDiagnosis("send",
                             "IV 0000000000000000 repeated under SA t/esp: step 3 reuses the IV of step 2 (AES-GCM: "
                             "the same nonce twice)",
                             false),
            "an IV repeated under one SA: a later send reuses the IV of an earlier one (AES-GCM: the same nonce twice)");
  EXPECT_EQ(CauseOfDiagnosis("send",
                             "esp.ciphertext does not verify with the candidate's IV (decrypted UDP checksum "
                             "0x5471 does not match the plaintext)",
                             false),
            "esp.ciphertext does not verify with the candidate's IV (decrypted UDP checksum 0x... does not "
            "match the plaintext)");
  // The receive check's reasons, for a candidate that picks its own IVs.
  EXPECT_EQ(CauseOfDiagnosis("send",
                             "esp.icv does not verify with the candidate's IV (ESP SPI 0x1234: ICV (GCM tag) "
                             "does not verify (t/esp, ESP AES-256-GCM, SPI 0x1234, ESN high 0x1))",
                             false),
            "esp.icv does not verify with the candidate's IV (ICV (GCM tag) does not verify)");
  EXPECT_EQ(CauseOfDiagnosis("send",
                             "esp.icv does not verify with the candidate's IV (ESP SPI 0x99: ICV does not "
                             "verify (esp-transport-065_sa/esp, ESP NULL + AES-128-GMAC, SPI 0x99): found 0011, computed 2233)",
                             false),
            "esp.icv does not verify with the candidate's IV (ICV does not verify)");
  EXPECT_EQ(CauseOfDiagnosis("send",
                             "esp.pad_length does not verify with the "
                             "candidate's IV (ESP SPI 0x1: decrypted Pad Length 83 runs past the start of the payload "
                             "(8 bytes) \u2014 wrong key, IV or ciphertext?)",
                             false),
            "esp.pad_length does not verify with the candidate's IV "
            "(decrypted Pad Length runs past the start of the payload \u2014 wrong key, IV or ciphertext?)");
  EXPECT_EQ(CauseOfDiagnosis("send", "status 0xc0010017, expected NDIS_STATUS_SUCCESS", false),
            "send status 0xc0010017, expected NDIS_STATUS_SUCCESS");
  EXPECT_EQ(CauseOfDiagnosis("fill_sa_table", "never answered NDIS_STATUS_RESOURCES within 1000 copies of SA t2", false),
            "never answered NDIS_STATUS_RESOURCES within the vector's limit of copies of its SA");
  EXPECT_EQ(CauseOfDiagnosis("send", "killed by signal 11 (SIGSEGV) during send", true),
            "candidate error during send: killed by signal 11 (SIGSEGV) during send");
}

// ---- groups -------------------------------------------------------------------------------------

VectorResult Failed(const std::string& id, const std::string& diagnosis, ComplexityRank rank, bool must = true,
                    Verdict verdict = Verdict::kFail) {
  VectorResult vector;
  vector.id = id;
  vector.must = must;
  vector.verdict = verdict;
  vector.rank = rank;
  report::StepResult& set = vector.steps.emplace_back();
  set.op = "set";
  report::StepResult& send = vector.steps.emplace_back();
  send.index = 1;
  send.op = "send";
  send.verdict = verdict;
  send.diagnosis = diagnosis;
  vector.diagnosis = "step 1 (send): " + diagnosis;
  return vector;
}

ComplexityRank RankWith(SaStructure structure, std::uint32_t splits = 0, std::uint64_t bytes = 100) {
  ComplexityRank rank;
  rank.sa_structure = structure;
  rank.buffer_splits = splits;
  rank.steps = 3;
  rank.frame_bytes = bytes;
  return rank;
}

VectorResult TtlFailed(const std::string& id, const std::string& kind, int offset, ComplexityRank rank, bool must = true) {
  const report::Cause cause = TtlCause(kind);
  VectorResult vector = Failed(id, cause.text + "; first difference: " + (kind == "tunnel" ? "ah[outer]" : "ah") + ".icv differs (offset " +
                                       std::to_string(offset) + ", expected 0d, got 42)",
                               rank, must);
  vector.steps[1].cause = cause;
  return vector;
}

TEST(Cause, ProvenCauseIsTheGroupWhateverHeaderCarriesIt) {
  const VectorResult transport = TtlFailed("a", "transport", 32, {});
  const VectorResult tunnel = TtlFailed("b", "tunnel", 52, {});
  EXPECT_EQ(CauseOf(transport), kTtlGroup);
  EXPECT_EQ(CauseOf(tunnel), kTtlGroup);
  // Not proven: the diagnosis, normalised.
  VectorResult unexplained = Failed("c", "esp.icv differs (offset 124, expected f4, got 65); no known cause matched", {});
  unexplained.steps[1].cause = report::UnexplainedCause("esp.icv differs (offset 124, expected f4, got 65)");
  EXPECT_EQ(CauseOf(unexplained), "esp.icv differs; no known cause matched");
}

TEST(Groups, EveryFailureInOneGroupWithCountsSimplestFirst) {
  std::vector<VectorResult> vectors;
  vectors.push_back(TtlFailed("splits/ah", "transport", 33, RankWith(SaStructure::kSingleSa, 6)));
  vectors.push_back(Failed("splits/esp", "status NDIS_STATUS_INVALID_PACKET, expected NDIS_STATUS_SUCCESS",
                           RankWith(SaStructure::kSingleSa, 7)));
  VectorResult passed = Failed("passed", "", RankWith(SaStructure::kNone));
  passed.verdict = Verdict::kPass;
  passed.steps[1].verdict = Verdict::kPass;
  vectors.push_back(passed);
  vectors.push_back(TtlFailed("tot/ah-in-ah", "tunnel", 52, RankWith(SaStructure::kTransportOverTunnel)));
  vectors.push_back(TtlFailed("ah-transport/sha-1", "transport", 32, RankWith(SaStructure::kSingleSa, 0, 120)));
  vectors.push_back(TtlFailed("ah-transport/md5", "transport", 32, RankWith(SaStructure::kSingleSa, 0, 116), false));
  vectors.push_back(Failed("crash", "killed by signal 11 (SIGSEGV) during send", RankWith(SaStructure::kBundle), true,
                           Verdict::kCandidateError));

  const std::vector<report::FailureGroup> groups = GroupFailures(vectors);
  ASSERT_EQ(groups.size(), 3u);
  // The TTL group holds the simplest failing vector: it comes first, its ids simplest first.
  EXPECT_EQ(groups[0].cause, kTtlGroup);
  EXPECT_EQ(groups[0].count, 4u);
  EXPECT_EQ(groups[0].must, 3u);
  EXPECT_EQ(groups[0].simplest, "ah-transport/md5");
  EXPECT_EQ(groups[0].vector_ids,
            (std::vector<std::string>{"ah-transport/md5", "ah-transport/sha-1", "splits/ah", "tot/ah-in-ah"}));
  EXPECT_EQ(groups[1].simplest, "splits/esp");
  EXPECT_EQ(groups[1].count, 1u);
  EXPECT_EQ(groups[2].cause, "candidate error during send: killed by signal 11 (SIGSEGV) during send");
  EXPECT_EQ(groups[2].simplest, "crash");
  std::size_t total = 0;
  for (const auto& group : groups) total += group.count;
  EXPECT_EQ(total, 6u);  // every failure, the passing vector in none
}

TEST(Groups, EqualSimplestRanksPutTheLargerGroupFirst) {
  std::vector<VectorResult> vectors;
  vectors.push_back(Failed("a", "esp.icv differs (offset 1, expected 00, got 01)", RankWith(SaStructure::kSingleSa)));
  vectors.push_back(TtlFailed("b", "transport", 32, RankWith(SaStructure::kSingleSa)));
  vectors.push_back(TtlFailed("c", "transport", 32, RankWith(SaStructure::kBundle)));
  const auto groups = GroupFailures(vectors);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].simplest, "b");
  EXPECT_EQ(groups[0].count, 2u);
  EXPECT_EQ(groups[1].simplest, "a");
}

TEST(Groups, RankAndGroupFailuresRanksFromTheLoadedVectorsAndSetsCauses) {
  const vectors::LoadResult loaded = vectors::LoadVectorPaths({kVectors + "/contract/contract-ah-algorithms.json",
                                                               kVectors + "/contract/contract-buffer-splits.json"});
  ASSERT_TRUE(loaded.errors.empty());
  std::map<std::string, const vectors::Vector*> by_id;
  for (const auto& file : loaded.files) {
    for (const auto& vector : file.vectors) by_id[vector.id] = &vector;
  }
  report::RunResult run;
  // Suite order puts the split first; the rank puts the plain vector first.
  run.vectors.push_back(TtlFailed("contract/splits/ah-transport", "transport", 33, {}));
  run.vectors.push_back(TtlFailed("contract/ah-transport/md5", "transport", 32, {}));
  RankAndGroupFailures(run, by_id);
  EXPECT_EQ(run.vectors[0].rank, RankOf(*by_id.at("contract/splits/ah-transport")));
  EXPECT_EQ(run.vectors[1].cause, kTtlGroup);
  ASSERT_EQ(run.failure_groups.size(), 1u);
  EXPECT_EQ(run.failure_groups[0].simplest, "contract/ah-transport/md5");
  EXPECT_EQ(report::FailuresSimplestFirst(run), (std::vector<std::size_t>{1, 0}));
}

// ---- results.json -------------------------------------------------------------------------------

TEST(ResultsJson, FailuresFirstSimplestFirstThenTheRestInSuiteOrder) {
  report::RunResult run;
  VectorResult pass_first = Failed("pass-1", "", RankWith(SaStructure::kNone));
  pass_first.verdict = Verdict::kPass;
  pass_first.steps[1].verdict = Verdict::kPass;
  run.vectors.push_back(pass_first);
  run.vectors.push_back(TtlFailed("complex", "tunnel", 52, RankWith(SaStructure::kTransportOverTunnel)));
  VectorResult pass_second = pass_first;
  pass_second.id = "pass-2";
  run.vectors.push_back(pass_second);
  run.vectors.push_back(TtlFailed("simple", "transport", 32, RankWith(SaStructure::kSingleSa)));
  report::GroupRunFailures(run);

  const auto dir = std::filesystem::temp_directory_path() / ("sendpath-failure-order-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "results.json").string();
  ASSERT_TRUE(report::WriteResultsJson(run, path));
  std::ifstream in(path);
  const nlohmann::json results = nlohmann::json::parse(in);
  std::filesystem::remove_all(dir);

  std::vector<std::string> ids;
  for (const auto& vector : results["vectors"]) ids.push_back(vector["id"].get<std::string>());
  EXPECT_EQ(ids, (std::vector<std::string>{"simple", "complex", "pass-1", "pass-2"}));
  EXPECT_EQ(results["vectors"][0]["rank"]["sa_structure"], "single SA");
  EXPECT_EQ(results["vectors"][1]["rank"]["sa_structure"], "transport over tunnel");
  EXPECT_EQ(results["vectors"][0]["rank"]["frame_bytes"], 100);
  EXPECT_EQ(results["vectors"][0]["cause"]["group"], kTtlGroup);
  EXPECT_EQ(results["vectors"][0]["cause"]["id"], "ah-ttl-not-zeroed");
  EXPECT_EQ(results["vectors"][0]["steps"][1]["cause"]["id"], "ah-ttl-not-zeroed");
  EXPECT_EQ(results["vectors"][0]["failure_group"], 0);
  EXPECT_TRUE(results["vectors"][2]["cause"].is_null());
  EXPECT_TRUE(results["vectors"][2]["failure_group"].is_null());
  EXPECT_EQ(results["rank_components"],
            (nlohmann::json{"should", "sa_structure", "ipv4_options", "buffer_splits", "ethernet", "add_sa_raw_fields",
                            "sa_extensions", "payload", "steps", "frame_bytes"}));
  ASSERT_EQ(results["failure_groups"].size(), 1u);
  EXPECT_EQ(results["failure_groups"][0]["count"], 2);
  EXPECT_EQ(results["failure_groups"][0]["must"], 2);
  EXPECT_EQ(results["failure_groups"][0]["simplest"], "simple");
  EXPECT_EQ(results["failure_groups"][0]["vectors"], (nlohmann::json{"simple", "complex"}));
}

}  // namespace
}  // namespace sendpath::harness
