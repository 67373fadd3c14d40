// Scripts decode and encode as one layout: the committed seed corpora (written by EncodeScript)
// decode to scripts that encode back to the same bytes, and any input decodes to a script whose
// encoding decodes to it again. Both fail if the byte reader or the bounded lists change what a
// corpus file means.
#include "fuzz/common/script.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace sendpath::fuzz {
namespace {

std::vector<std::uint8_t> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::filesystem::path> Seeds(const std::string& target) {
  std::vector<std::filesystem::path> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SENDPATH_FUZZ_DIR) + "/" + target + "/corpus")) {
    if (entry.is_regular_file()) seeds.push_back(entry.path());
  }
  return seeds;
}

TEST(ScriptTest, CommittedSeedsEncodeBackToTheirBytes) {
  std::size_t checked = 0;
  for (const char* target : {"send_path", "differential"}) {
    for (const auto& seed : Seeds(target)) {
      const auto bytes = ReadFile(seed);
      EXPECT_EQ(EncodeScript(DecodeScript(bytes)), bytes) << seed;
      ++checked;
    }
  }
  EXPECT_GT(checked, 50u);
}

TEST(ScriptTest, AnyInputDecodesToAScriptItsEncodingReproduces) {
  std::minstd_rand random(12);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::uint8_t> bytes(random() % 400);
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
    const Script script = DecodeScript(bytes);
    ASSERT_EQ(DecodeScript(EncodeScript(script)), script) << "round " << round;
  }
}

TEST(ScriptTest, ABuiltScriptSurvivesEncoding) {
  Script script;
  script.setup = BaseSetup();
  ASSERT_FALSE(script.setup.sas.empty());
  SendDef send;
  send.offload = {HandleKind::kSa, 0};
  send.plan = PlanFor(script.setup, send.offload, send.next);
  send.plan.outer_options = {{OptionKind::kRouterAlert, 0, 4}};
  send.cuts = {{Anchor::kEsp, 3}};
  script.sends.push_back(send);
  script.iv_seed = 0x5eed;
  EXPECT_EQ(DecodeScript(EncodeScript(script)), script);
  // An empty input is the all-minimum script, not an error.
  EXPECT_NO_THROW(DecodeScript({}));
}

// UDP-ESP is encoded after everything else: a script without it, encoded without those trailing
// fields (as inputs were before them), decodes to the same script; one with it survives encoding.
TEST(ScriptTest, UdpEspFieldsKeepOlderInputsAndSurviveEncoding) {
  Script script;
  script.setup = BaseSetup();
  script.sends.resize(2);
  script.sends[0].offload = {HandleKind::kSa, 0};
  script.sends[0].plan = PlanFor(script.setup, script.sends[0].offload, script.sends[0].next);
  const std::vector<std::uint8_t> bytes = EncodeScript(script);
  // What the UDP-ESP fields take: SA bits, six entries, delete bits, per send the flip and a count.
  const std::size_t udp_bytes = 1 + kMaxSas + 1 + 2 * script.sends.size();
  ASSERT_GT(bytes.size(), udp_bytes);
  EXPECT_TRUE(std::all_of(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(udp_bytes), [](std::uint8_t b) { return b == 0; }));
  EXPECT_EQ(DecodeScript(std::vector<std::uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(udp_bytes), bytes.end())), script);

  script.setup.udp.sas = 0b010001;
  script.setup.udp.parser_entry[4] = kParserEntryNeverIssued;
  script.setup.udp.parser_entry[1] = 1;
  script.setup.udp.delete_entry = 0b10;
  script.sends[1].udp_flip = 2;
  script.sends[1].udp_deviations = {{UdpField::kLength, 1, 0x10008}, {UdpField::kNonEspMarker, 0, 0}};
  EXPECT_EQ(DecodeScript(EncodeScript(script)), script);
  EXPECT_NE(DescribeScript(script).find("udp-esp"), std::string::npos) << DescribeScript(script);
}

// HashSetup is what the NIC caches of the send-path targets look a Setup up by: equal Setups hash
// alike, and each field a Setup holds changes the hash.
TEST(ScriptTest, SetupHashFollowsEveryField) {
  const fuzz::Setup base = BaseSetup();
  fuzz::Setup copy = base;
  EXPECT_EQ(HashSetup(copy), HashSetup(base));
  std::vector<fuzz::Setup> changed(14, base);
  changed[0].ethernet = !base.ethernet;
  changed[1].second_set = !base.second_set;
  changed[2].churn = static_cast<std::uint8_t>(base.churn + 1);
  changed[3].disabled.push_back(2);
  changed[4].sas.pop_back();
  changed[5].sas[1].conf = static_cast<std::uint8_t>(base.sas[1].conf + 1);
  changed[6].sas[2].deleted = !base.sas[2].deleted;
  changed[7].sas[0].esn_high = base.sas[0].esn_high + 1;
  changed[8].sas[3].ah_spi = base.sas[3].ah_spi + 1;
  changed[9].sas[4].integrity_first = !base.sas[4].integrity_first;
  changed[10].sas[5].tunnel = !base.sas[5].tunnel;
  changed[11].udp.sas = 1;
  changed[12].udp.parser_entry[1] = 2;
  changed[13].udp.delete_entry = 4;
  for (std::size_t i = 0; i < changed.size(); ++i) {
    ASSERT_FALSE(changed[i] == base) << i;
    EXPECT_NE(HashSetup(changed[i]), HashSetup(base)) << "change " << i;
  }
}

}  // namespace
}  // namespace sendpath::fuzz
