#include "harness/protocol.h"

#include <vectors/loader/vector_loader.h>

#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <variant>

namespace sendpath::harness::protocol {
namespace {

using nlohmann::json;

std::optional<Bytes> HexField(const json& value) {
  if (!value.is_string()) return std::nullopt;
  auto parsed = vectors::ParseHex(value.get_ref<const std::string&>());
  if (auto* bytes = std::get_if<Bytes>(&parsed)) return std::move(*bytes);
  return std::nullopt;
}

json ErrorReply(std::string message) { return json{{"ok", false}, {"error", std::move(message)}}; }

json StatusReply(NDIS_STATUS status) { return json{{"ok", true}, {"status", StatusToJson(status)}}; }

// One request -> one reply. `bye` is set when the client asked us to stop.
json Dispatch(Candidate& backend, const json& request, bool& bye) {
  if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) {
    return ErrorReply("request is not an object with a string \"op\"");
  }
  const std::string& op = request["op"].get_ref<const std::string&>();
  if (op == "hello") {
    auto identity = backend.Start();
    if (!identity) return ErrorReply(identity.error().reason);
    return json{{"ok", true},
                {"protocol", std::string(kProtocol)},
                {"name", identity->name},
                {"version", identity->version},
                {"iv_injection", identity->iv_injection},
                {"backend", identity->protocol}};
  }
  if (op == "bye") {
    bye = true;
    return json{{"ok", true}};
  }
  if (op == "reset") {
    auto done = backend.Reset();
    if (!done) return ErrorReply(done.error().reason);
    return json{{"ok", true}};
  }
  if (op == "query") {
    auto caps = backend.QueryCapabilities();
    if (!caps) return ErrorReply(caps.error().reason);
    return json{{"ok", true}, {"capabilities", CapabilitiesToJson(*caps)}};
  }
  if (op == "set") {
    Capabilities enable;
    std::string error;
    if (!request.contains("enable") || !CapabilitiesFromJson(request["enable"], enable, error)) {
      return ErrorReply("set: " + (error.empty() ? std::string("missing \"enable\"") : error));
    }
    NDIS_ENCAPSULATION_FORMAT format{};
    auto encapsulation = EncapsulationFromJson(request.value("encapsulation", json("null")));
    if (!encapsulation) return ErrorReply("set: \"encapsulation\" is neither \"null\" nor \"ieee802.3\"");
    format.Encapsulation = *encapsulation;
    format.Flags.FixedHeaderSize = 1;
    format.EncapsulationHeaderSize = *encapsulation == IEEE_802_3_Encapsulation ? 14u : 0u;
    auto status = backend.Set(format, enable);
    if (!status) return ErrorReply(status.error().reason);
    return StatusReply(*status);
  }
  if (op == "add_sa" || op == "add_udpesp_sa") {
    AddSaRequest add;
    auto buffer = HexField(request.value("request", json()));
    if (!buffer) return ErrorReply(op + ": \"request\" must be hex");
    add.buffer = std::move(*buffer);
    if (request.contains("extension")) {
      auto extension = HexField(request["extension"]);
      if (!extension || extension->size() != sizeof(SENDPATH_ADD_SA_EXTENSION)) {
        return ErrorReply(op + ": \"extension\" must be " + std::to_string(sizeof(SENDPATH_ADD_SA_EXTENSION)) +
                          " bytes of hex");
      }
      std::memcpy(&add.extension, extension->data(), sizeof add.extension);
    }
    if (op == "add_udpesp_sa") {
      auto reply = backend.AddUdpEspSa(add);
      if (!reply) return ErrorReply(reply.error().reason);
      json out = StatusReply(reply->status);
      out["handle"] = HandleToJson(reply->handle);
      out["parser_entry"] = HandleToJson(reply->parser_entry);
      return out;
    }
    auto reply = backend.AddSa(add);
    if (!reply) return ErrorReply(reply.error().reason);
    json out = StatusReply(reply->status);
    out["handle"] = HandleToJson(reply->handle);
    return out;
  }
  if (op == "delete_udpesp_sa") {
    auto handle = HandleFromJson(request.value("handle", json()));
    auto parser_entry = HandleFromJson(request.value("parser_entry", json("0x0")));
    if (!handle || !parser_entry) {
      return ErrorReply("delete_udpesp_sa: \"handle\" and \"parser_entry\" must be \"0x\" hex strings");
    }
    auto status = backend.DeleteUdpEspSa(*handle, *parser_entry);
    if (!status) return ErrorReply(status.error().reason);
    return StatusReply(*status);
  }
  if (op == "delete_sa") {
    auto handle = HandleFromJson(request.value("handle", json()));
    if (!handle) return ErrorReply("delete_sa: \"handle\" must be a \"0x\" hex string");
    auto status = backend.DeleteSa(*handle);
    if (!status) return ErrorReply(status.error().reason);
    return StatusReply(*status);
  }
  if (op == "send") {
    auto frame = HexField(request.value("frame", json()));
    if (!frame) return ErrorReply("send: \"frame\" must be hex");
    SendRequest send;
    send.frame = *frame;
    const json split = request.value("split", json::array());
    if (!split.is_array()) return ErrorReply("send: \"split\" must be an array");
    for (const json& offset : split) {
      if (!offset.is_number_unsigned()) return ErrorReply("send: \"split\" holds a non-offset");
      send.split.push_back(offset.get<std::size_t>());
    }
    const json info = request.value("info", json());
    if (!info.is_null()) {
      auto offload = HandleFromJson(info.value("OffloadHandle", json()));
      auto next = HandleFromJson(info.value("NextOffloadHandle", json("0x0")));
      if (!offload || !next) return ErrorReply("send: \"info\" handles must be \"0x\" hex strings");
      NDIS_IPSEC_PACKET_INFO packet_info{};
      packet_info.Transmit.OffloadHandle = *offload;
      packet_info.Transmit.NextOffloadHandle = *next;
      send.info = packet_info;
    }
    const json ivs = request.value("ivs", json::array());
    if (!ivs.is_array()) return ErrorReply("send: \"ivs\" must be an array");
    for (const json& entry : ivs) {
      IvInjection injection;
      auto handle = entry.is_object() ? HandleFromJson(entry.value("handle", json())) : std::nullopt;
      if (!handle) return ErrorReply("send: \"ivs[].handle\" must be a \"0x\" hex string");
      injection.handle = *handle;
      for (const json& iv : entry.value("ivs", json::array())) {
        auto bytes = HexField(iv);
        if (!bytes) return ErrorReply("send: \"ivs[].ivs\" must be hex strings");
        injection.ivs.push_back(std::move(*bytes));
      }
      send.ivs.push_back(std::move(injection));
    }
    send.context.vector_id = request.value("vector", std::string());
    send.context.step_index = request.value("step", std::size_t{0});
    auto reply = backend.Send(send);
    if (!reply) return ErrorReply(reply.error().reason);
    json out = StatusReply(reply->status);
    out["frame"] = reply->frame ? json(vectors::ToHex(*reply->frame)) : json();
    return out;
  }
  return ErrorReply("unknown op \"" + op + "\"");
}

}  // namespace

std::string HandleToJson(NDIS_HANDLE handle) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%" PRIxPTR, reinterpret_cast<std::uintptr_t>(handle));
  return text;
}

std::optional<NDIS_HANDLE> HandleFromJson(const json& value) {
  if (value.is_number_unsigned()) {
    return reinterpret_cast<NDIS_HANDLE>(static_cast<std::uintptr_t>(value.get<std::uint64_t>()));
  }
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() < 3 || text.size() > 18 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return std::nullopt;
  std::uint64_t result = 0;
  for (std::size_t i = 2; i < text.size(); ++i) {
    const char c = text[i];
    unsigned digit = 0;
    if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') digit = static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
    result = (result << 4) | digit;
  }
  return reinterpret_cast<NDIS_HANDLE>(static_cast<std::uintptr_t>(result));
}

std::string StatusToJson(NDIS_STATUS status) {
  const std::string_view name = vectors::StatusName(status);
  if (!name.empty()) return std::string(name);
  char text[16];
  std::snprintf(text, sizeof text, "0x%08" PRIX32, static_cast<std::uint32_t>(status));
  return text;
}

std::optional<NDIS_STATUS> StatusFromJson(const json& value) {
  if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (number < INT32_MIN || number > static_cast<std::int64_t>(UINT32_MAX)) return std::nullopt;
    return static_cast<NDIS_STATUS>(static_cast<std::uint32_t>(number));
  }
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  if (auto status = vectors::StatusFromName(text)) return status;
  if (auto handle = HandleFromJson(value)) {
    const auto raw = reinterpret_cast<std::uintptr_t>(*handle);
    if (raw > UINT32_MAX) return std::nullopt;
    return static_cast<NDIS_STATUS>(static_cast<std::uint32_t>(raw));
  }
  return std::nullopt;
}

json CapabilitiesToJson(const Capabilities& capabilities) {
  return json(vectors::CapabilityNames(capabilities.task, capabilities.extension));
}

bool CapabilitiesFromJson(const json& value, Capabilities& capabilities, std::string& error) {
  if (!value.is_array()) {
    error = "capabilities must be an array of names";
    return false;
  }
  Capabilities result;
  for (const json& name : value) {
    if (!name.is_string() || !vectors::SetCapability(result.task, result.extension, name.get_ref<const std::string&>())) {
      error = "unknown capability " + name.dump();
      return false;
    }
  }
  capabilities = result;
  return true;
}

std::string_view EncapsulationToJson(NDIS_ENCAPSULATION encapsulation) {
  return encapsulation == IEEE_802_3_Encapsulation ? "ieee802.3" : "null";
}

std::optional<NDIS_ENCAPSULATION> EncapsulationFromJson(const json& value) {
  if (value == "null") return NULL_Encapsulation;
  if (value == "ieee802.3") return IEEE_802_3_Encapsulation;
  return std::nullopt;
}

json HelloRequest() { return json{{"op", "hello"}, {"protocol", std::string(kProtocol)}}; }
json ResetRequest() { return json{{"op", "reset"}}; }
json QueryRequest() { return json{{"op", "query"}}; }

json SetRequest(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) {
  return json{{"op", "set"},
              {"encapsulation", std::string(EncapsulationToJson(encapsulation.Encapsulation))},
              {"enable", CapabilitiesToJson(enable)}};
}

json AddSaRequestJson(const AddSaRequest& request) {
  json out{{"op", "add_sa"}, {"request", vectors::ToHex(request.buffer)}};
  const auto* extension = reinterpret_cast<const std::uint8_t*>(&request.extension);
  out["extension"] = vectors::ToHex(std::span(extension, sizeof request.extension));
  if (request.spec != nullptr) out["sa"] = vectors::WriteSaObject(*request.spec);
  return out;
}

json DeleteSaRequest(NDIS_HANDLE handle) { return json{{"op", "delete_sa"}, {"handle", HandleToJson(handle)}}; }

json AddUdpEspSaRequestJson(const AddSaRequest& request) {
  json out = AddSaRequestJson(request);
  out["op"] = "add_udpesp_sa";
  return out;
}

json DeleteUdpEspSaRequest(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) {
  return json{{"op", "delete_udpesp_sa"}, {"handle", HandleToJson(handle)}, {"parser_entry", HandleToJson(parser_entry)}};
}

json SendRequestJson(const SendRequest& request) {
  json out{{"op", "send"},
           {"vector", request.context.vector_id},
           {"step", request.context.step_index},
           {"frame", vectors::ToHex(request.frame)},
           {"split", request.split}};
  if (request.info) {
    out["info"] = json{{"OffloadHandle", HandleToJson(request.info->Transmit.OffloadHandle)},
                       {"NextOffloadHandle", HandleToJson(request.info->Transmit.NextOffloadHandle)}};
  } else {
    out["info"] = nullptr;
  }
  json ivs = json::array();
  for (const IvInjection& injection : request.ivs) {
    json list = json::array();
    for (const Bytes& iv : injection.ivs) list.push_back(vectors::ToHex(iv));
    ivs.push_back(json{{"handle", HandleToJson(injection.handle)}, {"ivs", std::move(list)}});
  }
  out["ivs"] = std::move(ivs);
  return out;
}

int Serve(Candidate& backend, std::FILE* in, std::FILE* out) {
  struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
  };
  char* raw_line = nullptr;
  std::size_t capacity = 0;
  std::unique_ptr<char, FreeDeleter> line_owner;
  bool bye = false;
  while (!bye) {
    const ssize_t length = getline(&raw_line, &capacity, in);
    line_owner.release();  // getline may have reallocated: own the current block
    line_owner.reset(raw_line);
    if (length < 0) break;
    std::string_view text(raw_line, static_cast<std::size_t>(length));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.empty()) continue;
    json reply;
    json request = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) {
      reply = ErrorReply("request is not JSON");
    } else {
      try {
        reply = Dispatch(backend, request, bye);
      } catch (const json::exception& e) {  // a field of the wrong JSON type
        reply = ErrorReply(std::string("malformed request: ") + e.what());
      }
    }
    const std::string line = reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), out) != line.size() || std::fflush(out) != 0) return 1;
  }
  backend.Stop();
  return 0;
}

}  // namespace sendpath::harness::protocol
