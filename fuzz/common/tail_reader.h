// TailReader: reads integers from the end of a fuzz input the way LLVM's FuzzedDataProvider
// (ConsumeIntegralInRange, ConsumeIntegral, ConsumeBool) does, so that the committed corpora and
// dictionaries keep their meaning. Kept here rather than taken from clang's resource directory
// so that the scripts and the corpus replay build with any compiler.
//
// An integer in [min, max] takes as many bytes as the range needs (none for a single value), from
// the end of the data backwards, the first byte taken being the most significant; the value is
// min + (bytes mod (max - min + 1)). Once the data is used up the missing bytes count as absent,
// so an exhausted reader returns min.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <type_traits>

namespace sendpath::fuzz {

class TailReader {
 public:
  explicit TailReader(std::span<const std::uint8_t> data) : data_(data), remaining_(data.size()) {}

  template <class T>
  T IntegralInRange(T min, T max) {
    static_assert(std::is_integral_v<T> && sizeof(T) <= sizeof(std::uint64_t));
    if (min > max) throw std::invalid_argument("TailReader: min > max");
    const std::uint64_t range = static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(min);
    std::uint64_t result = 0;
    std::size_t bits = 0;
    while (bits < sizeof(T) * CHAR_BIT && (range >> bits) > 0 && remaining_ != 0) {
      --remaining_;
      result = (result << CHAR_BIT) | data_[remaining_];
      bits += CHAR_BIT;
    }
    if (range != std::numeric_limits<std::uint64_t>::max()) result %= range + 1;
    return static_cast<T>(static_cast<std::uint64_t>(min) + result);
  }

  template <class T>
  T Integral() {
    return IntegralInRange(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  }

  // The low bit of one byte.
  bool Bool() { return (Integral<std::uint8_t>() & 1) != 0; }

  std::size_t remaining() const { return remaining_; }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t remaining_;
};

}  // namespace sendpath::fuzz
