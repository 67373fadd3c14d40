// Builds the frame of one scripted send the way the TCP/IP transport frames it (headers final,
// IV and ICV space zero, RFC 4303 §2.4 padding), then writes the send's deviations over it and
// works out where its buffer chain is cut.
#pragma once

#include "fuzz/common/script.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sendpath::fuzz {

// What framing needs to know of an SA (from report::SaKeys, independent of the reference NIC).
struct SaFraming {
  SaShape shape = SaShape::kEsp;
  std::uint32_t esp_spi = 0, ah_spi = 0;
  std::size_t esp_iv = 0, esp_icv = 0, esp_alignment = 4;
  std::size_t ah_iv = 0, ah_icv = 12;
  bool tunnel = false;
  bool udp_esp = false;  // added by OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: ESP behind UDP 4500 (RFC 3948)
  std::uint32_t tunnel_src = 0, tunnel_dst = 0;  // host order
  bool HasEsp() const { return shape != SaShape::kAh; }
  bool HasAh() const { return shape != SaShape::kEsp; }
};

inline constexpr std::size_t kNowhere = static_cast<std::size_t>(-1);

// Offsets in the built frame; kNowhere where the frame has no such part.
struct Layout {
  struct Level {
    std::size_t ip = kNowhere, ip_header = 0, end = kNowhere;
    std::size_t ah = kNowhere, ah_iv = kNowhere, ah_iv_length = 0;
    std::size_t udp = kNowhere;  // the UDP header in front of ESP (UDP-ESP framing)
    std::size_t esp = kNowhere, esp_iv = kNowhere, esp_payload = kNowhere, esp_trailer = kNowhere;
    std::size_t icv = kNowhere;  // the ESP ICV when the portion has ESP, else the AH ICV
  };
  std::size_t link = 0;
  Level levels[2];
  std::vector<std::size_t> option_offsets[2];  // where each option starts
};

class FrameBuilder {
 public:
  // `frame` is cleared and filled; its capacity is reused across calls.
  void Build(const Setup& setup, std::span<const SaFraming> sas, const SendDef& send, std::vector<std::uint8_t>& frame,
             Layout& layout);
  // NDIS_BUFFER boundaries: each cut's anchor plus its delta, clamped to the frame, ascending.
  static void Cuts(const SendDef& send, const Layout& layout, std::size_t frame_size, std::vector<std::size_t>& out);

 private:
  void Ipv4Header(unsigned level, const FramePlan& plan, std::uint32_t src, std::uint32_t dst, std::uint8_t protocol);
  // True when the options hold a source route (LSRR/SSRR).
  bool Options(unsigned level, std::span<const OptionDef> options, std::uint32_t final_destination);
  void OpenPortion(unsigned level, const SaFraming* sa, std::uint32_t sequence, std::uint8_t next_header, int icv_delta,
                   bool udp);
  void ClosePortion(unsigned level, const SaFraming* sa, std::uint8_t next_header, std::size_t extra_pad_blocks,
                    std::size_t cipher_delta, int icv_delta);
  void Payload(std::uint8_t protocol, std::size_t length);
  void FinishIpv4(unsigned level);
  void Deviate(const Deviation& deviation, std::span<const SaFraming> sas);
  void DeviateUdp(const UdpDeviation& deviation);

  std::vector<std::uint8_t>* frame_ = nullptr;
  Layout* layout_ = nullptr;
};

// The Internet checksum of the IPv4 header at `offset` written into it (RFC 791).
void FixIpv4Checksum(std::span<std::uint8_t> frame, std::size_t offset, std::size_t header_length);

}  // namespace sendpath::fuzz
