#include "reports/capture_index.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string_view>

namespace sendpath::report {

Result<std::optional<CaptureIndex>> CaptureIndex::FindBeside(const std::string& capture_path) {
  const std::filesystem::path capture(capture_path);
  const std::filesystem::path index_path = capture.parent_path() / "index.json";
  std::error_code error;
  if (!std::filesystem::is_regular_file(index_path, error)) return std::optional<CaptureIndex>();
  std::ifstream in(index_path, std::ios::binary);
  nlohmann::json document = nlohmann::json::parse(in, nullptr, false);
  const std::string where = index_path.string();
  if (document.is_discarded() || !document.is_object()) return Error{where + ": not valid JSON"};
  if (document.value("format", std::string()) != "sendpath-pcap-index/1") return std::optional<CaptureIndex>();
  const auto files = document.find("files");
  if (files == document.end() || !files->is_object()) return Error{where + ": /files is missing"};
  std::string role;
  for (const auto& [name, file] : files->items()) {
    if (file.is_string() && file.get<std::string>() == capture.filename().string()) role = name;
  }
  if (role.empty()) return std::optional<CaptureIndex>();
  const auto frames = document.find("frames");
  if (frames == document.end() || !frames->is_array()) return Error{where + ": /frames is missing"};

  CaptureIndex index;
  index.path_ = where;
  index.role_ = role;
  std::map<std::string, std::uint32_t, std::less<>> vector_numbers;
  for (std::size_t i = 0; i < frames->size(); ++i) {
    const nlohmann::json& entry = (*frames)[i];
    const std::string pointer = where + ": /frames/" + std::to_string(i);
    if (!entry.is_object() || !entry.contains(role) || !entry[role].is_number_unsigned()) {
      return Error{pointer + ": no frame number for \"" + role + "\""};
    }
    const std::size_t number = entry[role].get<std::size_t>();
    if (number == 0) continue;
    if (number != index.frames_.size() + 1) {
      return Error{pointer + ": frame " + std::to_string(number) + " of " + role + " out of order (expected " +
                   std::to_string(index.frames_.size() + 1) + ")"};
    }
    IndexedFrame frame;
    const std::string id = entry.value("vector", std::string());
    const auto [it, fresh] = vector_numbers.emplace(id, static_cast<std::uint32_t>(index.vector_ids_.size()));
    if (fresh) index.vector_ids_.push_back(id);
    frame.vector = it->second;
    frame.step = entry.value("step", 0u);
    frame.key = std::hash<std::string>{}(id + "\n" + std::to_string(frame.step));
    frame.unchanged = entry.value("unchanged", false);
    if (const auto sealed = entry.find("sealed_spis"); sealed != entry.end() && sealed->is_array()) {
      frame.sealed_known = true;
      for (const auto& spi : *sealed) {
        std::string_view text = spi.is_string() ? spi.get_ref<const std::string&>() : std::string_view();
        if (text.starts_with("0x")) text.remove_prefix(2);
        std::uint32_t value = 0;
        const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
        if (text.empty() || status != std::errc() || end != text.data() + text.size()) {
          return Error{pointer + "/sealed_spis: not a 32-bit hex SPI"};
        }
        frame.sealed_spis.push_back(value);
      }
    }
    index.frames_.push_back(std::move(frame));
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
