// The index.json a report folder writes beside its captures (RESULTS.md, "The captures and
// index.json"), read back for one capture: which vector and step each frame belongs to, whether
// the NIC must leave it unchanged, and which AH/ESP headers the NIC seals in it. `sendpath diff`
// names vectors and aligns frames with it; `sendpath verify` skips what was never the NIC's to
// seal. Found without an option: the index.json in the capture's folder, when its "files" name
// the capture.
#pragma once

#include "reports/result.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sendpath::report {

struct IndexedFrame {
  std::uint32_t vector = 0;  // into CaptureIndex::vector_ids
  std::uint32_t step = 0;
  std::uint64_t key = 0;     // identifies (vector id, step) across runs
  bool unchanged = false;    // the expected frame is the input frame: no offload (no info, handle 0)
  bool sealed_known = false; // the index lists the sealed headers (written with the vectors' SAs)
  std::vector<std::uint32_t> sealed_spis;
};

class CaptureIndex {
 public:
  // nullopt: no index.json beside the capture, or one that does not list it. An index.json that
  // lists it but cannot be read is an error naming the file and what is wrong.
  static Result<std::optional<CaptureIndex>> FindBeside(const std::string& capture_path);

  const IndexedFrame* Frame(std::size_t number) const;  // 1-based; nullptr when not indexed
  std::string Label(std::size_t number) const;          // "vector ID step N", or ""
  const std::string& path() const { return path_; }
  const std::string& role() const { return role_; }  // "input", "expected" or "actual"

 private:
  std::string path_;
  std::string role_;
  std::vector<std::string> vector_ids_;
  std::vector<IndexedFrame> frames_;  // [number - 1]
};

}  // namespace sendpath::report
