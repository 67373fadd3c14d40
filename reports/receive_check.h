// The receive side's check of one frame, independent of the reference NIC: every AH and ESP
// header of a known SA has its ICV verified and its payload decrypted, outermost first, through
// tunnels and bundles (RFC 4301 §5.2 inbound order). AH ICVs are computed with the RFC 4302
// §3.3.3.1 mutable fields zeroed (Appendix A options, LSRR/SSRR final destination); with an ESN
// SA the high 32 bits of the sequence number join the ICV input (RFC 4302 §2.5.1, RFC 4303
// §2.2.1, RFC 4106 §5, RFC 4543 §3.3).
//
// Beyond the ICVs it checks what a receiver checks: IPv4 header checksums and lengths, ESP
// padding (RFC 4303 §2.4 default 1, 2, 3, ...), pad length, and — for encryption-only ESP, where
// nothing else protects the plaintext — the decrypted TCP/UDP/ICMP/IPv4 checksums.
#pragma once

#include "reports/ipsec_crypto.h"
#include "reports/pcap_io.h"
#include "reports/sa_keys.h"

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sendpath::report {

struct CheckOptions {
  bool check_ipv4_checksums = true;
  bool check_padding = true;
  bool check_plaintext_checksums = true;  // only inside ESP without an ICV
};

enum class FrameStatus {
  kVerified,   // at least one AH/ESP header, every one of a known SA, all verified
  kFailed,     // something did not verify; `reason` and `offset` say what and where
  kUnknownSa,  // an AH/ESP header whose SPI no SA has (nothing failed before it)
  kNoIpsec,    // IPv4 without AH or ESP
  kNotIpv4,    // the link layer does not carry IPv4
};
const char* FrameStatusName(FrameStatus status);

inline constexpr std::size_t kNoSa = static_cast<std::size_t>(-1);

struct HeaderCheck {
  IpsecProtocol protocol = IpsecProtocol::kEsp;
  unsigned level = 0;  // 0: in the outermost IPv4 packet, 1: in the first tunnelled one, ...
  std::size_t offset = 0;         // header start
  std::size_t header_length = 0;  // AH: the whole AH; ESP: SPI + sequence number + IV
  std::uint32_t spi = 0;
  std::uint32_t sequence = 0;
  std::size_t sa = kNoSa;  // index into the SaTable
  std::size_t iv_offset = 0, iv_length = 0;
  std::size_t data_offset = 0, data_length = 0;  // ESP: encrypted (or authenticated-only) range
  std::size_t icv_offset = 0, icv_length = 0;
  std::size_t coverage_begin = 0, coverage_end = 0;  // the bytes the ICV covers
  std::size_t padding_offset = 0;  // ESP: first padding byte (plaintext)
  std::uint8_t pad_length = 0, next_header = 0;
  bool icv_checked = false, icv_ok = false;
  bool decrypted = false, trailer_ok = false;
};

struct IpPacket {
  unsigned level = 0;
  std::size_t offset = 0;  // IPv4 header start
  std::size_t end = 0;     // offset + total length
  bool in_plaintext = false;  // found inside decrypted bytes
};

struct CheckResult {
  FrameStatus status = FrameStatus::kNoIpsec;
  std::size_t ip_offset = 0;  // where the outer IPv4 header starts (after the link header)
  std::vector<HeaderCheck> headers;
  std::vector<IpPacket> ip_packets;
  std::vector<std::uint8_t> plaintext;  // the frame with every decrypted range in place
  std::vector<std::pair<std::size_t, std::size_t>> plaintext_ranges;  // (offset, length)
  std::string reason;     // for kFailed (and kUnknownSa / kNotIpv4): one line
  std::size_t offset = 0; // byte offset in the frame the reason points at
  std::size_t unknown_spi_count = 0;
  std::size_t left_for_software = 0;  // headers of a known SA outside set_sealed_spis()

  bool ok() const { return status != FrameStatus::kFailed; }
  void Reset();
};

class ReceiveChecker {
 public:
  explicit ReceiveChecker(SaTable& sas, CheckOptions options = {});

  // Checks `frame`; `result` is reset and filled (its buffers are reused, so a caller that keeps
  // one CheckResult across frames allocates nothing per frame once warm).
  void Check(std::span<const std::uint8_t> frame, LinkType link, CheckResult& result);

  // Only headers with these SPIs are checked (nullptr, the default: every SA of the table). A
  // header of a known SA with another SPI is what the NIC leaves for software in this frame (an
  // inner transport ESP inside an offloaded tunnel): it is payload, counted in
  // CheckResult::left_for_software, and neither fails nor counts as unknown. The SPIs must
  // outlive the checks.
  void set_sealed_spis(std::optional<std::span<const std::uint32_t>> spis) { sealed_spis_ = spis; }

 private:
  bool Sealed(std::uint32_t spi) const;
  struct Walk;
  void CheckIp(Walk& walk, std::size_t ip_offset, std::size_t limit, unsigned level, bool in_plaintext);
  bool IsUdpEncapsulatedEsp(std::span<const std::uint8_t> packet, std::size_t offset, std::size_t end) const;
  bool CheckAh(Walk& walk, std::size_t ip_offset, std::size_t offset, std::size_t end, unsigned level, HeaderCheck& header);
  bool CheckEsp(Walk& walk, std::size_t offset, std::size_t end, unsigned level, HeaderCheck& header);
  void CheckUpperLayer(Walk& walk, std::uint8_t protocol, std::size_t ip_offset, std::size_t offset, std::size_t end);

  SaTable& sas_;
  CheckOptions options_;
  std::vector<std::uint8_t> backup_;
  std::optional<std::span<const std::uint32_t>> sealed_spis_;
};

// How the AH ICV input is built. The default is the RFC (RFC 4302 §3.3.3.1 and Appendix A);
// every other value is one known way of getting it wrong, which reports/causes.h recomputes to
// prove a cause. Nothing but the receive check builds an AH ICV input.
struct AhIcvRules {
  enum class Tos : std::uint8_t { kZeroed, kKeptWhole, kDscpKept, kEcnKept };
  enum class SourceRoute : std::uint8_t { kFinalDestination, kIgnored, kLsrrOnly, kSsrrOnly };
  Tos tos = Tos::kZeroed;
  bool keep_flags_offset = false;
  bool keep_ttl = false;
  bool keep_checksum = false;
  bool keep_mutable_options = false;    // Appendix A.1 mutable options hashed as they are
  std::bitset<256> kept_mutable_types{};  // ... only the mutable options of these types
  bool zero_immutable_options = false;  // every option zeroed, immutable ones too
  bool nop_eol_kept = false;            // ... but EOL (and what follows it) and NOP as they are
  bool options_by_copied_flag = false;  // an option counted immutable when its copied flag is set
  SourceRoute source_route = SourceRoute::kFinalDestination;
  bool ihl_ignored = false;         // a 20-byte IPv4 header assumed: AH read at IP + 20
  bool options_omitted = false;     // a 20-byte IPv4 header hashed (IHL not read): the options left out
  bool zero_inner_header = false;   // tunnel: the inner IPv4 header's mutable fields zeroed as well
  bool esn_high_omitted = false;    // RFC 4302 §2.5.1 high bits left out of the ICV
  bool operator==(const AhIcvRules&) const = default;
};

// How the ESP ICV input is built (RFC 4303 §2.8, §3.3.2.2; RFC 4543 §3.3); the default is the RFC.
struct EspIcvRules {
  bool without_header = false;          // SPI and sequence number left out
  bool without_iv = false;              // the IV left out
  bool over_plaintext = false;          // computed before encryption (reports/reseal.h applies it)
  std::ptrdiff_t coverage_delta = 0;    // coverage ends this many bytes after the ICV field start
  bool esn_high_omitted = false;
  bool aad_without_spi = false;         // GMAC (and, in reseal.h, GCM) AAD without the SPI
  bool aad_without_sequence = false;    // ... without the sequence number
  bool operator==(const EspIcvRules&) const = default;
};

// The IPv4 header as the AH ICV sees it (RFC 4302 §3.3.3.1, Appendix A), written into the
// first header.size() bytes of `out`: TOS, flags, fragment offset, TTL and checksum zeroed,
// mutable options zeroed entirely, with LSRR/SSRR the destination replaced by the route's final
// address. False (with `why`) for a header outside 20..60 bytes or a malformed option.
bool AhHeaderView(std::span<const std::uint8_t> header, std::span<std::uint8_t> out, std::string* why = nullptr,
                  const AhIcvRules& rules = {});
// Computes the AH ICV of the AH header at `ah_offset` inside the IPv4 packet at `ip_offset`
// (ending at `end`) into `icv`; false on malformed input. With rules.ihl_ignored the AH header
// is taken to be at ip_offset + 20 whatever `ah_offset` says; with rules.options_omitted the
// header view (built from the whole header) is hashed for its first 20 bytes only.
bool ComputeAhIcv(SaCrypto& crypto, const SaKeys& keys, std::span<const std::uint8_t> packet, std::size_t ip_offset,
                  std::size_t ah_offset, std::size_t end, std::span<std::uint8_t> icv, std::string* why = nullptr,
                  const AhIcvRules& rules = {});
// Computes the ESP ICV (HMAC or GMAC; not GCM) of the ESP header at `esp_offset` whose ICV starts
// at `icv_offset`; false on malformed input (a coverage outside the packet). `gmac_nonce_iv`, when
// given, is the IV of the GMAC nonce in place of the packet's (a NIC that did not write its IV).
bool ComputeEspIcv(SaCrypto& crypto, const SaKeys& keys, std::span<const std::uint8_t> packet, std::size_t esp_offset,
                   std::size_t icv_offset, std::span<std::uint8_t> icv, const EspIcvRules& rules = {},
                   std::span<const std::uint8_t> gmac_nonce_iv = {});

std::string ToHex(std::span<const std::uint8_t> bytes);

}  // namespace sendpath::report
