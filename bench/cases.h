// The benchmark cases: which SAs a send uses, with the algorithm sizes the bench needs to frame
// packets and to do the ceiling's EVP work. This table is the bench's own (from the algorithm
// table of reference_nic/README.md and the RFCs it cites), so that the ceiling shares no code
// with the NIC it is compared with.
#pragma once

#include <sendpath/ndis51.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sendpath::bench {

using Bytes = std::vector<std::uint8_t>;

struct CipherSpec {
  std::string_view label;        // in case names: "aes-128-cbc"
  std::string_view vector_name;  // in sendpath-vectors/1: "AES_CBC_128"
  ULONG identifier;              // OFFLOAD_ALGO_INFO.algoIdentifier
  std::size_t key_length;        // algoKeylen; RFC 4106 8.1: AES-GCM key material ends in a 4-byte salt
  std::size_t iv_length;
  std::size_t block;       // CBC block; 1 for null and GCM
  std::size_t icv_length;  // 16 for GCM (combined mode), else 0
  const char* evp_cipher;  // OpenSSL name; nullptr for null encryption
  bool legacy;             // needs OpenSSL's legacy provider (DES)
  std::string_view capability;  // the capability name a vector requires (vectors/README.md)
};

struct IntegritySpec {
  std::string_view label;  // "hmac-sha1-96"
  std::string_view vector_name;
  ULONG identifier;
  std::size_t key_length;  // RFC 4543: AES-GMAC key material ends in a 4-byte salt
  std::size_t icv_length;
  std::size_t iv_length;     // 8 for AES-GMAC (RFC 4543 3.1), else 0
  const char* hmac_digest;   // HMAC's digest, or nullptr for GMAC
  const char* gmac_cipher;   // AES-GCM cipher doing GMAC, or nullptr for HMAC
  std::string_view capability;
};

inline constexpr std::size_t kSaltLength = 4;

// nullptr when the label names no algorithm.
const CipherSpec* FindCipher(std::string_view label);
const IntegritySpec* FindIntegrity(std::string_view label);
std::span<const CipherSpec> AllCiphers();
std::span<const IntegritySpec> AllIntegrities();
inline bool IsGcm(const CipherSpec& cipher) { return cipher.icv_length != 0; }

// One SecAssoc element with its keys.
struct ElementSpec {
  OFFLOAD_OPERATION_E operation = ENCRYPT;
  std::uint32_t spi = 0;
  const CipherSpec* cipher = nullptr;        // ESP only; never null for ESP
  const IntegritySpec* integrity = nullptr;  // nullptr: no integrity algorithm
  Bytes conf_key;
  Bytes integrity_key;

  bool is_esp() const { return operation == ENCRYPT; }
  // ESP: the cipher's IV, or with ENCR_NULL_AUTH_AES_GMAC the GMAC's (RFC 4543 3.1). AH: GMAC's.
  std::size_t IvLength() const;
  std::size_t IcvLength() const;
  // Ciphertext alignment: the cipher block, at least 4 (RFC 4303 2.4).
  std::size_t Alignment() const;
};

// One OID_TCP_TASK_IPSEC_ADD_SA: a bundle of one or two elements in processing order (ESP, AH).
struct SaModel {
  std::string name;
  bool tunnel = false;
  bool udp_esp = false;  // added by OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: ESP behind UDP 4500 (RFC 3948)
  std::uint32_t tunnel_src = 0xcb007109;  // 203.0.113.9 (host order), used when `tunnel`
  std::uint32_t tunnel_dst = 0xc63364c8;  // 198.51.100.200
  std::vector<ElementSpec> bundle;

  const ElementSpec* Esp() const;
  const ElementSpec* Ah() const;
};

// A benchmark case: sas[0] is the SA OffloadHandle names; sas[1], when present, the tunnel SA
// NextOffloadHandle names (transport-over-tunnel, contract [S12]).
struct CaseSpec {
  std::string name;  // "esp/aes-128-gcm", "ah/hmac-sha1-96", ...
  std::vector<SaModel> sas;
  bool needs_legacy_provider = false;
};

// Every case the benchmark runs: each ESP cipher with and without integrity, the null cipher and
// AES-CBC-128 with each integrity algorithm, AH with each integrity algorithm, an AH+ESP bundle,
// ESP tunnel mode, transport-over-tunnel, and UDP-encapsulated ESP (transport, tunnel, and a
// transport SA inside a UDP-ESP tunnel). Keys are derived from `seed` (deterministic).
std::vector<CaseSpec> AllCases(std::uint8_t seed = 1);
// The case with this name, or an empty name when there is none.
CaseSpec FindCase(std::string_view name, std::uint8_t seed = 1);

// A deterministic key of `length` bytes.
Bytes DerivedKey(std::size_t length, std::uint32_t seed);

}  // namespace sendpath::bench
