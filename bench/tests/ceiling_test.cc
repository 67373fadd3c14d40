// The ceiling must do the NIC's cryptographic work and nothing less: with the same IVs it must
// produce the same frame, byte for byte, for every case and size. Where the reports library is
// built, the receive side (an independent implementation) must also verify the ceiling's frames.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/cases.h"
#include "bench/ceiling.h"
#include "bench/framing.h"
#include "bench/nic_program.h"
#include "reference_nic/reference_nic.h"

#ifdef SENDPATH_BENCH_HAVE_REPORTS
#include "reports/receive_check.h"
#include "bench/tools/tool_support.h"
#endif

namespace sendpath::bench {
namespace {

// Sizes around the framing's edges (minimum, one past a block) and the benchmark's sizes.
const std::vector<std::size_t> kSizes = {28, 64, 65, 512, 1500, 9000};

struct Sent {
  FramedPacket packet;
  Bytes wire;              // the NIC's frame
  std::vector<Bytes> ivs;  // the IVs the NIC drew, in the order it drew them
};

// Counter IVs, remembered: an inner IV ends up encrypted under the tunnel's ESP, so the test
// cannot read it back from the wire.
class RecordingIvs final : public nic::IvSource {
 public:
  explicit RecordingIvs(std::vector<Bytes>& drawn) : drawn_(drawn) {}
  bool NextIv(NDIS_HANDLE sa, unsigned index, nic::MutableByteSpan iv) override {
    if (!counter_.NextIv(sa, index, iv)) return false;
    drawn_.emplace_back(iv.begin(), iv.end());
    return true;
  }

 private:
  CounterIvSource counter_{0x1122334455667788ull};
  std::vector<Bytes>& drawn_;
};

Sent SendThroughNic(const CaseSpec& spec, std::size_t size) {
  nic::ReferenceNic nic;
  std::string error;
  EXPECT_TRUE(EnableEverything(nic, error)) << error;
  const std::optional<NDIS_IPSEC_PACKET_INFO> info = AddCaseSas(nic, spec, error);
  EXPECT_TRUE(info.has_value()) << error;
  Sent sent{FramePacket(spec, size, 7), {}, {}};
  RecordingIvs ivs(sent.ivs);
  nic.SetIvSource(&ivs);
  sent.wire.assign(sent.packet.frame.size(), 0);
  const nic::ByteSpan chain[] = {nic::ByteSpan(sent.packet.frame)};
  if (info) {
    const nic::SendResult result = nic.Send(chain, &*info, sent.wire);
    EXPECT_EQ(result.reason, nic::Reason::kOk) << spec.name << " at " << size << ": " << nic::ReasonName(result.reason)
                                               << " at offset " << result.offset;
    EXPECT_EQ(result.length, sent.packet.frame.size());
  }
  return sent;
}

// The ceiling's frame: the framed packet with the NIC's IVs written in its processing order
// (transport portion, then tunnel; ESP, then AH), then Ceiling::Run.
Bytes RunCeiling(const Sent& sent) {
  Bytes frame = sent.packet.frame;
  std::size_t next = 0;
  auto put_iv = [&](std::size_t offset, std::size_t length) {
    if (length == 0) return;
    ASSERT_LT(next, sent.ivs.size());
    ASSERT_EQ(sent.ivs[next].size(), length);
    std::copy(sent.ivs[next].begin(), sent.ivs[next].end(), frame.begin() + static_cast<std::ptrdiff_t>(offset));
    ++next;
  };
  for (const PortionLayout& p : sent.packet.portions) {
    if (p.esp) put_iv(p.esp->iv_offset, p.esp->iv_length);
    if (p.ah) put_iv(p.ah->iv_offset, p.ah->iv_length);
  }
  EXPECT_EQ(next, sent.ivs.size()) << "the NIC drew IVs the layout has no room for";
  std::string error;
  const std::unique_ptr<Ceiling> ceiling = Ceiling::Prepare(sent.packet, error);
  EXPECT_NE(ceiling, nullptr) << error;
  if (ceiling) {
    EXPECT_TRUE(ceiling->Run(frame));
  }
  return frame;
}

// The bytes the NIC may write: IVs, ciphertext, ICVs.
std::vector<bool> Writable(const FramedPacket& packet) {
  std::vector<bool> mask(packet.frame.size(), false);
  auto mark = [&](std::size_t offset, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) mask[offset + i] = true;
  };
  for (const PortionLayout& p : packet.portions) {
    if (p.esp) {
      mark(p.esp->iv_offset, p.esp->iv_length);
      if (p.sa->Esp()->cipher->evp_cipher != nullptr) mark(p.esp->data_offset, p.esp->data_length);
      mark(p.esp->icv_offset, p.esp->icv_length);
    }
    if (p.ah) {
      mark(p.ah->iv_offset, p.ah->iv_length);
      mark(p.ah->icv_offset, p.ah->icv_length);
    }
  }
  return mask;
}

bool IsLegacyAvailable() { return LoadProviders(); }

class EveryCase : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryCase, CeilingProducesTheNicsFrame) {
  const CaseSpec spec = FindCase(GetParam());
  ASSERT_FALSE(spec.name.empty());
  if (spec.needs_legacy_provider && !IsLegacyAvailable()) GTEST_SKIP() << "OpenSSL's legacy provider is missing";
  for (const std::size_t size : kSizes) {
    const Sent sent = SendThroughNic(spec, size);
    const Bytes ceiling = RunCeiling(sent);
    ASSERT_EQ(ceiling.size(), sent.wire.size());
    for (std::size_t i = 0; i < ceiling.size(); ++i) {
      ASSERT_EQ(ceiling[i], sent.wire[i]) << spec.name << " at " << size << ": byte " << i << " differs";
    }
  }
}

TEST_P(EveryCase, CeilingWritesOnlyIvCiphertextAndIcv) {
  const CaseSpec spec = FindCase(GetParam());
  if (spec.needs_legacy_provider && !IsLegacyAvailable()) GTEST_SKIP() << "OpenSSL's legacy provider is missing";
  for (const std::size_t size : kSizes) {
    const Sent sent = SendThroughNic(spec, size);
    const Bytes ceiling = RunCeiling(sent);
    const std::vector<bool> writable = Writable(sent.packet);
    std::size_t changed_icv_bytes = 0;
    for (std::size_t i = 0; i < ceiling.size(); ++i) {
      if (!writable[i]) {
        ASSERT_EQ(ceiling[i], sent.packet.frame[i]) << spec.name << " at " << size << ": byte " << i;
      }
    }
    for (const PortionLayout& p : sent.packet.portions) {
      const std::size_t icv = p.ah ? p.ah->icv_offset : p.esp->icv_offset;
      const std::size_t icv_length = p.ah ? p.ah->icv_length : p.esp->icv_length;
      for (std::size_t i = 0; i < icv_length; ++i) changed_icv_bytes += ceiling[icv + i] != 0;
    }
    const bool authenticated = std::any_of(spec.sas.begin(), spec.sas.end(), [](const SaModel& sa) {
      return sa.Ah() != nullptr || sa.Esp()->IcvLength() != 0;
    });
    if (authenticated) {
      EXPECT_GT(changed_icv_bytes, 0u) << spec.name << " at " << size << ": no ICV written";
    }
  }
}

#ifdef SENDPATH_BENCH_HAVE_REPORTS
// The receive side decrypts and checks every ICV of the ceiling's frames with the SA keys.
TEST_P(EveryCase, ReceiveSideVerifiesTheCeilingsFrames) {
  const CaseSpec spec = FindCase(GetParam());
  if (spec.needs_legacy_provider && !IsLegacyAvailable()) GTEST_SKIP() << "OpenSSL's legacy provider is missing";
  std::map<std::string, vectors::SaSpec> sas;
  for (const SaModel& sa : spec.sas) sas.emplace(sa.name, ToSaSpec(sa, sa.name));
  auto table = report::SaTable::FromSaSpecs(sas, spec.name);
  ASSERT_TRUE(table.ok()) << table.error().message;
  report::ReceiveChecker checker(table.value());
  report::CheckResult result;
  for (const std::size_t size : kSizes) {
    const Sent sent = SendThroughNic(spec, size);
    const Bytes ceiling = RunCeiling(sent);
    checker.Check(ceiling, report::LinkType::kRawIp, result);
    EXPECT_EQ(result.status, report::FrameStatus::kVerified)
        << spec.name << " at " << size << ": " << report::FrameStatusName(result.status) << ": " << result.reason
        << " at offset " << result.offset;
  }
}
#endif

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const CaseSpec& c : AllCases()) names.push_back(c.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Bench, EveryCase, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name;
                           for (const char c : param_info.param) {
                             name += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '_';
                           }
                           return name;
                         });

TEST(Cases, NamesAreUniqueAndCoverEveryAlgorithm) {
  const std::vector<CaseSpec> cases = AllCases();
  std::set<std::string> names;
  std::set<std::string_view> ciphers, esp_integrities, ah_integrities;
  bool bundle = false, tunnel = false, transport_over_tunnel = false, udp_esp = false;
  for (const CaseSpec& c : cases) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    for (const SaModel& sa : c.sas) {
      for (const ElementSpec& e : sa.bundle) {
        if (e.is_esp()) {
          ciphers.insert(e.cipher->label);
          if (e.integrity != nullptr) esp_integrities.insert(e.integrity->label);
        } else {
          ah_integrities.insert(e.integrity->label);
        }
      }
      bundle |= sa.bundle.size() == 2;
      tunnel |= sa.tunnel;
      udp_esp |= sa.udp_esp;
    }
    transport_over_tunnel |= c.sas.size() == 2;
  }
  EXPECT_EQ(ciphers.size(), AllCiphers().size());
  EXPECT_EQ(esp_integrities.size(), AllIntegrities().size());
  EXPECT_EQ(ah_integrities.size(), AllIntegrities().size());
  EXPECT_TRUE(bundle);
  EXPECT_TRUE(tunnel);
  EXPECT_TRUE(transport_over_tunnel);
  EXPECT_TRUE(udp_esp);
}

// RFC 3948 2.1: the UDP header sits between IPv4 and ESP, 4500 -> 4500, its length the rest of
// the packet, checksum zero; the NIC's frame keeps it as framed (EveryCase compares the rest).
TEST(Framing, UdpEspPutsTheUdpHeaderInFrontOfEsp) {
  for (const char* name : {"udp-esp/aes-128-cbc+hmac-sha1-96", "udp-esp-tunnel/esp-aes-128-gcm"}) {
    const CaseSpec spec = FindCase(name);
    ASSERT_FALSE(spec.name.empty()) << name;
    const Sent sent = SendThroughNic(spec, 512);
    const Bytes& frame = sent.packet.frame;
    ASSERT_EQ(frame[9], 17) << name;
    const std::size_t udp_length = static_cast<std::size_t>(frame[24] << 8 | frame[25]);
    EXPECT_EQ(udp_length, frame.size() - 20) << name;
    EXPECT_EQ(Bytes(frame.begin() + 20, frame.begin() + 28),
              Bytes({0x11, 0x94, 0x11, 0x94, frame[24], frame[25], 0, 0})) << name;
    EXPECT_EQ(sent.packet.portions.back().esp->offset, 28u) << name;
    ASSERT_EQ(sent.wire.size(), frame.size()) << name;
    EXPECT_TRUE(std::equal(frame.begin(), frame.begin() + 36, sent.wire.begin())) << name;  // IPv4, UDP, SPI, sequence
  }
}

TEST(Framing, RejectsPlaintextBelowIpv4AndUdpHeaders) {
  EXPECT_THROW(FramePacket(FindCase("esp/aes-128-gcm"), kMinPlaintextLength - 1), std::invalid_argument);
}

TEST(Framing, PlaintextLengthIsTheInnerPacketAndPaddingAligns) {
  const CaseSpec spec = FindCase("esp/aes-128-cbc+hmac-sha1-96");
  for (std::size_t size = 28; size < 100; ++size) {
    const FramedPacket packet = FramePacket(spec, size);
    ASSERT_EQ(packet.portions.size(), 1u);
    const EspLayout& esp = *packet.portions[0].esp;
    // Transport mode: the ESP payload is the UDP datagram; payload + padding + 2 fills blocks.
    EXPECT_EQ(esp.data_length % 16, 0u) << size;
    const std::size_t pad = packet.frame[esp.icv_offset - 2];
    EXPECT_EQ(esp.data_length, size - 20 + pad + 2) << size;
    EXPECT_EQ(packet.frame.size(), packet.portions[0].end);
  }
}

TEST(IvSources, CounterIsBigEndianAndIncrements) {
  CounterIvSource ivs(0x0102);
  Bytes iv(16, 0xff);
  ASSERT_TRUE(ivs.NextIv(nullptr, 0, iv));
  EXPECT_EQ(iv, Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2}));
  Bytes short_iv(8);
  ASSERT_TRUE(ivs.NextIv(nullptr, 0, short_iv));
  EXPECT_EQ(short_iv, Bytes({0, 0, 0, 0, 0, 0, 1, 3}));
}

TEST(IvSources, PooledRandomIvsDoNotRepeatAcrossRefills) {
  PooledRandomIvSource ivs;
  std::set<Bytes> seen;
  // Three pools' worth of 16-byte IVs, then 8-byte ones straddling a refill.
  for (std::size_t i = 0; i < 3 * PooledRandomIvSource::kPoolBytes / 16; ++i) {
    Bytes iv(16);
    ASSERT_TRUE(ivs.NextIv(nullptr, 0, iv));
    EXPECT_TRUE(seen.insert(iv).second) << "IV " << i << " repeated";
  }
  for (std::size_t i = 0; i < 1000; ++i) {
    Bytes iv(8);
    ASSERT_TRUE(ivs.NextIv(nullptr, 0, iv));
    EXPECT_TRUE(seen.insert(iv).second) << "8-byte IV " << i << " repeated";
  }
  Bytes too_long(PooledRandomIvSource::kPoolBytes + 1);
  EXPECT_FALSE(ivs.NextIv(nullptr, 0, too_long));
}

// A child of fork() must not hand out the parent's pooled bytes: with the same SA key on both
// sides that would be a GCM nonce reuse.
TEST(IvSources, PooledRandomIvsDifferBetweenParentAndForkedChild) {
  PooledRandomIvSource ivs;
  Bytes first(16);
  ASSERT_TRUE(ivs.NextIv(nullptr, 0, first));  // the pool is now filled
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Bytes iv(16);
    const bool ok = ivs.NextIv(nullptr, 0, iv);
    const ssize_t written = ok ? ::write(fds[1], iv.data(), iv.size()) : -1;
    ::_exit(written == 16 ? 0 : 1);
  }
  ::close(fds[1]);
  Bytes from_child(16);
  const ssize_t got = ::read(fds[0], from_child.data(), from_child.size());
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, 16);
  Bytes from_parent(16);
  ASSERT_TRUE(ivs.NextIv(nullptr, 0, from_parent));
  EXPECT_NE(from_child, from_parent);
}

}  // namespace
}  // namespace sendpath::bench
