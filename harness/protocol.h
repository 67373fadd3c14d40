// The JSON-lines candidate protocol `sendpath-candidate/1` (harness/CANDIDATES.md): one JSON
// object per line on the candidate's stdin (requests) and stdout (replies). Shared by the client
// (ExecCandidate, harness side) and the servers (sendpath-candidate-host, the reference agent),
// so both ends agree on every field.
#pragma once

#include "harness/candidate.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace sendpath::harness::protocol {

inline constexpr std::string_view kProtocol = "sendpath-candidate/1";
// A reply line longer than this is garbage (the largest legitimate one is a 64 KiB frame in hex).
inline constexpr std::size_t kMaxLineBytes = 1u << 20;

// Handles are opaque pointer-sized values, written as "0x" hex strings so every language keeps
// all 64 bits.
std::string HandleToJson(NDIS_HANDLE handle);
std::optional<NDIS_HANDLE> HandleFromJson(const nlohmann::json& value);

// Statuses are written as NDIS_STATUS_* names; any other value as "0x%08X". Both forms, and a
// plain integer, are accepted.
std::string StatusToJson(NDIS_STATUS status);
std::optional<NDIS_STATUS> StatusFromJson(const nlohmann::json& value);

nlohmann::json CapabilitiesToJson(const Capabilities& capabilities);  // array of capability names
// Unknown names are an error (message names the first).
bool CapabilitiesFromJson(const nlohmann::json& value, Capabilities& capabilities, std::string& error);

std::string_view EncapsulationToJson(NDIS_ENCAPSULATION encapsulation);  // "null", "ieee802.3"
std::optional<NDIS_ENCAPSULATION> EncapsulationFromJson(const nlohmann::json& value);

// Requests, as the client writes them.
nlohmann::json HelloRequest();
nlohmann::json ResetRequest();
nlohmann::json QueryRequest();
nlohmann::json SetRequest(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable);
nlohmann::json AddSaRequestJson(const AddSaRequest& request);
nlohmann::json DeleteSaRequest(NDIS_HANDLE handle);
// "add_udpesp_sa": the OFFLOAD_IPSEC_ADD_UDPESP_SA buffer as "request" (as add_sa); the reply
// carries "handle" and "parser_entry". "delete_udpesp_sa": "handle" and "parser_entry".
nlohmann::json AddUdpEspSaRequestJson(const AddSaRequest& request);
nlohmann::json DeleteUdpEspSaRequest(NDIS_HANDLE handle, NDIS_HANDLE parser_entry);
nlohmann::json SendRequestJson(const SendRequest& request);

// Serves `backend` over `in`/`out` until "bye" or end of input. Each request gets exactly one
// reply line; a malformed request gets {"ok": false, "error": ...}. Returns the process exit code.
int Serve(Candidate& backend, std::FILE* in, std::FILE* out);

}  // namespace sendpath::harness::protocol
