// sendpath-gen-suite: writes a large `sendpath-vectors/1` suite for the end-to-end benchmark of
// `sendpath run`. Each vector programs one bench case (bench/cases.h: every algorithm, AH, the
// AH+ESP bundle, tunnel and transport-over-tunnel), then sends packets of IMIX sizes with the
// IVs given; the expected frames are the reference NIC's output with those IVs.
//
//   sendpath-gen-suite --out DIR [--sends 100000] [--sends-per-vector 10]
//                      [--vectors-per-file 500] [--sizes imix|64,512,...] [--seed 1]
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
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
  std::size_t sends = 100000;
  std::size_t sends_per_vector = 10;
  std::size_t vectors_per_file = 500;
  std::string sizes = "imix";
  unsigned seed = 1;
};

// Hands out counter IVs and remembers which SA asked, so the vector can list them per SA name.
class RecordingIvSource final : public nic::IvSource {
 public:
  std::vector<std::pair<NDIS_HANDLE, Bytes>> drawn;
  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, nic::MutableByteSpan iv) override {
    if (!counter_.NextIv(sa, sec_assoc_index, iv)) return false;
    drawn.emplace_back(sa, Bytes(iv.begin(), iv.end()));
    return true;
  }

 private:
  CounterIvSource counter_;
};

std::string SaName(std::size_t index) { return index == 0 ? "sa" : "tunnel"; }

// One vector: set, add_sa for each SA, `sends` packets. nullopt with `error` when the NIC
// refuses something (a bench case the NIC cannot do is a bug worth stopping for).
std::optional<nlohmann::json> MakeVector(const CaseSpec& spec, std::size_t vector_index, std::size_t first_send,
                                         std::size_t sends, const SizePattern& sizes, std::string& error) {
  nic::ReferenceNic nic;
  if (!EnableEverything(nic, error)) return std::nullopt;
  const std::optional<NDIS_IPSEC_PACKET_INFO> info = AddCaseSas(nic, spec, error);
  if (!info) return std::nullopt;
  RecordingIvSource ivs;
  nic.SetIvSource(&ivs);
  std::map<NDIS_HANDLE, std::string> names;
  names[info->Transmit.OffloadHandle] = SaName(0);
  if (info->Transmit.NextOffloadHandle != nullptr) names[info->Transmit.NextOffloadHandle] = SaName(1);

  const std::vector<std::string> caps = RequiredCapabilities(spec);
  nlohmann::json v;
  v["id"] = "bench/" + spec.name + "/" + std::to_string(vector_index);
  v["title"] = spec.name + ": " + std::to_string(sends) + " sends of generated traffic";
  v["class"] = "MUST";
  v["flags"] = nlohmann::json::array({"Load"});
  v["provenance"] = {{"source", "bench/cases.cc case " + spec.name + "; framing per RFC 4302 / RFC 4303"},
                     {"generator", "bench/tools/gen_suite.cc"},
                     {"confirmed_by", nlohmann::json::array()},
                     {"comment", "expected frames are the reference NIC's output with the listed IVs"}};
  v["requires"] = caps;
  v["encapsulation"] = "null";
  nlohmann::json sas = nlohmann::json::object();
  for (std::size_t i = 0; i < spec.sas.size(); ++i) sas[SaName(i)] = vectors::WriteSaObject(ToSaSpec(spec.sas[i], SaName(i)));
  v["sas"] = std::move(sas);

  nlohmann::json steps = nlohmann::json::array();
  steps.push_back({{"op", "set"}, {"enable", caps}, {"expect", "NDIS_STATUS_SUCCESS"}});
  for (std::size_t i = 0; i < spec.sas.size(); ++i) {
    steps.push_back({{"op", spec.sas[i].udp_esp ? "add_udpesp_sa" : "add_sa"}, {"sa", SaName(i)}, {"expect", "NDIS_STATUS_SUCCESS"}});
  }
  nlohmann::json step_info = {{"OffloadHandle", SaName(0)},
                              {"NextOffloadHandle", spec.sas.size() > 1 ? nlohmann::json(SaName(1)) : nlohmann::json(0)}};
  std::vector<std::uint8_t> wire;
  for (std::size_t s = 0; s < sends; ++s) {
    const std::size_t n = first_send + s;
    const FramedPacket packet =
        FramePacket(spec, sizes.At(n), static_cast<std::uint32_t>(s + 1), static_cast<std::uint16_t>(n));
    wire.assign(packet.frame.size(), 0);
    ivs.drawn.clear();
    // Every other packet comes as two NDIS_BUFFERs: the IPv4 header, then the rest.
    const bool split = n % 2 == 1;
    const nic::ByteSpan whole(packet.frame);
    const nic::ByteSpan two[] = {whole.first(20), whole.subspan(20)};
    const nic::ByteSpan one[] = {whole};
    const nic::SendResult result =
        split ? nic.Send(nic::BufferChain(two), &*info, wire) : nic.Send(nic::BufferChain(one), &*info, wire);
    if (result.reason != nic::Reason::kOk) {
      error = spec.name + ": the reference NIC refused send " + std::to_string(s) + ": " + std::string(nic::ReasonName(result.reason));
      return std::nullopt;
    }
    nlohmann::json iv_object = nlohmann::json::object();
    for (const auto& [handle, iv] : ivs.drawn) iv_object[names[handle]].push_back(vectors::ToHex(iv));
    nlohmann::json iv_bytes = nlohmann::json::array();
    for (const PortionLayout& p : packet.portions) {
      if (p.esp && p.esp->iv_length != 0) iv_bytes.push_back(nlohmann::json::array({p.esp->iv_offset, p.esp->iv_length}));
      if (p.ah && p.ah->iv_length != 0) iv_bytes.push_back(nlohmann::json::array({p.ah->iv_offset, p.ah->iv_length}));
    }
    nlohmann::json step = {{"op", "send"}, {"frame", vectors::ToHex(packet.frame)}, {"info", step_info}};
    if (split) step["split"] = nlohmann::json::array({20});
    if (!iv_object.empty()) step["ivs"] = std::move(iv_object);
    step["expect"] = {{"status", "NDIS_STATUS_SUCCESS"},
                      {"frame", vectors::ToHex(nic::ByteSpan(wire).first(result.length))},
                      {"iv_bytes", std::move(iv_bytes)}};
    steps.push_back(std::move(step));
  }
  v["steps"] = std::move(steps);
  return v;
}

int Run(const Options& options) {
  std::string error;
  const std::optional<SizePattern> sizes = ParseSizes(options.sizes, error);
  if (!sizes) {
    std::fprintf(stderr, "sendpath-gen-suite: %s\n", error.c_str());
    return 2;
  }
  std::vector<CaseSpec> cases;
  const bool legacy = LoadProviders();
  for (CaseSpec& c : AllCases(static_cast<std::uint8_t>(options.seed))) {
    if (!c.needs_legacy_provider || legacy) cases.push_back(std::move(c));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.out, ec);
  if (ec) {
    std::fprintf(stderr, "sendpath-gen-suite: %s: %s\n", options.out.c_str(), ec.message().c_str());
    return 2;
  }
  std::size_t written_sends = 0, vector_index = 0, file_index = 0, files = 0;
  while (written_sends < options.sends) {
    nlohmann::json vectors = nlohmann::json::array();
    while (vectors.size() < options.vectors_per_file && written_sends < options.sends) {
      const CaseSpec& spec = cases[vector_index % cases.size()];
      const std::size_t sends = std::min(options.sends_per_vector, options.sends - written_sends);
      std::optional<nlohmann::json> v = MakeVector(spec, vector_index, written_sends, sends, *sizes, error);
      if (!v) {
        std::fprintf(stderr, "sendpath-gen-suite: %s\n", error.c_str());
        return 1;
      }
      vectors.push_back(std::move(*v));
      written_sends += sends;
      ++vector_index;
    }
    char name[32];
    std::snprintf(name, sizeof name, "suite-%05zu.json", file_index);
    nlohmann::json file = {
        {"format", "sendpath-vectors/1"},
        {"group", "bench-suite-" + std::to_string(file_index)},
        {"description", "Generated load for the end-to-end benchmark (bench/run); not a conformance suite"},
        {"notes", {{"Load", "Throughput load: every algorithm, AH, bundle, tunnel and transport-over-tunnel at "
                            "generated packet sizes; a NIC failing here also fails the conformance suites."}}},
        {"vectors", std::move(vectors)}};
    if (!WriteFileAtomically((std::filesystem::path(options.out) / name).string(), file.dump(), error)) {
      std::fprintf(stderr, "sendpath-gen-suite: %s\n", error.c_str());
      return 1;
    }
    ++file_index;
    ++files;
  }
  std::printf("sendpath-gen-suite: %zu sends in %zu vectors, %zu files under %s\n", written_sends, vector_index, files,
              options.out.c_str());
  return 0;
}

}  // namespace
}  // namespace sendpath::bench

int main(int argc, char** argv) {
  sendpath::bench::Options options;
  CLI::App app{"Writes a generated sendpath-vectors/1 suite for the end-to-end benchmark"};
  app.add_option("--out", options.out, "Directory for the suite files")->required();
  app.add_option("--sends", options.sends, "Send steps in the whole suite")->check(CLI::PositiveNumber);
  app.add_option("--sends-per-vector", options.sends_per_vector, "Send steps per vector")->check(CLI::PositiveNumber);
  app.add_option("--vectors-per-file", options.vectors_per_file, "Vectors per file")->check(CLI::PositiveNumber);
  app.add_option("--sizes", options.sizes, "IPv4 packet sizes before IPsec: imix, or a list like 64,512,1500");
  app.add_option("--seed", options.seed, "Key derivation seed (1..255)")->check(CLI::Range(1, 255));
  CLI11_PARSE(app, argc, argv);
  return sendpath::bench::Run(options);
}
