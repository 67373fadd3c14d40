#include "reports/reseal.h"

#include "vectors/loader/vector_loader.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace sendpath::report {
namespace {

// Self-test of the resealer: with no deviation and the expected frame's IVs it reproduces every
// bundled vector's expected frame byte for byte. Excluded, and counted: a step whose SAs do not
// build (a negative vector's malformed SA) and an expected frame the receive check cannot read
// (it then has no layout to reseal by; none today). A frame without IPv4 or IPsec (a zero
// OffloadHandle) has no header to seal and goes out as framed. Steps that expect nothing have no frame to reproduce.
TEST(ResealTest, ReproducesEveryBundledExpectedFrame) {
  std::vector<std::string> suites;
  for (const char* suite : {"kat", "independent", "contract", "robustness", "regressions"}) {
    const std::string path = std::string(SENDPATH_VECTORS_DIR) + "/" + suite;
    if (std::filesystem::is_directory(path)) suites.push_back(path);
  }
  ASSERT_FALSE(suites.empty()) << "no suite folders under " << SENDPATH_VECTORS_DIR;
  const vectors::LoadResult loaded = vectors::LoadVectorPaths(suites);
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors.front().ToString();
  std::size_t resealed = 0, with_ipsec = 0, unbuildable_sas = 0, unreadable = 0;
  CheckResult layout;
  std::vector<std::uint8_t> out;
  for (const vectors::VectorFile& file : loaded.files) {
    for (const vectors::Vector& vector : file.vectors) {
      vectors::Encapsulation encapsulation = vector.encapsulation;
      for (const vectors::Step& step : vector.steps) {
        if (const auto* set = std::get_if<vectors::SetStep>(&step.op); set != nullptr && set->encapsulation) {
          encapsulation = *set->encapsulation;
        }
        const auto* send = std::get_if<vectors::SendStep>(&step.op);
        if (send == nullptr || !send->expect_frame) continue;
        const std::string where = vector.id + " " + step.pointer;
        SaTable sas;
        bool built = true;
        if (send->has_info) {
          for (const vectors::HandleRef* ref : {&send->offload_handle, &send->next_offload_handle}) {
            if (ref->kind != vectors::HandleRef::Kind::kSa || !vector.sas.contains(ref->sa)) continue;
            const vectors::SaSpec& spec = vector.sas.at(ref->sa);
            for (std::size_t element = 0; element < spec.bundle.size(); ++element) {
              auto keys = MakeSaKeys(ref->sa, spec, element);
              if (!keys) {
                built = false;
                break;
              }
              sas.Add(std::move(keys).value());
            }
          }
        }
        if (!built) {
          ++unbuildable_sas;
          continue;
        }
        const LinkType link = encapsulation == vectors::Encapsulation::kIeee8023 ? LinkType::kEthernet : LinkType::kRawIp;
        ReceiveChecker checker(sas);
        checker.Check(*send->expect_frame, link, layout);
        if (layout.status == FrameStatus::kFailed ||
            send->frame.size() != send->expect_frame->size()) {
          ++unreadable;
          std::printf("not resealed: %s (%s: %s)\n", where.c_str(), FrameStatusName(layout.status), layout.reason.c_str());
          continue;
        }
        std::string why;
        ASSERT_TRUE(Reseal({send->frame, layout, sas, layout.plaintext}, Deviation{}, out, &why)) << where << ": " << why;
        EXPECT_EQ(ToHex(out), ToHex(*send->expect_frame)) << where;
        ++resealed;
        if (!layout.headers.empty()) ++with_ipsec;
      }
    }
  }
  RecordProperty("resealed", static_cast<int>(resealed));
  std::printf("resealed %zu expected frames (%zu with AH/ESP); excluded: %zu with SAs that do not build, %zu the "
              "receive check cannot read\n",
              resealed, with_ipsec, unbuildable_sas, unreadable);
  EXPECT_GT(with_ipsec, 100u);
  EXPECT_EQ(unreadable, 0u);
}

}  // namespace
}  // namespace sendpath::report
