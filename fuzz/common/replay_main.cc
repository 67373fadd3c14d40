// The replay executable of a fuzz target built without libFuzzer: feeds every file named on the
// command line, and every file below every directory named (recursively, in path order), to
// LLVMFuzzerTestOneInput once. `--match=TEXT` keeps, of the paths after it, only files whose
// name contains TEXT (the regressions of one target in vectors/regressions/). A missing directory counts as empty (git
// keeps no empty folders). Exit 0 when every input ran; a finding aborts, as under libFuzzer.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool ReadFile(const std::filesystem::path& path, std::vector<std::uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::filesystem::path> inputs;
  std::string match;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument.rfind("--match=", 0) == 0) {
      match = argument.substr(8);
      continue;
    }
    const std::filesystem::path path = argument;
    std::error_code error;
    const auto matches = [&](const std::filesystem::path& file) {
      return file.filename().string().find(match) != std::string::npos;
    };
    if (std::filesystem::is_directory(path, error)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
        if (entry.is_regular_file() && matches(entry.path())) inputs.push_back(entry.path());
      }
    } else if (std::filesystem::is_regular_file(path, error)) {
      inputs.push_back(path);
    } else {
      std::printf("%s: not found, nothing to replay\n", path.c_str());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  std::vector<std::uint8_t> bytes;
  for (const auto& input : inputs) {
    if (!ReadFile(input, bytes)) {
      std::fprintf(stderr, "%s: cannot read\n", input.c_str());
      return 2;
    }
    std::fprintf(stderr, "replay %s (%zu bytes)\n", input.c_str(), bytes.size());
    // A private copy sized exactly, so that reads past the end are caught by the sanitizers.
    std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(exact.data(), exact.size());
  }
  std::printf("replayed %zu inputs, no finding\n", inputs.size());
  return 0;
}
