#include "reports/capture_index.h"

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string_view>
#include <unordered_map>

namespace sendpath::report {
namespace {

constexpr std::array<std::string_view, 3> kRoles = {"input", "expected", "actual"};

}  // namespace

// SAX events of index.json into the compact table. Only the shape sendpath writes is followed
// (top-level "format", "files", "frames"; each frame an object of scalars and "sealed_spis");
// anything else is skipped.
struct CaptureIndex::Parser : nlohmann::json_sax<nlohmann::json> {
  struct Entry {
    std::uint32_t vector = 0, step = 0;
    std::array<std::uint32_t, 3> numbers{};  // input, expected, actual
    bool unchanged = false, sealed_known = false;
    std::uint32_t sealed_begin = 0, sealed_count = 0;
  };

  CaptureIndex& index;
  std::string error;
  std::string format;
  std::unordered_map<std::string, std::string> files;
  std::vector<Entry> entries;
  std::unordered_map<std::string_view, std::uint32_t> vector_numbers;

  int depth = 0;          // objects and arrays open
  std::string top_key;    // the top-level member being read
  std::string frame_key;  // the member of the frame object being read
  bool in_frames = false, in_frame = false, in_sealed = false;
  Entry entry;

  explicit Parser(CaptureIndex& target) : index(target) {}

  bool Fail(std::string message) {
    error = "/frames/" + std::to_string(entries.size()) + (frame_key.empty() ? "" : "/" + frame_key) + ": " + std::move(message);
    return false;
  }
  bool Number(std::uint64_t value) {
    if (!in_frame || depth != 3) return true;
    if (value > 0xffffffffu) return Fail("number out of range");
    const auto v = static_cast<std::uint32_t>(value);
    if (frame_key == "step") entry.step = v;
    for (std::size_t r = 0; r < kRoles.size(); ++r) {
      if (frame_key == kRoles[r]) entry.numbers[r] = v;
    }
    return true;
  }

  bool null() override { return true; }
  bool boolean(bool value) override {
    if (in_frame && depth == 3 && frame_key == "unchanged") entry.unchanged = value;
    return true;
  }
  bool number_integer(number_integer_t value) override {
    if (value < 0) return in_frame && depth == 3 && frame_key != "step" ? Fail("negative frame number") : true;
    return Number(static_cast<std::uint64_t>(value));
  }
  bool number_unsigned(number_unsigned_t value) override { return Number(value); }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool string(string_t& value) override {
    if (depth == 1 && top_key == "format") format = value;
    if (depth == 2 && top_key == "files") files[frame_key] = value;
    if (in_frame && depth == 3 && frame_key == "vector") {
      const auto found = vector_numbers.find(value);
      if (found != vector_numbers.end()) {
        entry.vector = found->second;
      } else {
        entry.vector = static_cast<std::uint32_t>(index.vector_ids_.size());
        index.vector_ids_.push_back(value);
        vector_numbers.emplace(index.vector_ids_.back(), entry.vector);
      }
    }
    if (in_sealed && depth == 4) {
      std::string_view text = value;
      if (text.starts_with("0x")) text.remove_prefix(2);
      std::uint32_t spi = 0;
      const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), spi, 16);
      if (text.empty() || status != std::errc() || end != text.data() + text.size()) return Fail("\"" + value + "\" is not a 32-bit hex SPI");
      index.spis_.push_back(spi);
      ++entry.sealed_count;
    }
    return true;
  }
  bool start_object(std::size_t) override {
    ++depth;
    if (in_frames && depth == 3) {
      in_frame = true;
      entry = Entry{};
    }
    return true;
  }
  bool end_object() override {
    if (in_frame && depth == 3) {
      in_frame = false;
      frame_key.clear();
      entries.push_back(entry);
    }
    if (depth == 2) frame_key.clear();
    --depth;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth;
    if (depth == 2 && top_key == "frames") in_frames = true;
    if (in_frame && depth == 4 && frame_key == "sealed_spis") {
      in_sealed = true;
      entry.sealed_known = true;
      entry.sealed_begin = static_cast<std::uint32_t>(index.spis_.size());
    }
    return true;
  }
  bool end_array() override {
    if (in_sealed && depth == 4) in_sealed = false;
    if (in_frames && depth == 2) in_frames = false;
    --depth;
    return true;
  }
  bool key(string_t& value) override {
    if (depth == 1) top_key = value;
    if (depth == 2 || (in_frame && depth == 3)) frame_key = value;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& exception) override {
    error = "byte " + std::to_string(position) + ": " + exception.what();
    return false;
  }
};

Result<std::optional<CaptureIndex>> CaptureIndex::FindBeside(const std::string& capture_path) {
  const std::filesystem::path capture(capture_path);
  const std::filesystem::path index_path = capture.parent_path().empty() ? std::filesystem::path("index.json")
                                                                          : capture.parent_path() / "index.json";
  std::error_code status;
  if (!std::filesystem::is_regular_file(index_path, status)) return std::optional<CaptureIndex>();
  const std::string where = index_path.string();
  std::ifstream file(index_path, std::ios::binary);
  if (!file) return Error{where + ": cannot open"};

  CaptureIndex index;
  Parser parser(index);
  const bool parsed = nlohmann::json::sax_parse(file, &parser);
  if (!parsed) return Error{where + ": " + parser.error};
  if (parser.format != "sendpath-pcap-index/1") return std::optional<CaptureIndex>();
  std::size_t role = kRoles.size();
  for (std::size_t r = 0; r < kRoles.size(); ++r) {
    const auto found = parser.files.find(std::string(kRoles[r]));
    if (found != parser.files.end() && found->second == capture.filename().string()) role = r;
  }
  if (role == kRoles.size()) return std::optional<CaptureIndex>();
  index.path_ = where;
  index.role_ = std::string(kRoles[role]);
  for (std::size_t i = 0; i < parser.entries.size(); ++i) {
    const Parser::Entry& entry = parser.entries[i];
    const std::uint32_t number = entry.numbers[role];
    if (number == 0) continue;
    if (number != index.frames_.size() + 1) {
      return Error{where + ": /frames/" + std::to_string(i) + ": frame " + std::to_string(number) + " of " + index.role_ +
                   " out of order (expected " + std::to_string(index.frames_.size() + 1) + ")"};
    }
    IndexedFrame frame;
    frame.vector = entry.vector;
    frame.step = entry.step;
    frame.key = std::hash<std::string>{}(index.vector_ids_[entry.vector] + "\n" + std::to_string(entry.step));
    frame.unchanged = entry.unchanged;
    frame.sealed_known = entry.sealed_known;
    frame.sealed_begin = entry.sealed_begin;
    frame.sealed_count = entry.sealed_count;
    index.frames_.push_back(frame);
  }
  return std::optional<CaptureIndex>(std::move(index));
}

const IndexedFrame* CaptureIndex::Frame(std::size_t number) const {
  if (number == 0 || number > frames_.size()) return nullptr;
  return &frames_[number - 1];
}

std::string CaptureIndex::Label(std::size_t number) const {
  const IndexedFrame* frame = Frame(number);
  if (frame == nullptr) return "";
  return "vector " + vector_ids_[frame->vector] + " step " + std::to_string(frame->step);
}

}  // namespace sendpath::report
