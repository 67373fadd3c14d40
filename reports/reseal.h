// The send side recomputed: from the frame as the transport framed it (plaintext ESP payloads,
// IV and ICV fields as handed over) and the header layout of the expected frame, write what a
// NIC emits — for each header of a known SA, innermost first in the RFC 4301 §5.1.2 outbound
// order (within a packet ESP before the AH around it; a transport header before the tunnel
// around it): the IV, the ESP encryption (CBC, GCM, GMAC, NULL), the ESP ICV, the AH ICV.
//
// A Deviation describes one known mistake; reports/causes.h recomputes each to prove a cause.
// With no deviation and the expected frame's IVs the result is the expected frame, byte for
// byte (reports/tests/reseal_test.cc checks it over every bundled vector). The NIC changes no
// length, so the expected frame's layout holds for input, expected and actual frames alike.
#pragma once

#include "reports/receive_check.h"
#include "reports/sa_keys.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sendpath::report {

inline constexpr std::size_t kEveryHeader = static_cast<std::size_t>(-1);

struct Deviation {
  // The header (index into CheckResult::headers) the ICV rules and cipher mistakes apply to;
  // kEveryHeader: all of them.
  std::size_t header = kEveryHeader;
  AhIcvRules ah;
  EspIcvRules esp;

  enum class Iv : std::uint8_t {
    kWritten,     // the contract
    kNotWritten,  // encrypted with the IV, the field left as the transport framed it
    kNotLoaded,   // encrypted with an all-zero IV, the IV written
  };
  Iv iv = Iv::kWritten;
  bool nonce_iv_first = false;  // GCM/GMAC nonce IV || salt
  bool aad_without_spi = false;       // GCM AAD without the SPI (RFC 4106 §5)
  bool aad_without_sequence = false;  // GCM AAD without the sequence number
  bool trailer_in_clear = false;      // encrypted up to the padding only
  enum class Padding : std::uint8_t { kAsFramed, kZeros, kCounting };
  Padding padding = Padding::kAsFramed;  // the transport's padding rewritten
  std::size_t icv_written = 0;           // ICV bytes written (0: all); the rest left as framed
  // UDP-ESP (RFC 3948 §2.1): the UDP header in front of the header's ESP, rewritten after the ESP
  // is sealed (the contract leaves it as framed).
  bool udp_checksum_recomputed = false;    // RFC 768 checksum over the sealed datagram
  bool udp_length_without_header = false;  // UDP Length = the ESP length (its own 8 bytes left out)

  // SA selection.
  enum class Order : std::uint8_t { kRfc, kTunnelFirst, kAhFirst };
  Order order = Order::kRfc;
  std::string skipped_sa;  // headers of this SA (SaKeys::name without "/esp", "/ah") left as framed
  // Headers processed with another SA: (header index, SA index in `override_table`). The SA's
  // IV and ICV lengths must be those of the layout.
  std::vector<std::pair<std::size_t, std::size_t>> sa_overrides;
  SaTable* override_table = nullptr;
  // An overridden header takes the IV of the header its override SA protects in the layout (a
  // NIC draws IVs per SA: with the SAs swapped, each header gets the other SA's injected IV).
  // Only for overrides from the send's own table.
  bool ivs_follow_sa = false;

  bool Applies(std::size_t index) const { return header == kEveryHeader || header == index; }
};

struct ResealInput {
  std::span<const std::uint8_t> input;    // the step's frame as the transport framed it
  const CheckResult& layout;              // the expected frame's receive check; header.sa indexes `sas`
  SaTable& sas;
  // A frame of the same length whose IV fields hold the IVs to use, decrypted where they sit
  // inside a tunnel's ciphertext (a CheckResult::plaintext): the expected frame's to reproduce
  // injected IVs, the candidate's to reproduce its own.
  std::span<const std::uint8_t> ivs;
};

// Writes the NIC's frame into `out` (resized to the input). False with `why` when the layout
// does not fit the input or a deviation cannot be applied to it (a CBC range off the block).
bool Reseal(const ResealInput& input, const Deviation& deviation, std::vector<std::uint8_t>& out, std::string* why = nullptr);

// The SA name of an element: SaKeys::name without its "/esp" or "/ah".
std::string SaNameOf(const SaKeys& keys);

// Where the UDP header of a UDP-encapsulated ESP header (RFC 3948 §2.1) starts in `frame` (a frame
// laid out as `layout`, plaintext where the header sits in a tunnel), and the IPv4 packet it
// belongs to; nullopt for ESP right behind its IPv4 header, and for AH.
struct UdpEncapsulation {
  std::size_t udp_offset = 0;
  std::size_t ip_offset = 0;
  std::size_t ip_end = 0;
};
std::optional<UdpEncapsulation> UdpHeaderOf(const CheckResult& layout, std::span<const std::uint8_t> frame,
                                           std::size_t header_index);

}  // namespace sendpath::report
