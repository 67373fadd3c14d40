// A candidate that runs as a child process speaking `sendpath-candidate/1` JSON lines: a
// vendor's simulator or rig agent (`exec:COMMAND ARGS...`), or sendpath-candidate-host with a
// shared library loaded into it (`lib:PATH.so,...`). Every exchange has a deadline; any failure
// kills the child and becomes a CandidateError; the next Start launches a fresh one.
#pragma once

#include "harness/candidate.h"
#include "harness/supervisor.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace sendpath::harness {

struct ExecOptions {
  std::vector<std::string> argv;
  std::chrono::milliseconds start_timeout{10000};  // launch + hello
  std::chrono::milliseconds request_timeout{5000};  // every OID and every send
  // Set on SIGINT/SIGTERM: a pending exchange ends at once and the child is killed.
  const std::atomic<bool>* stop = nullptr;
};

class ExecCandidate final : public Candidate {
 public:
  explicit ExecCandidate(ExecOptions options);
  ~ExecCandidate() override;

  Outcome<CandidateIdentity> Start() override;
  Outcome<Done> Reset() override;
  Outcome<Capabilities> QueryCapabilities() override;
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) override;
  Outcome<AddSaReply> AddSa(const AddSaRequest& request) override;
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE handle) override;
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& request) override;
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) override;
  Outcome<SendReply> Send(const SendRequest& request) override;
  void Stop() override;

 private:
  // Writes the request, reads one reply, checks it is a JSON object with "ok": true. On any
  // failure the child is killed and the error names the operation.
  Outcome<nlohmann::json> Exchange(const nlohmann::json& request, std::chrono::milliseconds timeout);
  Outcome<NDIS_STATUS> StatusOf(const nlohmann::json& reply, const char* op);

  ExecOptions options_;
  ChildProcess child_;
};

}  // namespace sendpath::harness
