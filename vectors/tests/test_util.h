// Shared by the vector loader tests: fixture paths and small readers.
#pragma once

#include "vectors/loader/vector_loader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace sendpath::vectors::testing {

inline std::string DataPath(const std::string& relative) { return std::string(SENDPATH_VECTORS_TEST_DATA) + "/" + relative; }

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline Bytes Hex(std::string_view text) {
  auto parsed = ParseHex(text);
  if (auto* error = std::get_if<HexError>(&parsed)) ADD_FAILURE() << "bad hex in test: " << error->message;
  return std::get_if<Bytes>(&parsed) ? std::get<Bytes>(parsed) : Bytes{};
}

// Loads a fixture that must be valid; fails the test (and returns an empty file) otherwise.
inline VectorFile LoadValid(const std::string& relative) {
  auto loaded = LoadVectorFile(DataPath(relative));
  if (auto* error = std::get_if<LoadError>(&loaded)) {
    ADD_FAILURE() << error->ToString();
    return {};
  }
  return std::get<VectorFile>(std::move(loaded));
}

template <typename T>
T ReadAt(const std::vector<std::uint8_t>& buffer, std::size_t offset) {
  T value{};
  if (offset + sizeof(T) > buffer.size()) {
    ADD_FAILURE() << "read of " << sizeof(T) << " bytes at " << offset << " past a " << buffer.size() << "-byte buffer";
    return value;
  }
  std::memcpy(&value, buffer.data() + offset, sizeof(T));
  return value;
}

inline IPAddr Address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  const std::uint8_t octets[4] = {a, b, c, d};
  IPAddr address;
  std::memcpy(&address, octets, sizeof(address));
  return address;
}

}  // namespace sendpath::vectors::testing
