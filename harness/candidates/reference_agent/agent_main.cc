// sendpath-reference-agent [sa_capacity=N]
//
// The reference NIC behind the `sendpath-candidate/1` JSON-lines protocol: the model for a
// vendor's simulator or rig agent, and the proof that the subprocess path judges a conforming NIC
// as passing.
#include "harness/candidates/reference/reference_candidate.h"
#include "harness/protocol.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  sendpath::nic::NicOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "sa_capacity=", 12) == 0) {
      char* end = nullptr;
      const unsigned long capacity = std::strtoul(argv[i] + 12, &end, 10);
      if (end == argv[i] + 12 || *end != '\0' || capacity == 0) {
        std::fprintf(stderr, "%s: bad sa_capacity \"%s\"\n", argv[0], argv[i] + 12);
        return 2;
      }
      options.sa_capacity = capacity;
    } else {
      std::fprintf(stderr, "usage: %s [sa_capacity=N]\n", argv[0]);
      return 2;
    }
  }
  sendpath::harness::ReferenceCandidate candidate(options);
  return sendpath::harness::protocol::Serve(candidate, stdin, stdout);
}
