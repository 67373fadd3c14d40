// sendpath-fuzz-export: a send_path or differential fuzz input (a Script, fuzz/common/script.h)
// as a `sendpath-vectors/1` file (vectors/README.md), the regression vector of a finding. The
// script runs through the reference NIC; every step's expected status and every expected frame
// are the reference's, with the IVs the script injects. ci/nightly-fuzz calls it for each crash.
//
//   sendpath-fuzz-export --input CRASH --out vectors/regressions/differential/NAME.json
//       --id regressions/2024-01-01-NAME --source "fuzz/differential ..." [--comment TEXT]
#include "fuzz/common/driver.h"
#include "fuzz/common/framing.h"
#include "fuzz/common/programming.h"
#include "fuzz/common/script.h"

#include "harness/candidates/reference/reference_candidate.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <vectors/loader/vector_loader.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace sendpath;
using nlohmann::json;

// HEX as the vector format writes long frames: lines of 32 bytes, 2-byte groups.
json Hex(std::span<const std::uint8_t> bytes) {
  json lines = json::array();
  const std::string hex = vectors::ToHex(bytes);
  for (std::size_t line = 0; line < hex.size(); line += 64) {
    std::string text;
    for (std::size_t i = line; i < std::min(hex.size(), line + 64); i += 4) {
      if (!text.empty()) text += ' ';
      text += hex.substr(i, 4);
    }
    lines.push_back(text);
  }
  return lines;
}

std::string Status(NDIS_STATUS status) { return std::string(vectors::StatusName(status)); }

class Exporter {
 public:
  explicit Exporter(const fuzz::Script& input) : script(input) {}
  const fuzz::Script& script;
  fuzz::Driver driver{std::make_unique<harness::ReferenceCandidate>()};
  fuzz::Programming programming;

  // A HANDLE as the vector names it.
  json Handle(const fuzz::HandleRef& ref) const {
    std::size_t sa = 0;
    if (ref.kind == fuzz::HandleKind::kZero) return 0;
    if (fuzz::SaIndexOf(ref, programming.specs.size(), sa) && driver.added(sa)) return programming.specs[sa].name;
    return "never_issued";
  }

  json Vector(const std::string& id, const std::string& source, const std::string& comment) {
    harness::Candidate& nic = driver.candidate();
    if (auto reset = nic.Reset(); !reset) throw std::runtime_error(reset.error().reason);
    driver.Forget();
    programming = fuzz::Program(script.setup, driver.reported());
    const auto enable = vectors::CapabilityNames(programming.enable.task, programming.enable.extension);

    json sas = json::object();
    json steps = json::array();
    const auto status_of = [](const harness::Outcome<NDIS_STATUS>& outcome) {
      if (!outcome) throw std::runtime_error(outcome.error().reason);
      return *outcome;
    };
    for (int set = 0; set < (script.setup.second_set ? 2 : 1); ++set) {
      steps.push_back({{"op", "set"}, {"enable", enable},
                       {"expect", Status(status_of(nic.Set(programming.encapsulation, programming.enable)))}});
    }
    if (script.setup.churn > 0) {
      vectors::SaSpec churn = fuzz::MakeSaSpec(fuzz::SaDef{}, 0);
      churn.name = "churn";
      sas["churn"] = vectors::WriteSaObject(churn);
      const auto request = fuzz::MakeAddSaRequest(churn, vectors::BuildAddSaRequest(churn));
      for (unsigned cycle = 0; cycle < script.setup.churn; ++cycle) {
        const auto added = nic.AddSa(request);
        if (!added) throw std::runtime_error(added.error().reason);
        steps.push_back({{"op", "add_sa"}, {"sa", "churn"}, {"expect", Status(added->status)}});
        if (added->status != NDIS_STATUS_SUCCESS) break;
        steps.push_back({{"op", "delete_sa"}, {"sa", "churn"}, {"expect", Status(status_of(nic.DeleteSa(added->handle)))}});
      }
    }
    for (std::size_t i = 0; i < programming.specs.size(); ++i) {
      const auto& spec = programming.specs[i];
      sas[spec.name] = vectors::WriteSaObject(spec);
      if (script.setup.udp.UdpEsp(i)) {
        // ADD_UDPESP_SA naming NULL, an earlier SA's entry (by that SA's name) or none issued.
        const NDIS_HANDLE never_issued = driver.NeverIssuedEntry();
        const NDIS_HANDLE named = fuzz::ParserEntryFor(script.setup, i, driver.entries(), never_issued);
        json entry = 0;
        if (named == never_issued) entry = "never_issued";
        for (std::size_t j = 0; named != nullptr && j < i; ++j) {
          if (driver.entry(j) == named) entry = programming.specs[j].name;
        }
        const auto added = nic.AddUdpEspSa(fuzz::MakeAddSaRequest(spec, vectors::BuildAddUdpEspSaRequest(spec, named)));
        if (!added) throw std::runtime_error(added.error().reason);
        steps.push_back({{"op", "add_udpesp_sa"}, {"sa", spec.name}, {"parser_entry", entry}, {"expect", Status(added->status)}});
        const bool ok = added->status == NDIS_STATUS_SUCCESS;
        driver.Record(ok ? added->handle : nullptr);
        driver.RecordEntry(ok && spec.flags == OFFLOAD_INBOUND_SA && named == nullptr ? added->parser_entry : nullptr);
        continue;
      }
      const auto added = nic.AddSa(fuzz::MakeAddSaRequest(spec, programming.requests[i]));
      if (!added) throw std::runtime_error(added.error().reason);
      steps.push_back({{"op", "add_sa"}, {"sa", spec.name}, {"expect", Status(added->status)}});
      driver.Record(added->status == NDIS_STATUS_SUCCESS ? added->handle : nullptr);
      driver.RecordEntry(nullptr);
    }
    driver.Seal();
    for (std::size_t i = 0; i < script.setup.sas.size(); ++i) {
      if (!script.setup.sas[i].deleted || !driver.added(i)) continue;
      if (script.setup.udp.UdpEsp(i)) {
        const bool named = ((script.setup.udp.delete_entry >> i) & 1u) != 0 && driver.entry(i) != nullptr;
        json step = {{"op", "delete_udpesp_sa"}, {"sa", programming.specs[i].name}};
        if (named) step["parser_entry"] = programming.specs[i].name;
        step["expect"] = Status(status_of(nic.DeleteUdpEspSa(driver.handle(i), named ? driver.entry(i) : nullptr)));
        steps.push_back(std::move(step));
        continue;
      }
      steps.push_back({{"op", "delete_sa"}, {"sa", programming.specs[i].name},
                       {"expect", Status(status_of(nic.DeleteSa(driver.handle(i))))}});
    }

    fuzz::FrameBuilder builder;
    std::vector<std::uint8_t> frame;
    fuzz::Layout layout;
    std::vector<std::size_t> cuts;
    for (std::size_t index = 0; index < script.sends.size(); ++index) {
      const fuzz::SendDef& send = script.sends[index];
      builder.Build(script.setup, programming.framing, send, frame, layout);
      fuzz::FrameBuilder::Cuts(send, layout, frame.size(), cuts);
      const auto reply = nic.Send(driver.Request(script, index, programming, frame, cuts));
      if (!reply) throw std::runtime_error(reply.error().reason);
      json step = {{"op", "send"}, {"frame", Hex(frame)}};
      // The vector format cuts strictly inside the frame; a zero-length NDIS_BUFFER (a cut at 0,
      // at the end, or twice at one offset) has no spelling there and is left out.
      json split = json::array();
      for (const std::size_t cut : cuts) {
        if (cut > 0 && cut < frame.size() && (split.empty() || split.back().get<std::size_t>() < cut)) split.push_back(cut);
      }
      if (!split.empty()) step["split"] = split;
      step["info"] = send.has_info ? json{{"OffloadHandle", Handle(send.offload)}, {"NextOffloadHandle", Handle(send.next)}}
                                   : json(nullptr);
      json ivs = json::object();
      json iv_bytes = json::array();
      std::size_t sa = 0;
      for (const fuzz::HandleRef* ref : {&send.offload, &send.next}) {
        if (!fuzz::SaIndexOf(*ref, programming.specs.size(), sa) || !driver.added(sa)) continue;
        json list = json::array();
        for (const auto& iv : fuzz::SendIvs(script, index, programming, sa)) list.push_back(vectors::ToHex(iv));
        if (!list.empty()) ivs[programming.specs[sa].name] = list;
      }
      if (!ivs.empty()) step["ivs"] = ivs;
      json expect = {{"status", Status(reply->status)}, {"frame", nullptr}};
      if (reply->status == NDIS_STATUS_SUCCESS && reply->frame) {
        expect["frame"] = Hex(*reply->frame);
        // Where the IVs are: the portions the handles name (the tunnel SA outermost). IVs of the
        // transport portion inside a tunnel whose ESP encrypts are ciphertext on the wire: they
        // are not in the expected frame, and masking those bytes would hide ciphertext.
        std::size_t first = 0, second = 0;
        const bool has_first = fuzz::SaIndexOf(send.offload, programming.specs.size(), first);
        const bool tunnelled = fuzz::SaIndexOf(send.next, programming.specs.size(), second);
        const auto encrypts = [&](std::size_t tunnel_sa) {
          return std::any_of(programming.specs[tunnel_sa].bundle.begin(), programming.specs[tunnel_sa].bundle.end(),
                             [](const vectors::SecAssocSpec& element) { return element.conf && element.conf->name != "NONE"; });
        };
        const int visible_levels = !tunnelled ? 1 : (encrypts(second) ? 1 : 2);
        for (int level = 0; level < visible_levels && has_first; ++level) {
          const auto& at = layout.levels[level];
          const auto& framing = programming.framing[tunnelled && level == 0 ? second : first];
          if (at.esp_iv != fuzz::kNowhere && framing.esp_iv > 0) iv_bytes.push_back({at.esp_iv, framing.esp_iv});
          if (at.ah_iv != fuzz::kNowhere && framing.ah_iv > 0) iv_bytes.push_back({at.ah_iv, framing.ah_iv});
        }
      }
      if (!iv_bytes.empty()) expect["iv_bytes"] = iv_bytes;
      step["expect"] = expect;
      steps.push_back(step);
    }

    json provenance = {{"source", source},
                       {"generator", "fuzz/tools/export_regression.cc (sendpath-fuzz-export)"},
                       {"confirmed_by", json::array()}};
    if (!comment.empty()) provenance["comment"] = comment;
    return {{"id", id},
            {"title", "fuzz finding: " + source},
            {"class", "MUST"},
            {"flags", {"fuzz.finding"}},
            {"provenance", provenance},
            {"requires", enable},
            {"encapsulation", script.setup.ethernet ? "ieee802.3" : "null"},
            {"sas", sas},
            {"steps", steps}};
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A send_path / differential fuzz input as a sendpath-vectors/1 regression vector"};
  std::string input, out, id, source, comment;
  app.add_option("--input", input, "the fuzz input (crash file)")->required();
  app.add_option("--out", out, "the vector file to write")->required();
  app.add_option("--id", id, "the vector id, regressions/<yyyy-mm-dd>-<short-name>")->required();
  app.add_option("--source", source, "the finding: target, signature, input file")->required();
  app.add_option("--comment", comment, "what was wrong");
  CLI11_PARSE(app, argc, argv);

  std::ifstream in(input, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read\n", input.c_str());
    return 2;
  }
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const fuzz::Script script = fuzz::DecodeScript(bytes);
  Exporter exporter(script);
  if (const std::string error = exporter.driver.Start(); !error.empty()) {
    std::fprintf(stderr, "the reference NIC %s\n", error.c_str());
    return 1;
  }
  json document;
  try {
    document = {{"format", vectors::kVectorFormat},
                {"group", "regressions"},
                {"description", "Fuzz finding " + id + ", exported from " + input},
                {"notes", {{"fuzz.finding", "A fuzz target found this script; the expected outcomes are the reference NIC's, with the IVs the script injects."}}},
                {"vectors", {exporter.Vector(id, source, comment)}}};
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: the reference NIC failed: %s\n", input.c_str(), error.what());
    return 1;
  }
  const std::string text = document.dump(1) + "\n";
  // The vector must load like every other.
  if (auto loaded = vectors::ParseVectorFile(text, out); std::holds_alternative<vectors::LoadError>(loaded)) {
    std::fprintf(stderr, "the exported vector does not load: %s\n", std::get<vectors::LoadError>(loaded).ToString().c_str());
    return 1;
  }
  std::ofstream file(out, std::ios::trunc);
  file << text;
  if (!file) {
    std::fprintf(stderr, "%s: cannot write\n", out.c_str());
    return 2;
  }
  std::printf("%s: %s (%zu steps)\n", out.c_str(), id.c_str(), document["vectors"][0]["steps"].size());
  return 0;
}
