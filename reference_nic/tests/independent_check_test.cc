// Every algorithm's output, made with the NIC's default random IVs, decrypted and verified by
// plain OpenSSL calls written here, independently of the NIC's crypto layer: the receive side
// of RFC 4303 / RFC 4302 / RFC 4106 / RFC 4543.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>

#include "reference_nic/tests/test_support.h"

namespace sendpath::nic::test {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

struct EspCase {
  const char* name;
  ULONG conf;
  std::size_t conf_key;
  const char* evp_cipher;  // nullptr for null encryption
  std::size_t iv;
  std::size_t block;
  bool gcm;
  ULONG integrity;
  std::size_t integrity_key;
  const char* digest;  // HMAC digest, nullptr for none/GMAC
  std::size_t icv;
  bool gmac;
};

std::string Name(const testing::TestParamInfo<EspCase>& info) { return info.param.name; }

// RFC 4106 / 4543 checks through EVP's GCM decryption: returns whether the tag verifies and
// writes the plaintext.
bool GcmOpen(const char* cipher_name, const Bytes& key, const Bytes& salt, const Bytes& iv, const Bytes& aad,
             const Bytes& ciphertext, const Bytes& tag, Bytes& plaintext) {
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, cipher_name, nullptr);
  const Bytes nonce = Concat({salt, iv});
  int n = 0;
  bool ok = EVP_DecryptInit_ex2(ctx.get(), cipher, key.data(), nonce.data(), nullptr) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1;
  plaintext.assign(ciphertext.size(), 0);
  if (ok && !ciphertext.empty()) {
    ok = EVP_DecryptUpdate(ctx.get(), plaintext.data(), &n, ciphertext.data(), static_cast<int>(ciphertext.size())) == 1;
  }
  Bytes t = tag;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(t.size()), t.data()) == 1 &&
       EVP_DecryptFinal_ex(ctx.get(), nullptr, &n) == 1;
  EVP_CIPHER_free(cipher);
  return ok;
}

Bytes Hmac(const char* digest, const Bytes& key, const Bytes& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t length = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(), data.data(), data.size(), out, sizeof out, &length);
  return Bytes(out, out + length);
}

const char* GcmName(std::size_t aes_key) { return aes_key == 16 ? "AES-128-GCM" : aes_key == 24 ? "AES-192-GCM" : "AES-256-GCM"; }

class EspIndependentCheck : public testing::TestWithParam<EspCase> {};

TEST_P(EspIndependentCheck, DecryptsAndVerifies) {
  const EspCase& c = GetParam();
  for (const bool tunnel : {false, true}) {
    SCOPED_TRACE(tunnel ? "tunnel" : "transport");
    ReferenceNic nic;  // default IV source: RAND_bytes
    EnableAll(nic);
    Sa sa;
    if (tunnel) {
      sa.tunnel_src = 0xc0000201;
      sa.tunnel_dst = 0xc6336407;
    }
    const Bytes conf_key = Key(c.conf_key, 11), integrity_key = Key(c.integrity_key, 12);
    sa.elements.push_back(Esp(0x51, c.conf, conf_key, c.integrity, integrity_key));
    const NDIS_IPSEC_PACKET_INFO info = Info(MustAddSa(nic, sa));
    Ip ip;
    ip.protocol = 50;
    const Bytes inner = tunnel ? Ipv4(Ip{}, Udp(77)) : Udp(77);
    const Bytes esp = EspFramed(0x51, 5, c.iv, inner, tunnel ? 4 : 17, c.block, c.icv);
    const Bytes input = Ipv4(ip, esp);
    Bytes wire;
    ASSERT_TRUE(SendFrame(nic, input, &info, wire).ok());
    ASSERT_EQ(wire.size(), input.size());
    // Outside IV, ciphertext and ICV nothing changed.
    EXPECT_TRUE(std::equal(input.begin(), input.begin() + 28, wire.begin()));
    const std::size_t payload = 28 + c.iv, icv = wire.size() - c.icv;
    const Bytes iv(wire.begin() + 28, wire.begin() + static_cast<std::ptrdiff_t>(payload));
    const Bytes ciphertext(wire.begin() + static_cast<std::ptrdiff_t>(payload), wire.begin() + static_cast<std::ptrdiff_t>(icv));
    const Bytes expected_plain(input.begin() + static_cast<std::ptrdiff_t>(payload), input.begin() + static_cast<std::ptrdiff_t>(icv));
    const Bytes tag(wire.begin() + static_cast<std::ptrdiff_t>(icv), wire.end());
    if (c.iv != 0) {
      EXPECT_NE(iv, Bytes(c.iv, 0)) << "IV not written";
    }
    Bytes plain;
    if (c.gcm) {
      const std::size_t aes = c.conf_key - 4;
      const Bytes aad(wire.begin() + 20, wire.begin() + 28);  // SPI || sequence
      ASSERT_TRUE(GcmOpen(GcmName(aes), Bytes(conf_key.begin(), conf_key.begin() + static_cast<std::ptrdiff_t>(aes)),
                          Bytes(conf_key.end() - 4, conf_key.end()), iv, aad, ciphertext, tag, plain));
    } else {
      if (c.evp_cipher != nullptr) {
        std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
        EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, c.evp_cipher, nullptr);
        ASSERT_NE(cipher, nullptr);
        plain.assign(ciphertext.size(), 0);
        int n = 0;
        ASSERT_EQ(EVP_DecryptInit_ex2(ctx.get(), cipher, conf_key.data(), iv.data(), nullptr), 1);
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
        ASSERT_EQ(EVP_DecryptUpdate(ctx.get(), plain.data(), &n, ciphertext.data(), static_cast<int>(ciphertext.size())), 1);
        EVP_CIPHER_free(cipher);
      } else {
        plain = ciphertext;
      }
      if (c.gmac) {
        const std::size_t aes = c.integrity_key - 4;
        const Bytes aad(wire.begin() + 20, wire.begin() + static_cast<std::ptrdiff_t>(icv));  // SPI .. trailer, IV included
        Bytes unused;
        EXPECT_TRUE(GcmOpen(GcmName(aes), Bytes(integrity_key.begin(), integrity_key.begin() + static_cast<std::ptrdiff_t>(aes)),
                            Bytes(integrity_key.end() - 4, integrity_key.end()), iv, aad, {}, tag, unused));
      } else if (c.digest != nullptr) {
        const Bytes mac = Hmac(c.digest, integrity_key, Bytes(wire.begin() + 20, wire.begin() + static_cast<std::ptrdiff_t>(icv)));
        EXPECT_EQ(Bytes(mac.begin(), mac.begin() + static_cast<std::ptrdiff_t>(c.icv)), tag);
      }
    }
    EXPECT_EQ(plain, expected_plain);
  }
}

constexpr ULONG kSha = OFFLOAD_IPSEC_INTEGRITY_SHA;
constexpr ULONG kMd5 = OFFLOAD_IPSEC_INTEGRITY_MD5;
constexpr ULONG kSha256 = IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256;

INSTANTIATE_TEST_SUITE_P(
    EveryEspAlgorithm, EspIndependentCheck,
    testing::Values(
        EspCase{"DesCbcHmacMd5", OFFLOAD_IPSEC_CONF_DES, 8, "DES-CBC", 8, 8, false, kMd5, 16, "MD5", 12, false},
        EspCase{"TripleDesHmacSha1", OFFLOAD_IPSEC_CONF_3_DES, 24, "DES-EDE3-CBC", 8, 8, false, kSha, 20, "SHA1", 12, false},
        EspCase{"NullHmacSha1", OFFLOAD_IPSEC_CONF_NONE, 0, nullptr, 0, 1, false, kSha, 20, "SHA1", 12, false},
        EspCase{"NullHmacMd5", OFFLOAD_IPSEC_CONF_NONE, 0, nullptr, 0, 1, false, kMd5, 16, "MD5", 12, false},
        EspCase{"Aes128CbcHmacSha256", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, 16, "AES-128-CBC", 16, 16, false, kSha256, 32, "SHA256", 16, false},
        EspCase{"Aes192CbcHmacSha1", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192, 24, "AES-192-CBC", 16, 16, false, kSha, 20, "SHA1", 12, false},
        EspCase{"Aes256CbcHmacMd5", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256, 32, "AES-256-CBC", 16, 16, false, kMd5, 16, "MD5", 12, false},
        EspCase{"Aes128Gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128, 20, nullptr, 8, 1, true, OFFLOAD_IPSEC_INTEGRITY_NONE, 0, nullptr, 16, false},
        EspCase{"Aes192Gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192, 28, nullptr, 8, 1, true, OFFLOAD_IPSEC_INTEGRITY_NONE, 0, nullptr, 16, false},
        EspCase{"Aes256Gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256, 36, nullptr, 8, 1, true, OFFLOAD_IPSEC_INTEGRITY_NONE, 0, nullptr, 16, false},
        EspCase{"NullAes128Gmac", OFFLOAD_IPSEC_CONF_NONE, 0, nullptr, 8, 1, false, IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128, 20, nullptr, 16, true},
        EspCase{"NullAes192Gmac", OFFLOAD_IPSEC_CONF_NONE, 0, nullptr, 8, 1, false, IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192, 28, nullptr, 16, true},
        EspCase{"NullAes256Gmac", OFFLOAD_IPSEC_CONF_NONE, 0, nullptr, 8, 1, false, IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256, 36, nullptr, 16, true}),
    Name);

struct AhCase {
  const char* name;
  ULONG integrity;
  std::size_t key;
  const char* digest;
  std::size_t icv;
  std::size_t iv;
};

class AhIndependentCheck : public testing::TestWithParam<AhCase> {};

TEST_P(AhIndependentCheck, IcvVerifies) {
  const AhCase& c = GetParam();
  ReferenceNic nic;
  EnableAll(nic);
  Sa sa;
  const Bytes key = Key(c.key, 21);
  sa.elements.push_back(Ah(0x61, c.integrity, key));
  const NDIS_IPSEC_PACKET_INFO info = Info(MustAddSa(nic, sa));
  Ip ip;
  ip.protocol = 51;
  ip.tos = 0x28;
  ip.ttl = 17;
  const Bytes input = Ipv4(ip, AhFramed(0x61, 3, 17, c.iv, c.icv, Udp(100)));
  Bytes wire;
  ASSERT_TRUE(SendFrame(nic, input, &info, wire).ok());
  // The receiver's view (RFC 4302 3.3.3.1): TOS, flags, TTL, checksum zeroed; ICV field zeroed.
  Bytes view = wire;
  view[1] = view[6] = view[7] = view[8] = view[10] = view[11] = 0;
  const std::size_t icv_at = 20 + 12 + c.iv;
  std::fill(view.begin() + static_cast<std::ptrdiff_t>(icv_at), view.begin() + static_cast<std::ptrdiff_t>(icv_at + c.icv), 0);
  const Bytes icv(wire.begin() + static_cast<std::ptrdiff_t>(icv_at), wire.begin() + static_cast<std::ptrdiff_t>(icv_at + c.icv));
  Bytes expected_without_icv = input;
  std::copy(wire.begin() + 32, wire.begin() + static_cast<std::ptrdiff_t>(icv_at + c.icv), expected_without_icv.begin() + 32);
  EXPECT_EQ(wire, expected_without_icv) << "bytes outside the IV and ICV changed";
  if (c.digest != nullptr) {
    const Bytes mac = Hmac(c.digest, key, view);
    EXPECT_EQ(Bytes(mac.begin(), mac.begin() + static_cast<std::ptrdiff_t>(c.icv)), icv);
  } else {
    const std::size_t aes = c.key - 4;
    const Bytes iv(wire.begin() + 32, wire.begin() + 40);
    Bytes unused;
    EXPECT_TRUE(GcmOpen(GcmName(aes), Bytes(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(aes)),
                        Bytes(key.end() - 4, key.end()), iv, view, {}, icv, unused));
  }
}

INSTANTIATE_TEST_SUITE_P(EveryAhAlgorithm, AhIndependentCheck,
                         testing::Values(AhCase{"HmacMd5_96", kMd5, 16, "MD5", 12, 0}, AhCase{"HmacSha1_96", kSha, 20, "SHA1", 12, 0},
                                         AhCase{"HmacSha256_128", kSha256, 32, "SHA256", 16, 0},
                                         AhCase{"Aes128Gmac", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128, 20, nullptr, 16, 8},
                                         AhCase{"Aes192Gmac", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192, 28, nullptr, 16, 8},
                                         AhCase{"Aes256Gmac", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256, 36, nullptr, 16, 8}),
                         [](const testing::TestParamInfo<AhCase>& param) { return std::string(param.param.name); });

TEST(RandomIvs, DifferEveryPacket) {
  ReferenceNic nic;
  EnableAll(nic);
  Sa sa;
  sa.elements.push_back(Esp(0x71, IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128, Key(20, 1)));
  const NDIS_IPSEC_PACKET_INFO info = Info(MustAddSa(nic, sa));
  Ip ip;
  ip.protocol = 50;
  const Bytes input = Ipv4(ip, EspFramed(0x71, 1, 8, Udp(10), 17, 1, 16));
  std::set<Bytes> ivs;
  constexpr int kSends = 2000;  // several refills of the 4 KiB IV pool
  for (int i = 0; i < kSends; ++i) {
    Bytes wire;
    ASSERT_TRUE(SendFrame(nic, input, &info, wire).ok());
    ivs.insert(Bytes(wire.begin() + 28, wire.begin() + 36));
  }
  EXPECT_EQ(ivs.size(), static_cast<std::size_t>(kSends));
}

// A forked child must not hand out the IVs its parent's pool still holds.
TEST(RandomIvs, ParentAndForkedChildNeverShareIvs) {
  RandomIvSource source;
  Bytes first(8);
  ASSERT_TRUE(source.NextIv(nullptr, 0, first));  // the pool is filled before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  constexpr int kIvs = 32;
  if (child == 0) {
    close(fds[0]);
    for (int i = 0; i < kIvs; ++i) {
      Bytes iv(8);
      if (!source.NextIv(nullptr, 0, iv) || write(fds[1], iv.data(), iv.size()) != 8) _exit(1);
    }
    _exit(0);
  }
  close(fds[1]);
  std::set<Bytes> parent;
  for (int i = 0; i < kIvs; ++i) {
    Bytes iv(8);
    ASSERT_TRUE(source.NextIv(nullptr, 0, iv));
    parent.insert(iv);
  }
  int received = 0;
  Bytes iv(8);
  while (read(fds[0], iv.data(), iv.size()) == 8) {
    EXPECT_EQ(parent.count(iv), 0u) << "the child repeated a parent IV";
    ++received;
  }
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(received, kIvs);
}

}  // namespace
}  // namespace sendpath::nic::test
