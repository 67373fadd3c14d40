// Bounded<T, N>: a list of at most N elements stored in place. A fuzz script's lists have small
// fixed bounds, and a script is decoded, mutated and copied several times per fuzz execution:
// with the elements inside the object, none of that allocates, and copying a script is copying
// its bytes. Going past the capacity or past the end throws instead of writing out of bounds.
//
// Slots beyond size() hold default-constructed (or stale) values that nothing reads; that is why
// T must be default-constructible and copy-assignable, which every script element is.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace sendpath::fuzz {

template <class T, std::size_t N>
class Bounded {
  static_assert(N > 0, "a Bounded list needs room for one element");
  static_assert(std::is_default_constructible_v<T> && std::is_copy_assignable_v<T>,
                "elements live in a std::array: default-constructible and copy-assignable");

 public:
  using value_type = T;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;

  Bounded() = default;
  Bounded(std::initializer_list<T> items) { assign(items.begin(), items.end()); }

  static constexpr size_type capacity() { return N; }
  static constexpr size_type max_size() { return N; }
  size_type size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == N; }

  T* data() { return items_.data(); }
  const T* data() const { return items_.data(); }
  iterator begin() { return items_.data(); }
  iterator end() { return items_.data() + size_; }
  const_iterator begin() const { return items_.data(); }
  const_iterator end() const { return items_.data() + size_; }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  T& operator[](size_type index) {
    CheckIndex(index);
    return items_[index];
  }
  const T& operator[](size_type index) const {
    CheckIndex(index);
    return items_[index];
  }
  T& front() { return (*this)[0]; }
  const T& front() const { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(const T& item) {
    CheckRoom(size_ + 1);
    items_[size_++] = item;
  }
  void push_back(T&& item) {
    CheckRoom(size_ + 1);
    items_[size_++] = std::move(item);
  }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    CheckRoom(size_ + 1);
    items_[size_] = T{std::forward<Args>(args)...};
    return items_[size_++];
  }
  void pop_back() {
    if (empty()) throw std::out_of_range("Bounded::pop_back on an empty list");
    --size_;
  }
  void clear() { size_ = 0; }

  // Grows with value-initialized elements, or drops the tail.
  void resize(size_type count) {
    CheckRoom(count);
    for (size_type i = size_; i < count; ++i) items_[i] = T{};
    size_ = count;
  }

  template <class InputIt>
  void assign(InputIt first, InputIt last) {
    // Counted before anything is written, so a list that does not fit leaves this one unchanged.
    CheckRoom(static_cast<size_type>(std::distance(first, last)));
    size_ = static_cast<size_type>(std::copy(first, last, items_.begin()) - items_.begin());
  }

  // Removes one element or [first, last), shifting the rest down; returns the position after.
  iterator erase(const_iterator position) { return erase(position, position + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    if (first < cbegin() || first > last || last > cend()) throw std::out_of_range("Bounded::erase outside the list");
    const auto from = static_cast<size_type>(first - cbegin());
    const auto to = static_cast<size_type>(last - cbegin());
    std::move(items_.begin() + static_cast<difference_type>(to), items_.begin() + static_cast<difference_type>(size_),
              items_.begin() + static_cast<difference_type>(from));
    size_ -= to - from;
    return begin() + static_cast<difference_type>(from);
  }

  // Inserts before `position`, shifting the rest up; returns the inserted element's position.
  iterator insert(const_iterator position, const T& item) {
    if (position < cbegin() || position > cend()) throw std::out_of_range("Bounded::insert outside the list");
    CheckRoom(size_ + 1);
    const auto at = static_cast<size_type>(position - cbegin());
    std::move_backward(items_.begin() + static_cast<difference_type>(at),
                       items_.begin() + static_cast<difference_type>(size_),
                       items_.begin() + static_cast<difference_type>(size_ + 1));
    items_[at] = item;
    ++size_;
    return begin() + static_cast<difference_type>(at);
  }

  // Equal lists have the same elements in the same order; the slots past size() do not count.
  friend bool operator==(const Bounded& a, const Bounded& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  void CheckRoom(size_type count) const {
    if (count > N) throw std::length_error("Bounded: " + std::to_string(count) + " elements exceed the capacity of " + std::to_string(N));
  }
  void CheckIndex(size_type index) const {
    if (index >= size_) throw std::out_of_range("Bounded: index " + std::to_string(index) + " past size " + std::to_string(size_));
  }

  std::array<T, N> items_{};
  size_type size_ = 0;
};

}  // namespace sendpath::fuzz
