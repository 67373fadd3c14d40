// libFuzzer's custom mutator and cross-over for the script targets (send_path, differential):
// most mutations edit the decoded Script (MutateScript) and re-encode it, so handles and framing
// change while the rest of the input stays consistent; a few are libFuzzer's own byte mutations.
// Linked into the libFuzzer builds only: the replay executables have no LLVMFuzzerMutate.
#include "fuzz/common/script.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

std::size_t Store(const std::vector<std::uint8_t>& bytes, std::uint8_t* data, std::size_t max_size) {
  if (bytes.size() > max_size) return 0;
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  std::minstd_rand random(seed);
  if (random() % 20 == 0) return LLVMFuzzerMutate(data, size, max_size);
  sendpath::fuzz::Script script = sendpath::fuzz::DecodeScript(std::span<const std::uint8_t>(data, size));
  const unsigned rounds = 1 + static_cast<unsigned>(random() % 3);
  for (unsigned i = 0; i < rounds; ++i) sendpath::fuzz::MutateScript(script, random);
  const std::size_t written = Store(sendpath::fuzz::EncodeScript(script), data, max_size);
  return written != 0 ? written : LLVMFuzzerMutate(data, size, max_size);
}

// One script's setup with sends taken from both.
extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                                                 std::size_t size2, std::uint8_t* out, std::size_t max_out_size,
                                                 unsigned int seed) {
  std::minstd_rand random(seed);
  sendpath::fuzz::Script first = sendpath::fuzz::DecodeScript(std::span<const std::uint8_t>(data1, size1));
  const sendpath::fuzz::Script second = sendpath::fuzz::DecodeScript(std::span<const std::uint8_t>(data2, size2));
  for (const auto& send : second.sends) {
    if (first.sends.size() >= sendpath::fuzz::kMaxSends) {
      first.sends[random() % first.sends.size()] = send;
    } else {
      first.sends.push_back(send);
    }
  }
  return Store(sendpath::fuzz::EncodeScript(first), out, max_out_size);
}
