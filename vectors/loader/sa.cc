// The SA object (a named OID_TCP_TASK_IPSEC_ADD_SA request): parsing, writing it back, the
// `sendpath-sas/1` file, and the request buffer itself.
#include "vectors/loader/json_reader.h"
#include "vectors/loader/vector_loader.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <limits>

namespace sendpath::vectors {

namespace detail {

namespace {

constexpr std::uint64_t kMaxUlong = std::numeric_limits<ULONG>::max();

AlgorithmSpec ParseAlgorithm(const nlohmann::json& value, const JsonPointer& pointer, bool conf) {
  ObjectReader reader(value, pointer, {"algorithm", "key", "key_length"});
  AlgorithmSpec spec;
  const nlohmann::json& algorithm = reader.Required("algorithm");
  if (algorithm.is_number()) {
    // A literal algoIdentifier, for negative vectors naming an identifier no NIC knows.
    spec.identifier = static_cast<ULONG>(AsUnsigned(algorithm, reader.At("algorithm"), kMaxUlong));
  } else {
    spec.name = AsString(algorithm, reader.At("algorithm"));
    const auto identifier = conf ? ConfAlgorithmId(spec.name) : IntegrityAlgorithmId(spec.name);
    if (!identifier) {
      Fail(reader.At("algorithm"),
           std::string("unknown ") + (conf ? "confidentiality" : "integrity") + " algorithm '" + spec.name + "'");
    }
    spec.identifier = *identifier;
  }
  spec.key = AsHex(reader.Required("key"), reader.At("key"));
  if (spec.key.size() > kMaxKeyBytes) {
    Fail(reader.At("key"), "key of " + std::to_string(spec.key.size()) + " bytes; at most " + std::to_string(kMaxKeyBytes) +
                               " (state a larger algoKeylen with key_length)");
  }
  if (const auto* key_length = reader.Optional("key_length")) {
    spec.key_length = static_cast<ULONG>(AsUnsigned(*key_length, reader.At("key_length"), kMaxUlong));
  }
  return spec;
}

std::optional<AlgorithmSpec> ParseOptionalAlgorithm(const nlohmann::json& value, const JsonPointer& pointer,
                                                    bool conf) {
  if (value.is_null()) return std::nullopt;
  return ParseAlgorithm(value, pointer, conf);
}

OFFLOAD_OPERATION_E ParseOperation(const nlohmann::json& value, const JsonPointer& pointer) {
  const std::string& text = AsString(value, pointer);
  if (text == "ENCRYPT") return ENCRYPT;
  if (text == "AUTHENTICATE") return AUTHENTICATE;
  Fail(pointer, "unknown operation '" + text + "' (expected ENCRYPT or AUTHENTICATE)");
}

SecAssocSpec ParseSecAssoc(const nlohmann::json& value, const JsonPointer& pointer) {
  ObjectReader reader(value, pointer, {"operation", "spi", "conf", "integrity", "esn_high"});
  SecAssocSpec spec;
  spec.operation = ParseOperation(reader.Required("operation"), reader.At("operation"));
  spec.raw_operation = static_cast<ULONG>(spec.operation);
  spec.spi = static_cast<SPI_TYPE>(AsUnsigned(reader.Required("spi"), reader.At("spi"), kMaxUlong));
  spec.conf = ParseOptionalAlgorithm(reader.Required("conf"), reader.At("conf"), true);
  spec.integrity = ParseOptionalAlgorithm(reader.Required("integrity"), reader.At("integrity"), false);
  const nlohmann::json& esn_high = reader.Required("esn_high");
  if (!esn_high.is_null()) spec.esn_high = static_cast<ULONG>(AsUnsigned(esn_high, reader.At("esn_high"), kMaxUlong));
  return spec;
}

void ParseFilter(const nlohmann::json& value, const JsonPointer& pointer, SaSpec& sa) {
  ObjectReader reader(value, pointer, {"src", "src_mask", "dst", "dst_mask", "protocol", "src_port", "dst_port"});
  sa.src_addr = AsIpv4Address(reader.Required("src"), reader.At("src"));
  sa.src_mask = AsIpv4Address(reader.Required("src_mask"), reader.At("src_mask"));
  sa.dest_addr = AsIpv4Address(reader.Required("dst"), reader.At("dst"));
  sa.dest_mask = AsIpv4Address(reader.Required("dst_mask"), reader.At("dst_mask"));
  sa.protocol = static_cast<ULONG>(AsUnsigned(reader.Required("protocol"), reader.At("protocol"), kMaxUlong));
  sa.src_port = static_cast<USHORT>(AsUnsigned(reader.Required("src_port"), reader.At("src_port"), 0xffff));
  sa.dest_port = static_cast<USHORT>(AsUnsigned(reader.Required("dst_port"), reader.At("dst_port"), 0xffff));
}

void ParseRaw(const nlohmann::json& value, const JsonPointer& pointer, SaSpec& sa) {
  ObjectReader reader(value, pointer, {"num_sas", "operation", "key_len"});
  if (const auto* num_sas = reader.Optional("num_sas")) {
    sa.num_sas_override = static_cast<SHORT>(AsSigned(*num_sas, reader.At("num_sas"), std::numeric_limits<SHORT>::min(),
                                                      std::numeric_limits<SHORT>::max()));
  }
  if (const auto* operation = reader.Optional("operation")) {
    const JsonPointer at = reader.At("operation");
    const auto& values = AsArray(*operation, at);
    if (values.size() != sa.bundle.size()) {
      Fail(at, "has " + std::to_string(values.size()) + " entries; the bundle has " + std::to_string(sa.bundle.size()));
    }
    // Literal Operation values (any ULONG, to reach the NIC's check), or the names.
    for (std::size_t i = 0; i < values.size(); ++i) {
      sa.bundle[i].raw_operation =
          values[i].is_string() ? static_cast<ULONG>(ParseOperation(values[i], at.Child(i)))
                                : static_cast<ULONG>(AsUnsigned(values[i], at.Child(i), kMaxUlong));
    }
  }
  if (const auto* key_len = reader.Optional("key_len")) {
    sa.key_len_override = static_cast<ULONG>(AsUnsigned(*key_len, reader.At("key_len"), kMaxUlong));
  }
}

}  // namespace

SaSpec ParseSa(const nlohmann::json& value, const JsonPointer& pointer, const std::string& name) {
  ObjectReader reader(value, pointer,
                      {"direction", "flags_raw", "filter", "tunnel", "key_order", "bundle", "raw", "udp_esp"});
  SaSpec sa;
  sa.name = name;
  sa.pointer = pointer.str();

  const auto* direction = reader.Optional("direction");
  const auto* flags_raw = reader.Optional("flags_raw");
  if ((direction == nullptr) == (flags_raw == nullptr)) {
    Fail(pointer, "needs exactly one of 'direction' and 'flags_raw'");
  }
  if (direction != nullptr) {
    const std::string& text = AsString(*direction, reader.At("direction"));
    if (text == "outbound") {
      sa.flags = OFFLOAD_OUTBOUND_SA;
    } else if (text == "inbound") {
      sa.flags = OFFLOAD_INBOUND_SA;
    } else {
      Fail(reader.At("direction"), "unknown direction '" + text + "' (expected outbound or inbound)");
    }
  } else {
    sa.flags = static_cast<USHORT>(AsUnsigned(*flags_raw, reader.At("flags_raw"), 0xffff));
  }

  ParseFilter(reader.Required("filter"), reader.At("filter"), sa);

  const nlohmann::json& tunnel = reader.Required("tunnel");
  if (!tunnel.is_null()) {
    ObjectReader tunnel_reader(tunnel, reader.At("tunnel"), {"src", "dst"});
    sa.src_tunnel_addr = AsIpv4Address(tunnel_reader.Required("src"), tunnel_reader.At("src"));
    sa.dest_tunnel_addr = AsIpv4Address(tunnel_reader.Required("dst"), tunnel_reader.At("dst"));
  }

  if (const auto* key_order = reader.Optional("key_order")) {
    const std::string& text = AsString(*key_order, reader.At("key_order"));
    if (text == "conf_first") {
      sa.key_order = KeyOrder::kConfFirst;
    } else if (text == "integrity_first") {
      sa.key_order = KeyOrder::kIntegrityFirst;
    } else {
      Fail(reader.At("key_order"), "unknown key order '" + text + "' (expected conf_first or integrity_first)");
    }
  }

  const JsonPointer bundle_at = reader.At("bundle");
  const auto& bundle = AsArray(reader.Required("bundle"), bundle_at);
  // SecAssoc[] holds OFFLOAD_MAX_SAS elements; the transport fills one or two [S7], a third
  // only appears in negative vectors.
  if (bundle.empty() || bundle.size() > OFFLOAD_MAX_SAS) {
    Fail(bundle_at, "has " + std::to_string(bundle.size()) + " elements; SecAssoc[] holds 1.." +
                        std::to_string(OFFLOAD_MAX_SAS));
  }
  for (std::size_t i = 0; i < bundle.size(); ++i) sa.bundle.push_back(ParseSecAssoc(bundle[i], bundle_at.Child(i)));

  if (const auto* raw = reader.Optional("raw")) ParseRaw(*raw, reader.At("raw"), sa);
  if (const auto* udp_esp = reader.Optional("udp_esp")) {
    // OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY: "OTHER" (port 4500), "IKE" (reserved) or a literal.
    ObjectReader udp_reader(*udp_esp, reader.At("udp_esp"), {"encap_type", "dst_encap_port"});
    UdpEspSpec spec;
    const nlohmann::json& type = udp_reader.Required("encap_type");
    if (type.is_number()) {
      spec.encap_type = static_cast<ULONG>(AsUnsigned(type, udp_reader.At("encap_type"), kMaxUlong));
    } else {
      const std::string& text = AsString(type, udp_reader.At("encap_type"));
      if (text == "OTHER") {
        spec.encap_type = OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER;
      } else if (text == "IKE") {
        spec.encap_type = OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_IKE;
      } else {
        Fail(udp_reader.At("encap_type"), "unknown UDP encapsulation type '" + text + "' (expected OTHER, IKE or a number)");
      }
    }
    spec.dst_encap_port =
        static_cast<USHORT>(AsUnsigned(udp_reader.Required("dst_encap_port"), udp_reader.At("dst_encap_port"), 0xffff));
    sa.udp_esp = spec;
  }
  return sa;
}

}  // namespace detail

namespace {

std::string AddressText(IPAddr address) {
  std::uint8_t octets[4];
  std::memcpy(octets, &address, sizeof(octets));
  return std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." + std::to_string(octets[2]) + "." +
         std::to_string(octets[3]);
}

nlohmann::json WriteAlgorithm(const std::optional<AlgorithmSpec>& algorithm) {
  if (!algorithm) return nullptr;
  nlohmann::json out = nlohmann::json::object();
  if (algorithm->name.empty()) {
    out["algorithm"] = algorithm->identifier;
  } else {
    out["algorithm"] = algorithm->name;
  }
  out["key"] = ToHex(algorithm->key);
  if (algorithm->key_length) out["key_length"] = *algorithm->key_length;
  return out;
}

}  // namespace

nlohmann::json WriteSaObject(const SaSpec& sa) {
  nlohmann::json out = nlohmann::json::object();
  if (sa.flags == OFFLOAD_OUTBOUND_SA) {
    out["direction"] = "outbound";
  } else if (sa.flags == OFFLOAD_INBOUND_SA) {
    out["direction"] = "inbound";
  } else {
    out["flags_raw"] = sa.flags;
  }
  out["filter"] = {{"src", AddressText(sa.src_addr)},   {"src_mask", AddressText(sa.src_mask)},
                   {"dst", AddressText(sa.dest_addr)},  {"dst_mask", AddressText(sa.dest_mask)},
                   {"protocol", sa.protocol},           {"src_port", sa.src_port},
                   {"dst_port", sa.dest_port}};
  if (sa.src_tunnel_addr || sa.dest_tunnel_addr) {
    out["tunnel"] = {{"src", AddressText(sa.src_tunnel_addr.value_or(0))},
                     {"dst", AddressText(sa.dest_tunnel_addr.value_or(0))}};
  } else {
    out["tunnel"] = nullptr;
  }
  out["key_order"] = sa.key_order == KeyOrder::kIntegrityFirst ? "integrity_first" : "conf_first";
  nlohmann::json bundle = nlohmann::json::array();
  bool raw_operation = false;
  for (const SecAssocSpec& element : sa.bundle) {
    nlohmann::json e = nlohmann::json::object();
    e["operation"] = element.operation == AUTHENTICATE ? "AUTHENTICATE" : "ENCRYPT";
    e["spi"] = element.spi;
    e["conf"] = WriteAlgorithm(element.conf);
    e["integrity"] = WriteAlgorithm(element.integrity);
    e["esn_high"] = element.esn_high ? nlohmann::json(*element.esn_high) : nlohmann::json(nullptr);
    bundle.push_back(std::move(e));
    raw_operation = raw_operation || element.raw_operation != static_cast<ULONG>(element.operation);
  }
  out["bundle"] = std::move(bundle);
  nlohmann::json raw = nlohmann::json::object();
  if (sa.num_sas_override) raw["num_sas"] = *sa.num_sas_override;
  if (raw_operation) {
    nlohmann::json operations = nlohmann::json::array();
    for (const SecAssocSpec& element : sa.bundle) operations.push_back(element.raw_operation);
    raw["operation"] = std::move(operations);
  }
  if (sa.key_len_override) raw["key_len"] = *sa.key_len_override;
  if (!raw.empty()) out["raw"] = std::move(raw);
  if (sa.udp_esp) {
    nlohmann::json type = sa.udp_esp->encap_type;
    if (sa.udp_esp->encap_type == OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER) type = "OTHER";
    if (sa.udp_esp->encap_type == OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_IKE) type = "IKE";
    out["udp_esp"] = {{"encap_type", type}, {"dst_encap_port", sa.udp_esp->dst_encap_port}};
  }
  return out;
}

nlohmann::json WriteSaFile(const SaFile& file) {
  nlohmann::json sas = nlohmann::json::object();
  for (const auto& [name, sa] : file.sas) sas[name] = WriteSaObject(sa);
  return {{"format", kSaFileFormat}, {"encapsulation", EncapsulationName(file.encapsulation)}, {"sas", std::move(sas)}};
}

std::variant<SaFile, LoadError> ParseSaFile(std::string_view json_text, std::string path) {
  using namespace detail;
  try {
    const nlohmann::json document = ParseJsonText(json_text);
    // The format first: another kind of file (a vector file, results.json) is named as such,
    // not reported by the first key an SA file does not have.
    RequireFormat(document, kSaFileFormat);
    const JsonPointer root;
    ObjectReader reader(document, root, {"format", "encapsulation", "sas"});
    SaFile file;
    file.encapsulation = AsEncapsulation(reader.Required("encapsulation"), reader.At("encapsulation"));
    const nlohmann::json& sas = reader.Required("sas");
    const JsonPointer sas_at = reader.At("sas");
    if (!sas.is_object()) Fail(sas_at, std::string("expected object, found ") + TypeName(sas));
    for (const auto& [name, sa] : sas.items()) {
      const JsonPointer at = sas_at.Child(name);
      if (!IsValidSaName(name)) Fail(at, "bad SA name '" + name + "' (expected [A-Za-z0-9_.-]+, not never_issued)");
      file.sas.emplace(name, ParseSa(sa, at, name));
    }
    return file;
  } catch (const LoadFailure& failure) {
    return LoadError{std::move(path), failure.pointer, failure.message};
  } catch (const std::exception& e) {
    return LoadError{std::move(path), "", std::string("cannot load: ") + e.what()};
  }
}

std::variant<SaFile, LoadError> LoadSaFile(const std::string& path) {
  auto text = detail::ReadWholeFile(path);
  if (auto* error = std::get_if<LoadError>(&text)) return std::move(*error);
  return ParseSaFile(std::get<std::string>(text), path);
}

// ---- OID_TCP_TASK_IPSEC_ADD_SA ---------------------------------------------------------------

namespace {

// Writes a value at a byte offset of the request. memcpy rather than a struct so that literal
// values outside an enum's range (raw Operation) are written as given.
template <typename T>
void Put(std::vector<std::uint8_t>& buffer, std::size_t offset, T value) {
  std::memcpy(buffer.data() + offset, &value, sizeof(value));
}

// IP-header byte order for the filter ports, as for the addresses.
void PutNetworkPort(std::vector<std::uint8_t>& buffer, std::size_t offset, USHORT port) {
  buffer[offset] = static_cast<std::uint8_t>(port >> 8);
  buffer[offset + 1] = static_cast<std::uint8_t>(port & 0xff);
}

void PutAlgorithm(std::vector<std::uint8_t>& buffer, std::size_t offset, const std::optional<AlgorithmSpec>& algorithm) {
  if (!algorithm) return;  // all zeros: OFFLOAD_IPSEC_*_NONE, no key
  Put<ULONG>(buffer, offset + offsetof(OFFLOAD_ALGO_INFO, algoIdentifier), algorithm->identifier);
  Put<ULONG>(buffer, offset + offsetof(OFFLOAD_ALGO_INFO, algoKeylen),
             algorithm->key_length.value_or(static_cast<ULONG>(algorithm->key.size())));
}

void AppendKey(std::vector<std::uint8_t>& key_mat, const std::optional<AlgorithmSpec>& algorithm) {
  if (algorithm) key_mat.insert(key_mat.end(), algorithm->key.begin(), algorithm->key.end());
}

}  // namespace

AddSaRequest BuildAddSaRequest(const SaSpec& sa) {
  const std::size_t elements = std::min<std::size_t>(sa.bundle.size(), OFFLOAD_MAX_SAS);

  // KeyMat: SecAssoc[0]'s keys, then SecAssoc[1]'s; within an element the order of the KeyMat
  // page [S14a] (confidentiality first) or of the algoKeylen page [S14c] (integrity first).
  std::vector<std::uint8_t> key_mat;
  for (std::size_t i = 0; i < elements; ++i) {
    const SecAssocSpec& element = sa.bundle[i];
    if (sa.key_order == KeyOrder::kConfFirst) {
      AppendKey(key_mat, element.conf);
      AppendKey(key_mat, element.integrity);
    } else {
      AppendKey(key_mat, element.integrity);
      AppendKey(key_mat, element.conf);
    }
  }

  AddSaRequest request;
  const std::size_t key_mat_offset = offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat);
  request.buffer.assign(std::max(sizeof(OFFLOAD_IPSEC_ADD_SA), key_mat_offset + key_mat.size()), 0);
  auto& b = request.buffer;
  Put<IPAddr>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, SrcAddr), sa.src_addr);
  Put<IPMask>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, SrcMask), sa.src_mask);
  Put<IPAddr>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, DestAddr), sa.dest_addr);
  Put<IPMask>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, DestMask), sa.dest_mask);
  Put<ULONG>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, Protocol), sa.protocol);
  PutNetworkPort(b, offsetof(OFFLOAD_IPSEC_ADD_SA, SrcPort), sa.src_port);
  PutNetworkPort(b, offsetof(OFFLOAD_IPSEC_ADD_SA, DestPort), sa.dest_port);
  Put<IPAddr>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, SrcTunnelAddr), sa.src_tunnel_addr.value_or(0));
  Put<IPAddr>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, DestTunnelAddr), sa.dest_tunnel_addr.value_or(0));
  Put<USHORT>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, Flags), sa.flags);
  Put<SHORT>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, NumSAs), sa.num_sas_override.value_or(static_cast<SHORT>(elements)));
  for (std::size_t i = 0; i < elements; ++i) {
    const SecAssocSpec& element = sa.bundle[i];
    const std::size_t base = offsetof(OFFLOAD_IPSEC_ADD_SA, SecAssoc) + i * sizeof(OFFLOAD_SECURITY_ASSOCIATION);
    Put<ULONG>(b, base + offsetof(OFFLOAD_SECURITY_ASSOCIATION, Operation), element.raw_operation);
    Put<SPI_TYPE>(b, base + offsetof(OFFLOAD_SECURITY_ASSOCIATION, SPI), element.spi);
    PutAlgorithm(b, base + offsetof(OFFLOAD_SECURITY_ASSOCIATION, IntegrityAlgo), element.integrity);
    PutAlgorithm(b, base + offsetof(OFFLOAD_SECURITY_ASSOCIATION, ConfAlgo), element.conf);
  }
  Put<ULONG>(b, offsetof(OFFLOAD_IPSEC_ADD_SA, KeyLen), sa.key_len_override.value_or(static_cast<ULONG>(key_mat.size())));
  std::copy(key_mat.begin(), key_mat.end(), b.begin() + static_cast<std::ptrdiff_t>(key_mat_offset));

  request.extension.Version = SENDPATH_EXTENSION_VERSION;
  request.extension.KeyOrder =
      sa.key_order == KeyOrder::kIntegrityFirst ? SENDPATH_KEYMAT_INTEGRITY_FIRST : SENDPATH_KEYMAT_CONF_FIRST;
  for (std::size_t i = 0; i < elements; ++i) {
    if (sa.bundle[i].esn_high) {
      request.extension.SaFlags[i] = IPSEC_OFFLOAD_V2_ESN_SA;
      request.extension.SequenceNumberHighOrder[i] = *sa.bundle[i].esn_high;
    }
  }
  return request;
}

// The ADD_UDPESP_SA structure repeats ADD_SA's fields up to OffloadHandle at the same offsets
// (S14e: "almost identical"), so the ADD_SA layout is reused and the UDP-ESP tail appended.
static_assert(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle) == offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle));
static_assert(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, SecAssoc) == offsetof(OFFLOAD_IPSEC_ADD_SA, SecAssoc));
static_assert(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, DstTunnelAddr) == offsetof(OFFLOAD_IPSEC_ADD_SA, DestTunnelAddr));

AddSaRequest BuildAddUdpEspSaRequest(const SaSpec& sa, NDIS_HANDLE parser_entry) {
  AddSaRequest plain = BuildAddSaRequest(sa);
  const std::size_t plain_key_mat = offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat);
  ULONG key_len = 0;
  std::memcpy(&key_len, plain.buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, KeyLen), sizeof key_len);
  const std::size_t key_mat = plain.buffer.size() > plain_key_mat ? plain.buffer.size() - plain_key_mat : 0;
  const std::size_t key_mat_offset = offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat);

  AddSaRequest request;
  request.extension = plain.extension;
  request.buffer.assign(std::max(sizeof(OFFLOAD_IPSEC_ADD_UDPESP_SA), key_mat_offset + key_mat), 0);
  auto& b = request.buffer;
  std::copy(plain.buffer.begin(), plain.buffer.begin() + static_cast<std::ptrdiff_t>(offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle)),
            b.begin());
  const UdpEspSpec entry = sa.udp_esp.value_or(UdpEspSpec{});
  Put<ULONG>(b, offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntry) +
                    offsetof(OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY, UdpEncapType),
             entry.encap_type);
  Put<USHORT>(b, offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntry) +
                     offsetof(OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY, DstEncapPort),
              entry.dst_encap_port);
  Put<NDIS_HANDLE>(b, offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle), parser_entry);
  Put<ULONG>(b, offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyLen), key_len);
  std::copy(plain.buffer.begin() + static_cast<std::ptrdiff_t>(plain_key_mat),
            plain.buffer.begin() + static_cast<std::ptrdiff_t>(plain_key_mat + key_mat),
            b.begin() + static_cast<std::ptrdiff_t>(key_mat_offset));
  return request;
}

}  // namespace sendpath::vectors
