// `--candidate SPEC`: which candidate a run judges.
//   reference                      the reference NIC, in process
//   lib:PATH.so[,key=value...]     a C-ABI library in sendpath-candidate-host (options go to Create)
//   exec:COMMAND [ARGS...]         a JSON-lines subprocess (words split as a shell would, quotes kept)
//   pcap:CAPTURE[,programming=F]   a rig's capture of an export (default F: programming.json next
//                                  to CAPTURE)
#pragma once

#include "harness/candidate.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sendpath::harness {

struct SpecOptions {
  std::chrono::milliseconds request_timeout{5000};
  std::string host_path;  // sendpath-candidate-host; "" = next to this executable or $SENDPATH_CANDIDATE_HOST
  // The run's stop flag (SIGINT/SIGTERM): live candidates abandon a pending request and are killed.
  const std::atomic<bool>* stop = nullptr;
  // --own-ivs: the vectors' IVs are not offered; the candidate picks its own IVs and is judged by
  // decrypt-and-compare (harness/judge.h), and its identity says "own IVs".
  bool own_ivs = false;
};

struct FactoryResult {
  std::unique_ptr<CandidateFactory> factory;
  std::string error;                // usage error / unreadable input (exit 2)
  std::vector<std::string> notes;   // run notes the candidate brings (pcap attribution)
};

FactoryResult MakeCandidateFactory(const std::string& spec, const SpecOptions& options);

// Splits a command line into words: blanks separate, '…' and "…" quote, \ escapes (outside '…').
// nullopt for an unterminated quote.
std::optional<std::vector<std::string>> SplitCommand(const std::string& command);

// The directory of the running executable ("" when unknown).
std::string ExecutableDirectory();

}  // namespace sendpath::harness
