// Writes the seed corpora of the binary fuzz targets:
//   send_path/corpus/ and differential/corpus/  scripts (fuzz/common/script.h), one per contract
//                                               area: every SA shape and mode, transport over
//                                               tunnel, options, buffer-chain cuts, each handle
//                                               misuse, each framing deviation, ESN, KeyMat order,
//                                               a second set, SA-slot reuse, IV reuse;
//   pcap_reader/corpus/                         captures of what the reference NIC sent for them.
// Usage: sendpath-fuzz-seeds FUZZ_DIR   (e.g. build/dev/fuzz/sendpath-fuzz-seeds fuzz)
#include "fuzz/common/framing.h"
#include "fuzz/common/programming.h"
#include "fuzz/common/script.h"

#include <reference_nic/reference_nic.h>
#include <reports/pcap_io.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace sendpath;
using namespace sendpath::fuzz;

HandleRef Sa(std::uint8_t index) { return {HandleKind::kSa, index}; }

SendDef Send(const Setup& setup, HandleRef offload, HandleRef next = {}) {
  SendDef send;
  send.offload = offload;
  send.next = next;
  send.plan = PlanFor(setup, offload, next);
  return send;
}

Script With(std::vector<SendDef> sends, Setup setup = BaseSetup()) {
  Script script;
  script.setup = std::move(setup);
  script.sends.assign(sends.begin(), sends.end());
  script.iv_seed = 0x5eed;
  return script;
}

template <class Choices>
std::uint8_t ChoiceIndex(const Choices& choices, std::string_view name) {
  return static_cast<std::uint8_t>(
      std::find_if(choices.begin(), choices.end(), [&](const AlgorithmChoice& choice) { return name == choice.name; }) -
      choices.begin());
}

std::uint8_t CapabilityIndex(const std::string& name) {
  const auto& names = vectors::AllCapabilityNames();
  return static_cast<std::uint8_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

std::vector<std::pair<std::string, Script>> Seeds() {
  const Setup base = BaseSetup();
  std::vector<std::pair<std::string, Script>> seeds;
  const auto add = [&](std::string name, Script script) { seeds.emplace_back(std::move(name), std::move(script)); };

  // Every SA alone, framed as it says.
  const char* const kShapes[] = {"esp-aes-cbc-sha1", "esp-aes-gcm", "ah-sha256", "esp-3des-ah-md5",
                                 "tunnel-esp-aes256-sha256", "tunnel-ah-gmac"};
  for (std::uint8_t i = 0; i < base.sas.size(); ++i) add(std::string("sa-") + kShapes[i], With({Send(base, Sa(i))}));
  // Transport over tunnel [S12].
  add("transport-over-tunnel-esp-esp", With({Send(base, Sa(0), Sa(4))}));
  add("transport-over-tunnel-bundle-ah", With({Send(base, Sa(3), Sa(5))}));
  add("transport-over-tunnel-gcm-esp", With({Send(base, Sa(1), Sa(4))}));
  // Ethernet encapsulation.
  {
    Setup ethernet = base;
    ethernet.ethernet = true;
    add("ethernet-esp", With({Send(ethernet, Sa(0))}, ethernet));
    add("ethernet-tunnel", With({Send(ethernet, Sa(0), Sa(4))}, ethernet));
  }
  // IPv4 options: AH keeps immutable ones, zeroes mutable ones, uses a source route's end.
  {
    SendDef ah = Send(base, Sa(2));
    ah.plan.outer_options = {{OptionKind::kLsrr, 3, 4}, {OptionKind::kSecurity, 2, 4}, {OptionKind::kNop, 0, 4}};
    add("options-ah-lsrr-security", With({ah}));
    ah.plan.outer_options = {{OptionKind::kRecordRoute, 2, 4}, {OptionKind::kRouterAlert, 0, 4}, {OptionKind::kSsrr, 1, 4}};
    add("options-ah-rr-ra-ssrr", With({ah}));
    ah.plan.outer_options = {{OptionKind::kTimestamp, 2, 5}, {OptionKind::kUnknown, 3, 4}};
    add("options-ah-timestamp-unknown", With({ah}));
    SendDef bundle = Send(base, Sa(3), Sa(5));
    bundle.plan.inner_options = {{OptionKind::kLsrr, 2, 4}};
    bundle.plan.outer_options = {{OptionKind::kRecordRoute, 1, 4}};
    add("options-tunnel-inner-lsrr", With({bundle}));
    Setup no_options = base;
    no_options.disabled = {CapabilityIndex("Supported.V4_OPTIONS")};
    SendDef esp = Send(no_options, Sa(0));
    esp.plan.outer_options = {{OptionKind::kRouterAlert, 0, 4}};
    add("options-not-enabled", With({esp}, no_options));
  }
  // Buffer-chain cuts through the headers.
  {
    SendDef esp = Send(base, Sa(0));
    esp.cuts = {{Anchor::kIp, 7}, {Anchor::kEsp, 3}, {Anchor::kEspIv, 5}};
    add("cuts-esp-header", With({esp}));
    SendDef ah = Send(base, Sa(3));
    ah.cuts = {{Anchor::kAh, 1}, {Anchor::kEsp, 6}, {Anchor::kEspTrailer, 1}, {Anchor::kIcv, 4}};
    add("cuts-bundle", With({ah}));
    SendDef tunnel = Send(base, Sa(0), Sa(4));
    tunnel.cuts = {{Anchor::kInnerIp, 2}, {Anchor::kInnerEsp, 5}, {Anchor::kStart, 0}};
    add("cuts-tunnel-inner", With({tunnel}));
  }
  // Handle misuse.
  {
    SendDef zero = Send(base, Sa(0));
    zero.offload = {};
    add("handle-zero", With({zero}));
    SendDef next_only = zero;
    next_only.next = Sa(4);
    add("handle-next-without-offload", With({next_only}));
    SendDef never = Send(base, Sa(0));
    never.offload = {HandleKind::kNeverIssued, 0};
    add("handle-never-issued", With({never}));
    Setup deleted = base;
    deleted.sas[0].deleted = true;
    add("handle-deleted", With({Send(deleted, Sa(0))}, deleted));
    Setup inbound = base;
    inbound.sas[1].inbound = true;
    add("handle-inbound", With({Send(inbound, Sa(1))}, inbound));
    SendDef swapped = Send(base, Sa(0), Sa(4));
    std::swap(swapped.offload, swapped.next);
    add("handle-swapped", With({swapped}));
    SendDef no_payload = Send(base, Sa(4), Sa(4));
    no_payload.offload = Sa(0);
    no_payload.plan = PlanFor(base, Sa(0), {});
    add("handle-next-no-tunnel-payload", With({no_payload}));
    SendDef no_info = Send(base, Sa(0));
    no_info.has_info = false;
    add("no-packet-info", With({no_info}));
  }
  // Framing deviations, one field each.
  {
    const std::pair<Field, std::uint32_t> kDeviations[] = {
        {Field::kIhl, 4},           {Field::kTotalLength, 0xfffc}, {Field::kProtocol, 17},   {Field::kFragment, 0x2000},
        {Field::kSpi, 1},           {Field::kPadLength, 255},     {Field::kNextHeader, 41}, {Field::kTruncate, 11},
        {Field::kVersion, 6},       {Field::kOptionLength, 1},     {Field::kIv, 0x80}};
    for (const auto& [field, value] : kDeviations) {
      SendDef esp = Send(base, Sa(0));
      esp.deviations = {{field, 0, value}};
      if (field == Field::kOptionLength) esp.plan.outer_options = {{OptionKind::kRecordRoute, 1, 4}};
      add(std::string("deviation-esp-") + FieldName(field), With({esp}));
    }
    SendDef ah = Send(base, Sa(2));
    ah.deviations = {{Field::kAhPayloadLength, 0, 2}};
    add("deviation-ah-payload-length", With({ah}));
    SendDef bundle = Send(base, Sa(3));
    bundle.deviations = {{Field::kAhNextHeader, 0, 17}};
    add("deviation-bundle-ah-next-header", With({bundle}));
    SendDef icv = Send(base, Sa(0));
    icv.plan.icv_delta = -4;
    add("icv-space-short", With({icv}));
    SendDef misaligned = Send(base, Sa(0));
    misaligned.plan.cipher_delta = 3;
    add("ciphertext-misaligned", With({misaligned}));
    SendDef inner = Send(base, Sa(0), Sa(4));
    inner.deviations = {{Field::kTotalLength, 1, 0x10000 + 0xffff}, {Field::kFragment, 1, 0x2000}};
    add("deviation-inner-length-fragment", With({inner}));
    // The IPv4 fields AH zeroes for its ICV (RFC 4302 §3.3.3.1.1.1): TOS whole, DSCP and ECN
    // alone, flags, fragment offset, TTL, checksum; the options' type and pointer; ESP padding.
    const std::pair<Field, std::uint32_t> kAhDeviations[] = {
        {Field::kTos, 0xff},  {Field::kDscp, 0x2e}, {Field::kEcn, 3},     {Field::kFlags, 4},
        {Field::kTtl, 1},     {Field::kChecksum, 0xffff}, {Field::kFragmentOffset, 1}, {Field::kIdentification, 0xffff}};
    for (const auto& [field, value] : kAhDeviations) {
      SendDef ah_field = Send(base, Sa(2));
      ah_field.deviations = {{field, 0, value}};
      add(std::string("deviation-ah-") + FieldName(field), With({ah_field}));
    }
    SendDef inner_tos = Send(base, Sa(2), Sa(5));  // inner AH under an AH tunnel: the inner header's TOS
    inner_tos.deviations = {{Field::kEcn, 1, 1}, {Field::kDscp, 0, 0x3f}};
    add("deviation-tunnel-ah-inner-ecn", With({inner_tos}));
    SendDef pointer = Send(base, Sa(2));
    pointer.plan.outer_options = {{OptionKind::kLsrr, 2, 4}};
    pointer.deviations = {{Field::kOptionPointer, 0, 12}};
    add("deviation-ah-option_pointer", With({pointer}));
    SendDef type = Send(base, Sa(2));
    type.plan.outer_options = {{OptionKind::kRecordRoute, 2, 4}};
    type.deviations = {{Field::kOptionType, 0, 131}};
    add("deviation-ah-option_type", With({type}));
    SendDef padding = Send(base, Sa(0));
    padding.plan.extra_pad_blocks = 1;
    padding.deviations = {{Field::kPadding, 0, 0x55}};
    add("deviation-esp-padding", With({padding}));
    SendDef tos_plan = Send(base, Sa(3));
    tos_plan.plan.tos = 0xb9;  // DSCP 46 (EF) and ECN 1
    tos_plan.plan.ttl = 1;
    add("plan-bundle-tos-ttl", With({tos_plan}));
  }
  // SA programming: ESN, integrity-first KeyMat, second set, slot reuse, IV reuse across sends.
  {
    Setup esn = base;
    esn.sas[0].esn = esn.sas[1].esn = esn.sas[2].esn = true;
    esn.sas[0].esn_high = esn.sas[1].esn_high = esn.sas[2].esn_high = 0x01020304;
    add("esn", With({Send(esn, Sa(0)), Send(esn, Sa(1)), Send(esn, Sa(2))}, esn));
    Setup swapped_keys = base;
    swapped_keys.sas[0].integrity_first = true;
    add("keymat-integrity-first", With({Send(swapped_keys, Sa(0)), Send(swapped_keys, Sa(3))}, swapped_keys));
    Setup twice = base;
    twice.second_set = true;
    add("second-set", With({Send(twice, Sa(0))}, twice));
    Setup churn = base;
    churn.churn = 12;
    add("sa-slot-reuse", With({Send(churn, Sa(0))}, churn));
    Script again = With({Send(base, Sa(0)), Send(base, Sa(0)), Send(base, Sa(1))});
    again.sends[1].plan.outer_sequence = 2;
    add("iv-per-packet", again);
    // ESP NULL + AES-GMAC: authenticated, nothing encrypted (RFC 4543 3).
    Setup gmac = base;
    gmac.sas[0].conf = ChoiceIndex(kConfChoices, "NONE");
    gmac.sas[0].esp_integrity = ChoiceIndex(kIntegrityChoices, "AES_GMAC_128");
    add("sa-esp-null-gmac", With({Send(gmac, Sa(0))}, gmac));
    // Two live SAs with the same algorithms and keys of their own: the send under the second
    // must use its keys, not the first's [S12].
    Setup twins = base;
    twins.sas[1] = base.sas[0];
    twins.sas[1].esp_spi = base.sas[1].esp_spi;
    twins.sas[1].ah_spi = base.sas[1].ah_spi;
    add("sa-twins", With({Send(twins, Sa(0)), Send(twins, Sa(1))}, twins));
  }
  // UDP-encapsulated ESP (RFC 3948, docs §5.7): each subtype, parser entries, deletes, the framing
  // the other way round, each UDP field, the subtype not enabled, cuts inside the UDP header.
  {
    const auto udp = [&](std::initializer_list<std::uint8_t> sas) {
      Setup setup = base;
      for (const std::uint8_t sa : sas) setup.udp.sas = static_cast<std::uint8_t>(setup.udp.sas | (1u << sa));
      return setup;
    };
    const Setup transport = udp({0}), tunnel = udp({4});
    add("udp-esp-transport", With({Send(transport, Sa(0)), Send(transport, Sa(1))}, transport));
    add("udp-esp-tunnel", With({Send(tunnel, Sa(4))}, tunnel));
    add("udp-esp-transport-over-udp-tunnel", With({Send(tunnel, Sa(0), Sa(4))}, tunnel));
    add("udp-esp-udp-transport-over-tunnel", With({Send(transport, Sa(0), Sa(4))}, transport));
    const Setup both = udp({0, 4});
    add("udp-esp-over-udp-esp", With({Send(both, Sa(0), Sa(4))}, both));
    // Inbound SAs: sa1 creates an entry, sa5 (made ESP) names it, sa3 names one never issued;
    // sa2 is AH, which UDP encapsulation cannot carry; sa1's delete names its entry.
    Setup entries = udp({0, 1, 2, 3, 5});
    entries.sas[1].inbound = entries.sas[3].inbound = entries.sas[5].inbound = true;
    entries.sas[3].shape = entries.sas[5].shape = SaShape::kEsp;
    entries.udp.parser_entry[5] = 2;
    entries.udp.parser_entry[3] = kParserEntryNeverIssued;
    entries.sas[1].deleted = true;
    entries.udp.delete_entry = 1u << 1;
    add("udp-esp-parser-entries", With({Send(entries, Sa(0)), Send(entries, Sa(5))}, entries));
    Setup deleted = transport;
    deleted.sas[0].deleted = true;
    add("udp-esp-deleted", With({Send(deleted, Sa(0))}, deleted));
    SendDef plain_on_udp = Send(transport, Sa(0));
    plain_on_udp.udp_flip = 1;
    SendDef udp_on_plain = Send(transport, Sa(1));
    udp_on_plain.udp_flip = 1;
    add("udp-esp-framing-flipped", With({plain_on_udp, udp_on_plain}, transport));
    const std::pair<UdpField, std::uint32_t> kUdpDeviations[] = {
        {UdpField::kSourcePort, 4501}, {UdpField::kDestinationPort, 62000}, {UdpField::kLength, 1},
        {UdpField::kChecksum, 0xbeef}, {UdpField::kNonEspMarker, 0}};
    for (const auto& [field, value] : kUdpDeviations) {
      SendDef esp = Send(transport, Sa(0));
      esp.udp_deviations = {{field, 0, value}};
      add(std::string("udp-esp-deviation-") + UdpFieldName(field), With({esp}, transport));
    }
    Setup not_enabled = transport;
    not_enabled.disabled = {CapabilityIndex("Supported.IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER")};
    add("udp-esp-not-enabled", With({Send(not_enabled, Sa(0))}, not_enabled));
    SendDef cut = Send(transport, Sa(0));
    cut.cuts = {{Anchor::kEsp, -5}, {Anchor::kEsp, 2}};
    add("udp-esp-cuts", With({cut}, transport));
  }
  return seeds;
}

bool WriteFile(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// The reference NIC's wire frames for `script` (successful sends only).
std::vector<std::vector<std::uint8_t>> Sent(const Script& script) {
  nic::ReferenceNic nic;
  const Programming programming = Program(script.setup, nic.QueryCapabilities());
  nic.SetCapabilities(programming.encapsulation, programming.enable);
  std::vector<NDIS_HANDLE> handles;
  for (std::size_t i = 0; i < programming.requests.size(); ++i) {
    const auto& request = programming.requests[i];
    auto buffer = request.buffer;
    NDIS_HANDLE handle = nullptr;
    // A UDP-ESP SA's request is an ADD_UDPESP_SA one (NULL parser entry: outbound SAs send).
    const bool udp_esp = script.setup.udp.UdpEsp(i);
    if (udp_esp ? nic.AddUdpEspSa(buffer, &request.extension).ok() : nic.AddSa(buffer, &request.extension).ok()) {
      const std::size_t at = udp_esp ? offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle) : offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle);
      std::memcpy(&handle, buffer.data() + at, sizeof handle);
    }
    handles.push_back(handle);
  }
  std::vector<std::vector<std::uint8_t>> frames;
  FrameBuilder builder;
  std::vector<std::uint8_t> frame, wire(65535 + 14);
  Layout layout;
  for (const SendDef& send : script.sends) {
    builder.Build(script.setup, programming.framing, send, frame, layout);
    NDIS_IPSEC_PACKET_INFO info{};
    const auto handle = [&](const HandleRef& ref) { return ref.kind == HandleKind::kSa && ref.sa < handles.size() ? handles[ref.sa] : nullptr; };
    info.Transmit.OffloadHandle = handle(send.offload);
    info.Transmit.NextOffloadHandle = handle(send.next);
    const nic::ByteSpan piece(frame);
    const auto result = nic.Send(nic::BufferChain(&piece, 1), &info, wire);
    if (result.ok()) frames.emplace_back(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(result.length));
  }
  return frames;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] == '-') {  // --help, or a typo: never write seeds into "./-..."
    std::fprintf(stderr, "usage: %s FUZZ_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const auto seeds = Seeds();
  std::vector<std::vector<std::uint8_t>> raw, ethernet;
  for (const auto& [name, script] : seeds) {
    const auto bytes = EncodeScript(script);
    if (!(DecodeScript(bytes) == script)) {
      std::fprintf(stderr, "seed %s does not decode to itself\n", name.c_str());
      return 1;
    }
    for (const char* target : {"send_path", "differential"}) {
      const auto dir = root / target / "corpus";
      std::filesystem::create_directories(dir);
      if (!WriteFile(dir / ("seed-" + name), bytes)) {
        std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
        return 1;
      }
    }
    for (auto& frame : Sent(script)) (script.setup.ethernet ? ethernet : raw).push_back(std::move(frame));
  }
  const auto pcaps = root / "pcap_reader" / "corpus";
  std::filesystem::create_directories(pcaps);
  const std::pair<const char*, std::pair<report::LinkType, const std::vector<std::vector<std::uint8_t>>*>> kCaptures[] = {
      {"seed-raw-ip.pcap", {report::LinkType::kRawIp, &raw}}, {"seed-ethernet.pcap", {report::LinkType::kEthernet, &ethernet}}};
  for (const auto& [name, what] : kCaptures) {
    auto writer = report::PcapWriter::Create((pcaps / name).string(), what.first);
    if (!writer) {
      std::fprintf(stderr, "%s\n", writer.error().message.c_str());
      return 1;
    }
    for (const auto& frame : *what.second) writer.value().Write(frame);
    if (auto committed = writer.value().Commit(); !committed) {
      std::fprintf(stderr, "%s\n", committed.error().message.c_str());
      return 1;
    }
  }
  std::printf("%zu scripts, %zu + %zu captured frames\n", seeds.size(), raw.size(), ethernet.size());
  return 0;
}
