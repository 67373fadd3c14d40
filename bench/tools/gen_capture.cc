// sendpath-gen-capture: writes a large capture of what the reference NIC put on the wire, plus
// the `sendpath-sas/1` file of the SAs it was programmed with, for the streaming benchmarks of
// `sendpath diff` and `sendpath verify`. Every bench case (bench/cases.h) is programmed on one
// NIC with its own SPIs; frames cycle through the cases at IMIX sizes, with increasing sequence
// numbers and counter IVs (unique under each SA, so GCM/GMAC nonces never repeat).
//
//   sendpath-gen-capture --out DIR [--frames 1000000] [--sizes imix|64,...] [--link raw|ethernet]
//                        [--seed 1]
// writes DIR/capture.pcap (libpcap, raw IPv4 or Ethernet II) and DIR/sas.json.
#include <CLI/CLI.hpp>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/cases.h"
#include "bench/evp.h"
#include "bench/framing.h"
#include "bench/nic_program.h"
#include "bench/tools/tool_support.h"
#include "reference_nic/reference_nic.h"
#include "vectors/loader/vector_loader.h"

namespace sendpath::bench {
namespace {

struct Options {
  std::string out;
  std::size_t frames = 1000000;
  std::string sizes = "imix";
  std::string link = "raw";
  unsigned seed = 1;
};

struct PcapClose {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
struct DumperClose {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};

// A capture written to a temporary file and renamed into place by Commit(); removed otherwise.
class CaptureWriter {
 public:
  bool Open(const std::string& path, int link_type, std::string& error) {
    path_ = path;
    temporary_ = path + ".tmp." + std::to_string(::getpid());
    dead_.reset(pcap_open_dead(link_type, 65535));
    if (!dead_) {
      error = "pcap_open_dead failed";
      return false;
    }
    dumper_.reset(pcap_dump_open(dead_.get(), temporary_.c_str()));
    if (!dumper_) {
      error = temporary_ + ": " + pcap_geterr(dead_.get());
      return false;
    }
    return true;
  }
  void Write(std::span<const std::uint8_t> frame, std::size_t number) {
    pcap_pkthdr header{};
    // Reproducible timestamps: one frame per microsecond from 2023-11-14 22:13:20 UTC.
    header.ts.tv_sec = static_cast<time_t>(1700000000 + number / 1000000);
    header.ts.tv_usec = static_cast<suseconds_t>(number % 1000000);
    header.caplen = static_cast<bpf_u_int32>(frame.size());
    header.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper_.get()), &header, frame.data());
  }
  bool Commit(std::string& error) {
    if (pcap_dump_flush(dumper_.get()) != 0) {
      error = temporary_ + ": write failed";
      return false;
    }
    dumper_.reset();
    if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
      error = path_ + ": cannot rename into place";
      return false;
    }
    committed_ = true;
    return true;
  }
  ~CaptureWriter() {
    dumper_.reset();
    if (!committed_ && !temporary_.empty()) std::remove(temporary_.c_str());
  }

 private:
  std::string path_, temporary_;
  std::unique_ptr<pcap_t, PcapClose> dead_;
  std::unique_ptr<pcap_dumper_t, DumperClose> dumper_;
  bool committed_ = false;
};

std::string SafeName(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) c = '.';
  }
  return out;
}

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "sendpath-gen-capture: %s\n", message.c_str());
  return code;
}

int Run(const Options& options) {
  std::string error;
  const std::optional<SizePattern> sizes = ParseSizes(options.sizes, error);
  if (!sizes) return Fail(error, 2);
  const bool ethernet = options.link == "ethernet";
  if (!ethernet && options.link != "raw") return Fail("--link must be raw or ethernet", 2);

  // Every case on one NIC, each element with an SPI of its own so the receive side finds one SA.
  std::vector<CaseSpec> cases;
  const bool legacy = LoadProviders();
  for (CaseSpec& c : AllCases(static_cast<std::uint8_t>(options.seed))) {
    if (c.needs_legacy_provider && !legacy) continue;
    const auto case_number = static_cast<std::uint32_t>(cases.size() + 1);
    for (std::size_t s = 0; s < c.sas.size(); ++s) {
      for (std::size_t e = 0; e < c.sas[s].bundle.size(); ++e) {
        c.sas[s].bundle[e].spi = case_number << 8 | static_cast<std::uint32_t>(s) << 4 | static_cast<std::uint32_t>(e);
      }
    }
    cases.push_back(std::move(c));
  }
  nic::ReferenceNic nic;
  if (!EnableEverything(nic, error)) return Fail(error, 1);
  CounterIvSource ivs;
  nic.SetIvSource(&ivs);
  std::vector<NDIS_IPSEC_PACKET_INFO> infos;
  vectors::SaFile sa_file;
  sa_file.encapsulation = ethernet ? vectors::Encapsulation::kIeee8023 : vectors::Encapsulation::kNull;
  for (const CaseSpec& c : cases) {
    const std::optional<NDIS_IPSEC_PACKET_INFO> info = AddCaseSas(nic, c, error);
    if (!info) return Fail(error, 1);
    infos.push_back(*info);
    for (const SaModel& sa : c.sas) {
      const std::string name = SafeName(c.name) + "." + sa.name;
      sa_file.sas.emplace(name, ToSaSpec(sa, name));
    }
  }

  std::error_code ec;
  std::filesystem::create_directories(options.out, ec);
  if (ec) return Fail(options.out + ": " + ec.message(), 2);
  const std::filesystem::path dir(options.out);
  if (!WriteFileAtomically((dir / "sas.json").string(), vectors::WriteSaFile(sa_file).dump(2) + "\n", error)) {
    return Fail(error, 1);
  }
  CaptureWriter writer;
  if (!writer.Open((dir / "capture.pcap").string(), ethernet ? DLT_EN10MB : DLT_RAW, error)) return Fail(error, 1);

  // Ethernet II: 02:00:00:00:00:02 <- 02:00:00:00:00:01, EtherType IPv4.
  const std::size_t l2 = ethernet ? 14 : 0;
  std::vector<std::uint8_t> wire(l2 + 65536, 0);
  if (ethernet) {
    const std::uint8_t header[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    std::copy(std::begin(header), std::end(header), wire.begin());
  }
  std::vector<std::uint32_t> sequence(cases.size(), 0);
  for (std::size_t n = 0; n < options.frames; ++n) {
    const std::size_t c = n % cases.size();
    const FramedPacket packet =
        FramePacket(cases[c], sizes->At(n / cases.size()), ++sequence[c], static_cast<std::uint16_t>(n));
    const nic::ByteSpan chain[] = {nic::ByteSpan(packet.frame)};
    const nic::SendResult result = nic.Send(chain, &infos[c], std::span(wire).subspan(l2));
    if (result.reason != nic::Reason::kOk) {
      return Fail(cases[c].name + ": the reference NIC refused frame " + std::to_string(n + 1) + ": " +
                      std::string(nic::ReasonName(result.reason)),
                  1);
    }
    writer.Write(std::span(wire).first(l2 + result.length), n);
  }
  if (!writer.Commit(error)) return Fail(error, 1);
  std::printf("sendpath-gen-capture: %zu frames of %zu SAs: %s, %s\n", options.frames, sa_file.sas.size(),
              (dir / "capture.pcap").c_str(), (dir / "sas.json").c_str());
  return 0;
}

}  // namespace
}  // namespace sendpath::bench

int main(int argc, char** argv) {
  sendpath::bench::Options options;
  CLI::App app{"Writes a generated capture of reference NIC output and its sendpath-sas/1 file"};
  app.add_option("--out", options.out, "Directory for capture.pcap and sas.json")->required();
  app.add_option("--frames", options.frames, "Frames in the capture")->check(CLI::PositiveNumber);
  app.add_option("--sizes", options.sizes, "IPv4 packet sizes before IPsec: imix, or a list like 64,512,1500");
  app.add_option("--link", options.link, "Link type: raw (raw IPv4) or ethernet")->check(CLI::IsMember({"raw", "ethernet"}));
  app.add_option("--seed", options.seed, "Key derivation seed (1..255)")->check(CLI::Range(1, 255));
  CLI11_PARSE(app, argc, argv);
  return sendpath::bench::Run(options);
}
