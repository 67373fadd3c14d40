#include "harness/complexity.h"

#include <reports/sa_keys.h>

#include <algorithm>
#include <optional>
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

// The IV and ICV lengths of the vector's ESP element with this SPI.
std::optional<std::pair<std::size_t, std::size_t>> EspLengths(const vectors::Vector& vector, std::uint32_t spi) {
  for (const auto& [name, sa] : vector.sas) {
    for (std::size_t element = 0; element < sa.bundle.size(); ++element) {
      if (sa.bundle[element].operation != ENCRYPT || sa.bundle[element].spi != spi) continue;
      auto keys = report::MakeSaKeys(name, sa, element);
      if (keys) return std::make_pair(keys.value().IvLength(), keys.value().IcvLength());
    }
  }
  return std::nullopt;
}

// The length of the innermost payload of a frame as the transport framed it: past the IPv4
// header, AH (RFC 4302 2.2: Payload Len), ESP header and IV, before the ESP padding, trailer and
// ICV (RFC 4303 2.4: the plaintext Pad Length), and again inside a tunnelled IPv4 header.
// nullopt when the frame does not parse that far.
std::optional<std::size_t> InnermostPayload(const vectors::Vector& vector, const vectors::Bytes& frame, std::size_t ip) {
  constexpr int kMaxLevels = 4;
  std::size_t limit = frame.size();
  for (int level = 0; level < kMaxLevels; ++level) {
    if (limit < ip + 20 || (frame[ip] >> 4) != 4) return std::nullopt;
    const std::size_t header = (frame[ip] & 0x0fu) * 4u;
    const std::size_t total = static_cast<std::size_t>(frame[ip + 2]) << 8 | frame[ip + 3];
    if (header < 20 || total < header || total > limit - ip) return std::nullopt;
    std::size_t position = ip + header, end = ip + total;
    std::uint8_t next = frame[ip + 9];
    if (next == 51) {  // AH
      if (end - position < 12) return std::nullopt;
      const std::size_t length = (static_cast<std::size_t>(frame[position + 1]) + 2) * 4;
      if (length > end - position) return std::nullopt;
      next = frame[position];
      position += length;
    }
    if (next == 50) {  // ESP
      if (end - position < 8) return std::nullopt;
      const std::uint32_t spi = static_cast<std::uint32_t>(frame[position]) << 24 |
                                static_cast<std::uint32_t>(frame[position + 1]) << 16 |
                                static_cast<std::uint32_t>(frame[position + 2]) << 8 | frame[position + 3];
      const auto lengths = EspLengths(vector, spi);
      if (!lengths || end - position < 8 + lengths->first + lengths->second + 2) return std::nullopt;
      const std::size_t trailer = end - lengths->second - 2;
      position += 8 + lengths->first;
      const std::size_t padding = frame[trailer];
      next = frame[trailer + 1];
      if (trailer - position < padding) return std::nullopt;
      end = trailer - padding;
    }
    if (next != 4) return end - position;  // not IPv4-in-IPv4: the payload
    ip = position;
    limit = end;
  }
  return std::nullopt;
}

}  // namespace

report::ComplexityRank RankOf(const vectors::Vector& vector) {
  report::ComplexityRank rank;
  rank.should = vector.vector_class == vectors::VectorClass::kShould;
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
            if (op.has_info && op.offload_handle.kind == vectors::HandleRef::Kind::kSa) {
              // A frame that does not parse counts as carrying a payload: only a proven empty one
              // ranks first.
              rank.payload = rank.payload || InnermostPayload(vector, op.frame, ip).value_or(1) != 0;
            }
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
