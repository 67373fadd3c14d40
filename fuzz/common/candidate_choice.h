// Which candidate the differential target judges: any live `sendpath run --candidate` SPEC
// (harness/candidate_spec.h: `lib:`, `exec:`, `reference`), or a bare library path for the
// in-process form. The spec parsing, the out-of-process supervision (sendpath-candidate-host,
// deadlines, restarts) and the candidate interface are the harness's; this only picks among them
// and derives what the fuzz target needs besides: a signature prefix and the reference NIC's
// sa_capacity.
#pragma once

#include "harness/candidate.h"
#include "harness/candidate_spec.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace sendpath::fuzz {

struct CandidateChoice {
  std::string spec;          // as given (or the default's path)
  std::string name;          // signature prefix: "sample_nic", "faulty_iv_not_written", "reference-agent"
  bool in_process = false;   // a bare library path: loaded into the fuzzer (AbiCandidate)
  std::string library;       // in process: the library path
  std::string options;       // in process: Create(Options)
  std::size_t sa_capacity = 8;  // the reference NIC's: the spec's sa_capacity=N, else the default
  std::unique_ptr<harness::CandidateFactory> factory;  // out of process (and `reference`)
  std::string error;         // a spec sendpath run would refuse, or a pcap: spec (not a live NIC)
};

// `spec`: PATH.so[,key=value...] | lib:PATH.so[,key=value...] | exec:COMMAND [ARGS...] | reference.
// `default_sa_capacity` applies when the spec names none; a library without options is created
// with "sa_capacity=<default_sa_capacity>". `host` is sendpath-candidate-host for lib: ("" lets
// the harness find it). Errors leave `factory` null and say why in `error`.
CandidateChoice ChooseCandidate(const std::string& spec, std::size_t default_sa_capacity,
                                std::chrono::milliseconds request_timeout, const std::string& host);

// The candidate error's kind, for signatures: "candidate-crash" (killed by a signal or exited),
// "candidate-hang" (no reply within the deadline), "candidate-error" (anything else: garbage,
// error replies, refused handshake).
const char* CandidateErrorKind(const std::string& reason);

std::unique_ptr<harness::Candidate> MakeCandidate(const CandidateChoice& choice);

}  // namespace sendpath::fuzz
