// sendpath-candidate-host LIBRARY.so [OPTIONS]
//
// Loads a candidate NIC library (include/sendpath/candidate_abi.h) and serves it over stdin /
// stdout with the `sendpath-candidate/1` JSON-lines protocol. The harness starts one host per job
// and restarts it whenever the library crashes, hangs or misbehaves.
#include "harness/candidates/lib_host/abi_candidate.h"
#include "harness/protocol.h"

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: %s LIBRARY.so [key=value,...]\n", argv[0]);
    return 2;
  }
  sendpath::harness::AbiCandidate candidate(argv[1], argc == 3 ? argv[2] : "");
  return sendpath::harness::protocol::Serve(candidate, stdin, stdout);
}
