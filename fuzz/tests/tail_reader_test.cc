// TailReader must read inputs exactly as FuzzedDataProvider did when the corpora and dictionaries
// were made: bytes from the end, most significant first, reduced modulo the range, minimum once
// the data is used up. Expected values are worked out by hand from that rule.
#include "fuzz/common/tail_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace sendpath::fuzz {
namespace {

TEST(TailReaderTest, TakesBytesFromTheEndMostSignificantFirst) {
  const std::vector<std::uint8_t> data = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  TailReader reader(data);
  EXPECT_EQ(reader.Integral<std::uint32_t>(), 0x77665544u);
  EXPECT_EQ(reader.remaining(), 3u);
  EXPECT_EQ(reader.Integral<std::uint16_t>(), 0x3322u);
  EXPECT_EQ(reader.Integral<std::uint8_t>(), 0x11u);
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(TailReaderTest, TakesOnlyTheBytesTheRangeNeeds) {
  const std::vector<std::uint8_t> data = {0x01, 0x02, 0x03, 0xfe};
  TailReader reader(data);
  EXPECT_EQ(reader.IntegralInRange<std::uint8_t>(5, 5), 5u);  // one value: no byte
  EXPECT_EQ(reader.remaining(), 4u);
  EXPECT_EQ(reader.IntegralInRange<std::uint16_t>(0, 255), 0xfeu);  // range fits one byte
  EXPECT_EQ(reader.remaining(), 3u);
  EXPECT_EQ(reader.IntegralInRange<std::uint16_t>(0, 2000), (0x0302 % 2001));  // two bytes
  EXPECT_EQ(reader.remaining(), 1u);
}

TEST(TailReaderTest, ReducesModuloTheRangeAndAddsTheMinimum) {
  const std::vector<std::uint8_t> data = {200, 7, 40};
  TailReader reader(data);
  EXPECT_EQ(reader.IntegralInRange<std::uint8_t>(0, 3), 40 % 4);
  EXPECT_EQ(reader.IntegralInRange<std::uint8_t>(10, 12), 10 + 7 % 3);
  // Signed: the range [-16, 16] has 33 values; 200 % 33 = 2, so -16 + 2.
  EXPECT_EQ(reader.IntegralInRange<std::int8_t>(-16, 16), -14);
}

TEST(TailReaderTest, BoolIsTheLowBitOfOneByte) {
  const std::vector<std::uint8_t> data = {0x03, 0x02, 0xff};
  TailReader reader(data);
  EXPECT_TRUE(reader.Bool());
  EXPECT_FALSE(reader.Bool());
  EXPECT_TRUE(reader.Bool());
}

TEST(TailReaderTest, AShortInputGivesWhatItHasThenTheMinimum) {
  const std::vector<std::uint8_t> data = {0xab};
  TailReader reader(data);
  EXPECT_EQ(reader.Integral<std::uint32_t>(), 0xabu);  // one byte read, nothing more to take
  EXPECT_EQ(reader.Integral<std::uint32_t>(), 0u);
  EXPECT_EQ(reader.IntegralInRange<std::int8_t>(-16, 16), -16);
  EXPECT_FALSE(reader.Bool());
  TailReader empty(std::span<const std::uint8_t>{});
  EXPECT_EQ(empty.Integral<std::uint64_t>(), 0u);
}

TEST(TailReaderTest, FullRangeOfSixtyFourBitsIsNotReduced) {
  const std::vector<std::uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8};
  TailReader reader(data);
  EXPECT_EQ(reader.Integral<std::uint64_t>(), 0x0807060504030201u);
}

TEST(TailReaderTest, RefusesAnEmptyRange) {
  TailReader reader(std::span<const std::uint8_t>{});
  EXPECT_THROW(reader.IntegralInRange<int>(2, 1), std::invalid_argument);
}

}  // namespace
}  // namespace sendpath::fuzz
