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

}  // namespace
}  // namespace sendpath::fuzz
