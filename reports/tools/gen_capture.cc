// gen_capture: writes an N-frame capture of sealed IPsec packets (and the sendpath-sas/1 file
// of their SAs), for the streaming checks of `sendpath diff` and `sendpath verify`.
//
//   gen_capture --frames 1000000 --out big.pcap --sa-out sas.json [--kind esp-tunnel|ah-transport|bundle-tunnel]
//               [--ethernet] [--flip-ciphertext-at K] [--flip-icv-at K] [--inner-ttl-at K]
//
// Frames are deterministic: frame i has sequence number i and an IV derived from i, so two runs
// with the same options write identical files, and a run with a mutation differs in frame K only.
#include "reports/ipv4.h"
#include "reports/pcap_io.h"
#include "reports/testing/ipsec_builder.h"
#include "vectors/loader/vector_loader.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

namespace {

using namespace sendpath;
using report::testing::AhLayout;
using report::testing::EspLayout;

vectors::AlgorithmSpec Algorithm(const char* name, ULONG id, std::size_t key_bytes, std::uint8_t seed) {
  vectors::AlgorithmSpec spec;
  spec.name = name;
  spec.identifier = id;
  for (std::size_t i = 0; i < key_bytes; ++i) spec.key.push_back(static_cast<std::uint8_t>(seed + i * 7));
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes an N-frame capture of sealed IPsec packets"};
  std::size_t frames = 1000;
  std::string out_path, sa_path, kind = "esp-tunnel";
  bool ethernet = false;
  std::size_t flip_ciphertext_at = 0, flip_icv_at = 0, inner_ttl_at = 0;
  app.add_option("--frames", frames, "number of frames")->check(CLI::PositiveNumber);
  app.add_option("--out", out_path, "capture to write")->required();
  app.add_option("--sa-out", sa_path, "sendpath-sas/1 file of the SAs used");
  app.add_option("--kind", kind, "esp-tunnel, ah-transport or bundle-tunnel")->check(CLI::IsMember({"esp-tunnel", "ah-transport", "bundle-tunnel"}));
  app.add_flag("--ethernet", ethernet, "Ethernet II framing instead of raw IP");
  app.add_option("--flip-ciphertext-at", flip_ciphertext_at, "flip one payload byte of frame K (1-based) after sealing");
  app.add_option("--flip-icv-at", flip_icv_at, "flip one byte of the outermost ICV of frame K");
  app.add_option("--inner-ttl-at", inner_ttl_at, "decrement the inner TTL of frame K before sealing (tunnel kinds)");
  CLI11_PARSE(app, argc, argv);

  // The SAs: ESP AES-128-CBC + HMAC-SHA1-96 (tunnel) and AH HMAC-SHA-256-128.
  vectors::SaSpec esp_sa;
  esp_sa.name = "esp";
  esp_sa.src_tunnel_addr = 0x0100000a;
  esp_sa.dest_tunnel_addr = 0x0200000a;
  vectors::SecAssocSpec esp;
  esp.operation = ENCRYPT;
  esp.spi = 0x1001;
  esp.conf = Algorithm("AES_CBC_128", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, 16, 0x11);
  esp.integrity = Algorithm("SHA_1", OFFLOAD_IPSEC_INTEGRITY_SHA, 20, 0x22);
  vectors::SecAssocSpec ah;
  ah.operation = AUTHENTICATE;
  ah.spi = 0x2002;
  ah.integrity = Algorithm("SHA_256", IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256, 32, 0x33);
  std::map<std::string, vectors::SaSpec> sas;
  if (kind == "esp-tunnel") {
    esp_sa.bundle = {esp};
    sas["esp"] = esp_sa;
  } else if (kind == "ah-transport") {
    vectors::SaSpec ah_sa;
    ah_sa.name = "ah";
    ah_sa.bundle = {ah};
    sas["ah"] = ah_sa;
  } else {
    esp_sa.name = "bundle";
    esp_sa.bundle = {esp, ah};  // processing order: ESP, then AH
    sas["bundle"] = esp_sa;
  }
  auto table_result = report::SaTable::FromSaSpecs(sas, "gen_capture");
  if (!table_result) {
    std::cerr << table_result.error().message << "\n";
    return 2;
  }
  report::SaTable table = std::move(table_result).value();
  if (!sa_path.empty()) {
    vectors::SaFile file;
    file.encapsulation = ethernet ? vectors::Encapsulation::kIeee8023 : vectors::Encapsulation::kNull;
    file.sas = sas;
    std::ofstream(sa_path) << vectors::WriteSaFile(file).dump(1) << "\n";
  }
  auto writer = report::PcapWriter::Create(out_path, ethernet ? report::LinkType::kEthernet : report::LinkType::kRawIp);
  if (!writer) {
    std::cerr << writer.error().message << "\n";
    return 2;
  }
  const std::uint32_t host_a = 0xc0000201, host_b = 0xc6336407, gateway_a = 0x0a000001, gateway_b = 0x0a000002;
  const std::size_t esp_index = 0;
  const std::size_t ah_index = kind == "bundle-tunnel" ? 1 : 0;
  std::vector<std::uint8_t> payload, frame;
  for (std::size_t i = 1; i <= frames; ++i) {
    const auto sequence = static_cast<std::uint32_t>(i);
    payload.assign(16 + i % 200, static_cast<std::uint8_t>(i));
    const auto ttl = static_cast<std::uint8_t>(i == inner_ttl_at ? 63 : 64);
    auto udp = report::testing::UdpDatagram(host_a, host_b, 5000, 7, payload);
    std::vector<std::uint8_t> packet;
    std::vector<report::HeaderCheck> layout;
    if (kind == "ah-transport") {
      auto framed = report::testing::AhFraming(table.keys(ah_index), sequence, report::ipv4::kProtoUdp, udp);
      packet = report::testing::Ipv4Packet(host_a, host_b, report::ipv4::kProtoAh, ttl, framed, static_cast<std::uint16_t>(i));
      layout.push_back(AhLayout(0, 20, packet.size(), table, ah_index));
    } else {
      auto inner = report::testing::Ipv4Packet(host_a, host_b, report::ipv4::kProtoUdp, ttl, udp, static_cast<std::uint16_t>(i));
      auto framed = report::testing::EspFraming(table.keys(esp_index), sequence, report::ipv4::kProtoIpInIp, inner);
      std::size_t esp_offset = 20;
      if (kind == "bundle-tunnel") {
        const std::size_t esp_length = framed.size();
        framed = report::testing::AhFraming(table.keys(ah_index), sequence, report::ipv4::kProtoEsp, framed);
        esp_offset += framed.size() - esp_length;  // the AH header in front of ESP
      }
      packet = report::testing::Ipv4Packet(gateway_a, gateway_b, kind == "bundle-tunnel" ? report::ipv4::kProtoAh : report::ipv4::kProtoEsp, 64, framed,
                                           static_cast<std::uint16_t>(i));
      for (std::size_t b = 0; b < 16; ++b) packet[esp_offset + 8 + b] = static_cast<std::uint8_t>((i >> (8 * (b % 4))) ^ (b * 29));
      if (kind == "bundle-tunnel") layout.push_back(AhLayout(0, 20, packet.size(), table, ah_index));
      layout.push_back(EspLayout(packet, esp_offset, packet.size(), table, esp_index));
    }
    if (auto status = report::testing::Reseal(packet, layout, table); !status) {
      std::cerr << "frame " << i << ": " << status.error().message << "\n";
      return 2;
    }
    if (i == flip_ciphertext_at) packet[packet.size() / 2] ^= 0x01;
    if (i == flip_icv_at) packet[layout.front().icv_offset + 1] ^= 0x80;
    frame.clear();
    if (ethernet) frame = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
    frame.insert(frame.end(), packet.begin(), packet.end());
    writer.value().Write(frame, static_cast<std::int64_t>(i));
  }
  if (auto status = writer.value().Commit(); !status) {
    std::cerr << status.error().message << "\n";
    return 2;
  }
  return 0;
}
