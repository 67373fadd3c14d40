// Reference NIC send throughput per algorithm and packet size, next to its ceiling: the bare
// OpenSSL EVP work for the same bytes (bench/ceiling.h). Three series per case and size:
//   nic/<case>/<size>             ReferenceNic::Send as deployed (its RandomIvSource draws IVs
//                                 from a 4 KiB DRBG pool);
//   nic_pooled_iv/<case>/<size>   the same with this benchmark's PooledRandomIvSource, which
//                                 measured the pool before the NIC adopted it (they should agree);
//   ceiling/<case>/<size>         the EVP calls alone, contexts keyed in advance.
// and, to show what a RAND_bytes call per IV would cost:
//   rand_bytes/<n>                one RAND_bytes call for n bytes (8 and 16: one IV; 4096: a pool).
// <size> is the IPv4 packet before IPsec (IP + UDP + data): 64, 512, 1500, 9000 bytes. Items
// are packets; bytes are those plaintext bytes. bench/report.py turns the JSON output into the
// table of figures and nic / ceiling ratios.
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/cases.h"
#include "bench/ceiling.h"
#include "bench/framing.h"
#include "bench/nic_program.h"
#include "reference_nic/reference_nic.h"

namespace sendpath::bench {
namespace {

constexpr std::array<std::size_t, 4> kSizes = {64, 512, 1500, 9000};

void ReportSizes(benchmark::State& state, const FramedPacket& packet) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet.plaintext_length));
  state.counters["frame_bytes"] = static_cast<double>(packet.frame.size());
}

void NicSend(benchmark::State& state, const CaseSpec& spec, std::size_t size, bool pooled_ivs) {
  nic::ReferenceNic nic;
  std::string error;
  if (!EnableEverything(nic, error)) return state.SkipWithError(error.c_str());
  const std::optional<NDIS_IPSEC_PACKET_INFO> info = AddCaseSas(nic, spec, error);
  if (!info) return state.SkipWithError(error.c_str());
  PooledRandomIvSource ivs;
  if (pooled_ivs) nic.SetIvSource(&ivs);
  const FramedPacket packet = FramePacket(spec, size);
  std::vector<std::uint8_t> wire(packet.frame.size());
  const nic::ByteSpan chain[] = {nic::ByteSpan(packet.frame)};
  for (auto _ : state) {
    const nic::SendResult result = nic.Send(chain, &*info, wire);
    if (result.reason != nic::Reason::kOk) {
      state.SkipWithError((spec.name + ": send refused: " + std::string(nic::ReasonName(result.reason))).c_str());
      break;
    }
    benchmark::DoNotOptimize(wire.data());
    benchmark::ClobberMemory();
  }
  ReportSizes(state, packet);
}

void CeilingSend(benchmark::State& state, const CaseSpec& spec, std::size_t size) {
  const FramedPacket packet = FramePacket(spec, size);
  std::string error;
  const std::unique_ptr<Ceiling> ceiling = Ceiling::Prepare(packet, error);
  if (!ceiling) return state.SkipWithError(error.c_str());
  std::vector<std::uint8_t> frame = packet.frame;
  // The IVs a NIC would have written; the ceiling draws none.
  for (const PortionLayout& p : packet.portions) {
    if (p.esp) std::memset(frame.data() + p.esp->iv_offset, 0x5a, p.esp->iv_length);
    if (p.ah) std::memset(frame.data() + p.ah->iv_offset, 0xa5, p.ah->iv_length);
  }
  for (auto _ : state) {
    if (!ceiling->Run(frame)) {
      state.SkipWithError((spec.name + ": an EVP call failed").c_str());
      break;
    }
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  ReportSizes(state, packet);
}

void RandBytes(benchmark::State& state, std::size_t length) {
  std::vector<std::uint8_t> out(length);
  for (auto _ : state) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
      state.SkipWithError("RAND_bytes failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * length));
}

void RegisterAll() {
  static const std::vector<CaseSpec> cases = AllCases();
  const bool legacy = LoadProviders();
  for (const CaseSpec& spec : cases) {
    if (spec.needs_legacy_provider && !legacy) continue;  // DES: OpenSSL's legacy provider is missing
    for (const std::size_t size : kSizes) {
      const std::string suffix = spec.name + "/" + std::to_string(size);
      benchmark::RegisterBenchmark(("nic/" + suffix).c_str(), NicSend, std::cref(spec), size, false);
      benchmark::RegisterBenchmark(("nic_pooled_iv/" + suffix).c_str(), NicSend, std::cref(spec), size, true);
      benchmark::RegisterBenchmark(("ceiling/" + suffix).c_str(), CeilingSend, std::cref(spec), size);
    }
  }
  for (const std::size_t length : {std::size_t{8}, std::size_t{16}, PooledRandomIvSource::kPoolBytes}) {
    benchmark::RegisterBenchmark(("rand_bytes/" + std::to_string(length)).c_str(), RandBytes, length);
  }
}

}  // namespace
}  // namespace sendpath::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::AddCustomContext("openssl", OpenSSL_version(OPENSSL_VERSION));
  benchmark::AddCustomContext("openssl_legacy_provider", sendpath::bench::LoadProviders() ? "loaded" : "missing");
  sendpath::bench::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
