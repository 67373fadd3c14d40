#include "harness/export.h"

#include <reports/atomic_file.h>
#include <reports/pcap_io.h>
#include <vectors/loader/vector_loader.h>

#include <filesystem>
#include <set>

namespace sendpath::harness {
namespace {

using nlohmann::json;

json HandleRefJson(const vectors::HandleRef& ref, const std::string& vector_id) {
  switch (ref.kind) {
    case vectors::HandleRef::Kind::kZero: return 0;
    case vectors::HandleRef::Kind::kNeverIssued: return "never_issued";
    case vectors::HandleRef::Kind::kSa: return json{{"sa", ref.sa}, {"sas_key", ExportSaKey(vector_id, ref.sa)}};
  }
  return 0;
}

std::string Status(NDIS_STATUS status) {
  const auto name = vectors::StatusName(status);
  return name.empty() ? std::to_string(status) : std::string(name);
}

bool WriteJsonFile(const std::string& path, const json& document, std::string& error) {
  auto file = report::AtomicFile::Create(path);
  if (!file) {
    error = file.error().message;
    return false;
  }
  file.value().Write(document.dump(2));
  file.value().Write("\n");
  if (auto committed = file.value().Commit(); !committed) {
    error = committed.error().message;
    return false;
  }
  return true;
}

}  // namespace

std::string ExportSaKey(const std::string& vector_id, const std::string& sa_name) {
  std::string key = vector_id + "." + sa_name;
  for (char& c : key) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                         c == '.' || c == '-';
    if (!allowed) c = '_';
  }
  return key;
}

bool WriteExport(const std::vector<SelectedVector>& selected, const std::string& directory, std::string& error) {
  std::error_code code;
  std::filesystem::create_directories(directory, code);
  if (code) {
    error = directory + ": " + code.message();
    return false;
  }
  bool ethernet = false;
  for (const SelectedVector& entry : selected) {
    ethernet = ethernet || entry.vector->encapsulation == vectors::Encapsulation::kIeee8023;
  }
  const std::string pcap_path = directory + "/input.pcap";
  auto writer = report::PcapWriter::Create(pcap_path, ethernet ? report::LinkType::kEthernet : report::LinkType::kRawIp);
  if (!writer) {
    error = writer.error().message;
    return false;
  }

  json steps = json::array();
  std::set<std::string> required;
  vectors::SaFile sas;
  sas.encapsulation = ethernet ? vectors::Encapsulation::kIeee8023 : vectors::Encapsulation::kNull;
  std::size_t frame_number = 0;
  Bytes framed;
  for (const SelectedVector& entry : selected) {
    const vectors::Vector& vector = *entry.vector;
    required.insert(vector.requires_caps.begin(), vector.requires_caps.end());
    // sas.json holds the SAs the NIC is expected to accept (the receive side can use those);
    // the refused ones travel in programming.json only.
    for (const vectors::Step& step : vector.steps) {
      std::string name;
      if (const auto* add = std::get_if<vectors::AddSaStep>(&step.op); add != nullptr && add->expect == NDIS_STATUS_SUCCESS) {
        name = add->sa;
      } else if (const auto* udp = std::get_if<vectors::AddUdpEspSaStep>(&step.op);
                 udp != nullptr && udp->expect == NDIS_STATUS_SUCCESS) {
        name = udp->sa;
      } else if (const auto* fill = std::get_if<vectors::FillSaTableStep>(&step.op)) {
        name = fill->sa;
      }
      if (const auto sa = vector.sas.find(name); !name.empty() && sa != vector.sas.end()) {
        sas.sas.emplace(ExportSaKey(vector.id, name), sa->second);
      }
    }
    const std::string encapsulation(vectors::EncapsulationName(vector.encapsulation));
    steps.push_back(json{{"vector", vector.id}, {"op", "reset"}, {"encapsulation", encapsulation},
                         {"class", vector.vector_class == vectors::VectorClass::kMust ? "MUST" : "SHOULD"},
                         {"requires", vector.requires_caps}});
    for (std::size_t index = 0; index < vector.steps.size(); ++index) {
      json out{{"vector", vector.id}, {"step", index}};
      std::visit(
          [&](const auto& op) {
            using T = std::decay_t<decltype(op)>;
            if constexpr (std::is_same_v<T, vectors::SetStep>) {
              out["op"] = "set";
              out["encapsulation"] = std::string(vectors::EncapsulationName(op.encapsulation.value_or(vector.encapsulation)));
              out["enable"] = op.enable;
              out["expect"] = Status(op.expect);
            } else if constexpr (std::is_same_v<T, vectors::AddSaStep>) {
              out["op"] = "add_sa";
              out["sa"] = op.sa;
              out["sas_key"] = ExportSaKey(vector.id, op.sa);
              if (const auto sa = vector.sas.find(op.sa); sa != vector.sas.end()) {
                out["sa_object"] = vectors::WriteSaObject(sa->second);
              }
              out["expect"] = Status(op.expect);
            } else if constexpr (std::is_same_v<T, vectors::DeleteSaStep>) {
              out["op"] = "delete_sa";
              out["handle"] = HandleRefJson(op.handle, vector.id);
              out["expect"] = Status(op.expect);
            } else if constexpr (std::is_same_v<T, vectors::AddUdpEspSaStep>) {
              // The rig issues OID_TCP_TASK_IPSEC_ADD_UDPESP_SA; sa_object carries udp_esp.
              out["op"] = "add_udpesp_sa";
              out["sa"] = op.sa;
              out["sas_key"] = ExportSaKey(vector.id, op.sa);
              if (const auto sa = vector.sas.find(op.sa); sa != vector.sas.end()) {
                out["sa_object"] = vectors::WriteSaObject(sa->second);
              }
              out["parser_entry"] = HandleRefJson(op.parser_entry, vector.id);
              out["expect"] = Status(op.expect);
            } else if constexpr (std::is_same_v<T, vectors::DeleteUdpEspSaStep>) {
              out["op"] = "delete_udpesp_sa";
              out["handle"] = HandleRefJson(op.handle, vector.id);
              out["parser_entry"] = HandleRefJson(op.parser_entry, vector.id);
              out["expect"] = Status(op.expect);
            } else if constexpr (std::is_same_v<T, vectors::FillSaTableStep>) {
              out["op"] = "fill_sa_table";
              out["sa"] = op.sa;
              out["sas_key"] = ExportSaKey(vector.id, op.sa);
              out["limit"] = op.limit;
            } else {
              ++frame_number;
              const bool synthetic = ethernet && vector.encapsulation == vectors::Encapsulation::kNull;
              framed.clear();
              if (synthetic) framed.assign(std::begin(kSyntheticEthernet), std::end(kSyntheticEthernet));
              framed.insert(framed.end(), op.frame.begin(), op.frame.end());
              writer.value().Write(framed, static_cast<std::int64_t>(frame_number), 0);
              out["op"] = "send";
              out["frame"] = frame_number;
              out["length"] = op.frame.size();
              out["synthetic_ethernet"] = synthetic;
              out["split"] = op.split;
              if (op.has_info) {
                out["info"] = json{{"OffloadHandle", HandleRefJson(op.offload_handle, vector.id)},
                                   {"NextOffloadHandle", HandleRefJson(op.next_offload_handle, vector.id)}};
              } else {
                out["info"] = nullptr;
              }
              json ivs = json::object();
              for (const auto& [name, list] : op.ivs) {
                json hex = json::array();
                for (const Bytes& iv : list) hex.push_back(vectors::ToHex(iv));
                ivs[name] = std::move(hex);
              }
              out["ivs"] = std::move(ivs);
              out["expect_status"] = Status(op.expect_status);
              out["expect_emit"] = op.expect_frame.has_value();
            }
          },
          vector.steps[index].op);
      steps.push_back(std::move(out));
    }
  }
  if (auto committed = writer.value().Commit(); !committed) {
    error = committed.error().message;
    return false;
  }
  json claimed = json::array();
  for (const std::string& name : vectors::AllCapabilityNames()) {
    if (required.count(name) != 0) claimed.push_back(name);
  }
  const json programming{
      {"format", kProgrammingFormat},
      {"input", "input.pcap"},
      {"link_type", ethernet ? "ethernet" : "raw"},
      {"synthetic_ethernet", vectors::ToHex(kSyntheticEthernet)},
      {"claimed", std::move(claimed)},
      {"sends", frame_number},
      {"steps", std::move(steps)},
  };
  return WriteJsonFile(directory + "/programming.json", programming, error) &&
         WriteJsonFile(directory + "/sas.json", vectors::WriteSaFile(sas), error);
}

}  // namespace sendpath::harness
