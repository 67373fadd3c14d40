// sendpath-test-misbehaving-agent: the reference NIC behind the JSON-lines protocol, misbehaving
// on purpose so the tests can show what each misbehaviour costs. Options (any number):
//   --crash-on ID    SIGSEGV during the send of the vector whose id contains ID
//   --hang-on ID     never answer that send
//   --garbage-on ID  answer that send with a line that is not JSON
//   --exit-on ID     exit(7) instead of answering that send
//   --own-ivs        ignore injected IVs (random IVs: judged by decrypt-and-compare)
//   --constant-ivs   use an all-zero IV for every send instead of the injected ones
//   --counter-ivs    use a counter instead of the injected IVs: 1, 2, 3, ... (big-endian), one
//                    count per IV written, whatever the SA
//   --leak           on a refused send, emit the input frame anyway (plaintext leak)
#include "harness/candidates/reference/reference_candidate.h"
#include "harness/protocol.h"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

using namespace sendpath::harness;

struct Mode {
  std::string crash_on, hang_on, garbage_on, exit_on;
  bool own_ivs = false, constant_ivs = false, counter_ivs = false, leak = false;
};

bool Hits(const std::string& trigger, const SendRequest& request) {
  return !trigger.empty() && request.context.vector_id.find(trigger) != std::string::npos;
}

class MisbehavingCandidate final : public Candidate {
 public:
  explicit MisbehavingCandidate(Mode mode) : mode_(std::move(mode)) {}
  Outcome<CandidateIdentity> Start() override {
    auto identity = inner_.Start();
    if (identity) {
      identity->name = "misbehaving-test-nic";
      identity->iv_injection = !mode_.own_ivs && !mode_.constant_ivs && !mode_.counter_ivs;
    }
    return identity;
  }
  Outcome<Done> Reset() override { return inner_.Reset(); }
  Outcome<Capabilities> QueryCapabilities() override { return inner_.QueryCapabilities(); }
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& e, const Capabilities& c) override { return inner_.Set(e, c); }
  Outcome<AddSaReply> AddSa(const AddSaRequest& request) override { return inner_.AddSa(request); }
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE handle) override { return inner_.DeleteSa(handle); }
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& r) override { return inner_.AddUdpEspSa(r); }
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE h, NDIS_HANDLE entry) override { return inner_.DeleteUdpEspSa(h, entry); }
  Outcome<SendReply> Send(const SendRequest& request) override {
    if (Hits(mode_.crash_on, request)) {
      std::signal(SIGSEGV, SIG_DFL);  // die by the signal even under a sanitizer's handler
      std::raise(SIGSEGV);
    }
    if (Hits(mode_.hang_on, request)) {
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (Hits(mode_.garbage_on, request)) {
      std::fputs("this is not JSON\n", stdout);
      std::fflush(stdout);
      return CandidateError{"garbage sent"};  // Serve answers this too; the harness has already given up
    }
    if (Hits(mode_.exit_on, request)) std::_Exit(7);  // no cleanup, as a process that dies mid-request
    SendRequest changed = request;
    if (mode_.own_ivs) changed.ivs.clear();
    if (mode_.constant_ivs) {
      for (IvInjection& injection : changed.ivs) {
        for (Bytes& iv : injection.ivs) std::fill(iv.begin(), iv.end(), 0);
      }
    }
    if (mode_.counter_ivs) {
      for (IvInjection& injection : changed.ivs) {
        for (Bytes& iv : injection.ivs) {
          ++counter_;
          std::fill(iv.begin(), iv.end(), 0);
          for (std::size_t i = 0; i < iv.size() && i < sizeof counter_; ++i) {
            iv[iv.size() - 1 - i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
          }
        }
      }
    }
    auto reply = inner_.Send(changed);
    if (reply && mode_.leak && reply->status != NDIS_STATUS_SUCCESS) {
      reply->frame = Bytes(request.frame.begin(), request.frame.end());
    }
    return reply;
  }

 private:
  Mode mode_;
  ReferenceCandidate inner_;
  std::uint64_t counter_ = 0;  // --counter-ivs: the last IV written
};

}  // namespace

int main(int argc, char** argv) {
  Mode mode;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&](std::string& out) {
      if (i + 1 >= argc) std::exit(2);
      out = argv[++i];
    };
    if (arg == "--crash-on") value(mode.crash_on);
    else if (arg == "--hang-on") value(mode.hang_on);
    else if (arg == "--garbage-on") value(mode.garbage_on);
    else if (arg == "--exit-on") value(mode.exit_on);
    else if (arg == "--own-ivs") mode.own_ivs = true;
    else if (arg == "--constant-ivs") mode.constant_ivs = true;
    else if (arg == "--counter-ivs") mode.counter_ivs = true;
    else if (arg == "--leak") mode.leak = true;
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  MisbehavingCandidate candidate(mode);
  return sendpath::harness::protocol::Serve(candidate, stdin, stdout);
}
