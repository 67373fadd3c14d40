#include "bench/nic_program.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "bench/framing.h"

namespace sendpath::bench {
namespace {

// An address as IPAddr holds it: the header's bytes in memory order.
IPAddr NetworkOrder(std::uint32_t host_order) {
  std::uint8_t bytes[4];
  StoreBe32(bytes, host_order);
  IPAddr out;
  std::memcpy(&out, bytes, sizeof out);
  return out;
}

}  // namespace

bool EnableEverything(nic::ReferenceNic& nic, std::string& error) {
  NDIS_ENCAPSULATION_FORMAT format{};
  format.Encapsulation = NULL_Encapsulation;
  format.Flags.FixedHeaderSize = 1;
  const nic::OidResult result = nic.SetCapabilities(format, nic.QueryCapabilities());
  if (!result.ok()) {
    error = "OID_TCP_TASK_OFFLOAD set: " + std::string(nic::ReasonName(result.reason)) + " " + result.detail;
    return false;
  }
  return true;
}

std::optional<NDIS_IPSEC_PACKET_INFO> AddCaseSas(nic::ReferenceNic& nic, const CaseSpec& spec, std::string& error) {
  NDIS_IPSEC_PACKET_INFO info{};
  for (std::size_t s = 0; s < spec.sas.size(); ++s) {
    const SaModel& sa = spec.sas[s];
    OFFLOAD_IPSEC_ADD_SA request{};
    request.Flags = OFFLOAD_OUTBOUND_SA;
    if (sa.tunnel) {
      // IPAddr is in network byte order, as in the IPv4 header.
      request.SrcTunnelAddr = NetworkOrder(sa.tunnel_src);
      request.DestTunnelAddr = NetworkOrder(sa.tunnel_dst);
    }
    request.NumSAs = static_cast<SHORT>(sa.bundle.size());
    Bytes key_mat;  // conf key first, then integrity (the OFFLOAD_IPSEC_ADD_SA.KeyMat page)
    for (std::size_t i = 0; i < sa.bundle.size(); ++i) {
      const ElementSpec& e = sa.bundle[i];
      OFFLOAD_SECURITY_ASSOCIATION& out = request.SecAssoc[i];
      out.Operation = e.operation;
      out.SPI = e.spi;
      if (e.is_esp()) {
        out.ConfAlgo.algoIdentifier = e.cipher->identifier;
        out.ConfAlgo.algoKeylen = static_cast<ULONG>(e.conf_key.size());
      }
      if (e.integrity != nullptr) {
        out.IntegrityAlgo.algoIdentifier = e.integrity->identifier;
        out.IntegrityAlgo.algoKeylen = static_cast<ULONG>(e.integrity_key.size());
      }
      key_mat.insert(key_mat.end(), e.conf_key.begin(), e.conf_key.end());
      key_mat.insert(key_mat.end(), e.integrity_key.begin(), e.integrity_key.end());
    }
    NDIS_HANDLE handle = nullptr;
    nic::OidResult result;
    if (sa.udp_esp) {
      // OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: the same fields [S14e] plus the OTHER encapsulation on
      // port 4500; an outbound SA takes no parser entry [S15a].
      OFFLOAD_IPSEC_ADD_UDPESP_SA udp{};
      udp.Protocol = 17;
      udp.SrcTunnelAddr = request.SrcTunnelAddr;
      udp.DstTunnelAddr = request.DestTunnelAddr;
      udp.Flags = request.Flags;
      udp.NumSAs = request.NumSAs;
      std::memcpy(udp.SecAssoc, request.SecAssoc, sizeof udp.SecAssoc);
      udp.EncapTypeEntry.UdpEncapType = OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER;
      udp.EncapTypeEntry.DstEncapPort = 4500;
      result = nic.AddUdpEspSa(udp, key_mat);
      handle = udp.OffloadHandle;
    } else {
      result = nic.AddSa(request, key_mat);
      handle = request.OffloadHandle;
    }
    if (!result.ok()) {
      error = spec.name + ": " + (sa.udp_esp ? "OID_TCP_TASK_IPSEC_ADD_UDPESP_SA" : "OID_TCP_TASK_IPSEC_ADD_SA") + " of SA '" +
              sa.name + "': " + std::string(nic::ReasonName(result.reason)) + " " + result.detail;
      return std::nullopt;
    }
    (s == 0 ? info.Transmit.OffloadHandle : info.Transmit.NextOffloadHandle) = handle;
  }
  return info;
}

bool CounterIvSource::NextIv(NDIS_HANDLE, unsigned, nic::MutableByteSpan iv) {
  std::fill(iv.begin(), iv.end(), std::uint8_t{0});
  const std::uint64_t value = next_++;
  for (std::size_t i = 0; i < std::min<std::size_t>(8, iv.size()); ++i) {
    iv[iv.size() - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
  return true;
}

namespace {

// Incremented in every child after fork(): a pool filled under another generation is stale.
std::atomic<std::uint64_t> fork_generation{0};
void CountFork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

PooledRandomIvSource::PooledRandomIvSource() {
  static const int registered = pthread_atfork(nullptr, nullptr, CountFork);
  (void)registered;
}

PooledRandomIvSource::~PooledRandomIvSource() { OPENSSL_cleanse(pool_.data(), pool_.size()); }

bool PooledRandomIvSource::NextIv(NDIS_HANDLE, unsigned, nic::MutableByteSpan iv) {
  if (iv.size() > kPoolBytes) return false;
  const std::uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (kPoolBytes - used_ < iv.size() || generation != fork_generation_) {
    if (RAND_bytes(pool_.data(), static_cast<int>(kPoolBytes)) != 1) return false;
    used_ = 0;
    fork_generation_ = generation;
  }
  std::memcpy(iv.data(), pool_.data() + used_, iv.size());
  used_ += iv.size();
  return true;
}

}  // namespace sendpath::bench
