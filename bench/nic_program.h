// Programs the reference NIC for a case as the transport would: one OID_TCP_TASK_OFFLOAD set
// enabling everything the NIC reports, then one OID_TCP_TASK_IPSEC_ADD_SA per SA.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "bench/cases.h"
#include "reference_nic/reference_nic.h"

namespace sendpath::bench {

// OID_TCP_TASK_OFFLOAD set with every reported capability, NULL_Encapsulation. False (with
// `error`) when the NIC refuses.
bool EnableEverything(nic::ReferenceNic& nic, std::string& error);

// Adds the case's SAs; the per-packet info names them as the transport would (OffloadHandle:
// sas[0]; NextOffloadHandle: the tunnel sas[1] or 0). nullopt (with `error`) when an add fails.
std::optional<NDIS_IPSEC_PACKET_INFO> AddCaseSas(nic::ReferenceNic& nic, const CaseSpec& spec, std::string& error);

// IVs from a counter (big-endian, in the IV's last 8 bytes): unique per NIC, so GCM and GMAC
// never repeat a nonce, and reproducible.
class CounterIvSource final : public nic::IvSource {
 public:
  explicit CounterIvSource(std::uint64_t first = 1) : next_(first) {}
  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, nic::MutableByteSpan iv) override;

 private:
  std::uint64_t next_;
};

// Random IVs drawn from OpenSSL's DRBG in batches: one RAND_bytes call per `pool_bytes`
// instead of one per IV. The bytes are the same DRBG output RandomIvSource would get, so the
// IVs are as unpredictable (RFC 3602 2.1, RFC 4303 3.2) and, for GCM/GMAC, as unlikely to
// repeat; only the per-call cost of the DRBG is amortised. A pool filled before a fork() is
// dropped in the child (OpenSSL reseeds its DRBG there; a copied pool would give parent and child
// the same IVs, a GCM nonce reuse). The pool is cleansed when the source goes. This is the IV
// source the bench proposes for the NIC (see bench/README.md).
class PooledRandomIvSource final : public nic::IvSource {
 public:
  static constexpr std::size_t kPoolBytes = 4096;
  PooledRandomIvSource();
  ~PooledRandomIvSource() override;
  PooledRandomIvSource(const PooledRandomIvSource&) = delete;
  PooledRandomIvSource& operator=(const PooledRandomIvSource&) = delete;
  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, nic::MutableByteSpan iv) override;

 private:
  std::array<std::uint8_t, kPoolBytes> pool_{};
  std::size_t used_ = kPoolBytes;  // empty until the first IV
  std::uint64_t fork_generation_ = 0;  // of the process that filled the pool
};

}  // namespace sendpath::bench
