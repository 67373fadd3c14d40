#include "fuzz/common/script.h"

#include "fuzz/common/tail_reader.h"

#include <vectors/loader/vector_loader.h>

#include <algorithm>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>

namespace sendpath::fuzz {
namespace {

template <class E>
constexpr std::uint8_t MaxOf() {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(E::kCount) - 1);
}

// Reads a Script through TailReader (FuzzedDataProvider's byte order). Integral reads take bytes
// from the end of the data, most significant first, and give the minimum once the data is used up.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : reader_(data) {}
  void Small(std::uint8_t& value, std::uint8_t max) { value = reader_.IntegralInRange<std::uint8_t>(0, max); }
  void Flag(bool& value) { value = reader_.Bool(); }
  void U16(std::uint16_t& value, std::uint16_t max) { value = reader_.IntegralInRange<std::uint16_t>(0, max); }
  void U32(std::uint32_t& value) { value = reader_.Integral<std::uint32_t>(); }
  void S8(std::int8_t& value, std::int8_t min, std::int8_t max) {
    value = reader_.IntegralInRange<std::int8_t>(min, max);
  }
  template <class E>
  void Enum(E& value) {
    value = static_cast<E>(reader_.IntegralInRange<std::uint8_t>(0, MaxOf<E>()));
  }
  template <class Items, class F>
  void List(Items& items, std::size_t min, std::size_t max, F&& visit) {
    const auto count = min + reader_.IntegralInRange<std::size_t>(0, max - min);
    items.resize(count);
    for (auto& item : items) visit(item);
  }

 private:
  TailReader reader_;
};

// Writes the bytes Reader consumes, in consumption order; Bytes() reverses them because
// TailReader reads integrals from the end of the data.
class Writer {
 public:
  Writer() { bytes_.reserve(512); }
  void Small(std::uint8_t value, std::uint8_t max) {
    if (max > 0) Push(std::min(value, max), 1);
  }
  void Flag(bool value) { Push(value ? 1 : 0, 1); }
  void U16(std::uint16_t value, std::uint16_t max) {
    if (max > 0) Push(std::min(value, max), max > 0xff ? 2 : 1);
  }
  void U32(std::uint32_t value) { Push(value, 4); }
  void S8(std::int8_t value, std::int8_t min, std::int8_t max) {
    Push(static_cast<std::uint8_t>(std::clamp(value, min, max) - min), 1);
  }
  template <class E>
  void Enum(E value) {
    Small(static_cast<std::uint8_t>(value), MaxOf<E>());
  }
  template <class Items, class F>
  void List(const Items& items, std::size_t min, std::size_t max, F&& visit) {
    const std::size_t count = std::clamp(items.size(), min, max);
    const std::size_t range = max - min;
    Push(count - min, range > 0xff ? 8 : (range > 0 ? 1 : 0));
    const typename Items::value_type fallback{};
    for (std::size_t i = 0; i < count; ++i) visit(i < items.size() ? items[i] : fallback);
  }
  std::vector<std::uint8_t> Bytes() const { return {bytes_.rbegin(), bytes_.rend()}; }

 private:
  void Push(std::uint64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) bytes_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  std::vector<std::uint8_t> bytes_;
};

// One description of the byte layout serves both directions: `Io` is Reader (fields are
// written) or Writer (fields are read), `S` the matching (const) Script.
template <class Io, class Sa>
void VisitSa(Io& io, Sa& sa) {
  io.Enum(sa.shape);
  io.Small(sa.conf, static_cast<std::uint8_t>(kConfChoices.size() - 1));
  io.Small(sa.esp_integrity, static_cast<std::uint8_t>(kIntegrityChoices.size() - 1));
  io.Small(sa.ah_integrity, static_cast<std::uint8_t>(kIntegrityChoices.size() - 1));
  io.Flag(sa.tunnel);
  io.Flag(sa.inbound);
  io.Flag(sa.integrity_first);
  io.Flag(sa.esn);
  io.Flag(sa.deleted);
  if (sa.esn) io.U32(sa.esn_high);
  io.U32(sa.esp_spi);
  io.U32(sa.ah_spi);
}

template <class Io, class Option>
void VisitOption(Io& io, Option& option) {
  io.Enum(option.kind);
  io.Small(option.size, 15);
  io.Small(option.pointer, 255);
}

// SA indices are written as 0..kMaxSas with kMaxSas standing for kNoSa.
template <class Io>
void VisitSaIndex(Io& io, std::uint8_t& index) {
  std::uint8_t value = index == kNoSa ? static_cast<std::uint8_t>(kMaxSas) : index;
  io.Small(value, static_cast<std::uint8_t>(kMaxSas));
  index = value >= kMaxSas ? kNoSa : value;
}
template <class Io>
void VisitSaIndex(Io& io, const std::uint8_t& index) {
  io.Small(index == kNoSa || index >= kMaxSas ? static_cast<std::uint8_t>(kMaxSas) : index, static_cast<std::uint8_t>(kMaxSas));
}

template <class Io, class Plan>
void VisitPlan(Io& io, Plan& plan) {
  VisitSaIndex(io, plan.outer_sa);
  VisitSaIndex(io, plan.inner_sa);
  io.Flag(plan.tunnel_payload);
  io.Small(plan.upper_protocol, 255);
  io.U16(plan.payload_length, 2000);
  io.Small(plan.ttl, 255);
  io.Small(plan.tos, 255);
  io.U16(plan.ip_id, 0xffff);
  io.U32(plan.outer_sequence);
  io.U32(plan.inner_sequence);
  io.Small(plan.extra_pad_blocks, 3);
  io.S8(plan.icv_delta, -16, 16);
  io.Small(plan.cipher_delta, 15);
  io.Small(plan.trailing, 31);
  io.List(plan.outer_options, 0, kMaxOptions, [&](auto& option) { VisitOption(io, option); });
  io.List(plan.inner_options, 0, kMaxOptions, [&](auto& option) { VisitOption(io, option); });
}

template <class Io, class Handle>
void VisitHandle(Io& io, Handle& handle) {
  io.Enum(handle.kind);
  io.Small(handle.sa, static_cast<std::uint8_t>(kMaxSas - 1));
}

template <class Io, class Send>
void VisitSend(Io& io, Send& send) {
  io.Flag(send.has_info);
  VisitHandle(io, send.offload);
  VisitHandle(io, send.next);
  VisitPlan(io, send.plan);
  io.List(send.deviations, 0, kMaxDeviations, [&](auto& deviation) {
    io.Enum(deviation.field);
    io.Small(deviation.level, 1);
    io.U32(deviation.value);
  });
  io.List(send.cuts, 0, kMaxCuts, [&](auto& cut) {
    io.Enum(cut.anchor);
    io.S8(cut.delta, -128, 127);
  });
}

template <class Io, class S>
void VisitScript(Io& io, S& script) {
  io.U32(script.iv_seed);
  io.Flag(script.setup.ethernet);
  io.List(script.setup.disabled, 0, kMaxDisabled, [&](auto& index) { io.Small(index, 255); });
  io.Flag(script.setup.second_set);
  io.Small(script.setup.churn, 15);
  io.List(script.setup.sas, 0, kMaxSas, [&](auto& sa) { VisitSa(io, sa); });
  io.List(script.sends, 1, kMaxSends, [&](auto& send) { VisitSend(io, send); });
  // UDP-ESP, after everything else: older inputs end before it and read it as zero (none).
  io.Small(script.setup.udp.sas, static_cast<std::uint8_t>((1u << kMaxSas) - 1));
  for (auto& entry : script.setup.udp.parser_entry) io.Small(entry, kParserEntryNeverIssued);
  io.Small(script.setup.udp.delete_entry, static_cast<std::uint8_t>((1u << kMaxSas) - 1));
  for (auto& send : script.sends) {
    io.Small(send.udp_flip, 3);
    io.List(send.udp_deviations, 0, kMaxUdpDeviations, [&](auto& deviation) {
      io.Enum(deviation.field);
      io.Small(deviation.level, 1);
      io.U32(deviation.value);
    });
  }
}

}  // namespace

Script DecodeScript(std::span<const std::uint8_t> data) {
  Reader reader(data);
  Script script;
  VisitScript(reader, script);
  return script;
}

std::vector<std::uint8_t> EncodeScript(const Script& script) {
  Writer writer;
  VisitScript(writer, script);
  return writer.Bytes();
}

std::uint64_t HashSetup(const Setup& setup) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the fields
  const auto mix = [&h](std::uint64_t value) { h = (h ^ value) * 0x100000001b3ull; };
  mix(std::uint64_t{setup.ethernet} | std::uint64_t{setup.second_set} << 1 | std::uint64_t{setup.churn} << 8);
  mix(setup.disabled.size());
  for (const std::uint8_t index : setup.disabled) mix(index);
  mix(setup.sas.size());
  for (const SaDef& sa : setup.sas) {
    mix(std::uint64_t{static_cast<std::uint8_t>(sa.shape)} | std::uint64_t{sa.conf} << 8 | std::uint64_t{sa.esp_integrity} << 16 |
        std::uint64_t{sa.ah_integrity} << 24 | std::uint64_t{sa.tunnel} << 32 | std::uint64_t{sa.inbound} << 33 |
        std::uint64_t{sa.integrity_first} << 34 | std::uint64_t{sa.esn} << 35 | std::uint64_t{sa.deleted} << 36);
    mix(std::uint64_t{sa.esn_high});
    mix(std::uint64_t{sa.esp_spi} | std::uint64_t{sa.ah_spi} << 32);
  }
  mix(std::uint64_t{setup.udp.sas} | std::uint64_t{setup.udp.delete_entry} << 8);
  for (const std::uint8_t entry : setup.udp.parser_entry) mix(entry);
  return h;
}

Setup BaseSetup() {
  const auto conf = [](std::string_view name) {
    for (std::size_t i = 0; i < kConfChoices.size(); ++i) {
      if (name == kConfChoices[i].name) return static_cast<std::uint8_t>(i);
    }
    return std::uint8_t{0};
  };
  const auto integrity = [](std::string_view name) {
    for (std::size_t i = 0; i < kIntegrityChoices.size(); ++i) {
      if (name == kIntegrityChoices[i].name) return static_cast<std::uint8_t>(i);
    }
    return std::uint8_t{0};
  };
  const auto sa = [&](SaShape shape, std::string_view cipher, std::string_view esp_mac, std::string_view ah_mac,
                      bool tunnel, std::uint32_t index) {
    SaDef def;
    def.shape = shape;
    def.conf = conf(cipher);
    def.esp_integrity = integrity(esp_mac);
    def.ah_integrity = integrity(ah_mac);
    def.tunnel = tunnel;
    def.esp_spi = 0x100 + index;
    def.ah_spi = 0x200 + index;
    return def;
  };
  Setup setup;
  setup.sas = {
      sa(SaShape::kEsp, "AES_CBC_128", "SHA_1", "NONE", false, 0),
      sa(SaShape::kEsp, "AES_GCM_128", "NONE", "NONE", false, 1),
      sa(SaShape::kAh, "NONE", "NONE", "SHA_256", false, 2),
      sa(SaShape::kEspAh, "3_DES", "NONE", "MD5", false, 3),
      sa(SaShape::kEsp, "AES_CBC_256", "SHA_256", "NONE", true, 4),
      sa(SaShape::kAh, "NONE", "NONE", "AES_GMAC_128", true, 5),
  };
  return setup;
}

FramePlan PlanFor(const Setup& setup, const HandleRef& offload, const HandleRef& next) {
  FramePlan plan;
  const auto sa_of = [&](const HandleRef& handle) -> std::uint8_t {
    return handle.kind == HandleKind::kSa && handle.sa < setup.sas.size() ? handle.sa : kNoSa;
  };
  const std::uint8_t first = sa_of(offload);
  const std::uint8_t second = sa_of(next);
  if (first != kNoSa && second != kNoSa) {
    // [S12]: OffloadHandle is the transport SA, NextOffloadHandle the tunnel SA around it.
    plan.outer_sa = second;
    plan.inner_sa = first;
    plan.tunnel_payload = true;
  } else if (first != kNoSa) {
    plan.outer_sa = first;
    plan.tunnel_payload = setup.sas[first].tunnel;
  } else {
    plan.outer_sa = setup.sas.empty() ? kNoSa : 0;
  }
  return plan;
}

namespace {

// Values a mutation writes into a deviation: the boundaries each field's check is about.
std::uint32_t DeviationValue(Field field, std::minstd_rand& random) {
  const auto pick = [&](std::initializer_list<std::uint32_t> values) {
    return *(values.begin() + std::uniform_int_distribution<std::size_t>(0, values.size() - 1)(random));
  };
  switch (field) {
    case Field::kVersion: return pick({0, 5, 6, 15});
    case Field::kIhl: return pick({0, 4, 5, 6, 15});
    case Field::kTotalLength: return pick({0xffff, 1, 0xfffc, 4, 0x10000, 0x10000 + 19, 0x10000 + 20, 0x1ffff, 0x10000 + 0xffff});
    case Field::kProtocol: return pick({0, 4, 6, 17, 50, 51, 59, 255});
    case Field::kFragment: return pick({0x2000, 0x0001, 0x1fff, 0x6000, 0x4001, 0x3fff});
    case Field::kTtl: return pick({0, 1, 255});
    case Field::kChecksum: return pick({1, 0xffff});
    case Field::kOptionLength: return pick({0, 1, 2, 3, 40, 255, 0x100 + 0, 0x100 + 1, 0x200 + 2, 0x300 + 41});
    case Field::kSpi: return pick({0, 1, 2, 3, 4, 5, 0x80000000u, 1});
    case Field::kSequence: return pick({0, 1, 0xffffffffu, 0x80000000u});
    case Field::kPadLength: return pick({0, 1, 2, 14, 15, 16, 254, 255});
    case Field::kNextHeader: return pick({0, 4, 6, 17, 41, 50, 51, 59});
    case Field::kAhPayloadLength: return pick({0, 1, 2, 3, 4, 5, 6, 7, 8, 255});
    case Field::kAhNextHeader: return pick({4, 6, 17, 50, 51});
    case Field::kEtherType: return pick({0x86dd, 0x0806, 0x0000, 0x8100});
    case Field::kTruncate: return pick({0, 1, 2, 3, 11, 15, 16, 20, 63});
    case Field::kIv: return pick({1, 0x80, 0xff});
    // TOS: the whole byte, DSCP (upper six bits) or ECN (lower two) alone (RFC 2474, RFC 3168);
    // AH zeroes all eight for its ICV (RFC 4302 §3.3.3.1.1.1).
    case Field::kTos: return pick({0xff, 0xfc, 0x03, 0x10, 0xb8, 0x01, 0x02});
    case Field::kDscp: return pick({0x3f, 0x2e, 0x01, 0x20});
    case Field::kEcn: return pick({1, 2, 3});
    case Field::kFlags: return pick({0, 1, 2, 3, 4, 5, 6, 7});  // reserved, DF, MF
    case Field::kFragmentOffset: return pick({1, 0x1fff, 0x100});
    case Field::kIdentification: return pick({0, 0xffff, 0x8000});
    // Options: bits 8 and up pick the option, the low byte is written.
    case Field::kOptionType: return pick({0, 1, 7, 68, 130, 131, 137, 148, 158, 0x100 + 131, 0x100 + 7, 0x200 + 137});
    case Field::kOptionPointer: return pick({0, 1, 3, 4, 5, 7, 8, 12, 0x100 + 4, 0x100 + 40, 0x200 + 8, 255});
    case Field::kPadding: return pick({0x00, 0xff, 0x100 + 0x55, 0x200 + 0x01});
    case Field::kCount: break;
  }
  return static_cast<std::uint32_t>(random());
}

template <class Items>
typename Items::value_type& Element(Items& items, std::minstd_rand& random) {
  return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(random)];
}

std::uint8_t RandomSa(const Setup& setup, std::minstd_rand& random) {
  if (setup.sas.empty()) return 0;
  return static_cast<std::uint8_t>(std::uniform_int_distribution<std::size_t>(0, setup.sas.size() - 1)(random));
}

// The first SA matching `predicate`; when none does, the mutation makes a random SA match.
template <class Predicate, class Make>
std::uint8_t FindOrMakeSa(Setup& setup, std::minstd_rand& random, Predicate predicate, Make make) {
  for (std::size_t i = 0; i < setup.sas.size(); ++i) {
    if (predicate(setup.sas[i])) return static_cast<std::uint8_t>(i);
  }
  if (setup.sas.empty()) setup.sas.emplace_back();
  const std::uint8_t index = RandomSa(setup, random);
  make(setup.sas[index]);
  return index;
}

// Frames the send for its (new) handles, keeping the rest of the plan: options, lengths, ...
void Replan(const Setup& setup, SendDef& send) {
  const FramePlan consistent = PlanFor(setup, send.offload, send.next);
  send.plan.outer_sa = consistent.outer_sa;
  send.plan.inner_sa = consistent.inner_sa;
  send.plan.tunnel_payload = consistent.tunnel_payload;
}

void MutateHandles(Script& script, SendDef& send, std::minstd_rand& random) {
  Setup& setup = script.setup;
  switch (std::uniform_int_distribution<int>(0, 10)(random)) {
    case 0: send.offload = {HandleKind::kZero, 0}; break;
    case 1: send.next = {HandleKind::kZero, 0}; break;
    case 2: send.offload = {HandleKind::kNeverIssued, 0}; break;
    case 3:  // a handle the NIC issued and the transport deleted
      send.offload = {HandleKind::kSa, FindOrMakeSa(setup, random, [](const SaDef& sa) { return sa.deleted; },
                                                    [](SaDef& sa) { sa.deleted = true; })};
      break;
    case 4:  // an inbound SA's handle on a send
      send.offload = {HandleKind::kSa, FindOrMakeSa(setup, random, [](const SaDef& sa) { return sa.inbound; },
                                                    [](SaDef& sa) { sa.inbound = true; })};
      break;
    case 5: std::swap(send.offload, send.next); break;  // transport and tunnel roles swapped
    case 6:  // NextOffloadHandle names a tunnel SA, but the frame carries no tunnel payload
      send.next = {HandleKind::kSa, FindOrMakeSa(setup, random, [](const SaDef& sa) { return sa.tunnel; },
                                                 [](SaDef& sa) { sa.tunnel = true; })};
      send.plan.tunnel_payload = false;
      send.plan.inner_sa = kNoSa;
      break;
    case 7: send.has_info = !send.has_info; break;
    case 8:  // another SA, and (mostly) the frame the transport would build for it
      send.offload = {HandleKind::kSa, RandomSa(setup, random)};
      send.has_info = true;
      if (random() % 4 != 0) {
        send.next = {};
        Replan(setup, send);
      }
      break;
    case 9: send.next = {HandleKind::kSa, RandomSa(setup, random)}; break;
    default: {  // handles and a frame that matches them: transport over tunnel
      const std::uint8_t tunnel = FindOrMakeSa(setup, random, [](const SaDef& sa) { return sa.tunnel && !sa.inbound && !sa.deleted; },
                                               [](SaDef& sa) { sa.tunnel = true; sa.inbound = false; sa.deleted = false; });
      std::uint8_t transport = RandomSa(setup, random);
      if (transport == tunnel || setup.sas[transport].tunnel) {
        if (setup.sas.size() < kMaxSas) {
          setup.sas.emplace_back();
          transport = static_cast<std::uint8_t>(setup.sas.size() - 1);
          setup.sas[transport].esp_spi = 0x300 + transport;
        }
      }
      send.offload = {HandleKind::kSa, transport};
      send.next = {HandleKind::kSa, tunnel};
      send.has_info = true;
      Replan(setup, send);
      break;
    }
  }
}

OptionDef RandomOption(std::minstd_rand& random) {
  OptionDef option;
  option.kind = static_cast<OptionKind>(std::uniform_int_distribution<int>(0, static_cast<int>(OptionKind::kCount) - 1)(random));
  option.size = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 9)(random));
  const int pointer = std::uniform_int_distribution<int>(0, 5)(random);
  option.pointer = pointer == 0 ? static_cast<std::uint8_t>(random()) : static_cast<std::uint8_t>(pointer < 3 ? 4 : 4 + 4 * pointer);
  return option;
}

// An AH SA's send, framed for it, with an option on the header its ICV covers: the options
// rules of RFC 4302 §3.3.3.1.1 (immutable kept, mutable zeroed, source routes' final
// destination) need both at once, which two separate mutations rarely bring together.
void MutateAhWithOption(Script& script, SendDef& send, std::minstd_rand& random) {
  Setup& setup = script.setup;
  const std::uint8_t sa = FindOrMakeSa(setup, random, [](const SaDef& def) {
    return def.shape != SaShape::kEsp && !def.tunnel && !def.inbound && !def.deleted;
  }, [](SaDef& def) {
    def.shape = SaShape::kAh;
    def.tunnel = def.inbound = def.deleted = false;
  });
  send.has_info = true;
  send.offload = {HandleKind::kSa, sa};
  send.next = {};
  Replan(setup, send);
  if (send.plan.outer_options.size() < kMaxOptions) send.plan.outer_options.push_back(RandomOption(random));
}

// The set leaves out a capability the send needs (the send must then be NOT_SUPPORTED [S16]):
// V4_OPTIONS for a frame with options (one is added when it has none), else what its SAs use.
void MutateLeaveOutWhatASendUses(Script& script, SendDef& send, std::minstd_rand& random) {
  auto& disabled = script.setup.disabled;
  if (disabled.size() >= kMaxDisabled) disabled.erase(disabled.begin());
  const SaDef* sa = send.offload.kind == HandleKind::kSa && send.offload.sa < script.setup.sas.size()
                        ? &script.setup.sas[send.offload.sa] : nullptr;
  const char* name = "Supported.V4_OPTIONS";
  switch (random() % 4) {
    case 0:
      if (send.next.kind == HandleKind::kSa) name = "Supported.TRANSPORT_TUNNEL_COMBINED";
      break;
    case 1:
      if (sa != nullptr && sa->shape == SaShape::kEspAh) name = "Supported.AH_ESP_COMBINED";
      if (sa != nullptr && sa->esn) name = "Extension.ESN";
      break;
    case 2:
      if (sa != nullptr) name = sa->shape == SaShape::kAh ? (sa->tunnel ? "V4AH.Tunnel" : "V4AH.Transport")
                                                          : (sa->tunnel ? "V4ESP.Tunnel" : "V4ESP.Transport");
      break;
    default: break;
  }
  const auto& names = vectors::AllCapabilityNames();
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) return;
  disabled.push_back(static_cast<std::uint8_t>(found - names.begin()));
  if (std::string_view(name) == "Supported.V4_OPTIONS" && send.plan.outer_options.empty() && send.plan.inner_options.empty()) {
    send.plan.outer_options.push_back(RandomOption(random));
  }
}

void MutatePlan(SendDef& send, std::minstd_rand& random) {
  FramePlan& plan = send.plan;
  auto& options = std::uniform_int_distribution<int>(0, 1)(random) != 0 ? plan.outer_options : plan.inner_options;
  switch (std::uniform_int_distribution<int>(0, 15)(random)) {
    case 0:
      if (options.size() < kMaxOptions) options.push_back(RandomOption(random));
      break;
    case 1:
      if (!options.empty()) options.erase(options.begin() + static_cast<std::ptrdiff_t>(random() % options.size()));
      break;
    case 2:
      if (!options.empty()) Element(options, random) = RandomOption(random);
      break;
    case 3: plan.payload_length = static_cast<std::uint16_t>(std::uniform_int_distribution<int>(0, 1600)(random)); break;
    case 4: plan.extra_pad_blocks = static_cast<std::uint8_t>(random() % 4); break;
    case 5: {  // ICV space: too small, too large, or the SA's
      static constexpr std::int8_t kDeltas[] = {0, -1, -4, -12, -16, 1, 4, 8, 16};
      plan.icv_delta = kDeltas[random() % std::size(kDeltas)];
      break;
    }
    case 6: plan.cipher_delta = static_cast<std::uint8_t>(random() % 16); break;
    case 7: plan.trailing = static_cast<std::uint8_t>(random() % 32); break;
    case 8: plan.tunnel_payload = !plan.tunnel_payload; break;
    case 9: plan.upper_protocol = static_cast<std::uint8_t>(std::array{1, 4, 6, 17, 50, 51, 59}[random() % 7]); break;
    case 10: plan.outer_sequence = std::array{0u, 1u, 0x7fffffffu, 0xffffffffu, static_cast<std::uint32_t>(random())}[random() % 5]; break;
    case 11: plan.inner_sequence = std::array{0u, 1u, 0xffffffffu, static_cast<std::uint32_t>(random())}[random() % 4]; break;
    case 12:  // TOS of both headers: DSCP and ECN (RFC 2474, RFC 3168), zeroed for the AH ICV
      plan.tos = static_cast<std::uint8_t>(std::array{0x00, 0x01, 0x02, 0x03, 0x10, 0xb8, 0xfc, 0xff}[random() % 8]);
      break;
    case 13: plan.ttl = static_cast<std::uint8_t>(std::array{0, 1, 64, 255}[random() % 4]); break;
    case 14: plan.ip_id = static_cast<std::uint16_t>(random()); break;
    default: plan.inner_sa = std::uniform_int_distribution<int>(0, 1)(random) != 0 ? kNoSa : plan.outer_sa; break;
  }
}

void MutateDeviations(SendDef& send, std::minstd_rand& random) {
  auto& deviations = send.deviations;
  const int choice = std::uniform_int_distribution<int>(0, 3)(random);
  if ((choice == 0 || deviations.empty()) && deviations.size() < kMaxDeviations) {
    Deviation deviation;
    deviation.field = static_cast<Field>(std::uniform_int_distribution<int>(0, static_cast<int>(Field::kCount) - 1)(random));
    deviation.level = static_cast<std::uint8_t>(random() % 2);
    deviation.value = DeviationValue(deviation.field, random);
    deviations.push_back(deviation);
  } else if (choice == 1 && !deviations.empty()) {
    deviations.erase(deviations.begin() + static_cast<std::ptrdiff_t>(random() % deviations.size()));
  } else if (!deviations.empty()) {
    Deviation& deviation = Element(deviations, random);
    deviation.value = choice == 2 ? DeviationValue(deviation.field, random) : deviation.value ^ (1u << (random() % 32));
  }
}

// Values a mutation writes into a UDP deviation: the ports RFC 3948 / RFC 3947 name, lengths
// one off either way, checksums that must stay as framed.
std::uint32_t UdpDeviationValue(UdpField field, std::minstd_rand& random) {
  const auto pick = [&](std::initializer_list<std::uint32_t> values) {
    return *(values.begin() + std::uniform_int_distribution<std::size_t>(0, values.size() - 1)(random));
  };
  switch (field) {
    case UdpField::kSourcePort: return pick({500, 4501, 0, 0xffff});
    case UdpField::kDestinationPort: return pick({500, 4501, 0, 62000});  // a NAT's mapped port is allowed
    case UdpField::kLength: return pick({1, 0xffff, 8, 0x10000 + 0, 0x10000 + 8, 0x10000 + 0xffff});
    case UdpField::kChecksum: return pick({1, 0xffff, 0x8000, static_cast<std::uint32_t>(random())});
    case UdpField::kNonEspMarker: return 0;
    case UdpField::kCount: break;
  }
  return static_cast<std::uint32_t>(random());
}

// UDP-ESP: an SA made UDP-ESP (and a send framed for it), parser-entry handles of inbound adds,
// deletes naming the entry, the framing flipped, or a UDP header field changed.
void MutateUdpEsp(Script& script, SendDef& send, std::minstd_rand& random) {
  Setup& setup = script.setup;
  UdpEspSetup& udp = setup.udp;
  if (setup.sas.empty()) setup.sas.emplace_back();
  const std::uint8_t sa = RandomSa(setup, random);
  switch (std::uniform_int_distribution<int>(0, 7)(random)) {
    case 0:  // an outbound ESP SA added by ADD_UDPESP_SA, and a send framed for it
      udp.sas = static_cast<std::uint8_t>(udp.sas | (1u << sa));
      setup.sas[sa].shape = SaShape::kEsp;
      setup.sas[sa].inbound = setup.sas[sa].deleted = false;
      send.has_info = true;
      send.offload = {HandleKind::kSa, sa};
      send.next = {};
      Replan(setup, send);
      break;
    case 1: udp.sas = static_cast<std::uint8_t>(udp.sas ^ (1u << sa)); break;
    case 2:  // an inbound UDP-ESP SA naming NULL, another SA's entry or one never issued
      udp.sas = static_cast<std::uint8_t>(udp.sas | (1u << sa));
      setup.sas[sa].inbound = true;
      udp.parser_entry[sa] = static_cast<std::uint8_t>(random() % (kParserEntryNeverIssued + 1u));
      break;
    case 3: udp.delete_entry = static_cast<std::uint8_t>(udp.delete_entry ^ (1u << sa)); setup.sas[sa].deleted = true; break;
    case 4: send.udp_flip = static_cast<std::uint8_t>(send.udp_flip ^ (1u << (random() % 2))); break;
    case 5:
      if (!send.udp_deviations.empty()) {
        send.udp_deviations.erase(send.udp_deviations.begin() + static_cast<std::ptrdiff_t>(random() % send.udp_deviations.size()));
        break;
      }
      [[fallthrough]];
    default:
      if (send.udp_deviations.size() < kMaxUdpDeviations) {
        UdpDeviation deviation;
        deviation.field = static_cast<UdpField>(std::uniform_int_distribution<int>(0, static_cast<int>(UdpField::kCount) - 1)(random));
        deviation.level = static_cast<std::uint8_t>(random() % 2);
        deviation.value = UdpDeviationValue(deviation.field, random);
        send.udp_deviations.push_back(deviation);
      }
      break;
  }
}

void MutateCuts(SendDef& send, std::minstd_rand& random) {
  auto& cuts = send.cuts;
  if (cuts.size() < kMaxCuts && (cuts.empty() || random() % 2 == 0)) {
    Cut cut;
    cut.anchor = static_cast<Anchor>(std::uniform_int_distribution<int>(0, static_cast<int>(Anchor::kCount) - 1)(random));
    cut.delta = static_cast<std::int8_t>(std::uniform_int_distribution<int>(-4, 12)(random));
    cuts.push_back(cut);
  } else if (!cuts.empty()) {
    if (random() % 2 == 0) {
      cuts.erase(cuts.begin() + static_cast<std::ptrdiff_t>(random() % cuts.size()));
    } else {
      Element(cuts, random).delta = static_cast<std::int8_t>(std::uniform_int_distribution<int>(-8, 24)(random));
    }
  }
}

void MutateSa(Setup& setup, std::minstd_rand& random) {
  if (setup.sas.empty() || (setup.sas.size() < kMaxSas && random() % 8 == 0)) {
    SaDef sa;
    sa.esp_spi = 0x100 + static_cast<std::uint32_t>(setup.sas.size());
    sa.ah_spi = 0x200 + static_cast<std::uint32_t>(setup.sas.size());
    setup.sas.push_back(sa);
    return;
  }
  SaDef& sa = Element(setup.sas, random);
  switch (std::uniform_int_distribution<int>(0, 11)(random)) {
    case 10:  // ESN: the high 32 bits the ICV covers (RFC 4303 §2.2.1), at their boundaries
      sa.esn = true;
      sa.esn_high = std::array{0u, 1u, 0x80000000u, 0xffffffffu, static_cast<std::uint32_t>(random())}[random() % 5];
      break;
    case 11: sa.ah_spi = Element(setup.sas, random).ah_spi; break;
    case 0: sa.shape = static_cast<SaShape>(random() % static_cast<unsigned>(SaShape::kCount)); break;
    case 1: sa.conf = static_cast<std::uint8_t>(random() % kConfChoices.size()); break;
    case 2: sa.esp_integrity = static_cast<std::uint8_t>(random() % kIntegrityChoices.size()); break;
    case 3: sa.ah_integrity = static_cast<std::uint8_t>(random() % kIntegrityChoices.size()); break;
    case 4: sa.tunnel = !sa.tunnel; break;
    case 5: sa.integrity_first = !sa.integrity_first; break;
    case 6:
      sa.esn = !sa.esn;
      sa.esn_high = static_cast<std::uint32_t>(random());
      break;
    case 7: sa.esp_spi = Element(setup.sas, random).esp_spi; break;  // SPIs shared between SAs
    case 8: sa.deleted = !sa.deleted; break;
    default: sa.inbound = !sa.inbound; break;
  }
}

}  // namespace

void MutateScript(Script& script, std::minstd_rand& random) {
  if (script.sends.empty()) script.sends.emplace_back();
  SendDef& send = Element(script.sends, random);
  const int what = std::uniform_int_distribution<int>(0, 99)(random);
  // The SA table changes least often: a new one costs the targets a freshly programmed NIC.
  if (what < 27) {
    MutateHandles(script, send, random);
  } else if (what < 53) {
    MutateDeviations(send, random);
  } else if (what < 70) {
    MutatePlan(send, random);
  } else if (what < 72) {
    MutateAhWithOption(script, send, random);
  } else if (what < 83) {
    MutateCuts(send, random);
  } else if (what < 84) {
    MutateLeaveOutWhatASendUses(script, send, random);
  } else if (what < 88) {
    MutateSa(script.setup, random);
  } else if (what < 90) {
    MutateUdpEsp(script, send, random);
  } else if (what < 94) {
    if (script.sends.size() < kMaxSends) {
      const SendDef copy = send;
      script.sends.push_back(copy);
    }
  } else if (what < 96) {
    if (script.sends.size() > 1) script.sends.erase(script.sends.begin() + static_cast<std::ptrdiff_t>(random() % script.sends.size()));
  } else if (what < 98) {
    script.iv_seed = static_cast<std::uint32_t>(random());
  } else {
    auto& disabled = script.setup.disabled;
    switch (random() % 5) {
      case 0:
        if (disabled.size() < kMaxDisabled) disabled.push_back(static_cast<std::uint8_t>(random()));
        break;
      case 1:
        if (!disabled.empty()) disabled.pop_back();
        break;
      case 2: script.setup.second_set = !script.setup.second_set; break;
      case 3: script.setup.churn = static_cast<std::uint8_t>(random() % 16); break;
      default: script.setup.ethernet = !script.setup.ethernet; break;
    }
  }
}

const char* FieldName(Field field) {
  switch (field) {
    case Field::kVersion: return "version";
    case Field::kIhl: return "ihl";
    case Field::kTotalLength: return "total_length";
    case Field::kProtocol: return "protocol";
    case Field::kFragment: return "fragment";
    case Field::kTtl: return "ttl";
    case Field::kChecksum: return "checksum";
    case Field::kOptionLength: return "option_length";
    case Field::kSpi: return "spi";
    case Field::kSequence: return "sequence";
    case Field::kPadLength: return "pad_length";
    case Field::kNextHeader: return "next_header";
    case Field::kAhPayloadLength: return "ah_payload_length";
    case Field::kAhNextHeader: return "ah_next_header";
    case Field::kEtherType: return "ethertype";
    case Field::kTruncate: return "truncate";
    case Field::kIv: return "iv";
    case Field::kTos: return "tos";
    case Field::kDscp: return "dscp";
    case Field::kEcn: return "ecn";
    case Field::kFlags: return "flags";
    case Field::kFragmentOffset: return "fragment_offset";
    case Field::kIdentification: return "identification";
    case Field::kOptionType: return "option_type";
    case Field::kOptionPointer: return "option_pointer";
    case Field::kPadding: return "padding";
    case Field::kCount: break;
  }
  return "?";
}

const char* UdpFieldName(UdpField field) {
  switch (field) {
    case UdpField::kSourcePort: return "udp_source_port";
    case UdpField::kDestinationPort: return "udp_destination_port";
    case UdpField::kLength: return "udp_length";
    case UdpField::kChecksum: return "udp_checksum";
    case UdpField::kNonEspMarker: return "non_esp_marker";
    case UdpField::kCount: break;
  }
  return "?";
}

namespace {

const char* ShapeName(SaShape shape) {
  switch (shape) {
    case SaShape::kEsp: return "ESP";
    case SaShape::kAh: return "AH";
    case SaShape::kEspAh: return "ESP+AH";
    case SaShape::kCount: break;
  }
  return "?";
}

void DescribeHandle(std::ostringstream& out, const HandleRef& handle) {
  switch (handle.kind) {
    case HandleKind::kZero: out << "0"; break;
    case HandleKind::kSa: out << "sa" << int{handle.sa}; break;
    case HandleKind::kNeverIssued: out << "never_issued"; break;
    case HandleKind::kCount: out << "?"; break;
  }
}

}  // namespace

std::string DescribeScript(const Script& script) {
  std::ostringstream out;
  out << "encapsulation " << (script.setup.ethernet ? "ieee802.3" : "null");
  if (script.setup.second_set) out << ", second set";
  if (script.setup.churn != 0) out << ", " << int{script.setup.churn} << " add/delete cycles";
  if (!script.setup.disabled.empty()) {
    out << ", capabilities left out:";
    for (std::uint8_t index : script.setup.disabled) out << ' ' << int{index};
  }
  out << "\n";
  for (std::size_t i = 0; i < script.setup.sas.size(); ++i) {
    const SaDef& sa = script.setup.sas[i];
    out << "sa" << i << ": " << ShapeName(sa.shape);
    if (sa.shape != SaShape::kAh) {
      out << " " << kConfChoices[sa.conf % kConfChoices.size()].name << "/"
          << kIntegrityChoices[sa.esp_integrity % kIntegrityChoices.size()].name << " spi " << sa.esp_spi;
    }
    if (sa.shape != SaShape::kEsp) {
      out << " AH " << kIntegrityChoices[sa.ah_integrity % kIntegrityChoices.size()].name << " spi " << sa.ah_spi;
    }
    out << (sa.tunnel ? " tunnel" : " transport") << (sa.inbound ? " inbound" : "") << (sa.deleted ? " deleted" : "")
        << (sa.integrity_first ? " integrity-first" : "") << (sa.esn ? " esn" : "");
    if (script.setup.udp.UdpEsp(i)) {
      const std::uint8_t entry = script.setup.udp.parser_entry[i];
      out << " udp-esp";
      if (sa.inbound) {
        out << " parser entry "
            << (entry == kParserEntryNull ? std::string("NULL")
                                          : entry == kParserEntryNeverIssued ? std::string("never_issued")
                                                                             : "of sa" + std::to_string(entry - 1));
      }
      if (sa.deleted && ((script.setup.udp.delete_entry >> i) & 1u) != 0) out << " (delete names its entry)";
    }
    out << "\n";
  }
  for (std::size_t i = 0; i < script.sends.size(); ++i) {
    const SendDef& send = script.sends[i];
    out << "send " << i << ": ";
    if (!send.has_info) {
      out << "no info";
    } else {
      out << "OffloadHandle ";
      DescribeHandle(out, send.offload);
      out << ", NextOffloadHandle ";
      DescribeHandle(out, send.next);
    }
    out << "; frame for outer sa" << int{send.plan.outer_sa} << (send.plan.tunnel_payload ? " (tunnel)" : "");
    if (send.plan.inner_sa != kNoSa) out << " inner sa" << int{send.plan.inner_sa};
    out << ", payload " << send.plan.payload_length;
    for (const Deviation& deviation : send.deviations) {
      out << ", " << FieldName(deviation.field) << "[" << int{deviation.level} << "]=" << deviation.value;
    }
    for (const UdpDeviation& deviation : send.udp_deviations) {
      out << ", " << UdpFieldName(deviation.field) << "[" << int{deviation.level} << "]=" << deviation.value;
    }
    if (send.udp_flip != 0) out << ", UDP framing flipped (" << int{send.udp_flip} << ")";
    if (!send.cuts.empty()) out << ", " << send.cuts.size() << " cuts";
    out << "\n";
  }
  return out.str();
}

}  // namespace sendpath::fuzz
