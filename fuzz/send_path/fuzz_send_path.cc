// libFuzzer target: the reference NIC's send path, driven by structured scripts (fuzz/common/
// script.h). Oracles on every send:
//   - no sanitizer error;
//   - a refused send emits nothing and draws no IV, and its status is its reason's (StatusOf);
//   - a successful send keeps the length and changes no byte outside the IVs, ciphertext and ICVs
//     of the SAs it was given; with no offload requested it changes nothing;
//   - its output verifies and decrypts, through the receive-side check of reports/ (OpenSSL EVP,
//     no reference NIC code), back to the frame the transport handed over;
//   - a frame framed exactly as its live outbound SAs say, with everything enabled, is sent.
// Setups (the SET and the SA table) are reused across inputs that share them: sends change no NIC
// state, so a NIC that has run other sends is in the state a fresh one would be.
#include "fuzz/common/framing.h"
#include "fuzz/common/programming.h"
#include "fuzz/common/script.h"

#include <reference_nic/reference_nic.h>
#include <reports/receive_check.h>

#include <algorithm>
#include <array>
#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using namespace sendpath;
using fuzz::HandleKind;

// IVs for the script's sends (DeriveIv), counting what the NIC draws.
class ScriptIvSource final : public nic::IvSource {
 public:
  std::uint32_t seed = 0;
  std::size_t send = 0;
  std::size_t draws = 0;
  const std::vector<NDIS_HANDLE>* handles = nullptr;

  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, nic::MutableByteSpan iv) override {
    ++draws;
    const auto found = std::find(handles->begin(), handles->end(), sa);
    fuzz::DeriveIv(seed, send, static_cast<std::size_t>(found - handles->begin()), sec_assoc_index, iv);
    if (std::getenv("SENDPATH_FUZZ_VERBOSE") != nullptr) {
      std::fprintf(stderr, "  IV for sa%td element %u: %s\n", found - handles->begin(), sec_assoc_index,
                   report::ToHex(iv).c_str());
    }
    return true;
  }
};

// A reference NIC programmed with one Setup.
struct World {
  fuzz::Setup setup;
  std::uint64_t setup_hash = 0;  // fuzz::HashSetup(setup)
  fuzz::Programming programming;
  std::unique_ptr<nic::ReferenceNic> nic;
  std::vector<NDIS_HANDLE> handles;  // per SA: the OffloadHandle, or never_issued when ADD_SA failed
  std::vector<bool> added;
  std::vector<NDIS_HANDLE> entries;  // per SA: the UDP-ESP parser entry its add got back, or nullptr
  NDIS_HANDLE never_issued = nullptr;
  bool set_ok = false;
  ScriptIvSource ivs;
};

[[noreturn]] void Finding(const std::string& oracle, const std::string& detail, const fuzz::Script& script,
                          std::size_t send) {
  std::fprintf(stderr, "\n==sendpath-fuzz== SIGNATURE: send_path-%s\n==sendpath-fuzz== send %zu: %s\n%s\n", oracle.c_str(),
               send, detail.c_str(), fuzz::DescribeScript(script).c_str());
  std::abort();
}

std::unique_ptr<World> MakeWorld(const fuzz::Setup& setup, const fuzz::Script& script) {
  auto world = std::make_unique<World>();
  world->setup = setup;
  world->setup_hash = fuzz::HashSetup(setup);
  world->nic = std::make_unique<nic::ReferenceNic>();
  world->programming = fuzz::Program(setup, world->nic->QueryCapabilities());
  const auto& programming = world->programming;
  const auto set = world->nic->SetCapabilities(programming.encapsulation, programming.enable);
  world->set_ok = set.ok();
  if (setup.second_set && world->nic->SetCapabilities(programming.encapsulation, programming.enable).status !=
                              NDIS_STATUS_FAILURE) {
    Finding("second-set", "a second OID_TCP_TASK_OFFLOAD set did not fail [S16c]", script, 0);
  }
  // Slots of deleted SAs must come back: ADD_SA + DELETE_SA cycles of a plain ESP SA.
  const auto churn_request = vectors::BuildAddSaRequest(fuzz::MakeSaSpec(fuzz::SaDef{}, 0));
  for (unsigned cycle = 0; cycle < setup.churn; ++cycle) {
    auto buffer = churn_request.buffer;
    if (!world->nic->AddSa(buffer, &churn_request.extension).ok()) break;
    NDIS_HANDLE handle = nullptr;
    std::memcpy(&handle, buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), sizeof handle);
    if (!world->nic->DeleteSa(handle).ok()) Finding("delete-sa", "DELETE_SA of a live SA failed", script, 0);
  }
  for (std::size_t i = 0; i < programming.requests.size(); ++i) {
    const auto& request = programming.requests[i];
    NDIS_HANDLE handle = nullptr, entry = nullptr;
    bool ok = false;
    if (setup.udp.UdpEsp(i)) {
      // OID_TCP_TASK_IPSEC_ADD_UDPESP_SA naming the parser entry the script says [S15a].
      std::vector<NDIS_HANDLE> issued = world->handles;
      issued.insert(issued.end(), world->entries.begin(), world->entries.end());
      const NDIS_HANDLE named = fuzz::ParserEntryFor(setup, i, world->entries, fuzz::NeverIssuedHandle(issued));
      auto buffer = vectors::BuildAddUdpEspSaRequest(programming.specs[i], named).buffer;
      ok = world->nic->AddUdpEspSa(buffer, &request.extension).ok();
      if (ok) {
        std::memcpy(&handle, buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle), sizeof handle);
        if (setup.sas[i].inbound && named == nullptr) {
          std::memcpy(&entry, buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle), sizeof entry);
          if (entry == nullptr) Finding("add-udpesp-sa", "an inbound ADD_UDPESP_SA naming no entry returned none", script, 0);
        }
      }
    } else {
      auto buffer = request.buffer;
      ok = world->nic->AddSa(buffer, &request.extension).ok();
      if (ok) std::memcpy(&handle, buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), sizeof handle);
    }
    if (ok && handle == nullptr) Finding("add-sa", "ADD_SA succeeded with OffloadHandle 0", script, 0);
    world->handles.push_back(handle);
    world->added.push_back(ok);
    world->entries.push_back(entry);
  }
  world->never_issued = fuzz::NeverIssuedHandle(world->handles);
  for (std::size_t i = 0; i < setup.sas.size(); ++i) {
    if (!world->added[i]) world->handles[i] = world->never_issued;
    if (!world->added[i] || !setup.sas[i].deleted) continue;
    if (setup.udp.UdpEsp(i)) {
      // [S15d] deleting a live UDP-ESP SA (with the entry it created, when the script says so) succeeds.
      const bool named = ((setup.udp.delete_entry >> i) & 1u) != 0;
      if (!world->nic->DeleteUdpEspSa(world->handles[i], named ? world->entries[i] : nullptr).ok()) {
        Finding("delete-udpesp-sa", "DELETE_UDPESP_SA of a live SA failed", script, 0);
      }
    } else if (!world->nic->DeleteSa(world->handles[i]).ok()) {
      Finding("delete-sa", "DELETE_SA of a live SA failed", script, 0);
    }
  }
  world->ivs.handles = &world->handles;
  world->nic->SetIvSource(&world->ivs);
  return world;
}

// Programmed NICs by Setup, least recently used evicted first; looked up by HashSetup.
class WorldCache {
 public:
  World& Get(const fuzz::Script& script) {
    ++inputs_;
    const std::uint64_t hash = fuzz::HashSetup(script.setup);
    for (auto [at, end] = index_.equal_range(hash); at != end; ++at) {
      if ((*at->second)->setup == script.setup) {
        worlds_.splice(worlds_.begin(), worlds_, at->second);
        return *worlds_.front();
      }
    }
    ++made_;
    if (worlds_.size() == kCapacity) {
      const auto last = std::prev(worlds_.end());
      for (auto [at, end] = index_.equal_range((*last)->setup_hash); at != end; ++at) {
        if (at->second == last) {
          index_.erase(at);
          break;
        }
      }
      worlds_.pop_back();
    }
    worlds_.push_front(MakeWorld(script.setup, script));
    index_.emplace(hash, worlds_.begin());
    return *worlds_.front();
  }

  // SENDPATH_FUZZ_STATS=1: how many inputs needed a freshly programmed NIC (fuzz/README.md,
  // Measurements).
  ~WorldCache() {
    if (std::getenv("SENDPATH_FUZZ_STATS") != nullptr) {
      std::fprintf(stderr, "send_path: %zu inputs, %zu NICs programmed\n", inputs_, made_);
    }
  }

 private:
  // With 64, one input in six needed a NIC programmed afresh (mostly Setups evicted and met
  // again), with 1024 one in eleven (fuzz/README.md, Measurements).
  static constexpr std::size_t kCapacity = 1024;
  using Worlds = std::list<std::unique_ptr<World>>;
  Worlds worlds_;  // most recently used first
  std::unordered_multimap<std::uint64_t, Worlds::iterator> index_;
  std::size_t inputs_ = 0, made_ = 0;
};

NDIS_HANDLE Resolve(const World& world, const fuzz::HandleRef& ref) {
  switch (ref.kind) {
    case HandleKind::kZero: return nullptr;
    case HandleKind::kSa: return ref.sa < world.handles.size() ? world.handles[ref.sa] : world.never_issued;
    default: return world.never_issued;
  }
}

// A live outbound SA: added, not deleted, not inbound.
bool Live(const World& world, const fuzz::HandleRef& ref, std::size_t& index) {
  return fuzz::SaIndexOf(ref, world.setup.sas.size(), index) && world.added[index] && !world.setup.sas[index].deleted &&
         !world.setup.sas[index].inbound;
}

std::size_t HeaderCount(fuzz::SaShape shape) { return shape == fuzz::SaShape::kEspAh ? 2 : 1; }

// Whether the transport framed this send exactly as its live SAs say, with every capability
// enabled: then the NIC has no reason to refuse it.
bool MustSucceed(const World& world, const fuzz::SendDef& send) {
  if (!world.set_ok || !world.setup.disabled.empty() || !send.has_info) return false;
  std::size_t first = 0, second = 0;
  if (!Live(world, send.offload, first)) return false;
  const bool tunnelled = send.next.kind != HandleKind::kZero;
  if (tunnelled && (!Live(world, send.next, second) || !world.setup.sas[second].tunnel || world.setup.sas[first].tunnel)) {
    return false;
  }
  const fuzz::FramePlan consistent = fuzz::PlanFor(world.setup, send.offload, send.next);
  const fuzz::FramePlan& plan = send.plan;
  if (plan.outer_sa != consistent.outer_sa || plan.inner_sa != consistent.inner_sa ||
      plan.tunnel_payload != consistent.tunnel_payload || plan.icv_delta != 0 || plan.cipher_delta != 0) {
    return false;
  }
  // UDP-ESP: framed as the SAs say, not a UDP transport over a UDP tunnel [S15b], and only the
  // UDP fields the NIC must not look at changed (the destination may be a NAT's port, the
  // checksum is the transport's; RFC 3948 §2.1, §3.1).
  if (send.udp_flip != 0 || (tunnelled && world.setup.udp.UdpEsp(first) && world.setup.udp.UdpEsp(second))) return false;
  if (!std::all_of(send.udp_deviations.begin(), send.udp_deviations.end(), [](const fuzz::UdpDeviation& deviation) {
        return deviation.field == fuzz::UdpField::kChecksum || deviation.field == fuzz::UdpField::kDestinationPort;
      })) {
    return false;
  }
  return std::all_of(send.deviations.begin(), send.deviations.end(), [](const fuzz::Deviation& deviation) {
    // Fields the NIC must not look at.
    return deviation.field == fuzz::Field::kTtl || deviation.field == fuzz::Field::kChecksum ||
           deviation.field == fuzz::Field::kSequence || deviation.field == fuzz::Field::kIv;
  });
}

struct Buffers {
  fuzz::FrameBuilder builder;
  std::vector<std::uint8_t> frame;
  fuzz::Layout layout;
  std::vector<std::size_t> cuts;
  std::array<nic::ByteSpan, fuzz::kMaxCuts + 1> chain;
  std::vector<std::uint8_t> wire = std::vector<std::uint8_t>(65535 + 14);
  std::vector<std::uint8_t> expected;
  report::CheckResult check;
};

void CheckSuccess(World& world, Buffers& b, const fuzz::Script& script, std::size_t index, const nic::SendResult& result) {
  const fuzz::SendDef& send = script.sends[index];
  const std::span<const std::uint8_t> frame(b.frame);
  const std::span<const std::uint8_t> wire(b.wire.data(), result.length);
  if (result.length != frame.size()) {
    Finding("length", "sent " + std::to_string(result.length) + " bytes of a " + std::to_string(frame.size()) + "-byte frame",
            script, index);
  }
  if (result.reason == nic::Reason::kNoOffloadRequested) {
    if (!std::equal(frame.begin(), frame.end(), wire.begin())) Finding("no-offload-changed", "frame changed without offload", script, index);
    if (world.ivs.draws != 0) Finding("no-offload-iv", "an IV was drawn without offload", script, index);
    return;
  }
  std::size_t first = 0, second = 0;
  const bool tunnelled = send.next.kind != HandleKind::kZero;
  if (!Live(world, send.offload, first) || (tunnelled && !Live(world, send.next, second))) {
    Finding("dead-handle-accepted", "sent with a handle that is not a live outbound SA", script, index);
  }
  const std::size_t outer = tunnelled ? second : first;
  const std::size_t inner = tunnelled ? first : static_cast<std::size_t>(-1);
  static fuzz::CheckTables tables;  // shared by every World: a table depends only on its two SAs
  report::SaTable* table = tables.Get(world.programming, outer, inner);
  if (table == nullptr) return;  // the receive side has no model of these algorithms
  if (tunnelled) {
    // A receiver finds SAs by SPI: when the tunnel and transport SAs share one, it cannot tell
    // which header is whose (an ESP without ICV decrypts under either key), so there is no
    // independent verdict.
    const fuzz::SaDef& tunnel_sa = world.setup.sas[outer];
    const fuzz::SaDef& transport_sa = world.setup.sas[inner];
    const bool esp_shared = tunnel_sa.shape != fuzz::SaShape::kAh && transport_sa.shape != fuzz::SaShape::kAh &&
                            tunnel_sa.esp_spi == transport_sa.esp_spi;
    const bool ah_shared = tunnel_sa.shape != fuzz::SaShape::kEsp && transport_sa.shape != fuzz::SaShape::kEsp &&
                           tunnel_sa.ah_spi == transport_sa.ah_spi;
    if (esp_shared || ah_shared) return;
  }

  report::ReceiveChecker checker(*table, report::CheckOptions{false, false, false});
  checker.Check(wire, world.setup.ethernet ? report::LinkType::kEthernet : report::LinkType::kRawIp, b.check);
  const std::size_t processed = HeaderCount(world.setup.sas[outer].shape) +
                                (tunnelled ? HeaderCount(world.setup.sas[inner].shape) : 0);
  const auto& headers = b.check.headers;
  // The check walks on past the processed headers (into a tunnelled packet the NIC treats as
  // opaque); only failures in the processed headers count, and each of those is checked below.
  if (b.check.status == report::FrameStatus::kNotIpv4 || headers.size() < processed) {
    Finding("receive-check", "the independent receive check does not verify the output: " + b.check.reason +
                                 " (byte " + std::to_string(b.check.offset) + ")", script, index);
  }
  // Only the IVs, the ciphertext and the ICVs of the processed headers may change, and the
  // ciphertext must decrypt to what the transport framed: outside the IVs and ICVs the receive
  // side's plaintext equals the frame. (Headers the NIC was not asked to process and the checker
  // decrypted anyway are left out: their plaintext is not the NIC's to produce.)
  // `expected` is the receive side's plaintext with the changeable bytes taken from the frame;
  // it must equal the frame.
  b.expected.assign(b.check.plaintext.begin(), b.check.plaintext.end());
  const auto keep = [&](std::size_t offset, std::size_t length) {
    if (offset > frame.size()) return;
    length = std::min(length, frame.size() - offset);
    std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(offset), length, b.expected.begin() + static_cast<std::ptrdiff_t>(offset));
  };
  for (std::size_t h = 0; h < headers.size(); ++h) {
    const report::HeaderCheck& header = headers[h];
    if (h >= processed) {
      if (header.decrypted) keep(header.data_offset, header.data_length);
      continue;
    }
    const bool esp_trailer_bad = header.protocol == report::IpsecProtocol::kEsp && !header.trailer_ok;
    if (header.sa == report::kNoSa || (header.icv_length > 0 && !header.icv_ok) || esp_trailer_bad) {
      Finding("receive-check", "header " + std::to_string(h) + " at byte " + std::to_string(header.offset) +
                                   " does not verify: " + b.check.reason, script, index);
    }
    keep(header.iv_offset, header.iv_length);
    keep(header.icv_offset, header.icv_length);
  }
  if (b.expected.size() != frame.size()) Finding("receive-check", "plaintext length differs", script, index);
  const auto differs = std::mismatch(frame.begin(), frame.end(), b.expected.begin());
  if (differs.first != frame.end()) {
    const auto i = static_cast<std::size_t>(differs.first - frame.begin());
    const bool encrypted = std::any_of(headers.begin(), headers.begin() + static_cast<std::ptrdiff_t>(processed),
                                       [&](const report::HeaderCheck& header) {
                                         return i >= header.data_offset && i < header.data_offset + header.data_length;
                                       });
    Finding(encrypted ? "plaintext" : "byte-outside-transform",
            "byte " + std::to_string(i) + (encrypted ? " decrypts to a byte the transport did not frame"
                                                     : " changed outside IV, ciphertext and ICV"),
            script, index);
  }
}

void RunSend(World& world, Buffers& b, const fuzz::Script& script, std::size_t index) {
  const fuzz::SendDef& send = script.sends[index];
  b.builder.Build(world.setup, world.programming.framing, send, b.frame, b.layout);
  fuzz::FrameBuilder::Cuts(send, b.layout, b.frame.size(), b.cuts);
  std::size_t pieces = 0, start = 0;
  for (std::size_t cut : b.cuts) {
    b.chain[pieces++] = std::span<const std::uint8_t>(b.frame).subspan(start, cut - start);
    start = cut;
  }
  b.chain[pieces++] = std::span<const std::uint8_t>(b.frame).subspan(start);

  NDIS_IPSEC_PACKET_INFO info{};
  info.Transmit.OffloadHandle = Resolve(world, send.offload);
  info.Transmit.NextOffloadHandle = Resolve(world, send.next);
  world.ivs.seed = script.iv_seed;
  world.ivs.send = index;
  world.ivs.draws = 0;
  const auto result = world.nic->Send(nic::BufferChain(b.chain.data(), pieces), send.has_info ? &info : nullptr, b.wire);

  static const bool verbose = std::getenv("SENDPATH_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "  send %zu: %zu bytes in %zu buffers -> %s (%s at byte %zu)\n", index, b.frame.size(), pieces,
                 std::string(nic::StatusName(result.status)).c_str(), std::string(nic::ReasonName(result.reason)).c_str(),
                 result.offset);
  }
  if (nic::StatusOf(result.reason) != result.status) {
    Finding("status-reason", "status " + std::string(nic::StatusName(result.status)) + " with reason " +
                                 std::string(nic::ReasonName(result.reason)), script, index);
  }
  if (!result.ok()) {
    if (result.length != 0) Finding("refused-emitted", "a refused send reported " + std::to_string(result.length) + " bytes", script, index);
    if (world.ivs.draws != 0) Finding("refused-drew-iv", "a refused send drew an IV", script, index);
    if (MustSucceed(world, send)) {
      Finding("consistent-refused", "a consistently framed send was refused: " + std::string(nic::ReasonName(result.reason)) +
                                        " at byte " + std::to_string(result.offset), script, index);
    }
    return;
  }
  CheckSuccess(world, b, script, index, result);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // OpenSSL and the reference NIC's providers first: their exit-time cleanup then runs after the
  // destructors of the statics below, which still hold EVP objects.
  static const bool openssl_ready = OPENSSL_init_crypto(0, nullptr) == 1 && nic::FullCapabilities().task.V4ESP.Send != 0;
  (void)openssl_ready;
  static WorldCache cache;
  static Buffers buffers;
  const fuzz::Script script = fuzz::DecodeScript(std::span<const std::uint8_t>(data, size));
  World& world = cache.Get(script);
  for (std::size_t i = 0; i < script.sends.size(); ++i) RunSend(world, buffers, script, i);
  return 0;
}
