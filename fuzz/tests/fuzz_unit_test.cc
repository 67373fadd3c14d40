// Unit tests of the differential target's parts: which candidate a spec names, how a candidate
// error is signed, and the signature-by-cause rule over real frames of the reference NIC.
#include "fuzz/common/candidate_choice.h"
#include "fuzz/common/driver.h"
#include "fuzz/common/framing.h"
#include "fuzz/common/programming.h"
#include "fuzz/common/script.h"
#include "fuzz/common/signature.h"

#include "harness/candidates/reference/reference_candidate.h"

#include <reports/diff.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sendpath::fuzz {
namespace {

constexpr std::chrono::milliseconds kTimeout{1000};

TEST(CandidateChoiceTest, BareLibraryPathRunsInProcessWithTheDefaultCapacity) {
  const CandidateChoice choice = ChooseCandidate("/b/candidates/libsendpath_faulty_iv_not_written.so", 8, kTimeout, "");
  EXPECT_TRUE(choice.error.empty());
  EXPECT_TRUE(choice.in_process);
  EXPECT_EQ(choice.library, "/b/candidates/libsendpath_faulty_iv_not_written.so");
  EXPECT_EQ(choice.options, "sa_capacity=8");
  EXPECT_EQ(choice.name, "faulty_iv_not_written");
  EXPECT_EQ(choice.sa_capacity, 8u);
}

TEST(CandidateChoiceTest, LibSpecRunsInTheHostAndTakesItsCapacity) {
  const CandidateChoice choice = ChooseCandidate("lib:./libsendpath_sample_nic.so,sa_capacity=3", 8, kTimeout, "/h/host");
  EXPECT_TRUE(choice.error.empty()) << choice.error;
  EXPECT_FALSE(choice.in_process);
  ASSERT_NE(choice.factory, nullptr);
  EXPECT_EQ(choice.name, "sample_nic");
  EXPECT_EQ(choice.sa_capacity, 3u);
}

TEST(CandidateChoiceTest, ExecSpecIsNamedByTheLibraryItServesElseByItsProgram) {
  const CandidateChoice hosted = ChooseCandidate(
      "exec:build/fuzz/harness/sendpath-candidate-host build/fuzz/candidates/libsendpath_faulty_ah_ttl_not_zeroed.so sa_capacity=5",
      8, kTimeout, "");
  EXPECT_TRUE(hosted.error.empty()) << hosted.error;
  ASSERT_NE(hosted.factory, nullptr);
  EXPECT_EQ(hosted.name, "faulty_ah_ttl_not_zeroed");
  EXPECT_EQ(hosted.sa_capacity, 5u);
  const CandidateChoice agent = ChooseCandidate("exec:'/opt/rig agent/sendpath-reference-agent'", 12, kTimeout, "");
  ASSERT_NE(agent.factory, nullptr);
  EXPECT_EQ(agent.name, "reference-agent");
  EXPECT_EQ(agent.sa_capacity, 12u);
}

TEST(CandidateChoiceTest, RefusesWhatIsNoLiveNic) {
  EXPECT_FALSE(ChooseCandidate("pcap:rig/capture.pcap", 8, kTimeout, "").error.empty());
  EXPECT_FALSE(ChooseCandidate("exec:", 8, kTimeout, "").error.empty());
  EXPECT_FALSE(ChooseCandidate("exec:'unterminated", 8, kTimeout, "").error.empty());
  EXPECT_FALSE(ChooseCandidate("lib:", 8, kTimeout, "").error.empty());
}

TEST(CandidateChoiceTest, CandidateErrorsAreSignedByKind) {
  EXPECT_STREQ(CandidateErrorKind("send: exited early: killed by signal 11 (SIGSEGV)"), "candidate-crash");
  EXPECT_STREQ(CandidateErrorKind("send: exited early: exited with status 1"), "candidate-crash");
  EXPECT_STREQ(CandidateErrorKind("send: hang: no reply within 2000 ms (killed)"), "candidate-hang");
  EXPECT_STREQ(CandidateErrorKind("send: garbage reply \"x\""), "candidate-error");
}

// One send of the base setup through two reference NICs: one programmed as the script says, one
// with `corrupt` applied to its SA specs (a wrong key stands for a NIC bug). The frames are
// compared with the first NIC's keys, as the differential target does.
struct Signatures {
  std::string by_cause;     // SignatureField
  std::string first_cause;  // the reports' own FirstCause, for contrast
  std::string by_send;      // SendSignature: the proven cause's id, else SignatureField
};

Signatures SignatureOf(HandleRef offload, HandleRef next, const std::function<void(std::vector<vectors::SaSpec>&)>& corrupt,
                       const std::function<void(Setup&)>& shape = {}) {
  Script script;
  script.setup = BaseSetup();
  if (shape) shape(script.setup);
  SendDef send;
  send.offload = offload;
  send.next = next;
  send.plan = PlanFor(script.setup, offload, next);
  script.sends.push_back(send);
  const Programming programming = Program(script.setup, nic::FullCapabilities());
  std::vector<vectors::SaSpec> corrupted = programming.specs;
  corrupt(corrupted);

  std::vector<std::uint8_t> frame;
  Layout layout;
  FrameBuilder builder;
  builder.Build(script.setup, programming.framing, script.sends[0], frame, layout);
  std::vector<std::size_t> cuts;
  std::vector<harness::Bytes> outputs;
  for (const std::vector<vectors::SaSpec>* specs : {&programming.specs, static_cast<const std::vector<vectors::SaSpec>*>(&corrupted)}) {
    Driver driver(std::make_unique<harness::ReferenceCandidate>());
    EXPECT_EQ(driver.Start(), "");
    EXPECT_TRUE(driver.candidate().Reset().ok());
    driver.Forget();
    EXPECT_EQ(*driver.candidate().Set(programming.encapsulation, programming.enable), NDIS_STATUS_SUCCESS);
    for (const vectors::SaSpec& spec : *specs) {
      const auto reply = driver.candidate().AddSa(MakeAddSaRequest(spec, vectors::BuildAddSaRequest(spec)));
      EXPECT_TRUE(reply.ok());
      driver.Record(reply->status == NDIS_STATUS_SUCCESS ? reply->handle : nullptr);
    }
    driver.Seal();
    const auto sent = driver.candidate().Send(driver.Request(script, 0, programming, frame, cuts));
    EXPECT_TRUE(sent.ok());
    EXPECT_EQ(sent->status, NDIS_STATUS_SUCCESS);
    outputs.push_back(sent->frame.value_or(harness::Bytes{}));
  }
  CheckTables tables;
  std::size_t first = 0, second = 0;
  const bool tunnelled = SaIndexOf(next, programming.specs.size(), second);
  SaIndexOf(offload, programming.specs.size(), first);
  report::SaTable* table = tables.Get(programming, tunnelled ? second : first, tunnelled ? first : static_cast<std::size_t>(-1));
  report::FrameDiffer differ(table, report::DiffOptions{});
  const report::FrameComparison& comparison = differ.Compare(outputs[0], outputs[1], report::LinkType::kRawIp);
  EXPECT_FALSE(comparison.equivalent);
  if (comparison.equivalent) return {};
  const report::CauseQuery query{frame, outputs[0], outputs[1], report::LinkType::kRawIp, *table, nullptr, false};
  return {SignatureField(comparison, differ), comparison.FirstCause()->field, SendSignature(query, comparison, differ)};
}

HandleRef Sa(std::uint8_t index) { return {HandleKind::kSa, index}; }
void FlipConfKey(vectors::SaSpec& spec) { spec.bundle.front().conf->key.front() ^= 0x80; }  // not a DES parity bit

// BaseSetup: sa0 ESP AES-CBC/SHA-1, sa2 AH SHA-256, sa3 ESP 3DES + AH MD5 (transport); sa4 ESP
// AES-256/SHA-256 tunnel.
TEST(SignatureTest, WrongCiphertextUnderAValidIcvIsTheCiphertextNotADecryptedField) {
  const Signatures signed_ = SignatureOf(Sa(0), {}, [](auto& specs) { FlipConfKey(specs[0]); });
  EXPECT_EQ(signed_.by_cause, "esp.ciphertext");
  EXPECT_NE(signed_.first_cause, "esp.ciphertext") << "the reports' rule names a decrypted field here";
}

TEST(SignatureTest, WrongIntegrityKeyIsTheIcv) {
  EXPECT_EQ(SignatureOf(Sa(0), {}, [](auto& specs) { specs[0].bundle.front().integrity->key.front() ^= 0x01; }).by_cause,
            "esp.icv");
}

TEST(SignatureTest, GcmTagOverTheRightCiphertextIsTheIcvNotTheCiphertext) {
  // sa1: AES-GCM-128 ESP. ESN high bits enter the AAD (RFC 4106 §5) and nowhere else: the
  // ciphertext stays, the tag differs (the gcm_aad_without_spi fault's shape). The receive side
  // cannot decrypt a payload whose tag fails, but the ciphertext bytes are the same.
  const Signatures signed_ = SignatureOf(Sa(1), {}, [](auto& specs) { specs[1].bundle.front().esn_high = 7; });
  EXPECT_EQ(signed_.by_cause, "esp.icv");
}

TEST(SignatureTest, AhIcvOverAWrongEspIsAConsequenceThoughItComesFirstOnTheWire) {
  EXPECT_EQ(SignatureOf(Sa(3), {}, [](auto& specs) { FlipConfKey(specs[3]); }).by_cause, "esp.ciphertext");
}

TEST(SignatureTest, InnerAhBugUnderAnEncryptedTunnelIsTheInnerIcv) {
  const Signatures signed_ = SignatureOf(Sa(2), Sa(4), [](auto& specs) { specs[2].bundle.front().integrity->key.front() ^= 0x01; });
  EXPECT_EQ(signed_.by_cause, "ah[inner].icv");
}

TEST(SignatureTest, InnerEspCipherBugUnderAnEncryptedTunnelIsTheInnerCiphertext) {
  EXPECT_EQ(SignatureOf(Sa(0), Sa(4), [](auto& specs) { FlipConfKey(specs[0]); }).by_cause, "esp[inner].ciphertext");
}

TEST(SignatureTest, TunnelCipherBugIsTheOuterCiphertext) {
  EXPECT_EQ(SignatureOf(Sa(0), Sa(4), [](auto& specs) { FlipConfKey(specs[4]); }).by_cause, "esp[outer].ciphertext");
}

// A send whose candidate frame one known mistake reproduces is signed by that cause, not by a
// field: a NIC that drops the ESN high bits (RFC 4303 §2.2.1) from the ICV of an ESN SA.
TEST(SignatureTest, AProvenCauseIsTheSignature) {
  const auto esn = [](fuzz::Setup& setup) {
    setup.sas[0].esn = true;
    setup.sas[0].esn_high = 7;
  };
  const Signatures signed_ = SignatureOf(Sa(0), {}, [](auto& specs) { specs[0].bundle.front().esn_high.reset(); }, esn);
  EXPECT_EQ(signed_.by_send, "esn-high-bits-omitted");
  EXPECT_EQ(signed_.by_cause, "esp.icv");
}

// No known mistake gives a wrong key's bytes: the signature stays the first field that is a cause.
TEST(SignatureTest, WithoutAProvenCauseTheSignatureIsTheField) {
  EXPECT_EQ(SignatureOf(Sa(0), {}, [](auto& specs) { FlipConfKey(specs[0]); }).by_send, "esp.ciphertext");
  EXPECT_EQ(SignatureOf(Sa(2), {}, [](auto& specs) { specs[2].bundle.front().integrity->key.front() ^= 0x01; }).by_send,
            "ah.icv");
}

// One CheckTables serves every Programming: a table depends only on its SAs (SaDef and index,
// from which MakeSaSpec derives the keys), so Setups sharing them share the table, and a Setup
// whose SA differs gets its own.
TEST(CheckTablesTest, TablesAreSharedByTheirSasAcrossSetups) {
  const nic::Capabilities reported = nic::FullCapabilities();
  const fuzz::Setup base = BaseSetup();
  fuzz::Setup other_table = base;  // another SA 1: the (0, none) table is still the same
  other_table.sas[1].conf = static_cast<std::uint8_t>((base.sas[1].conf + 1) % kConfChoices.size());
  fuzz::Setup other_key = base;  // SA 0 with another SPI: its own table
  other_key.sas[0].esp_spi = base.sas[0].esp_spi + 1;
  const Programming a = Program(base, reported), b = Program(other_table, reported), c = Program(other_key, reported);
  const std::size_t none = static_cast<std::size_t>(-1);
  CheckTables tables;
  report::SaTable* first = tables.Get(a, 0, none);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(tables.Get(b, 0, none), first);
  EXPECT_NE(tables.Get(c, 0, none), first);
  EXPECT_NE(tables.Get(a, 1, none), tables.Get(b, 1, none));
  EXPECT_NE(tables.Get(a, 0, 1), first);
}

}  // namespace
}  // namespace sendpath::fuzz
