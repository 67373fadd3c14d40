#include "fuzz/common/candidate_choice.h"

#include "harness/candidates/lib_host/abi_candidate.h"

#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace sendpath::fuzz {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// "libsendpath_faulty_x.so" -> "faulty_x"; "sendpath-reference-agent" -> "reference-agent".
std::string NameOf(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  if (const auto dot = name.find(".so"); dot != std::string::npos) name.erase(dot);
  for (const std::string_view prefix : {"lib", "sendpath_", "sendpath-"}) {
    if (StartsWith(name, prefix)) name.erase(0, prefix.size());
  }
  std::string clean;
  for (const char c : name) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.';
    clean.push_back(keep ? c : '_');
  }
  return clean.empty() ? "candidate" : clean;
}

// The first "sa_capacity=N" among comma- or blank-separated words; 0 when none.
std::size_t SaCapacityIn(std::string_view text) {
  constexpr std::string_view kKey = "sa_capacity=";
  for (std::size_t at = text.find(kKey); at != std::string_view::npos; at = text.find(kKey, at + 1)) {
    if (at != 0 && text[at - 1] != ',' && text[at - 1] != ' ' && text[at - 1] != '\'' && text[at - 1] != '"') continue;
    std::size_t value = 0;
    std::size_t i = at + kKey.size();
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) value = value * 10 + static_cast<std::size_t>(text[i] - '0');
    if (i > at + kKey.size()) return value;
  }
  return 0;
}

}  // namespace

CandidateChoice ChooseCandidate(const std::string& spec, std::size_t default_sa_capacity,
                                std::chrono::milliseconds request_timeout, const std::string& host) {
  CandidateChoice choice;
  choice.spec = spec;
  const std::size_t named_capacity = SaCapacityIn(spec);
  choice.sa_capacity = named_capacity != 0 ? named_capacity : default_sa_capacity;
  const std::string default_options = "sa_capacity=" + std::to_string(default_sa_capacity);

  if (StartsWith(spec, "pcap:")) {
    choice.error = "a pcap: capture is not a live NIC; fuzzing needs lib:, exec:, reference or a library path";
    return choice;
  }
  if (!StartsWith(spec, "lib:") && !StartsWith(spec, "exec:") && spec != "reference") {
    // A bare library path: in process, as the harness's AbiCandidate drives it.
    const auto comma = spec.find(',');
    choice.in_process = true;
    choice.library = spec.substr(0, comma);
    choice.options = comma == std::string::npos ? default_options : spec.substr(comma + 1);
    choice.name = NameOf(choice.library);
    if (choice.library.empty()) choice.error = "empty library path";
    return choice;
  }
  std::string harness_spec = spec;
  if (StartsWith(spec, "lib:") && spec.find(',') == std::string::npos) harness_spec += "," + default_options;
  harness::SpecOptions options;
  options.request_timeout = request_timeout;
  options.host_path = host;
  harness::FactoryResult made = harness::MakeCandidateFactory(harness_spec, options);
  if (!made.factory) {
    choice.error = made.error;
    return choice;
  }
  choice.factory = std::move(made.factory);
  if (spec == "reference") {
    choice.name = "reference";
    choice.sa_capacity = nic::NicOptions{}.sa_capacity;  // the in-process reference candidate's own
  } else if (StartsWith(spec, "lib:")) {
    choice.name = NameOf(spec.substr(4, spec.find(',') - 4));
  } else {
    // exec: the library a host serves names it, else the program.
    const auto words = harness::SplitCommand(spec.substr(5)).value_or(std::vector<std::string>{});
    std::string named;
    for (const std::string& word : words) {
      if (word.find(".so") != std::string::npos) {
        named = word.substr(0, word.find(','));
        break;
      }
    }
    choice.name = NameOf(!named.empty() ? named : (words.empty() ? std::string() : words.front()));
  }
  return choice;
}

const char* CandidateErrorKind(const std::string& reason) {
  if (reason.find("hang: ") != std::string::npos || reason.find("did not read its input within") != std::string::npos) {
    return "candidate-hang";
  }
  if (reason.find("exited early") != std::string::npos || reason.find("killed by signal") != std::string::npos) {
    return "candidate-crash";
  }
  return "candidate-error";
}

std::unique_ptr<harness::Candidate> MakeCandidate(const CandidateChoice& choice) {
  if (choice.in_process) return std::make_unique<harness::AbiCandidate>(choice.library, choice.options);
  return choice.factory->Make();
}

}  // namespace sendpath::fuzz
