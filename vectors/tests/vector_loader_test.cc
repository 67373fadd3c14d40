#include "vectors/loader/vector_loader.h"

#include "vectors/tests/test_util.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>

namespace sendpath::vectors {
namespace {

using testing::Address;
using testing::DataPath;
using testing::Hex;
using testing::LoadValid;
using testing::ReadText;
using json = nlohmann::json;

// ---- Every field lands in the model ---------------------------------------------------------

TEST(VectorLoader, FullFixtureTopLevel) {
  const VectorFile file = LoadValid("valid/full.json");
  EXPECT_EQ(file.path, DataPath("valid/full.json"));
  EXPECT_EQ(file.format, "sendpath-vectors/1");
  EXPECT_EQ(file.group, "loader-fixture-full");
  EXPECT_NE(file.description.find("every field"), std::string::npos);
  ASSERT_EQ(file.notes.size(), 2u);
  EXPECT_EQ(file.notes.at("IvWritten"),
            "The NIC generates the IV and writes it into the space the transport reserved.");
  EXPECT_TRUE(file.notes.count("Pointer/Escape~Flag"));
  ASSERT_EQ(file.vectors.size(), 2u);
}

TEST(VectorLoader, FullFixtureFirstVector) {
  const VectorFile file = LoadValid("valid/full.json");
  ASSERT_EQ(file.vectors.size(), 2u);
  const Vector& v = file.vectors[0];
  EXPECT_EQ(v.id, "loader-fixture/esp-transport");
  EXPECT_EQ(v.title, "ESP transport, AES-128-CBC + HMAC-SHA1-96: set, add, send, delete, fill");
  EXPECT_EQ(v.vector_class, VectorClass::kMust);
  EXPECT_EQ(v.flags, (std::vector<std::string>{"IvWritten", "Pointer/Escape~Flag"}));
  EXPECT_EQ(v.provenance.source, "vectors/README.md (format section)");
  EXPECT_EQ(v.provenance.generator, "written by hand for vectors/tests");
  EXPECT_EQ(v.provenance.confirmed_by, (std::vector<std::string>{"vectors/tests/vector_loader_test.cc"}));
  EXPECT_EQ(v.provenance.comment, "placeholder bytes");
  EXPECT_EQ(v.requires_caps,
            (std::vector<std::string>{"V4ESP.Send", "V4ESP.Transport", "V4AH.SHA_1", "V2.ENCRYPTION_AES_CBC_128"}));
  EXPECT_EQ(v.requires_task.V4ESP.Send, 1u);
  EXPECT_EQ(v.requires_task.V4ESP.Transport, 1u);
  EXPECT_EQ(v.requires_task.V4AH.SHA_1, 1u);
  EXPECT_EQ(v.requires_task.V4AH.Send, 0u);
  EXPECT_EQ(v.requires_extension.EncryptionAlgorithms, static_cast<ULONG>(IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128));
  EXPECT_EQ(v.encapsulation, Encapsulation::kNull);
  EXPECT_EQ(v.file, file.path);
  EXPECT_EQ(v.pointer, "/vectors/0");

  ASSERT_EQ(v.sas.size(), 1u);
  const SaSpec& t = v.sas.at("t");
  EXPECT_EQ(t.name, "t");
  EXPECT_EQ(t.pointer, "/vectors/0/sas/t");
  EXPECT_EQ(t.flags, OFFLOAD_OUTBOUND_SA);
  EXPECT_EQ(t.src_addr, Address(192, 0, 2, 1));
  EXPECT_EQ(t.src_mask, Address(255, 255, 255, 255));
  EXPECT_EQ(t.dest_addr, Address(198, 51, 100, 7));
  EXPECT_EQ(t.dest_mask, Address(255, 255, 255, 0));
  EXPECT_EQ(t.protocol, 17u);
  EXPECT_EQ(t.src_port, 500);
  EXPECT_EQ(t.dest_port, 4500);
  EXPECT_FALSE(t.src_tunnel_addr.has_value());
  EXPECT_FALSE(t.dest_tunnel_addr.has_value());
  EXPECT_EQ(t.key_order, KeyOrder::kConfFirst);
  EXPECT_FALSE(t.num_sas_override.has_value());
  EXPECT_FALSE(t.key_len_override.has_value());
  ASSERT_EQ(t.bundle.size(), 1u);
  const SecAssocSpec& esp = t.bundle[0];
  EXPECT_EQ(esp.operation, ENCRYPT);
  EXPECT_EQ(esp.raw_operation, static_cast<ULONG>(ENCRYPT));
  EXPECT_EQ(esp.spi, 4660u);
  ASSERT_TRUE(esp.conf.has_value());
  EXPECT_EQ(esp.conf->name, "AES_CBC_128");
  EXPECT_EQ(esp.conf->identifier, static_cast<ULONG>(IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128));
  EXPECT_EQ(esp.conf->key, Hex("000102030405060708090a0b0c0d0e0f"));
  EXPECT_FALSE(esp.conf->key_length.has_value());
  ASSERT_TRUE(esp.integrity.has_value());
  EXPECT_EQ(esp.integrity->name, "SHA_1");
  EXPECT_EQ(esp.integrity->identifier, static_cast<ULONG>(OFFLOAD_IPSEC_INTEGRITY_SHA));
  EXPECT_EQ(esp.integrity->key, Hex("0102030405060708090a0b0c0d0e0f1011121314"));
  EXPECT_FALSE(esp.esn_high.has_value());

  ASSERT_EQ(v.steps.size(), 5u);
  for (std::size_t i = 0; i < v.steps.size(); ++i) EXPECT_EQ(v.steps[i].pointer, "/vectors/0/steps/" + std::to_string(i));

  const auto* set = std::get_if<SetStep>(&v.steps[0].op);
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->enable, v.requires_caps);
  EXPECT_EQ(set->task.V4ESP.Send, 1u);
  EXPECT_EQ(set->extension.EncryptionAlgorithms, static_cast<ULONG>(IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128));
  EXPECT_EQ(set->extension.Version, static_cast<ULONG>(SENDPATH_EXTENSION_VERSION));
  EXPECT_EQ(set->encapsulation, Encapsulation::kNull);
  EXPECT_EQ(set->expect, NDIS_STATUS_SUCCESS);

  const auto* add = std::get_if<AddSaStep>(&v.steps[1].op);
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->sa, "t");
  EXPECT_EQ(add->expect, NDIS_STATUS_SUCCESS);

  const auto* send = std::get_if<SendStep>(&v.steps[2].op);
  ASSERT_NE(send, nullptr);
  const Bytes input = Hex(
      "4500 0048 1234 4000 4032 0000 c000 0201 c633 6407 0000 1234 0000 0001 0000 0000"
      "0000 0000 0000 0000 0000 0000 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 0000 0000"
      "0000 0000 0000 0000");
  EXPECT_EQ(send->frame, input);
  EXPECT_EQ(send->frame.size(), 72u);
  EXPECT_EQ(send->split, (std::vector<std::size_t>{20, 28}));
  EXPECT_TRUE(send->has_info);
  EXPECT_EQ(send->offload_handle.kind, HandleRef::Kind::kSa);
  EXPECT_EQ(send->offload_handle.sa, "t");
  EXPECT_EQ(send->next_offload_handle.kind, HandleRef::Kind::kZero);
  ASSERT_EQ(send->ivs.size(), 1u);
  ASSERT_EQ(send->ivs.at("t").size(), 1u);
  EXPECT_EQ(send->ivs.at("t")[0], Hex("f0e0d0c0b0a090807060504030201000"));
  EXPECT_EQ(send->expect_status, NDIS_STATUS_SUCCESS);
  ASSERT_TRUE(send->expect_frame.has_value());
  EXPECT_EQ(send->expect_frame->size(), 72u);
  // The IV lands where iv_bytes says.
  ASSERT_EQ(send->iv_bytes.size(), 1u);
  EXPECT_EQ(send->iv_bytes[0], (std::pair<std::size_t, std::size_t>{28, 16}));
  EXPECT_TRUE(std::equal(send->ivs.at("t")[0].begin(), send->ivs.at("t")[0].end(), send->expect_frame->begin() + 28));

  const auto* del = std::get_if<DeleteSaStep>(&v.steps[3].op);
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->handle.kind, HandleRef::Kind::kSa);
  EXPECT_EQ(del->handle.sa, "t");
  EXPECT_EQ(del->expect, NDIS_STATUS_SUCCESS);

  const auto* fill = std::get_if<FillSaTableStep>(&v.steps[4].op);
  ASSERT_NE(fill, nullptr);
  EXPECT_EQ(fill->sa, "t");
  EXPECT_EQ(fill->limit, 5u);
}

TEST(VectorLoader, FullFixtureSecondVector) {
  const VectorFile file = LoadValid("valid/full.json");
  ASSERT_EQ(file.vectors.size(), 2u);
  const Vector& v = file.vectors[1];
  EXPECT_EQ(v.vector_class, VectorClass::kShould);
  EXPECT_TRUE(v.flags.empty());
  EXPECT_TRUE(v.provenance.confirmed_by.empty());
  EXPECT_TRUE(v.provenance.comment.empty());
  EXPECT_EQ(v.encapsulation, Encapsulation::kIeee8023);
  EXPECT_EQ(v.requires_task.Supported.AH_ESP_COMBINED, 1u);
  EXPECT_EQ(v.requires_task.V4AH.Receive, 1u);
  EXPECT_EQ(v.requires_task.V4ESP.Receive, 1u);
  EXPECT_EQ(v.requires_extension.Flags, static_cast<ULONG>(SENDPATH_EXT_ESN | SENDPATH_EXT_KEYMAT_INTEGRITY_FIRST));
  EXPECT_EQ(v.requires_extension.AuthenticationAlgorithms,
            static_cast<ULONG>(IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128));

  ASSERT_EQ(v.sas.size(), 2u);
  const SaSpec& tun = v.sas.at("tun");
  EXPECT_EQ(tun.flags, 3);  // flags_raw
  EXPECT_EQ(tun.src_addr, 0u);
  EXPECT_EQ(tun.dest_mask, 0u);
  EXPECT_EQ(tun.src_tunnel_addr, Address(203, 0, 113, 1));
  EXPECT_EQ(tun.dest_tunnel_addr, Address(203, 0, 113, 2));
  EXPECT_EQ(tun.key_order, KeyOrder::kIntegrityFirst);
  EXPECT_EQ(tun.num_sas_override, SHORT{3});
  EXPECT_EQ(tun.key_len_override, ULONG{99});
  ASSERT_EQ(tun.bundle.size(), 2u);
  EXPECT_EQ(tun.bundle[0].operation, ENCRYPT);
  EXPECT_EQ(tun.bundle[0].raw_operation, 2u);
  EXPECT_EQ(tun.bundle[0].spi, 256u);
  ASSERT_TRUE(tun.bundle[0].conf.has_value());
  EXPECT_EQ(tun.bundle[0].conf->key, Hex("feffe9928665731c6d6a8f9467308308cafebabe"));  // key || salt
  EXPECT_EQ(tun.bundle[0].conf->identifier, static_cast<ULONG>(IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128));
  ASSERT_TRUE(tun.bundle[0].integrity.has_value());
  EXPECT_EQ(tun.bundle[0].integrity->identifier, static_cast<ULONG>(IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128));
  EXPECT_TRUE(tun.bundle[0].integrity->key.empty());
  EXPECT_EQ(tun.bundle[0].esn_high, ULONG{7});
  EXPECT_EQ(tun.bundle[1].operation, AUTHENTICATE);
  EXPECT_EQ(tun.bundle[1].raw_operation, 9u);
  EXPECT_FALSE(tun.bundle[1].conf.has_value());
  ASSERT_TRUE(tun.bundle[1].integrity.has_value());
  EXPECT_EQ(tun.bundle[1].integrity->name, "");  // a literal identifier
  EXPECT_EQ(tun.bundle[1].integrity->identifier, 77u);
  EXPECT_EQ(tun.bundle[1].integrity->key_length, ULONG{20});
  EXPECT_EQ(tun.bundle[1].integrity->key.size(), 16u);
  EXPECT_FALSE(tun.bundle[1].esn_high.has_value());

  const SaSpec& in = v.sas.at("in");
  EXPECT_EQ(in.flags, OFFLOAD_INBOUND_SA);
  EXPECT_EQ(in.key_order, KeyOrder::kConfFirst);  // the default when key_order is absent
  EXPECT_EQ(in.dest_port, 443);
  EXPECT_EQ(in.bundle.at(0).spi, 0xffffffffu);

  ASSERT_EQ(v.steps.size(), 9u);
  const auto* second_set = std::get_if<SetStep>(&v.steps[1].op);
  ASSERT_NE(second_set, nullptr);
  EXPECT_TRUE(second_set->enable.empty());
  EXPECT_EQ(second_set->encapsulation, Encapsulation::kIeee8023);
  EXPECT_EQ(second_set->expect, NDIS_STATUS_FAILURE);
  const auto* first_set = std::get_if<SetStep>(&v.steps[0].op);
  ASSERT_NE(first_set, nullptr);
  EXPECT_FALSE(first_set->encapsulation.has_value());

  EXPECT_EQ(std::get<AddSaStep>(v.steps[2].op).expect, NDIS_STATUS_INVALID_DATA);

  const auto& refused = std::get<SendStep>(v.steps[4].op);
  EXPECT_TRUE(refused.has_info);
  EXPECT_EQ(refused.offload_handle.kind, HandleRef::Kind::kNeverIssued);
  EXPECT_EQ(refused.next_offload_handle.kind, HandleRef::Kind::kSa);
  EXPECT_EQ(refused.next_offload_handle.sa, "in");
  EXPECT_TRUE(refused.split.empty());
  EXPECT_TRUE(refused.ivs.empty());
  EXPECT_EQ(refused.expect_status, NDIS_STATUS_FAILURE);
  EXPECT_FALSE(refused.expect_frame.has_value());
  EXPECT_EQ(refused.frame.size(), 46u);

  const auto& plain = std::get<SendStep>(v.steps[5].op);
  EXPECT_FALSE(plain.has_info);
  EXPECT_EQ(plain.frame, refused.frame);  // one string or an array of strings: the same bytes
  EXPECT_EQ(plain.expect_frame, plain.frame);
  EXPECT_TRUE(plain.iv_bytes.empty());

  EXPECT_EQ(std::get<DeleteSaStep>(v.steps[6].op).handle.kind, HandleRef::Kind::kZero);
  EXPECT_EQ(std::get<DeleteSaStep>(v.steps[7].op).handle.kind, HandleRef::Kind::kNeverIssued);
  const auto& by_handle = std::get<DeleteSaStep>(v.steps[8].op);
  EXPECT_EQ(by_handle.handle.kind, HandleRef::Kind::kSa);
  EXPECT_EQ(by_handle.handle.sa, "in");
}

TEST(VectorLoader, Sha256IsOfTheFileBytes) {
  // FIPS 180-2 appendix B.1: SHA-256("abc").
  const std::string abc = "abc";
  EXPECT_EQ(Sha256Hex(std::span(reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size())),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  const std::string text = ReadText(DataPath("valid/other.json"));
  const auto loaded = ParseVectorFile(text, "other.json");
  ASSERT_TRUE(std::holds_alternative<VectorFile>(loaded));
  const std::string digest = std::get<VectorFile>(loaded).sha256;
  EXPECT_EQ(digest, Sha256Hex(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
  // A change that leaves the vectors the same still changes the digest: it is of the bytes.
  const auto reformatted = ParseVectorFile(text + "\n", "other.json");
  ASSERT_TRUE(std::holds_alternative<VectorFile>(reformatted));
  EXPECT_NE(std::get<VectorFile>(reformatted).sha256, digest);
  EXPECT_EQ(digest.size(), 64u);
}

// ---- Errors name the place -------------------------------------------------------------------

class LoaderErrors : public ::testing::Test {
 protected:
  void SetUp() override { full_ = json::parse(ReadText(DataPath("valid/full.json"))); }

  // Applies `mutate` to the valid fixture and expects exactly this error.
  void ExpectError(const std::function<void(json&)>& mutate, const std::string& pointer, const std::string& message) {
    json doc = full_;
    mutate(doc);
    ExpectTextError(doc.dump(), pointer, message);
  }

  void ExpectTextError(const std::string& text, const std::string& pointer, const std::string& message) {
    const auto loaded = ParseVectorFile(text, "vectors/contract/x.json");
    ASSERT_TRUE(std::holds_alternative<LoadError>(loaded)) << "expected an error at " << pointer;
    const LoadError& error = std::get<LoadError>(loaded);
    EXPECT_EQ(error.file, "vectors/contract/x.json");
    EXPECT_EQ(error.pointer, pointer) << error.ToString();
    EXPECT_NE(error.message.find(message), std::string::npos) << error.ToString();
    // Read a vector at a time (`sendpath run`), the first error is the same one.
    const std::optional<LoadError> streamed = FirstStreamedError(text);
    ASSERT_TRUE(streamed.has_value()) << "the vector reader loads what ParseVectorFile refuses: " << error.ToString();
    EXPECT_EQ(streamed->pointer, error.pointer) << streamed->ToString();
    EXPECT_EQ(streamed->message, error.message) << streamed->ToString();
  }

  static std::optional<LoadError> FirstStreamedError(const std::string& text) {
    auto opened = VectorFileReader::FromText(text, "vectors/contract/x.json");
    if (auto* error = std::get_if<LoadError>(&opened)) return *error;
    auto& reader = std::get<VectorFileReader>(opened);
    while (auto next = reader.Next()) {
      if (auto* error = std::get_if<LoadError>(&*next)) return *error;
    }
    return std::nullopt;
  }

  static json& At(json& doc, const std::string& pointer) { return doc[json::json_pointer(pointer)]; }
  static void Erase(json& doc, const std::string& pointer) {
    const json::json_pointer p(pointer);
    doc[p.parent_pointer()].erase(p.back());
  }

  json full_;
};

TEST_F(LoaderErrors, TheValidFixtureLoadsAfterARoundTripThroughNlohmann) {
  // The mutations below start from this document, so it must itself be valid.
  EXPECT_TRUE(std::holds_alternative<VectorFile>(ParseVectorFile(full_.dump(), "x.json")));
}

TEST_F(LoaderErrors, UnknownKeys) {
  const std::vector<std::string> places = {
      "",                                        // top level
      "/vectors/0",                              // vector
      "/vectors/0/provenance",                   // provenance
      "/vectors/0/sas/t",                        // SA
      "/vectors/0/sas/t/filter",                 // filter
      "/vectors/1/sas/tun/tunnel",               // tunnel
      "/vectors/1/sas/tun/raw",                  // raw
      "/vectors/0/sas/t/bundle/0",               // bundle element
      "/vectors/0/sas/t/bundle/0/conf",          // algorithm
      "/vectors/0/steps/0",                      // set step
      "/vectors/0/steps/2",                      // send step
      "/vectors/0/steps/2/info",                 // info
      "/vectors/0/steps/2/expect",               // send expectation
      "/vectors/0/steps/4",                      // fill_sa_table step
  };
  for (const std::string& place : places) {
    SCOPED_TRACE(place);
    ExpectError([&](json& d) { At(d, place)["Bogus"] = 1; }, place + "/Bogus", "unknown key 'Bogus'");
  }
}

TEST_F(LoaderErrors, AKeyOfAnotherOpIsUnknown) {
  // "limit" belongs to fill_sa_table, not to add_sa.
  ExpectError([](json& d) { At(d, "/vectors/0/steps/1")["limit"] = 3; }, "/vectors/0/steps/1/limit",
              "unknown key 'limit'");
}

TEST_F(LoaderErrors, MissingRequiredKeys) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/format", ""},
      {"/notes", ""},
      {"/vectors/0/title", "/vectors/0"},
      {"/vectors/0/provenance/confirmed_by", "/vectors/0/provenance"},
      {"/vectors/0/sas/t/tunnel", "/vectors/0/sas/t"},
      {"/vectors/0/sas/t/filter/dst_port", "/vectors/0/sas/t/filter"},
      {"/vectors/0/sas/t/bundle/0/esn_high", "/vectors/0/sas/t/bundle/0"},
      {"/vectors/0/sas/t/bundle/0/integrity/key", "/vectors/0/sas/t/bundle/0/integrity"},
      {"/vectors/0/steps/1/expect", "/vectors/0/steps/1"},
      {"/vectors/0/steps/2/info", "/vectors/0/steps/2"},
      {"/vectors/0/steps/2/expect/frame", "/vectors/0/steps/2/expect"},
      {"/vectors/0/steps/2/info/NextOffloadHandle", "/vectors/0/steps/2/info"},
      {"/vectors/0/steps/4/limit", "/vectors/0/steps/4"},
      {"/vectors/0/steps/0/op", "/vectors/0/steps/0"},
  };
  for (const auto& removal : cases) {
    const std::string removed = removal.first;
    const std::string object = removal.second;
    SCOPED_TRACE(removed);
    const std::string key = json::json_pointer(removed).back();
    ExpectError([&](json& d) { Erase(d, removed); }, object, "missing required key '" + key + "'");
  }
}

TEST_F(LoaderErrors, BadHex) {
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/frame/1") = "abc"; }, "/vectors/0/steps/2/frame/1",
              "odd number of hex digits: the digit at offset 2 has no partner");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/frame/2") = "0000 00g0"; }, "/vectors/0/steps/2/frame/2",
              "bad hex digit 'g' at offset 7");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/conf/key") = "0x0102"; },
              "/vectors/0/sas/t/bundle/0/conf/key", "bad hex digit 'x' at offset 1");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/ivs/t/0") = "f0e0-d0c0"; }, "/vectors/0/steps/2/ivs/t/0",
              "bad hex digit '-' at offset 4");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/expect/frame") = "45\n0"; }, "/vectors/0/steps/2/expect/frame",
              "odd number of hex digits: the digit at offset 3 has no partner");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/frame/0") = 45; }, "/vectors/0/steps/2/frame/0",
              "expected string, found integer");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/frame") = 45; }, "/vectors/0/steps/2/frame",
              "expected hex string or array of hex strings, found integer");
}

TEST_F(LoaderErrors, WrongTypes) {
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/spi") = "4660"; }, "/vectors/0/sas/t/bundle/0/spi",
              "expected integer, found string");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/spi") = 4660.5; }, "/vectors/0/sas/t/bundle/0/spi",
              "expected integer, found number");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/spi") = -1; }, "/vectors/0/sas/t/bundle/0/spi",
              "is negative");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/spi") = 4294967296ull; },
              "/vectors/0/sas/t/bundle/0/spi", "above the maximum 4294967295");
  ExpectError([](json& d) { At(d, "/vectors/0/steps") = json::object(); }, "/vectors/0/steps",
              "expected array, found object");
  ExpectError([](json& d) { At(d, "/vectors/0/flags") = "IvWritten"; }, "/vectors/0/flags",
              "expected array, found string");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/filter/src") = "192.0.2"; }, "/vectors/0/sas/t/filter/src",
              "not a dotted-quad IPv4 address");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/filter/src") = "192.0.2.256"; }, "/vectors/0/sas/t/filter/src",
              "not a dotted-quad IPv4 address");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/filter/src") = "192.0.02.1"; }, "/vectors/0/sas/t/filter/src",
              "not a dotted-quad IPv4 address");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/filter/src_port") = 65536; }, "/vectors/0/sas/t/filter/src_port",
              "above the maximum 65535");
  ExpectError([](json& d) { At(d, "/vectors/1/sas/tun/raw/num_sas") = 40000; }, "/vectors/1/sas/tun/raw/num_sas",
              "outside -32768..32767");
  ExpectError([](json& d) { At(d, "/vectors/0/class") = "MAY"; }, "/vectors/0/class", "unknown class 'MAY'");
  ExpectError([](json& d) { At(d, "/vectors/0/encapsulation") = "ethernet"; }, "/vectors/0/encapsulation",
              "unknown encapsulation 'ethernet'");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/key_order") = "conf_last"; }, "/vectors/0/sas/t/key_order",
              "unknown key order 'conf_last'");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/operation") = "ESP"; },
              "/vectors/0/sas/t/bundle/0/operation", "unknown operation 'ESP'");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/0/op") = "query"; }, "/vectors/0/steps/0/op", "unknown op 'query'");
  ExpectError([](json& d) { At(d, "/format") = "sendpath-vectors/2"; }, "/format",
              "format is 'sendpath-vectors/2'; expected 'sendpath-vectors/1'");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/4/limit") = 0; }, "/vectors/0/steps/4/limit",
              "limit must be at least 1");
}

TEST_F(LoaderErrors, BadHandleNames) {
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/info/OffloadHandle") = "u"; },
              "/vectors/0/steps/2/info/OffloadHandle", "bad handle name 'u': no SA of that name in /vectors/0/sas");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/info/NextOffloadHandle") = 1; },
              "/vectors/0/steps/2/info/NextOffloadHandle", "a literal handle must be 0");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/1/sa") = "u"; }, "/vectors/0/steps/1/sa", "bad handle name 'u'");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/3/sa") = "never_issued"; }, "/vectors/0/steps/3/sa",
              "bad handle name 'never_issued'");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/4/sa") = "u"; }, "/vectors/0/steps/4/sa", "bad handle name 'u'");
  ExpectError([](json& d) { At(d, "/vectors/1/steps/8/handle") = "t"; }, "/vectors/1/steps/8/handle",
              "bad handle name 't': no SA of that name in /vectors/1/sas");  // t belongs to vector 0
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/ivs")["u"] = json::array(); }, "/vectors/0/steps/2/ivs/u",
              "bad handle name 'u'");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/3")["handle"] = 0; }, "/vectors/0/steps/3",
              "needs exactly one of 'sa' and 'handle'");
  ExpectError([](json& d) { At(d, "/vectors/0/sas")["never_issued"] = At(d, "/vectors/0/sas/t"); },
              "/vectors/0/sas/never_issued", "bad SA name 'never_issued'");
  ExpectError([](json& d) { At(d, "/vectors/0/sas")["a b"] = At(d, "/vectors/0/sas/t"); }, "/vectors/0/sas/a b",
              "bad SA name 'a b'");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t")["flags_raw"] = 2; }, "/vectors/0/sas/t",
              "needs exactly one of 'direction' and 'flags_raw'");
}

TEST_F(LoaderErrors, UnknownNames) {
  ExpectError([](json& d) { At(d, "/vectors/0/requires/1") = "V4ESP.AES"; }, "/vectors/0/requires/1",
              "unknown capability name 'V4ESP.AES'");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/0/enable/3") = "V2.ENCRYPTION_AES_CTR_128"; },
              "/vectors/0/steps/0/enable/3", "unknown capability name 'V2.ENCRYPTION_AES_CTR_128'");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/conf/algorithm") = "AES_CTR_128"; },
              "/vectors/0/sas/t/bundle/0/conf/algorithm", "unknown confidentiality algorithm 'AES_CTR_128'");
  // A name of the other table is still unknown here.
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/integrity/algorithm") = "AES_GCM_128"; },
              "/vectors/0/sas/t/bundle/0/integrity/algorithm", "unknown integrity algorithm 'AES_GCM_128'");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle/0/conf/algorithm") = "SHA_1"; },
              "/vectors/0/sas/t/bundle/0/conf/algorithm", "unknown confidentiality algorithm 'SHA_1'");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/1/expect") = "NDIS_STATUS_OK"; }, "/vectors/0/steps/1/expect",
              "unknown status name 'NDIS_STATUS_OK'");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/expect/status") = "SUCCESS"; },
              "/vectors/0/steps/2/expect/status", "unknown status name 'SUCCESS'");
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/direction") = "both"; }, "/vectors/0/sas/t/direction",
              "unknown direction 'both'");
}

TEST_F(LoaderErrors, FlagWithoutNote) {
  ExpectError([](json& d) { At(d, "/vectors/0/flags").push_back("IvReuse"); }, "/vectors/0/flags/2",
              "flag 'IvReuse' has no note in /notes");
  ExpectError([](json& d) { Erase(d, "/notes/IvWritten"); }, "/vectors/0/flags/0",
              "flag 'IvWritten' has no note in /notes");
}

TEST_F(LoaderErrors, PointersEscapeTildeAndSlash) {
  // RFC 6901 section 3: "~" is written "~0" and "/" is written "~1".
  ExpectError([](json& d) { d["notes"]["Pointer/Escape~Flag"] = 5; }, "/notes/Pointer~1Escape~0Flag",
              "expected string, found integer");
}

TEST_F(LoaderErrors, SplitOffsets) {
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/split") = {28, 20}; }, "/vectors/0/steps/2/split/1",
              "split offsets must be ascending: 20 follows 28");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/split") = {20, 20}; }, "/vectors/0/steps/2/split/1",
              "split offsets must be ascending");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/split") = {20, 72}; }, "/vectors/0/steps/2/split/1",
              "split offset 72 is not inside the 72-byte frame");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/split") = {0}; }, "/vectors/0/steps/2/split/0",
              "split offset 0 is not inside the 72-byte frame");
}

TEST_F(LoaderErrors, IvBytes) {
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/expect/iv_bytes") = json::parse("[[28, 16], [60, 13]]"); },
              "/vectors/0/steps/2/expect/iv_bytes/1", "IV bytes 60..73 run past the 72-byte expected frame");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/expect/iv_bytes") = json::parse("[[28, 16, 1]]"); },
              "/vectors/0/steps/2/expect/iv_bytes/0", "expected [offset, length], found 3 entries");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/expect/iv_bytes") = json::parse("[[28, 0]]"); },
              "/vectors/0/steps/2/expect/iv_bytes/0/1", "IV length must not be 0");
  ExpectError([](json& d) { At(d, "/vectors/0/steps/2/expect/frame") = nullptr; },
              "/vectors/0/steps/2/expect/iv_bytes", "IV ranges given but the expected frame is null");
}

TEST_F(LoaderErrors, BundleAndRaw) {
  ExpectError([](json& d) { At(d, "/vectors/0/sas/t/bundle") = json::array(); }, "/vectors/0/sas/t/bundle",
              "has 0 elements; SecAssoc[] holds 1..3");
  ExpectError(
      [](json& d) {
        json& bundle = At(d, "/vectors/0/sas/t/bundle");
        for (int i = 0; i < 3; ++i) bundle.push_back(bundle[0]);
      },
      "/vectors/0/sas/t/bundle", "has 4 elements; SecAssoc[] holds 1..3");
  ExpectError([](json& d) { At(d, "/vectors/1/sas/tun/raw/operation") = {2}; }, "/vectors/1/sas/tun/raw/operation",
              "has 1 entries; the bundle has 2");
  ExpectError([](json& d) { At(d, "/vectors/1/sas/tun/raw/operation/1") = "AH"; },
              "/vectors/1/sas/tun/raw/operation/1", "unknown operation 'AH'");
}

// The vector reader decodes long frames outside the JSON parser (HexStash); what it gives is
// what the whole-document parse gives, and anything else is parsed as written.
TEST_F(LoaderErrors, TheVectorReaderDecodesFramesLikeTheDocumentParse) {
  json doc = full_;
  std::size_t long_frames = 0;
  for (json& vector : doc["vectors"]) {
    for (json& step : vector["steps"]) {
      for (json* frame : {step.contains("frame") ? &step["frame"] : nullptr,
                          step.contains("expect") && step["expect"].contains("frame") ? &step["expect"]["frame"] : nullptr}) {
        if (frame == nullptr || frame->is_null()) continue;
        std::string digits;
        for (const json& part : frame->is_array() ? *frame : json::array({*frame})) {
          for (char c : part.get<std::string>()) {
            if (c != ' ') digits += c;
          }
        }
        *frame = digits;  // one compact string: the stashed form
        if (digits.size() >= 64) ++long_frames;
      }
    }
  }
  ASSERT_GE(long_frames, 4u);
  // A placeholder look-alike elsewhere is only text.
  doc["vectors"][0]["title"] = "\u00010 \"frame\": \"00\"";
  const std::string text = doc.dump();
  const auto whole = ParseVectorFile(text, "x.json");
  ASSERT_TRUE(std::holds_alternative<VectorFile>(whole)) << std::get<LoadError>(whole).ToString();
  auto opened = VectorFileReader::FromText(text, "x.json");
  ASSERT_TRUE(std::holds_alternative<VectorFileReader>(opened));
  auto& reader = std::get<VectorFileReader>(opened);
  for (const Vector& expected : std::get<VectorFile>(whole).vectors) {
    auto next = reader.Next();
    ASSERT_TRUE(next && std::holds_alternative<Vector>(*next));
    const Vector& got = std::get<Vector>(*next);
    EXPECT_EQ(got.id, expected.id);
    EXPECT_EQ(got.title, expected.title);
    ASSERT_EQ(got.steps.size(), expected.steps.size());
    for (std::size_t i = 0; i < got.steps.size(); ++i) {
      const auto* a = std::get_if<SendStep>(&got.steps[i].op);
      const auto* b = std::get_if<SendStep>(&expected.steps[i].op);
      ASSERT_EQ(a == nullptr, b == nullptr);
      if (a == nullptr) continue;
      EXPECT_EQ(a->frame, b->frame) << got.steps[i].pointer;
      EXPECT_EQ(a->expect_frame, b->expect_frame) << got.steps[i].pointer;
    }
  }
  EXPECT_FALSE(reader.Next().has_value());

  // Errors in and around long frames name the same place either way (ExpectTextError checks both).
  const std::string long_frame = doc["vectors"][1]["steps"][5]["frame"].get<std::string>();
  ASSERT_GE(long_frame.size(), 64u);
  ExpectError([&](json& d) { d = doc; At(d, "/vectors/1/steps/5/frame") = long_frame.substr(0, 40) + "g" + long_frame.substr(41); },
              "/vectors/1/steps/5/frame", "bad hex digit 'g' at offset 40");
  ExpectError([&](json& d) { d = doc; At(d, "/vectors/1/steps/5/frame") = long_frame + "0"; }, "/vectors/1/steps/5/frame",
              "odd number of hex digits");
  ExpectError([&](json& d) { d = doc; At(d, "/vectors/1/steps/5/frame") = std::string(2 * 65550, '0'); }, "/vectors/1/steps/5/frame",
              "frame of 65550 bytes; the largest is 65549");
  // A key that reads like a placeholder of a stashed frame is refused as the bad hex it is.
  ExpectError([&](json& d) { d = doc; At(d, "/vectors/0/sas/t/bundle/0/conf/key") = "\u00010"; },
              "/vectors/0/sas/t/bundle/0/conf/key", "bad hex digit '\\x01' at offset 0");
}

TEST_F(LoaderErrors, DuplicatesInOneFile) {
  ExpectError([](json& d) { At(d, "/vectors/1/id") = At(d, "/vectors/0/id"); }, "/vectors/1/id",
              "duplicate id 'loader-fixture/esp-transport' (first at /vectors/0)");
  // nlohmann keeps the last of two equal keys; the loader refuses them.
  std::string text = full_.dump();
  const std::string spi = "\"spi\":4660";
  const auto at = text.find(spi);
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "\"spi\":1,");
  ExpectTextError(text, "/vectors/0/sas/t/bundle/0/spi", "duplicate key 'spi'");
}

TEST_F(LoaderErrors, NotJson) {
  ExpectTextError("{\"format\": ", "", "not valid JSON (byte 12)");
  ExpectTextError("", "", "not valid JSON");
  ExpectTextError("[]", "", "expected object, found array");
  ExpectTextError("{\"format\": \"\xff\"}", "", "not valid JSON");
  ExpectTextError(std::string(100, '[') + std::string(100, ']'), "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0",
                  "nested deeper than 32 levels");
}

TEST_F(LoaderErrors, ToStringNamesFileAndPointer) {
  const auto loaded = ParseVectorFile(R"({"format": "sendpath-vectors/1", "colour": 1})", "vectors/contract/x.json");
  ASSERT_TRUE(std::holds_alternative<LoadError>(loaded));
  EXPECT_EQ(std::get<LoadError>(loaded).ToString(), "vectors/contract/x.json:/colour: unknown key 'colour'");
  EXPECT_EQ((LoadError{"f.json", "", "not valid JSON"}).ToString(), "f.json: not valid JSON");
}

// The fuzz contract: arbitrary bytes give a value, never an exception or a crash.
TEST(VectorLoader, MutatedInputsNeverThrow) {
  const std::string text = ReadText(DataPath("valid/full.json"));
  ASSERT_FALSE(text.empty());
  std::mt19937 random(20240601);
  std::size_t loaded = 0, refused = 0;
  for (int round = 0; round < 1000; ++round) {
    std::string mutated = text;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = random() % mutated.size();
      switch (random() % 3) {
        case 0: mutated[at] = static_cast<char>(random() & 0xff); break;
        case 1: mutated.erase(at, 1 + random() % 8); break;
        default: mutated.insert(at, 1, "{}[]\",:0aZ~/"[random() % 12]); break;
      }
    }
    std::variant<VectorFile, LoadError> result;
    ASSERT_NO_THROW(result = ParseVectorFile(mutated, "mutated.json"));
    if (std::holds_alternative<VectorFile>(result)) {
      ++loaded;
    } else {
      ++refused;
      EXPECT_FALSE(std::get<LoadError>(result).message.empty());
    }
  }
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(loaded + refused, 1000u);
}

// ---- Several files ----------------------------------------------------------------------------

TEST(VectorLoaderPaths, OneBadFileAmongGoodOnes) {
  const LoadResult result = LoadVectorPaths({DataPath("mixed")});
  // a-good and nested/d-good load; b-bad has an unknown key; c-duplicate repeats a-good's id.
  ASSERT_EQ(result.files.size(), 2u);
  EXPECT_EQ(result.files[0].path, DataPath("mixed/a-good.json"));
  EXPECT_EQ(result.files[1].path, DataPath("mixed/nested/d-good.json"));
  EXPECT_EQ(result.files[1].vectors.at(0).id, "mixed/d");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].ToString(), DataPath("mixed/b-bad.json") + ":/vectors/0/colour: unknown key 'colour'");
  EXPECT_EQ(result.errors[1].ToString(), DataPath("mixed/c-duplicate.json") +
                                             ":/vectors/0/id: duplicate id 'mixed/a' (first in " +
                                             DataPath("mixed/a-good.json") + ":/vectors/0)");
}

TEST(VectorLoaderPaths, FilesAndDirectoriesSortedAndOnce) {
  // The same file named twice, and the directory holding it, load it once; order is by path.
  const LoadResult result = LoadVectorPaths(
      {DataPath("valid/other.json"), DataPath("valid"), DataPath("valid/./other.json")});
  EXPECT_TRUE(result.errors.empty()) << (result.errors.empty() ? "" : result.errors[0].ToString());
  ASSERT_EQ(result.files.size(), 2u);
  EXPECT_EQ(result.files[0].path, DataPath("valid/full.json"));
  EXPECT_EQ(result.files[1].path, DataPath("valid/other.json"));
}

TEST(VectorLoaderPaths, MissingPathIsAnError) {
  const LoadResult result = LoadVectorPaths({DataPath("no-such-folder"), DataPath("valid/other.json")});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].ToString(), DataPath("no-such-folder") + ": no such file or directory");
  EXPECT_EQ(result.files.size(), 1u);
  const auto directory = LoadVectorFile(DataPath("valid"));
  ASSERT_TRUE(std::holds_alternative<LoadError>(directory));
  EXPECT_EQ(std::get<LoadError>(directory).message, "is a directory, not a file");
}

TEST(VectorLoaderPaths, InvalidFixturesFailWhereTheManifestSays) {
  const json manifest = json::parse(ReadText(DataPath("invalid/MANIFEST.json")));
  ASSERT_FALSE(manifest.empty());
  std::size_t listed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(DataPath("invalid"))) {
    if (entry.path().filename() != "MANIFEST.json") {
      EXPECT_TRUE(manifest.contains(entry.path().filename().string())) << entry.path() << " is not in the manifest";
      ++listed;
    }
  }
  EXPECT_EQ(listed, manifest.size());
  for (const auto& [name, expected] : manifest.items()) {
    SCOPED_TRACE(name);
    const auto loaded = LoadVectorFile(DataPath("invalid/" + name));
    ASSERT_TRUE(std::holds_alternative<LoadError>(loaded));
    const LoadError& error = std::get<LoadError>(loaded);
    EXPECT_EQ(error.pointer, expected.at("pointer").get<std::string>()) << error.ToString();
    EXPECT_NE(error.message.find(expected.at("message").get<std::string>()), std::string::npos) << error.ToString();
  }
}

// Every bundled suite file loads: the loader is the format's referee, so a suite file it refuses
// is a bug in the file (or in the loader) found here rather than in a run.
TEST(BundledSuites, LoadWithoutErrors) {
  std::vector<std::string> suites;
  for (const char* suite : {"kat", "independent", "contract", "robustness", "regressions"}) {
    const std::string path = std::string(SENDPATH_VECTORS_DIR) + "/" + suite;
    if (std::filesystem::is_directory(path)) suites.push_back(path);
  }
  if (suites.empty()) GTEST_SKIP() << "no suite folders under " << SENDPATH_VECTORS_DIR;
  const LoadResult result = LoadVectorPaths(suites);
  for (const LoadError& error : result.errors) ADD_FAILURE() << error.ToString();
  for (const VectorFile& file : result.files) {
    EXPECT_EQ(file.sha256.size(), 64u) << file.path;
    EXPECT_FALSE(file.vectors.empty()) << file.path;
  }
}

// ---- UDP-ESP: the SA's parser entry fields and the two steps --------------------------------

// Vector 0 with SA t turned into an outbound UDP-ESP SA and inbound UDP-ESP SA `in`, added and
// deleted with the UDP-ESP steps.
json WithUdpEsp(json doc) {
  json& v = doc["vectors"][0];
  v["sas"]["t"]["udp_esp"] = {{"encap_type", "OTHER"}, {"dst_encap_port", 4500}};
  json in = v["sas"]["t"];
  in["direction"] = "inbound";
  in["udp_esp"] = {{"encap_type", 0}, {"dst_encap_port", 500}};
  v["sas"]["in"] = in;
  json& steps = v["steps"];
  steps[1] = {{"op", "add_udpesp_sa"}, {"sa", "t"}, {"expect", "NDIS_STATUS_SUCCESS"}};
  steps[3] = {{"op", "delete_udpesp_sa"}, {"sa", "t"}, {"expect", "NDIS_STATUS_SUCCESS"}};
  steps.erase(4);  // fill_sa_table takes a plain SA
  steps.push_back({{"op", "add_udpesp_sa"}, {"sa", "in"}, {"expect", "NDIS_STATUS_SUCCESS"}});
  steps.push_back({{"op", "add_udpesp_sa"}, {"sa", "in"}, {"parser_entry", "in"}, {"expect", "NDIS_STATUS_FAILURE"}});
  steps.push_back({{"op", "delete_udpesp_sa"}, {"handle", "never_issued"}, {"parser_entry", "never_issued"},
                   {"expect", "NDIS_STATUS_FAILURE"}});
  return doc;
}

TEST_F(LoaderErrors, UdpEspStepsLandInTheModel) {
  const auto loaded = ParseVectorFile(WithUdpEsp(full_).dump(), "x.json");
  ASSERT_TRUE(std::holds_alternative<VectorFile>(loaded)) << std::get<LoadError>(loaded).ToString();
  const Vector& v = std::get<VectorFile>(loaded).vectors[0];
  ASSERT_TRUE(v.sas.at("t").udp_esp.has_value());
  EXPECT_EQ(v.sas.at("t").udp_esp->encap_type, static_cast<ULONG>(OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER));
  EXPECT_EQ(v.sas.at("in").udp_esp->encap_type, static_cast<ULONG>(OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_IKE));
  EXPECT_EQ(v.sas.at("in").udp_esp->dst_encap_port, 500);
  const auto& add = std::get<AddUdpEspSaStep>(v.steps[1].op);
  EXPECT_EQ(add.sa, "t");
  EXPECT_EQ(add.parser_entry.kind, HandleRef::Kind::kZero);
  const auto& named = std::get<AddUdpEspSaStep>(v.steps[5].op);
  EXPECT_EQ(named.parser_entry.kind, HandleRef::Kind::kSa);
  EXPECT_EQ(named.parser_entry.sa, "in");
  EXPECT_EQ(named.expect, NDIS_STATUS_FAILURE);
  const auto& del = std::get<DeleteUdpEspSaStep>(v.steps[6].op);
  EXPECT_EQ(del.handle.kind, HandleRef::Kind::kNeverIssued);
  EXPECT_EQ(del.parser_entry.kind, HandleRef::Kind::kNeverIssued);
  EXPECT_EQ(std::get<DeleteUdpEspSaStep>(v.steps[3].op).parser_entry.kind, HandleRef::Kind::kZero);
  // The SA object written back keeps the parser entry fields.
  EXPECT_EQ(WriteSaObject(v.sas.at("in"))["udp_esp"], (json{{"encap_type", "IKE"}, {"dst_encap_port", 500}}));
}

TEST_F(LoaderErrors, UdpEspErrorsNameThePlace) {
  const json udp = WithUdpEsp(full_);
  const auto expect = [&](const std::function<void(json&)>& mutate, const std::string& pointer,
                          const std::string& message) {
    json doc = udp;
    mutate(doc);
    ExpectTextError(doc.dump(), pointer, message);
  };
  expect([](json& d) { At(d, "/vectors/0/steps/1/op") = "add_sa"; }, "/vectors/0/steps/1/sa",
         "SA 't' is a UDP-ESP SA: add it with add_udpesp_sa");
  expect([](json& d) { Erase(d, "/vectors/0/sas/t/udp_esp"); }, "/vectors/0/steps/1/sa",
         "SA 't' has no 'udp_esp': add it with add_sa");
  expect([](json& d) { At(d, "/vectors/0/sas/t/udp_esp/encap_type") = "NAT"; }, "/vectors/0/sas/t/udp_esp/encap_type",
         "unknown UDP encapsulation type 'NAT'");
  expect([](json& d) { At(d, "/vectors/0/sas/t/udp_esp/dst_encap_port") = 65536; },
         "/vectors/0/sas/t/udp_esp/dst_encap_port", "");
  expect([](json& d) { Erase(d, "/vectors/0/sas/t/udp_esp/dst_encap_port"); }, "/vectors/0/sas/t/udp_esp",
         "missing required key 'dst_encap_port'");
  expect([](json& d) { At(d, "/vectors/0/steps/5/parser_entry") = "u"; }, "/vectors/0/steps/5/parser_entry",
         "bad handle name 'u'");
  expect([](json& d) { At(d, "/vectors/0/steps/6")["sa"] = "t"; }, "/vectors/0/steps/6",
         "needs exactly one of 'sa' and 'handle'");
  expect([](json& d) { At(d, "/vectors/0/steps/3")["limit"] = 1; }, "/vectors/0/steps/3/limit", "unknown key 'limit'");
  expect(
      [](json& d) {
        At(d, "/vectors/0/steps").push_back({{"op", "fill_sa_table"}, {"sa", "t"}, {"limit", 2}});
      },
      "/vectors/0/steps/7/sa", "fill_sa_table takes a plain (add_sa) SA");
}

TEST(BundledVectors, TheUdpEspSuiteLoads) {
  const auto loaded = LoadVectorFile(std::string(SENDPATH_VECTORS_DIR) + "/contract/contract-udp-esp.json");
  ASSERT_TRUE(std::holds_alternative<VectorFile>(loaded)) << std::get<LoadError>(loaded).ToString();
  std::size_t adds = 0;
  for (const Vector& v : std::get<VectorFile>(loaded).vectors) {
    for (const Step& step : v.steps) adds += std::holds_alternative<AddUdpEspSaStep>(step.op) ? 1 : 0;
  }
  EXPECT_GE(std::get<VectorFile>(loaded).vectors.size(), 40u);
  EXPECT_GE(adds, 40u);
}

}  // namespace
}  // namespace sendpath::vectors
