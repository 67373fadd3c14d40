// The generators' output must be what `sendpath run`, `diff` and `verify` accept: the suite
// loads with the vector loader and replays on a fresh reference NIC through the same OID
// buffers the harness builds (BuildAddSaRequest); the capture reads back through libpcap and,
// where the reports library is built, every frame verifies on the receive side with sas.json.
// ctest runs the generators first (fixture bench_generated).
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "reference_nic/reference_nic.h"
#include "vectors/loader/vector_loader.h"

#ifdef SENDPATH_BENCH_HAVE_REPORTS
#include "reports/receive_check.h"
#endif

namespace sendpath::bench {
namespace {

using vectors::Bytes;

// IVs a send step lists, handed out per SA as the NIC asks for them.
class StepIvs final : public nic::IvSource {
 public:
  std::map<NDIS_HANDLE, std::deque<Bytes>> queues;
  bool NextIv(NDIS_HANDLE sa, unsigned, nic::MutableByteSpan iv) override {
    auto& queue = queues[sa];
    if (queue.empty() || queue.front().size() != iv.size()) return false;
    std::memcpy(iv.data(), queue.front().data(), iv.size());
    queue.pop_front();
    return true;
  }
};

TEST(GeneratedSuite, LoadsAndReplaysOnTheReferenceNic) {
  const vectors::LoadResult loaded = vectors::LoadVectorPaths({SENDPATH_BENCH_TEST_SUITE_DIR});
  for (const auto& error : loaded.errors) ADD_FAILURE() << error.ToString();
  ASSERT_FALSE(loaded.files.empty());
  std::size_t sends = 0;
  for (const vectors::VectorFile& file : loaded.files) {
    for (const vectors::Vector& vector : file.vectors) {
      nic::ReferenceNic nic;
      StepIvs ivs;
      nic.SetIvSource(&ivs);
      std::map<std::string, NDIS_HANDLE> handles;
      for (const vectors::Step& step : vector.steps) {
        const std::string where = vector.id + step.pointer;
        if (const auto* set = std::get_if<vectors::SetStep>(&step.op)) {
          NDIS_ENCAPSULATION_FORMAT format{};
          format.Encapsulation = NULL_Encapsulation;
          format.Flags.FixedHeaderSize = 1;
          const nic::OidResult result = nic.SetCapabilities(format, nic::Capabilities{set->task, set->extension});
          ASSERT_EQ(result.status, set->expect) << where << ": " << nic::ReasonName(result.reason);
        } else if (const auto* add = std::get_if<vectors::AddSaStep>(&step.op)) {
          vectors::AddSaRequest request = vectors::BuildAddSaRequest(vector.sas.at(add->sa));
          const nic::OidResult result = nic.AddSa(request.buffer, &request.extension);
          ASSERT_EQ(result.status, add->expect) << where << ": " << nic::ReasonName(result.reason) << " " << result.detail;
          std::memcpy(&handles[add->sa], request.buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle),
                      sizeof(NDIS_HANDLE));
        } else if (const auto* udp = std::get_if<vectors::AddUdpEspSaStep>(&step.op)) {
          // The UDP-ESP cases' SAs (outbound: no parser entry).
          vectors::AddSaRequest request = vectors::BuildAddUdpEspSaRequest(vector.sas.at(udp->sa), nullptr);
          const nic::OidResult result = nic.AddUdpEspSa(request.buffer, &request.extension);
          ASSERT_EQ(result.status, udp->expect) << where << ": " << nic::ReasonName(result.reason) << " " << result.detail;
          std::memcpy(&handles[udp->sa], request.buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle),
                      sizeof(NDIS_HANDLE));
        } else if (const auto* send = std::get_if<vectors::SendStep>(&step.op)) {
          ++sends;
          ASSERT_TRUE(send->has_info);
          NDIS_IPSEC_PACKET_INFO info{};
          info.Transmit.OffloadHandle = handles.at(send->offload_handle.sa);
          if (send->next_offload_handle.kind == vectors::HandleRef::Kind::kSa) {
            info.Transmit.NextOffloadHandle = handles.at(send->next_offload_handle.sa);
          }
          for (const auto& [name, list] : send->ivs) ivs.queues[handles.at(name)].assign(list.begin(), list.end());
          std::vector<nic::ByteSpan> chain;
          std::size_t begin = 0;
          for (const std::size_t cut : send->split) {
            chain.emplace_back(nic::ByteSpan(send->frame).subspan(begin, cut - begin));
            begin = cut;
          }
          chain.emplace_back(nic::ByteSpan(send->frame).subspan(begin));
          Bytes wire(send->frame.size() + 16);
          const nic::SendResult result = nic.Send(chain, &info, wire);
          ASSERT_EQ(result.status, send->expect_status) << where << ": " << nic::ReasonName(result.reason);
          ASSERT_TRUE(send->expect_frame.has_value()) << where;
          wire.resize(result.length);
          ASSERT_EQ(wire, *send->expect_frame) << where;
          // Every IV the step lists was used, and the IV ranges hold them.
          for (const auto& [handle, queue] : ivs.queues) EXPECT_TRUE(queue.empty()) << where;
          std::size_t iv_bytes = 0;
          for (const auto& [offset, length] : send->iv_bytes) iv_bytes += length;
          std::size_t listed = 0;
          for (const auto& [name, list] : send->ivs) {
            for (const Bytes& iv : list) listed += iv.size();
          }
          EXPECT_EQ(iv_bytes, listed) << where;
        }
      }
    }
  }
  EXPECT_EQ(sends, static_cast<std::size_t>(SENDPATH_BENCH_TEST_SUITE_SENDS));
}

struct PcapClose {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

TEST(GeneratedCapture, ReadsBackAndEveryFrameVerifies) {
  const std::string dir = SENDPATH_BENCH_TEST_CAPTURE_DIR;
  auto sa_file = vectors::LoadSaFile(dir + "/sas.json");
  ASSERT_TRUE(std::holds_alternative<vectors::SaFile>(sa_file)) << std::get<vectors::LoadError>(sa_file).ToString();
  EXPECT_GE(std::get<vectors::SaFile>(sa_file).sas.size(), 30u);

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapClose> capture(pcap_open_offline((dir + "/capture.pcap").c_str(), errbuf));
  ASSERT_TRUE(capture) << errbuf;
  EXPECT_EQ(pcap_datalink(capture.get()), DLT_RAW);
#ifdef SENDPATH_BENCH_HAVE_REPORTS
  auto table = report::SaTable::FromSaSpecs(std::get<vectors::SaFile>(sa_file).sas, "sas.json");
  ASSERT_TRUE(table.ok()) << table.error().message;
  report::ReceiveChecker checker(table.value());
  report::CheckResult result;
#endif
  std::size_t frames = 0;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(capture.get(), &header, &data) == 1) {
    ++frames;
    ASSERT_EQ(header->caplen, header->len) << "frame " << frames;
#ifdef SENDPATH_BENCH_HAVE_REPORTS
    checker.Check(std::span<const std::uint8_t>(data, header->caplen), report::LinkType::kRawIp, result);
    ASSERT_EQ(result.status, report::FrameStatus::kVerified)
        << "frame " << frames << ": " << report::FrameStatusName(result.status) << ": " << result.reason;
#endif
  }
  EXPECT_EQ(frames, static_cast<std::size_t>(SENDPATH_BENCH_TEST_CAPTURE_FRAMES));
}

}  // namespace
}  // namespace sendpath::bench
