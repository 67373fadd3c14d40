// The index.json a report folder writes beside its captures (RESULTS.md, "The captures,
// index.json and Wireshark"), read back for one capture: which vector and step each frame
// belongs to, whether the NIC must leave it unchanged, and which AH/ESP headers the NIC seals in
// it. `sendpath diff` names vectors and pairs frames with it; `sendpath verify` skips what was
// never the NIC's to seal. Found without an option: the index.json in the capture's folder, when
// its "files" name the capture.
//
// The file is read with a SAX parser into a compact table (about 40 bytes a frame plus each
// vector id once), never as a JSON document: a million-frame index stays small.
#pragma once

#include "reports/result.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sendpath::report {

struct IndexedFrame {
  std::uint32_t vector = 0;  // into the index's vector ids
  std::uint32_t step = 0;
  std::uint64_t key = 0;     // identifies (vector id, step) across runs
  bool unchanged = false;    // the expected frame is the input frame: no offload (no info, handle 0)
  bool sealed_known = false; // the index lists the sealed headers (written with the vectors' SAs)
  std::uint32_t sealed_begin = 0, sealed_count = 0;  // into the index's SPI list
};

class CaptureIndex {
 public:
  // nullopt: no index.json beside the capture, or one that does not list it. An index.json that
  // lists it but cannot be read is an error naming the file, the place and what is wrong.
  static Result<std::optional<CaptureIndex>> FindBeside(const std::string& capture_path);

  const IndexedFrame* Frame(std::size_t number) const;  // 1-based; nullptr when not indexed
  std::string Label(std::size_t number) const;          // "vector ID step N", or ""
  std::span<const std::uint32_t> SealedSpis(const IndexedFrame& frame) const {
    return std::span<const std::uint32_t>(spis_).subspan(frame.sealed_begin, frame.sealed_count);
  }
  const std::string& path() const { return path_; }
  const std::string& role() const { return role_; }  // "input", "expected" or "actual"

 private:
  struct Parser;
  std::string path_;
  std::string role_;
  std::deque<std::string> vector_ids_;
  std::vector<IndexedFrame> frames_;  // [number - 1]
  std::vector<std::uint32_t> spis_;
};

}  // namespace sendpath::report
