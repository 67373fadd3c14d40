// Capability, algorithm and status names, and their agreement with the JSON Schema.
#include "vectors/loader/vector_loader.h"

#include "vectors/tests/test_util.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace sendpath::vectors {
namespace {

bool IsZero(const NDIS_TASK_IPSEC& task, const SENDPATH_TASK_IPSEC_EXTENSION& extension) {
  NDIS_TASK_IPSEC zero_task{};
  return std::memcmp(&task, &zero_task, sizeof(task)) == 0 && extension.AuthenticationAlgorithms == 0 &&
         extension.EncryptionAlgorithms == 0 && extension.Flags == 0;
}

TEST(Capabilities, EachNameSetsExactlyItsOwnMember) {
  ASSERT_EQ(AllCapabilityNames().size(), 33u);  // vectors/README.md plus V4AH/V4ESP.Receive
  for (const std::string& name : AllCapabilityNames()) {
    SCOPED_TRACE(name);
    NDIS_TASK_IPSEC task{};
    SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
    ASSERT_TRUE(SetCapability(task, extension, name));
    EXPECT_FALSE(IsZero(task, extension));
    EXPECT_TRUE(HasCapability(task, extension, name));
    EXPECT_EQ(CapabilityNames(task, extension), std::vector<std::string>{name});
    EXPECT_EQ(extension.Version, static_cast<ULONG>(SENDPATH_EXTENSION_VERSION));
  }
}

TEST(Capabilities, UdpEspNamesAreTheReservedWordFlags) {
  // Supported.RESERVED carries the UDP-ESP subtype flags (ndis.h l.1285, docs section 5.3).
  const std::pair<const char*, ULONG> flags[] = {
      {"Supported.IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER", IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER},
      {"Supported.IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER", IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER},
      {"Supported.IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER", IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER},
      {"Supported.IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER", IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER}};
  NDIS_TASK_IPSEC all{};
  SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
  for (const auto& [name, bit] : flags) {
    NDIS_TASK_IPSEC task{};
    ASSERT_TRUE(SetCapability(task, extension, name)) << name;
    EXPECT_EQ(task.Supported.RESERVED, bit) << name;
    ASSERT_TRUE(SetCapability(all, extension, name));
  }
  EXPECT_EQ(all.Supported.RESERVED, 0xF0u);
  all.Supported.RESERVED = IPSEC_TPT_UDPESP_ENCAPTYPE_IKE;  // reserved: no name reads it
  EXPECT_TRUE(CapabilityNames(all, extension).empty());
}

TEST(Capabilities, NamesMapToTheNdisMembers) {
  NDIS_TASK_IPSEC task{};
  SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
  for (const char* name : {"Supported.V4_OPTIONS", "V4AH.Tunnel", "V4ESP.TRIPLE_DES", "V4ESP.NULL_ESP",
                           "V2.ENCRYPTION_AES_CBC_256", "V2.ENCRYPTION_AES_GCM_192", "V2.AUTHENTICATION_SHA_256",
                           "V2.AUTHENTICATION_AES_GCM_256", "Extension.ENCRYPTION_ONLY_ESP"}) {
    ASSERT_TRUE(SetCapability(task, extension, name)) << name;
  }
  EXPECT_NE(task.Supported.V4_OPTIONS, 0u);
  EXPECT_EQ(task.Supported.AH_ESP_COMBINED, 0u);
  EXPECT_EQ(task.V4AH.Tunnel, 1u);
  EXPECT_EQ(task.V4AH.Transport, 0u);
  EXPECT_EQ(task.V4ESP.TRIPLE_DES, 1u);
  EXPECT_EQ(task.V4ESP.DES, 0u);
  EXPECT_EQ(task.V4ESP.RESERVED, 0u);
  EXPECT_EQ(task.V4ESP.NULL_ESP, 1u);
  EXPECT_EQ(extension.EncryptionAlgorithms,
            static_cast<ULONG>(IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256 | IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192));
  EXPECT_EQ(extension.AuthenticationAlgorithms, static_cast<ULONG>(IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256 |
                                                                   IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256));
  EXPECT_EQ(extension.Flags, static_cast<ULONG>(SENDPATH_EXT_ENCRYPTION_ONLY_ESP));
}

TEST(Capabilities, AllNamesRoundTrip) {
  NDIS_TASK_IPSEC task{};
  SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
  for (const std::string& name : AllCapabilityNames()) ASSERT_TRUE(SetCapability(task, extension, name));
  EXPECT_EQ(CapabilityNames(task, extension), AllCapabilityNames());
}

TEST(Capabilities, UnknownNameChangesNothing) {
  NDIS_TASK_IPSEC task{};
  SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
  for (const char* name : {"", "V4ESP", "V4ESP.AES", "v4esp.send", "V2.AUTHENTICATION_MD5", "Extension.ESN "}) {
    EXPECT_FALSE(SetCapability(task, extension, name)) << name;
    EXPECT_FALSE(IsCapabilityName(name)) << name;
  }
  EXPECT_TRUE(IsZero(task, extension));
}

TEST(Capabilities, Missing) {
  const std::vector<std::string> required = {"V4ESP.Send", "V4AH.SHA_1", "Extension.ESN", "Nonsense.X"};
  EXPECT_EQ(MissingCapabilities(required, std::vector<std::string>{"V4AH.SHA_1", "Nonsense.X"}),
            (std::vector<std::string>{"V4ESP.Send", "Extension.ESN", "Nonsense.X"}));
  NDIS_TASK_IPSEC task{};
  SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
  task.V4ESP.Send = 1;
  extension.Flags = SENDPATH_EXT_ESN;
  EXPECT_EQ(MissingCapabilities(required, task, extension), (std::vector<std::string>{"V4AH.SHA_1", "Nonsense.X"}));
  EXPECT_TRUE(MissingCapabilities({}, task, extension).empty());
}

TEST(Algorithms, IdentifiersOfTheReferenceTable) {
  // reference_nic/README.md, algorithm table.
  EXPECT_EQ(ConfAlgorithmId("NONE"), ULONG{0});
  EXPECT_EQ(ConfAlgorithmId("DES"), ULONG{1});
  EXPECT_EQ(ConfAlgorithmId("3_DES"), ULONG{3});
  EXPECT_EQ(ConfAlgorithmId("AES_CBC_128"), ULONG{0x40});
  EXPECT_EQ(ConfAlgorithmId("AES_CBC_192"), ULONG{0x80});
  EXPECT_EQ(ConfAlgorithmId("AES_CBC_256"), ULONG{0x100});
  EXPECT_EQ(ConfAlgorithmId("AES_GCM_128"), ULONG{0x08});
  EXPECT_EQ(ConfAlgorithmId("AES_GCM_192"), ULONG{0x10});
  EXPECT_EQ(ConfAlgorithmId("AES_GCM_256"), ULONG{0x20});
  EXPECT_EQ(IntegrityAlgorithmId("NONE"), ULONG{0});
  EXPECT_EQ(IntegrityAlgorithmId("MD5"), ULONG{1});
  EXPECT_EQ(IntegrityAlgorithmId("SHA_1"), ULONG{2});
  EXPECT_EQ(IntegrityAlgorithmId("SHA_256"), ULONG{0x04});
  EXPECT_EQ(IntegrityAlgorithmId("AES_GMAC_128"), ULONG{0x08});
  EXPECT_EQ(IntegrityAlgorithmId("AES_GMAC_192"), ULONG{0x10});
  EXPECT_EQ(IntegrityAlgorithmId("AES_GMAC_256"), ULONG{0x20});
  EXPECT_FALSE(ConfAlgorithmId("SHA_1").has_value());
  EXPECT_FALSE(IntegrityAlgorithmId("AES_GCM_128").has_value());
  EXPECT_FALSE(ConfAlgorithmId("aes_cbc_128").has_value());
  for (const std::string& name : ConfAlgorithmNames()) EXPECT_EQ(ConfAlgorithmName(*ConfAlgorithmId(name)), name);
  for (const std::string& name : IntegrityAlgorithmNames()) {
    EXPECT_EQ(IntegrityAlgorithmName(*IntegrityAlgorithmId(name)), name);
  }
  EXPECT_EQ(ConfAlgorithmName(2), "");  // OFFLOAD_IPSEC_CONF_RESERVED
}

TEST(Statuses, NamesAndValues) {
  EXPECT_EQ(StatusFromName("NDIS_STATUS_SUCCESS"), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(StatusFromName("NDIS_STATUS_INVALID_PACKET"), NDIS_STATUS_INVALID_PACKET);
  EXPECT_EQ(StatusFromName("NDIS_STATUS_RESOURCES"), NDIS_STATUS_RESOURCES);
  EXPECT_FALSE(StatusFromName("FAILURE").has_value());
  EXPECT_FALSE(StatusFromName("ndis_status_failure").has_value());
  std::vector<NDIS_STATUS> seen;
  for (const std::string& name : StatusNames()) {
    const auto status = StatusFromName(name);
    ASSERT_TRUE(status.has_value()) << name;
    EXPECT_EQ(StatusName(*status), name);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), *status), 0) << name << " shares a value";
    seen.push_back(*status);
  }
  EXPECT_EQ(StatusName(0x12345), "");
}

TEST(HexText, ParseAndPrint) {
  EXPECT_EQ(testing::Hex(" 0a\tFF\r\n10 "), (Bytes{0x0a, 0xff, 0x10}));
  EXPECT_EQ(testing::Hex(""), Bytes{});
  EXPECT_EQ(ToHex(Bytes{0x00, 0xab, 0x7f}), "00ab7f");
  const auto bad = ParseHex("00 \x01");
  ASSERT_TRUE(std::holds_alternative<HexError>(bad));
  EXPECT_EQ(std::get<HexError>(bad).offset, 3u);
  EXPECT_EQ(std::get<HexError>(bad).message, "bad hex digit '\\x01' at offset 3");
}

// The schema's enums are the loader's tables: a name one accepts and the other refuses would
// make `validate.py` and the loader disagree.
TEST(Schema, EnumsMatchTheLoaderTables) {
  const nlohmann::json schema =
      nlohmann::json::parse(testing::ReadText(std::string(SENDPATH_VECTORS_SCHEMA_DIR) + "/sendpath-vectors-1.schema.json"));
  const auto& defs = schema.at("$defs");
  EXPECT_EQ(defs.at("capability").at("enum").get<std::vector<std::string>>(), AllCapabilityNames());
  EXPECT_EQ(defs.at("status").at("enum").get<std::vector<std::string>>(), StatusNames());
  EXPECT_EQ(defs.at("confAlgorithmName").at("enum").get<std::vector<std::string>>(), ConfAlgorithmNames());
  EXPECT_EQ(defs.at("integrityAlgorithmName").at("enum").get<std::vector<std::string>>(), IntegrityAlgorithmNames());
  EXPECT_EQ(schema.at("properties").at("format").at("const"), std::string(kVectorFormat));
}

}  // namespace
}  // namespace sendpath::vectors
