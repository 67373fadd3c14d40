#include "harness/candidate_spec.h"

#include "harness/candidates/exec/exec_candidate.h"
#include "harness/candidates/pcap/pcap_candidate.h"
#include "harness/candidates/reference/reference_candidate.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace sendpath::harness {
namespace {

class ReferenceFactory final : public CandidateFactory {
 public:
  std::unique_ptr<Candidate> Make() const override { return std::make_unique<ReferenceCandidate>(); }
};

class ExecFactory final : public CandidateFactory {
 public:
  ExecOptions options;
  std::unique_ptr<Candidate> Make() const override { return std::make_unique<ExecCandidate>(options); }
};

class PcapFactory final : public CandidateFactory {
 public:
  std::shared_ptr<const CaptureAttribution> attribution;
  std::unique_ptr<Candidate> Make() const override { return std::make_unique<PcapCandidate>(attribution); }
};

bool StartsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// --own-ivs: the candidate as it is, except that a send carries no IVs to inject, so any candidate
// (IV injection or not) draws its own and the judge decrypts and verifies instead of comparing.
class WithoutIvInjection final : public Candidate {
 public:
  explicit WithoutIvInjection(std::unique_ptr<Candidate> inner) : inner_(std::move(inner)) {}
  Outcome<CandidateIdentity> Start() override {
    Outcome<CandidateIdentity> identity = inner_->Start();
    if (identity) identity->iv_injection = false;
    return identity;
  }
  Outcome<Done> Reset() override { return inner_->Reset(); }
  Outcome<Capabilities> QueryCapabilities() override { return inner_->QueryCapabilities(); }
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) override {
    return inner_->Set(encapsulation, enable);
  }
  Outcome<AddSaReply> AddSa(const AddSaRequest& request) override { return inner_->AddSa(request); }
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE handle) override { return inner_->DeleteSa(handle); }
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& request) override { return inner_->AddUdpEspSa(request); }
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) override {
    return inner_->DeleteUdpEspSa(handle, parser_entry);
  }
  Outcome<SendReply> Send(const SendRequest& request) override {
    if (request.ivs.empty()) return inner_->Send(request);
    SendRequest without = request;
    without.ivs.clear();
    return inner_->Send(without);
  }
  void Stop() override { inner_->Stop(); }

 private:
  std::unique_ptr<Candidate> inner_;
};

class WithoutIvInjectionFactory final : public CandidateFactory {
 public:
  explicit WithoutIvInjectionFactory(std::unique_ptr<CandidateFactory> inner) : inner_(std::move(inner)) {}
  std::unique_ptr<Candidate> Make() const override { return std::make_unique<WithoutIvInjection>(inner_->Make()); }

 private:
  std::unique_ptr<CandidateFactory> inner_;
};

}  // namespace

std::string ExecutableDirectory() {
  std::error_code code;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", code);
  return code ? std::string() : path.parent_path().string();
}

std::optional<std::vector<std::string>> SplitCommand(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0; else word.push_back(c);
      continue;
    }
    if (c == '\\' && i + 1 < command.size()) {
      word.push_back(command[++i]);
      in_word = true;
      continue;
    }
    if (quote == '"') {
      if (c == '"') quote = 0; else word.push_back(c);
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote != 0) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

FactoryResult MakeCandidateFactory(const std::string& spec, const SpecOptions& options) {
  FactoryResult result;
  if (spec == "reference") {
    result.factory = std::make_unique<ReferenceFactory>();
  } else if (StartsWith(spec, "lib:")) {
    const std::string rest = spec.substr(4);
    const auto comma = rest.find(',');
    const std::string path = rest.substr(0, comma);
    if (path.empty()) {
      result.error = "--candidate lib: needs a library path (lib:PATH.so[,key=value...])";
      return result;
    }
    std::string host = options.host_path;
    if (host.empty()) {
      const char* env = std::getenv("SENDPATH_CANDIDATE_HOST");
      host = env != nullptr && *env != '\0' ? env : ExecutableDirectory() + "/sendpath-candidate-host";
    }
    auto factory = std::make_unique<ExecFactory>();
    // dlopen searches the library path for a bare name; a relative path means the working directory.
    const std::string library = path.find('/') == std::string::npos ? "./" + path : path;
    factory->options.argv = {host, library, comma == std::string::npos ? std::string() : rest.substr(comma + 1)};
    factory->options.request_timeout = options.request_timeout;
    factory->options.stop = options.stop;
    factory->options.start_timeout = std::max(factory->options.start_timeout, options.request_timeout);
    result.factory = std::move(factory);
  } else if (StartsWith(spec, "exec:")) {
    auto words = SplitCommand(spec.substr(5));
    if (!words) {
      result.error = "--candidate exec: unterminated quote in \"" + spec.substr(5) + "\"";
      return result;
    }
    if (words->empty()) {
      result.error = "--candidate exec: needs a command (exec:COMMAND [ARGS...])";
      return result;
    }
    auto factory = std::make_unique<ExecFactory>();
    factory->options.argv = std::move(*words);
    factory->options.request_timeout = options.request_timeout;
    factory->options.stop = options.stop;
    factory->options.start_timeout = std::max(factory->options.start_timeout, options.request_timeout);
    result.factory = std::move(factory);
  } else if (StartsWith(spec, "pcap:")) {
    const std::string rest = spec.substr(5);
    const auto comma = rest.find(',');
    const std::string capture = rest.substr(0, comma);
    std::string programming;
    if (comma != std::string::npos) {
      const std::string option = rest.substr(comma + 1);
      if (!StartsWith(option, "programming=") || option.size() == 12) {
        result.error = "--candidate pcap: unknown option \"" + option + "\" (pcap:CAPTURE[,programming=FILE])";
        return result;
      }
      programming = option.substr(12);
    } else {
      programming = (std::filesystem::path(capture).parent_path() / "programming.json").string();
    }
    if (capture.empty()) {
      result.error = "--candidate pcap: needs a capture file (pcap:CAPTURE[,programming=FILE])";
      return result;
    }
    auto attribution = std::make_shared<CaptureAttribution>();
    if (!LoadCaptureAttribution(capture, programming, *attribution, result.error)) return result;
    result.notes = attribution->notes;
    auto factory = std::make_unique<PcapFactory>();
    factory->attribution = std::move(attribution);
    result.factory = std::move(factory);
  } else {
    result.error = "--candidate \"" + spec + "\": expected reference, lib:PATH.so[,key=value...], "
                   "exec:COMMAND [ARGS...] or pcap:CAPTURE[,programming=FILE]";
    return result;
  }
  if (options.own_ivs) result.factory = std::make_unique<WithoutIvInjectionFactory>(std::move(result.factory));
  result.factory->spec = spec;
  return result;
}

}  // namespace sendpath::harness
