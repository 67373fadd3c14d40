// Bounded<T, N>, the in-place list of fuzz scripts: list behaviour, and refusal (an exception,
// never a write) wherever a std::vector would grow or an index would leave the list.
#include "fuzz/common/bounded.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace sendpath::fuzz {
namespace {

struct Item {
  int id = -1;
  std::uint8_t tag = 0;
  bool operator==(const Item&) const = default;
};

template <class T, std::size_t N>
std::vector<T> Contents(const Bounded<T, N>& list) {
  return {list.begin(), list.end()};
}

TEST(BoundedTest, StoresItsElementsInsideTheObject) {
  using List = Bounded<Item, 4>;
  static_assert(std::is_trivially_copyable_v<List>, "copying a script copies bytes");
  static_assert(sizeof(List) == sizeof(Item) * 4 + sizeof(std::size_t));
  List list;
  list.push_back({1, 1});
  const auto* storage = reinterpret_cast<const unsigned char*>(&list);
  const auto* element = reinterpret_cast<const unsigned char*>(list.data());
  EXPECT_GE(element, storage);
  EXPECT_LT(element, storage + sizeof(List));
  EXPECT_EQ(List::capacity(), 4u);
}

TEST(BoundedTest, PushBackSizeIndexAndIteration) {
  Bounded<int, 3> list;
  EXPECT_TRUE(list.empty());
  list.push_back(7);
  list.emplace_back(8);
  const int nine = 9;
  list.push_back(nine);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_TRUE(list.full());
  EXPECT_EQ(list[0], 7);
  EXPECT_EQ(list[2], 9);
  EXPECT_EQ(list.front(), 7);
  EXPECT_EQ(list.back(), 9);
  EXPECT_EQ(std::accumulate(list.begin(), list.end(), 0), 24);
  list[1] = 80;
  EXPECT_EQ(Contents(list), (std::vector<int>{7, 80, 9}));
}

TEST(BoundedTest, RefusesToGrowPastItsCapacity) {
  Bounded<int, 2> list{1, 2};
  EXPECT_THROW(list.push_back(3), std::length_error);
  EXPECT_THROW(list.emplace_back(3), std::length_error);
  EXPECT_THROW(list.resize(3), std::length_error);
  EXPECT_THROW(list.insert(list.begin(), 0), std::length_error);
  const std::vector<int> three = {4, 5, 6};
  EXPECT_THROW(list.assign(three.begin(), three.end()), std::length_error);
  EXPECT_THROW((Bounded<int, 2>{1, 2, 3}), std::length_error);
  EXPECT_EQ(Contents(list), (std::vector<int>{1, 2}));  // every refusal left the list as it was
}

TEST(BoundedTest, RefusesIndexesPastTheEnd) {
  Bounded<int, 4> list{1, 2};
  EXPECT_THROW(list[2], std::out_of_range);  // inside the storage, but not an element
  const auto& constant = list;
  EXPECT_THROW(constant[3], std::out_of_range);
  list.clear();
  EXPECT_THROW(list.back(), std::out_of_range);
  EXPECT_THROW(list.pop_back(), std::out_of_range);
  EXPECT_THROW(list.erase(list.begin()), std::out_of_range);
}

TEST(BoundedTest, EraseAndInsertShiftTheRest) {
  Bounded<int, 5> list{10, 20, 30, 40};
  auto next = list.erase(list.begin() + 1);
  EXPECT_EQ(*next, 30);
  EXPECT_EQ(Contents(list), (std::vector<int>{10, 30, 40}));
  next = list.erase(list.begin(), list.begin() + 2);
  EXPECT_EQ(*next, 40);
  EXPECT_EQ(Contents(list), (std::vector<int>{40}));
  list.erase(list.end() - 1);
  EXPECT_TRUE(list.empty());

  list = {1, 3};
  auto inserted = list.insert(list.begin() + 1, 2);
  EXPECT_EQ(*inserted, 2);
  list.insert(list.end(), 4);
  list.insert(list.begin(), 0);
  EXPECT_EQ(Contents(list), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(BoundedTest, ResizeGrowsWithValueInitializedElements) {
  Bounded<Item, 4> list{{5, 5}, {6, 6}, {7, 7}};
  list.resize(1);
  list.resize(3);  // the dropped slots still hold {6,6} and {7,7}: they must not come back
  EXPECT_EQ(Contents(list), (std::vector<Item>{{5, 5}, {}, {}}));
  list.pop_back();
  EXPECT_EQ(list.size(), 2u);
  list.clear();
  EXPECT_TRUE(list.empty());
}

TEST(BoundedTest, EqualityIgnoresTheSlotsPastTheEnd) {
  Bounded<int, 4> a{1, 2, 3};
  Bounded<int, 4> b{1, 2, 9};
  EXPECT_NE(a, b);
  a.pop_back();
  b.pop_back();
  EXPECT_EQ(a, b);  // the stale 3 and 9 do not count
  b.push_back(3);
  EXPECT_NE(a, b);
  const Bounded<int, 4> copy = b;
  EXPECT_EQ(copy, b);
}

TEST(BoundedTest, AssignCopiesARange) {
  const std::vector<Item> items = {{1, 0}, {2, 0}};
  Bounded<Item, 3> list{{9, 9}, {9, 9}, {9, 9}};
  list.assign(items.begin(), items.end());
  EXPECT_EQ(Contents(list), items);
}

}  // namespace
}  // namespace sendpath::fuzz
