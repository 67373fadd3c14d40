// Scripts decode and encode as one layout: the committed seed corpora (written by EncodeScript)
// decode to scripts that encode back to the same bytes, and any input decodes to a script whose
// encoding decodes to it again. Both fail if the byte reader or the bounded lists change what a
// corpus file means.
#include "fuzz/common/script.h"

#include <gtest/gtest.h>

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

// HashSetup is what the NIC caches of the send-path targets look a Setup up by: equal Setups hash
// alike, and each field a Setup holds changes the hash.
TEST(ScriptTest, SetupHashFollowsEveryField) {
  const fuzz::Setup base = BaseSetup();
  fuzz::Setup copy = base;
  EXPECT_EQ(HashSetup(copy), HashSetup(base));
  std::vector<fuzz::Setup> changed(11, base);
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
  for (std::size_t i = 0; i < changed.size(); ++i) {
    ASSERT_FALSE(changed[i] == base) << i;
    EXPECT_NE(HashSetup(changed[i]), HashSetup(base)) << "change " << i;
  }
}

}  // namespace
}  // namespace sendpath::fuzz
