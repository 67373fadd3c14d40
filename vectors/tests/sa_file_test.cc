// sendpath-sas/1 files and WriteSaObject, the inverse of the SA parser.
#include "vectors/loader/vector_loader.h"

#include "vectors/tests/test_util.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sendpath::vectors {
namespace {

using testing::Address;
using testing::DataPath;
using testing::Hex;
using json = nlohmann::json;

SaFile LoadSas(const std::string& relative) {
  auto loaded = LoadSaFile(DataPath(relative));
  if (auto* error = std::get_if<LoadError>(&loaded)) {
    ADD_FAILURE() << error->ToString();
    return {};
  }
  return std::get<SaFile>(std::move(loaded));
}

TEST(SaFile, LoadsTheFixture) {
  const SaFile file = LoadSas("sas/programmed.json");
  EXPECT_EQ(file.encapsulation, Encapsulation::kIeee8023);
  ASSERT_EQ(file.sas.size(), 2u);

  const SaSpec& esp = file.sas.at("esp-out");
  EXPECT_EQ(esp.name, "esp-out");
  EXPECT_EQ(esp.pointer, "/sas/esp-out");
  EXPECT_EQ(esp.src_addr, Address(10, 0, 0, 1));
  EXPECT_EQ(esp.protocol, 50u);
  ASSERT_EQ(esp.bundle.size(), 1u);
  EXPECT_EQ(esp.bundle[0].spi, 305419896u);
  EXPECT_EQ(esp.bundle[0].conf->identifier, static_cast<ULONG>(OFFLOAD_IPSEC_CONF_3_DES));
  EXPECT_EQ(esp.bundle[0].conf->key.size(), 24u);
  EXPECT_EQ(esp.bundle[0].integrity->identifier, static_cast<ULONG>(IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256));
  EXPECT_EQ(esp.bundle[0].esn_high, ULONG{0});  // ESN with high bits 0 is not "no ESN"

  const SaSpec& ah = file.sas.at("ah-tunnel");
  EXPECT_EQ(ah.src_mask, Address(255, 255, 255, 0));
  EXPECT_EQ(ah.src_tunnel_addr, Address(203, 0, 113, 9));
  EXPECT_EQ(ah.dest_tunnel_addr, Address(198, 51, 100, 200));
  EXPECT_EQ(ah.bundle[0].operation, AUTHENTICATE);
  EXPECT_FALSE(ah.bundle[0].conf.has_value());
  EXPECT_EQ(ah.bundle[0].integrity->key,
            Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f01020304"));
}

// Every SA of the vector fixtures, written and read back, is the same SA.
TEST(SaFile, WriteSaObjectRoundTrip) {
  const VectorFile vectors = testing::LoadValid("valid/full.json");
  SaFile original;
  original.encapsulation = Encapsulation::kIeee8023;
  for (const Vector& vector : vectors.vectors) {
    for (const auto& [name, sa] : vector.sas) original.sas.emplace(name, sa);
  }
  ASSERT_EQ(original.sas.size(), 3u);  // t, tun, in

  const std::string text = WriteSaFile(original).dump(2);
  const auto reread = ParseSaFile(text, "export.json");
  ASSERT_TRUE(std::holds_alternative<SaFile>(reread)) << std::get<LoadError>(reread).ToString();
  const SaFile& copy = std::get<SaFile>(reread);
  EXPECT_EQ(copy.encapsulation, original.encapsulation);
  ASSERT_EQ(copy.sas.size(), original.sas.size());
  for (const auto& [name, sa] : original.sas) {
    SCOPED_TRACE(name);
    SaSpec expected = sa;
    expected.pointer = "/sas/" + name;  // the place in the new file
    EXPECT_EQ(copy.sas.at(name), expected);
  }
  // The raw overrides survive: they are what negative vectors are made of.
  const SaSpec& tun = copy.sas.at("tun");
  EXPECT_EQ(tun.flags, 3);
  EXPECT_EQ(tun.num_sas_override, SHORT{3});
  EXPECT_EQ(tun.key_len_override, ULONG{99});
  EXPECT_EQ(tun.bundle.at(1).raw_operation, 9u);
  EXPECT_EQ(tun.bundle.at(1).integrity->identifier, 77u);
  // And the writer's text is the format itself.
  const json written = WriteSaObject(original.sas.at("t"));
  EXPECT_EQ(written.at("direction"), "outbound");
  EXPECT_EQ(written.at("filter").at("dst_mask"), "255.255.255.0");
  EXPECT_EQ(written.at("filter").at("dst_port"), 4500);
  EXPECT_TRUE(written.at("tunnel").is_null());
  EXPECT_EQ(written.at("bundle").at(0).at("conf").at("key"), "000102030405060708090a0b0c0d0e0f");
  EXPECT_FALSE(written.contains("raw"));
  EXPECT_FALSE(written.contains("flags_raw"));
}

TEST(SaFile, Errors) {
  const auto expect_error = [](const std::string& text, const std::string& pointer, const std::string& message) {
    const auto loaded = ParseSaFile(text, "sas.json");
    ASSERT_TRUE(std::holds_alternative<LoadError>(loaded)) << text;
    const LoadError& error = std::get<LoadError>(loaded);
    EXPECT_EQ(error.pointer, pointer) << error.ToString();
    EXPECT_NE(error.message.find(message), std::string::npos) << error.ToString();
  };
  json good = json::parse(testing::ReadText(DataPath("sas/programmed.json")));
  {
    json doc = good;
    doc["format"] = "sendpath-vectors/1";
    expect_error(doc.dump(), "/format", "expected 'sendpath-sas/1'");
  }
  {
    json doc = good;
    doc["handles"] = json::object();
    expect_error(doc.dump(), "/handles", "unknown key 'handles'");
  }
  {
    json doc = good;
    doc["sas"]["esp-out"]["bundle"][0]["color"] = 1;
    expect_error(doc.dump(), "/sas/esp-out/bundle/0/color", "unknown key 'color'");
  }
  {
    json doc = good;
    doc["sas"]["x/y"] = doc["sas"]["esp-out"];
    expect_error(doc.dump(), "/sas/x~1y", "bad SA name 'x/y'");
  }
  {
    json doc = good;
    doc.erase("encapsulation");
    expect_error(doc.dump(), "", "missing required key 'encapsulation'");
  }
  const auto missing = LoadSaFile(DataPath("sas/absent.json"));
  ASSERT_TRUE(std::holds_alternative<LoadError>(missing));
  EXPECT_EQ(std::get<LoadError>(missing).ToString(), DataPath("sas/absent.json") + ": cannot open the file");
}

}  // namespace
}  // namespace sendpath::vectors
