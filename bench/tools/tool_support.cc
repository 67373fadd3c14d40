#include "bench/tools/tool_support.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "bench/framing.h"

namespace sendpath::bench {
namespace {

IPAddr NetworkOrder(std::uint32_t host_order) {
  std::uint8_t bytes[4];
  StoreBe32(bytes, host_order);
  IPAddr out;
  std::memcpy(&out, bytes, sizeof out);
  return out;
}

vectors::AlgorithmSpec Algorithm(std::string_view name, ULONG identifier, const Bytes& key) {
  vectors::AlgorithmSpec spec;
  spec.name = std::string(name);
  spec.identifier = identifier;
  spec.key = key;
  return spec;
}

void AddUnique(std::vector<std::string>& names, std::string_view name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

vectors::SaSpec ToSaSpec(const SaModel& sa, const std::string& name) {
  vectors::SaSpec out;
  out.name = name;
  out.flags = OFFLOAD_OUTBOUND_SA;
  out.src_addr = NetworkOrder(0xc0000201);  // 192.0.2.1, FramePacket's source
  out.src_mask = NetworkOrder(0xffffffff);
  out.dest_addr = NetworkOrder(0xc6336407);  // 198.51.100.7
  out.dest_mask = NetworkOrder(0xffffffff);
  out.protocol = 17;
  if (sa.tunnel) {
    out.src_tunnel_addr = NetworkOrder(sa.tunnel_src);
    out.dest_tunnel_addr = NetworkOrder(sa.tunnel_dst);
  }
  out.key_order = vectors::KeyOrder::kConfFirst;
  if (sa.udp_esp) out.udp_esp = vectors::UdpEspSpec{};  // OID_TCP_TASK_IPSEC_ADD_UDPESP_SA, OTHER, 4500
  for (const ElementSpec& e : sa.bundle) {
    vectors::SecAssocSpec element;
    element.operation = e.operation;
    element.raw_operation = static_cast<ULONG>(e.operation);
    element.spi = e.spi;
    if (e.is_esp()) element.conf = Algorithm(e.cipher->vector_name, e.cipher->identifier, e.conf_key);
    if (e.integrity != nullptr) element.integrity = Algorithm(e.integrity->vector_name, e.integrity->identifier, e.integrity_key);
    out.bundle.push_back(std::move(element));
  }
  return out;
}

std::vector<std::string> RequiredCapabilities(const CaseSpec& spec) {
  std::vector<std::string> names;
  for (const SaModel& sa : spec.sas) {
    for (const ElementSpec& e : sa.bundle) {
      if (e.is_esp()) {
        AddUnique(names, "V4ESP.Send");
        AddUnique(names, sa.tunnel ? "V4ESP.Tunnel" : "V4ESP.Transport");
        AddUnique(names, e.cipher->capability);
        // Contract section 3 / [S5]: ESP with no ICV and no AH is only for the extension.
        if (e.IcvLength() == 0 && sa.Ah() == nullptr) AddUnique(names, "Extension.ENCRYPTION_ONLY_ESP");
      } else {
        AddUnique(names, "V4AH.Send");
        AddUnique(names, sa.tunnel ? "V4AH.Tunnel" : "V4AH.Transport");
      }
      if (e.integrity != nullptr) AddUnique(names, e.integrity->capability);
    }
    if (sa.bundle.size() == 2) AddUnique(names, "Supported.AH_ESP_COMBINED");
  }
  if (spec.sas.size() == 2) AddUnique(names, "Supported.TRANSPORT_TUNNEL_COMBINED");
  // The UDP-ESP subtype the SAs make [S15b]: alone by its mode; a UDP-ESP tunnel around a
  // transport SA, or a UDP-ESP transport SA inside a tunnel (reference_nic/README.md).
  for (std::size_t i = 0; i < spec.sas.size(); ++i) {
    const SaModel& sa = spec.sas[i];
    if (!sa.udp_esp) continue;
    AddUnique(names, sa.tunnel ? "Supported.IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER" : "Supported.IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER");
    if (spec.sas.size() == 2) {
      AddUnique(names, sa.tunnel ? "Supported.IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER"
                                 : "Supported.IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER");
    }
  }
  return names;
}

std::size_t ImixLength(std::size_t index) {
  static constexpr std::array<std::size_t, 12> kPattern = {64, 64, 576, 64, 64, 576, 64, 64, 576, 64, 576, 1500};
  return kPattern[index % kPattern.size()];
}

std::optional<SizePattern> ParseSizes(std::string_view text, std::string& error) {
  SizePattern pattern;
  if (text == "imix") return pattern;
  pattern.imix = false;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (ec != std::errc() || end != item.data() + item.size() || value < kMinPlaintextLength || value > 60000) {
      error = "bad packet size '" + std::string(item) + "' (expected " + std::to_string(kMinPlaintextLength) +
              "..60000, or 'imix')";
      return std::nullopt;
    }
    pattern.lengths.push_back(value);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  if (pattern.lengths.empty()) {
    error = "no packet sizes given";
    return std::nullopt;
  }
  return pattern;
}

bool WriteFileAtomically(const std::string& path, std::string_view text, std::string& error) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(temporary.c_str(), "wb"));
    if (!file) {
      error = temporary + ": cannot create: " + std::strerror(errno);
      return false;
    }
    const bool written = std::fwrite(text.data(), 1, text.size(), file.get()) == text.size();
    if (!written || std::fclose(file.release()) != 0) {
      error = temporary + ": write failed: " + std::strerror(errno);
      std::remove(temporary.c_str());
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = path + ": cannot rename into place: " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace sendpath::bench
