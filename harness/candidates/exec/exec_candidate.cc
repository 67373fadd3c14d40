#include "harness/candidates/exec/exec_candidate.h"

#include "harness/protocol.h"

#include <vectors/loader/vector_loader.h>

namespace sendpath::harness {

using nlohmann::json;

namespace {

std::string Excerpt(const std::string& line) {
  std::string text = line.size() > 80 ? line.substr(0, 80) + "..." : line;
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return text;
}

}  // namespace

ExecCandidate::ExecCandidate(ExecOptions options) : options_(std::move(options)) { child_.SetStopFlag(options_.stop); }

ExecCandidate::~ExecCandidate() { Stop(); }

void ExecCandidate::Stop() {
  if (!child_.running()) return;
  if (child_.WriteLine(json{{"op", "bye"}}.dump(), std::chrono::milliseconds(500))) {
    (void)child_.ReadLine(std::chrono::milliseconds(500), protocol::kMaxLineBytes);
  }
  child_.Finish(std::chrono::milliseconds(1000));
}

Outcome<json> ExecCandidate::Exchange(const json& request, std::chrono::milliseconds timeout) {
  const std::string op = request.value("op", std::string("?"));
  if (!child_.running()) return CandidateError{op + ": candidate is not running"};
  if (auto written = child_.WriteLine(request.dump(), timeout); !written) {
    return CandidateError{op + ": " + written.error().reason};
  }
  auto line = child_.ReadLine(timeout, protocol::kMaxLineBytes);
  if (!line) return CandidateError{op + ": " + line.error().reason};
  json reply = json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object()) {
    child_.Kill();
    return CandidateError{op + ": garbage reply \"" + Excerpt(*line) + "\""};
  }
  const auto ok = reply.find("ok");
  if (ok == reply.end() || !ok->is_boolean()) {
    child_.Kill();
    return CandidateError{op + ": reply without a boolean \"ok\": " + Excerpt(*line)};
  }
  if (!ok->get<bool>()) {
    const auto error = reply.find("error");
    child_.Kill();  // restart for a clean slate
    return CandidateError{op + ": candidate reported an error: " +
                          (error != reply.end() && error->is_string() ? Excerpt(error->get<std::string>())
                                                                       : std::string("(no message)"))};
  }
  return reply;
}

Outcome<NDIS_STATUS> ExecCandidate::StatusOf(const json& reply, const char* op) {
  const auto status = protocol::StatusFromJson(reply.value("status", json()));
  if (!status) {
    child_.Kill();
    return CandidateError{std::string(op) + ": reply without a valid \"status\": " + Excerpt(reply.dump())};
  }
  return *status;
}

Outcome<CandidateIdentity> ExecCandidate::Start() {
  if (auto started = child_.Start(options_.argv); !started) return started.error();
  auto reply = Exchange(protocol::HelloRequest(), options_.start_timeout);
  if (!reply) return reply.error();
  if (reply->value("protocol", std::string()) != protocol::kProtocol) {
    child_.Kill();
    return CandidateError{"hello: candidate speaks \"" + reply->value("protocol", std::string("?")) + "\", not " +
                          std::string(protocol::kProtocol)};
  }
  CandidateIdentity identity;
  identity.protocol = std::string(protocol::kProtocol);
  const auto text = [&](const char* key) {
    const auto it = reply->find(key);
    return it != reply->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  identity.name = text("name");
  identity.version = text("version");
  // The host says what it serves ("sendpath-abi/1" for a library); a plain agent says nothing.
  if (const std::string backend = text("backend"); !backend.empty() && backend != "in-process") {
    identity.protocol = backend + " via " + identity.protocol;
  }
  const auto injection = reply->find("iv_injection");
  identity.iv_injection = injection != reply->end() && injection->is_boolean() && injection->get<bool>();
  return identity;
}

Outcome<Done> ExecCandidate::Reset() {
  auto reply = Exchange(protocol::ResetRequest(), options_.request_timeout);
  if (!reply) return reply.error();
  return Done{};
}

Outcome<Capabilities> ExecCandidate::QueryCapabilities() {
  auto reply = Exchange(protocol::QueryRequest(), options_.request_timeout);
  if (!reply) return reply.error();
  Capabilities capabilities;
  std::string error;
  if (!protocol::CapabilitiesFromJson(reply->value("capabilities", json()), capabilities, error)) {
    child_.Kill();
    return CandidateError{"query: " + error};
  }
  return capabilities;
}

Outcome<NDIS_STATUS> ExecCandidate::Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) {
  auto reply = Exchange(protocol::SetRequest(encapsulation, enable), options_.request_timeout);
  if (!reply) return reply.error();
  return StatusOf(*reply, "set");
}

Outcome<AddSaReply> ExecCandidate::AddSa(const AddSaRequest& request) {
  auto reply = Exchange(protocol::AddSaRequestJson(request), options_.request_timeout);
  if (!reply) return reply.error();
  auto status = StatusOf(*reply, "add_sa");
  if (!status) return status.error();
  AddSaReply result;
  result.status = *status;
  const auto handle = protocol::HandleFromJson(reply->value("handle", json("0x0")));
  if (!handle) {
    child_.Kill();
    return CandidateError{"add_sa: \"handle\" is not a \"0x\" hex string"};
  }
  result.handle = *handle;
  return result;
}

Outcome<NDIS_STATUS> ExecCandidate::DeleteSa(NDIS_HANDLE handle) {
  auto reply = Exchange(protocol::DeleteSaRequest(handle), options_.request_timeout);
  if (!reply) return reply.error();
  return StatusOf(*reply, "delete_sa");
}

Outcome<AddUdpEspSaReply> ExecCandidate::AddUdpEspSa(const AddSaRequest& request) {
  auto reply = Exchange(protocol::AddUdpEspSaRequestJson(request), options_.request_timeout);
  if (!reply) return reply.error();
  auto status = StatusOf(*reply, "add_udpesp_sa");
  if (!status) return status.error();
  AddUdpEspSaReply result;
  result.status = *status;
  const auto handle = protocol::HandleFromJson(reply->value("handle", json("0x0")));
  const auto parser_entry = protocol::HandleFromJson(reply->value("parser_entry", json("0x0")));
  if (!handle || !parser_entry) {
    child_.Kill();
    return CandidateError{"add_udpesp_sa: \"handle\" or \"parser_entry\" is not a \"0x\" hex string"};
  }
  result.handle = *handle;
  result.parser_entry = *parser_entry;
  return result;
}

Outcome<NDIS_STATUS> ExecCandidate::DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) {
  auto reply = Exchange(protocol::DeleteUdpEspSaRequest(handle, parser_entry), options_.request_timeout);
  if (!reply) return reply.error();
  return StatusOf(*reply, "delete_udpesp_sa");
}

Outcome<SendReply> ExecCandidate::Send(const SendRequest& request) {
  auto reply = Exchange(protocol::SendRequestJson(request), options_.request_timeout);
  if (!reply) return reply.error();
  auto status = StatusOf(*reply, "send");
  if (!status) return status.error();
  SendReply result;
  result.status = *status;
  const auto frame = reply->find("frame");
  if (frame != reply->end() && !frame->is_null()) {
    auto bytes = frame->is_string() ? vectors::ParseHex(frame->get<std::string>())
                                    : std::variant<Bytes, vectors::HexError>(vectors::HexError{0, "not a string"});
    if (auto* parsed = std::get_if<Bytes>(&bytes)) {
      result.frame = std::move(*parsed);
    } else {
      child_.Kill();
      return CandidateError{"send: \"frame\" is not hex: " + std::get<vectors::HexError>(bytes).message};
    }
  }
  return result;
}

}  // namespace sendpath::harness
