#include "harness/complexity.h"

#include <algorithm>
#include <set>
#include <string>
#include <type_traits>
#include <variant>

namespace sendpath::harness {
namespace {

using report::SaStructure;

SaStructure StructureOf(const vectors::SaSpec& sa) {
  const bool tunnel = sa.src_tunnel_addr.has_value() || sa.dest_tunnel_addr.has_value();
  const bool bundle = sa.bundle.size() > 1;
  if (tunnel) return bundle ? SaStructure::kTunnelBundle : SaStructure::kTunnel;
  return bundle ? SaStructure::kBundle : SaStructure::kSingleSa;
}

std::uint32_t RawFieldsOf(const vectors::SaSpec& sa) {
  std::uint32_t raw = 0;
  if (sa.num_sas_override) ++raw;
  if (sa.key_len_override) ++raw;
  if (sa.flags != OFFLOAD_OUTBOUND_SA && sa.flags != OFFLOAD_INBOUND_SA) ++raw;
  for (const vectors::SecAssocSpec& element : sa.bundle) {
    if (element.raw_operation != static_cast<ULONG>(element.operation)) ++raw;
    for (const auto& algorithm : {element.conf, element.integrity}) {
      if (!algorithm) continue;
      if (algorithm->key_length) ++raw;
      if (algorithm->name.empty()) ++raw;  // a literal algoIdentifier
    }
  }
  return raw;
}

std::uint32_t ExtensionsOf(const vectors::SaSpec& sa) {
  std::uint32_t extensions = sa.key_order == vectors::KeyOrder::kIntegrityFirst ? 1 : 0;
  for (const vectors::SecAssocSpec& element : sa.bundle) extensions += element.esn_high ? 1 : 0;
  return extensions;
}

bool HasIpv4Options(const vectors::Bytes& frame, std::size_t ip) {
  if (frame.size() <= ip) return false;
  return (frame[ip] >> 4) == 4 && (frame[ip] & 0x0fu) > 5;
}

}  // namespace

report::ComplexityRank RankOf(const vectors::Vector& vector) {
  report::ComplexityRank rank;
  rank.steps = static_cast<std::uint32_t>(vector.steps.size());
  std::set<std::string> programmed;  // SAs an add_sa or fill_sa_table step hands to the NIC
  vectors::Encapsulation encapsulation = vector.encapsulation;
  rank.ethernet = encapsulation == vectors::Encapsulation::kIeee8023;
  const auto structure_of = [&](const vectors::HandleRef& handle) {
    if (handle.kind != vectors::HandleRef::Kind::kSa) return SaStructure::kNone;
    const auto sa = vector.sas.find(handle.sa);
    return sa == vector.sas.end() ? SaStructure::kNone : StructureOf(sa->second);
  };
  const auto use = [&](SaStructure structure) { rank.sa_structure = std::max(rank.sa_structure, structure); };
  const auto program = [&](const std::string& name) {
    const auto sa = vector.sas.find(name);
    if (sa == vector.sas.end()) return;
    use(StructureOf(sa->second));
    programmed.insert(name);
  };
  for (const vectors::Step& step : vector.steps) {
    std::visit(
        [&](const auto& op) {
          using Op = std::decay_t<decltype(op)>;
          if constexpr (std::is_same_v<Op, vectors::SetStep>) {
            if (op.encapsulation) {
              encapsulation = *op.encapsulation;
              rank.ethernet = rank.ethernet || encapsulation == vectors::Encapsulation::kIeee8023;
            }
          } else if constexpr (std::is_same_v<Op, vectors::AddSaStep> || std::is_same_v<Op, vectors::FillSaTableStep> ||
                               std::is_same_v<Op, vectors::AddUdpEspSaStep>) {
            program(op.sa);
          } else if constexpr (std::is_same_v<Op, vectors::SendStep>) {
            if (op.has_info) {
              const SaStructure first = structure_of(op.offload_handle);
              const SaStructure next = structure_of(op.next_offload_handle);
              use(first != SaStructure::kNone && next != SaStructure::kNone ? SaStructure::kTransportOverTunnel
                                                                            : std::max(first, next));
            }
            const std::size_t ip = encapsulation == vectors::Encapsulation::kIeee8023 ? 14 : 0;
            rank.ipv4_options = rank.ipv4_options || HasIpv4Options(op.frame, ip);
            rank.buffer_splits += static_cast<std::uint32_t>(op.split.size());
            rank.frame_bytes += op.frame.size();
          }
        },
        step.op);
  }
  for (const std::string& name : programmed) {
    const vectors::SaSpec& sa = vector.sas.at(name);
    rank.add_sa_raw_fields += RawFieldsOf(sa);
    rank.sa_extensions += ExtensionsOf(sa);
  }
  return rank;
}

}  // namespace sendpath::harness
