// The OID_TCP_TASK_IPSEC_ADD_SA InformationBuffer, byte by byte.
#include "vectors/loader/vector_loader.h"

#include "vectors/tests/test_util.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sendpath::vectors {
namespace {

using testing::Address;
using testing::Hex;
using testing::ReadAt;

// Offsets within OFFLOAD_IPSEC_ADD_SA (contract reference section 5.4).
constexpr std::size_t kSecAssoc = offsetof(OFFLOAD_IPSEC_ADD_SA, SecAssoc);
constexpr std::size_t kOffloadHandle = offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle);
constexpr std::size_t kKeyLen = offsetof(OFFLOAD_IPSEC_ADD_SA, KeyLen);
constexpr std::size_t kKeyMat = offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat);
constexpr std::size_t kSecAssocSize = sizeof(OFFLOAD_SECURITY_ASSOCIATION);
// Within OFFLOAD_SECURITY_ASSOCIATION: Operation, SPI, IntegrityAlgo, ConfAlgo, Reserved.
constexpr std::size_t kOperation = 0, kSpi = 4, kIntegrityAlgo = 8, kConfAlgo = 20, kReservedAlgo = 32;

const Bytes kAesKey = Hex("000102030405060708090a0b0c0d0e0f");
const Bytes kSha1Key = Hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
const Bytes kMd5Key = Hex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");

AlgorithmSpec Algorithm(std::string name, ULONG identifier, Bytes key) {
  AlgorithmSpec spec;
  spec.name = std::move(name);
  spec.identifier = identifier;
  spec.key = std::move(key);
  return spec;
}

SecAssocSpec Esp(SPI_TYPE spi) {
  SecAssocSpec esp;
  esp.operation = ENCRYPT;
  esp.raw_operation = ENCRYPT;
  esp.spi = spi;
  esp.conf = Algorithm("AES_CBC_128", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, kAesKey);
  esp.integrity = Algorithm("SHA_1", OFFLOAD_IPSEC_INTEGRITY_SHA, kSha1Key);
  return esp;
}

SecAssocSpec Ah(SPI_TYPE spi) {
  SecAssocSpec ah;
  ah.operation = AUTHENTICATE;
  ah.raw_operation = AUTHENTICATE;
  ah.spi = spi;
  ah.integrity = Algorithm("MD5", OFFLOAD_IPSEC_INTEGRITY_MD5, kMd5Key);
  return ah;
}

SaSpec TransportSa() {
  SaSpec sa;
  sa.name = "t";
  sa.flags = OFFLOAD_OUTBOUND_SA;
  sa.src_addr = Address(192, 0, 2, 1);
  sa.src_mask = Address(255, 255, 255, 255);
  sa.dest_addr = Address(198, 51, 100, 7);
  sa.dest_mask = Address(255, 255, 255, 0);
  sa.protocol = 17;
  sa.src_port = 500;
  sa.dest_port = 4500;
  sa.bundle = {Esp(0x1234)};
  return sa;
}

Bytes Concat(std::initializer_list<const Bytes*> parts) {
  Bytes out;
  for (const Bytes* part : parts) out.insert(out.end(), part->begin(), part->end());
  return out;
}

Bytes KeyMatOf(const AddSaRequest& request) {
  return Bytes(request.buffer.begin() + static_cast<std::ptrdiff_t>(kKeyMat), request.buffer.end());
}

void ExpectAlgoInfo(const AddSaRequest& request, std::size_t offset, ULONG identifier, ULONG keylen) {
  EXPECT_EQ(ReadAt<ULONG>(request.buffer, offset), identifier) << "algoIdentifier at " << offset;
  EXPECT_EQ(ReadAt<ULONG>(request.buffer, offset + 4), keylen) << "algoKeylen at " << offset + 4;
  EXPECT_EQ(ReadAt<ULONG>(request.buffer, offset + 8), 0u) << "algoRounds at " << offset + 8;
}

TEST(AddSaRequest, LayoutOffsets) {
  EXPECT_EQ(kSecAssoc, 36u);
  EXPECT_EQ(kOffloadHandle, 168u);
  EXPECT_EQ(kSecAssocSize, 44u);
  EXPECT_EQ(offsetof(OFFLOAD_SECURITY_ASSOCIATION, SPI), kSpi);
  EXPECT_EQ(offsetof(OFFLOAD_SECURITY_ASSOCIATION, IntegrityAlgo), kIntegrityAlgo);
  EXPECT_EQ(offsetof(OFFLOAD_SECURITY_ASSOCIATION, ConfAlgo), kConfAlgo);
  EXPECT_EQ(offsetof(OFFLOAD_SECURITY_ASSOCIATION, Reserved), kReservedAlgo);
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
  EXPECT_EQ(kKeyLen, 176u);
  EXPECT_EQ(kKeyMat, 180u);
#else
  EXPECT_EQ(kKeyLen, 172u);
  EXPECT_EQ(kKeyMat, 176u);
#endif
}

TEST(AddSaRequest, OneElementConfFirst) {
  const AddSaRequest request = BuildAddSaRequest(TransportSa());
  const auto& b = request.buffer;
  ASSERT_EQ(b.size(), kKeyMat + 36);  // 16-byte AES key + 20-byte HMAC-SHA1 key

  // Filter: addresses and ports as in the IP and UDP headers (network byte order).
  EXPECT_EQ(Bytes(b.begin(), b.begin() + 16), Hex("c0000201 ffffffff c6336407 ffffff00"));
  EXPECT_EQ(ReadAt<ULONG>(b, 16), 17u);                  // Protocol
  EXPECT_EQ(Bytes(b.begin() + 20, b.begin() + 24), Hex("01f4 1194"));  // SrcPort 500, DestPort 4500
  EXPECT_EQ(ReadAt<ULONG>(b, 24), 0u);                   // SrcTunnelAddr
  EXPECT_EQ(ReadAt<ULONG>(b, 28), 0u);                   // DestTunnelAddr
  EXPECT_EQ(ReadAt<USHORT>(b, 32), OFFLOAD_OUTBOUND_SA);  // Flags
  EXPECT_EQ(ReadAt<SHORT>(b, 34), 1);                    // NumSAs

  EXPECT_EQ(ReadAt<ULONG>(b, 36 + kOperation), static_cast<ULONG>(ENCRYPT));
  EXPECT_EQ(ReadAt<ULONG>(b, 36 + kSpi), 0x1234u);  // host order
  ExpectAlgoInfo(request, 36 + kIntegrityAlgo, OFFLOAD_IPSEC_INTEGRITY_SHA, 20);
  ExpectAlgoInfo(request, 36 + kConfAlgo, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, 16);
  ExpectAlgoInfo(request, 36 + kReservedAlgo, 0, 0);
  // SecAssoc[1] and [2] stay zero.
  for (std::size_t i = 36 + kSecAssocSize; i < kOffloadHandle; ++i) ASSERT_EQ(b[i], 0) << "byte " << i;
  EXPECT_EQ(ReadAt<HANDLE>(b, kOffloadHandle), nullptr);  // OUT: the miniport fills it in
  EXPECT_EQ(ReadAt<ULONG>(b, kKeyLen), 36u);
  EXPECT_EQ(KeyMatOf(request), Concat({&kAesKey, &kSha1Key}));

  EXPECT_EQ(request.extension.Version, static_cast<ULONG>(SENDPATH_EXTENSION_VERSION));
  EXPECT_EQ(request.extension.KeyOrder, static_cast<ULONG>(SENDPATH_KEYMAT_CONF_FIRST));
  EXPECT_EQ(request.extension.SaFlags[0], 0u);
}

TEST(AddSaRequest, OneElementIntegrityFirst) {
  SaSpec sa = TransportSa();
  sa.key_order = KeyOrder::kIntegrityFirst;
  const AddSaRequest request = BuildAddSaRequest(sa);
  EXPECT_EQ(ReadAt<ULONG>(request.buffer, kKeyLen), 36u);
  EXPECT_EQ(KeyMatOf(request), Concat({&kSha1Key, &kAesKey}));
  // The algorithm descriptions do not move with the key order.
  ExpectAlgoInfo(request, 36 + kIntegrityAlgo, OFFLOAD_IPSEC_INTEGRITY_SHA, 20);
  ExpectAlgoInfo(request, 36 + kConfAlgo, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, 16);
  EXPECT_EQ(request.extension.KeyOrder, static_cast<ULONG>(SENDPATH_KEYMAT_INTEGRITY_FIRST));
}

TEST(AddSaRequest, TwoElementBundleConfFirst) {
  SaSpec sa = TransportSa();
  sa.bundle = {Esp(0x100), Ah(0x200)};
  const AddSaRequest request = BuildAddSaRequest(sa);
  const auto& b = request.buffer;
  ASSERT_EQ(b.size(), kKeyMat + 16 + 20 + 16);
  EXPECT_EQ(ReadAt<SHORT>(b, 34), 2);
  // SecAssoc[0]: ESP.
  EXPECT_EQ(ReadAt<ULONG>(b, 36 + kOperation), static_cast<ULONG>(ENCRYPT));
  EXPECT_EQ(ReadAt<ULONG>(b, 36 + kSpi), 0x100u);
  // SecAssoc[1] at 80: AH with an all-zero ConfAlgo.
  EXPECT_EQ(ReadAt<ULONG>(b, 80 + kOperation), static_cast<ULONG>(AUTHENTICATE));
  EXPECT_EQ(ReadAt<ULONG>(b, 80 + kSpi), 0x200u);
  ExpectAlgoInfo(request, 80 + kIntegrityAlgo, OFFLOAD_IPSEC_INTEGRITY_MD5, 16);
  ExpectAlgoInfo(request, 80 + kConfAlgo, 0, 0);
  EXPECT_EQ(ReadAt<ULONG>(b, kKeyLen), 52u);
  // SecAssoc[0]'s keys (conf, integrity), then SecAssoc[1]'s.
  EXPECT_EQ(KeyMatOf(request), Concat({&kAesKey, &kSha1Key, &kMd5Key}));
}

TEST(AddSaRequest, TwoElementBundleIntegrityFirst) {
  SaSpec sa = TransportSa();
  sa.bundle = {Esp(0x100), Ah(0x200)};
  sa.key_order = KeyOrder::kIntegrityFirst;
  const AddSaRequest request = BuildAddSaRequest(sa);
  EXPECT_EQ(ReadAt<ULONG>(request.buffer, kKeyLen), 52u);
  EXPECT_EQ(KeyMatOf(request), Concat({&kSha1Key, &kAesKey, &kMd5Key}));
}

TEST(AddSaRequest, TunnelAndEsnExtension) {
  SaSpec sa = TransportSa();
  sa.src_tunnel_addr = Address(203, 0, 113, 1);
  sa.dest_tunnel_addr = Address(203, 0, 113, 2);
  sa.bundle = {Esp(0x100), Ah(0x200)};
  sa.bundle[1].esn_high = 0x01020304;
  const AddSaRequest request = BuildAddSaRequest(sa);
  EXPECT_EQ(Bytes(request.buffer.begin() + 24, request.buffer.begin() + 32), Hex("cb007101 cb007102"));
  EXPECT_EQ(request.extension.SaFlags[0], 0u);
  EXPECT_EQ(request.extension.SequenceNumberHighOrder[0], 0u);
  EXPECT_EQ(request.extension.SaFlags[1], static_cast<ULONG>(IPSEC_OFFLOAD_V2_ESN_SA));
  EXPECT_EQ(request.extension.SequenceNumberHighOrder[1], 0x01020304u);
}

TEST(AddSaRequest, RawOverridesAreWrittenAsGiven) {
  SaSpec sa = TransportSa();
  sa.flags = 3;                 // neither INBOUND nor OUTBOUND alone
  sa.num_sas_override = -1;     // NumSAs is a SHORT
  sa.key_len_override = 99;     // more than the KeyMat sent
  sa.bundle[0].raw_operation = 9;
  sa.bundle[0].integrity->key_length = 12;  // algoKeylen differs from the 20 key bytes
  const AddSaRequest request = BuildAddSaRequest(sa);
  const auto& b = request.buffer;
  EXPECT_EQ(ReadAt<USHORT>(b, 32), 3);
  EXPECT_EQ(ReadAt<SHORT>(b, 34), -1);
  EXPECT_EQ(ReadAt<ULONG>(b, 36 + kOperation), 9u);
  ExpectAlgoInfo(request, 36 + kIntegrityAlgo, OFFLOAD_IPSEC_INTEGRITY_SHA, 12);
  EXPECT_EQ(ReadAt<ULONG>(b, kKeyLen), 99u);
  // The buffer still carries exactly the key bytes: a NIC must notice KeyLen runs past it.
  EXPECT_EQ(b.size(), kKeyMat + 36);
  EXPECT_EQ(KeyMatOf(request), Concat({&kAesKey, &kSha1Key}));
}

TEST(AddSaRequest, LiteralIdentifierAndEmptyKey) {
  SaSpec sa = TransportSa();
  sa.bundle[0].conf = Algorithm("", 77, {});
  sa.bundle[0].integrity.reset();
  const AddSaRequest request = BuildAddSaRequest(sa);
  ExpectAlgoInfo(request, 36 + kConfAlgo, 77, 0);
  ExpectAlgoInfo(request, 36 + kIntegrityAlgo, 0, 0);
  EXPECT_EQ(ReadAt<ULONG>(request.buffer, kKeyLen), 0u);
  // Never shorter than the structure, even with no key material.
  EXPECT_EQ(request.buffer.size(), sizeof(OFFLOAD_IPSEC_ADD_SA));
}

TEST(AddSaRequest, FromTheLoadedFixture) {
  const VectorFile file = testing::LoadValid("valid/full.json");
  ASSERT_EQ(file.vectors.size(), 2u);
  const AddSaRequest request = BuildAddSaRequest(file.vectors[1].sas.at("tun"));
  const auto& b = request.buffer;
  EXPECT_EQ(ReadAt<USHORT>(b, 32), 3);  // flags_raw
  EXPECT_EQ(ReadAt<SHORT>(b, 34), 3);   // raw.num_sas
  EXPECT_EQ(ReadAt<ULONG>(b, 36 + kOperation), 2u);
  EXPECT_EQ(ReadAt<ULONG>(b, 80 + kOperation), 9u);
  ExpectAlgoInfo(request, 36 + kConfAlgo, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128, 20);
  ExpectAlgoInfo(request, 36 + kIntegrityAlgo, IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128, 0);
  ExpectAlgoInfo(request, 80 + kIntegrityAlgo, 77, 20);
  EXPECT_EQ(ReadAt<ULONG>(b, kKeyLen), 99u);
  // integrity_first: element 0 has no integrity key bytes, so its GCM key||salt comes first,
  // then element 1's 16 key bytes.
  EXPECT_EQ(KeyMatOf(request), Hex("feffe9928665731c6d6a8f9467308308cafebabe 11111111111111111111111111111111"));
  EXPECT_EQ(request.extension.SaFlags[0], static_cast<ULONG>(IPSEC_OFFLOAD_V2_ESN_SA));
  EXPECT_EQ(request.extension.SequenceNumberHighOrder[0], 7u);
  EXPECT_EQ(request.extension.KeyOrder, static_cast<ULONG>(SENDPATH_KEYMAT_INTEGRITY_FIRST));
}

}  // namespace
}  // namespace sendpath::vectors
