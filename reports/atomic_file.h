// Files the reports write appear whole or not at all: the bytes go to a temporary file in the
// same directory, which is flushed and renamed over the target (rename(2) is atomic within a
// file system). An interrupted writer leaves the previous file, never a truncated one.
#pragma once

#include "reports/result.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace sendpath::report {

// A unique temporary name next to `path` ("<path>.tmp-<pid>-<n>").
std::string TemporaryPathFor(const std::string& path);

// Flushes `temporary` to disk and renames it to `path`.
Status CommitTemporary(const std::string& temporary, const std::string& path);

// A text or binary file written through a temporary and renamed into place by Commit().
// Destroying an uncommitted AtomicFile removes the temporary.
class AtomicFile {
 public:
  static Result<AtomicFile> Create(const std::string& path);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  void Write(std::string_view bytes);
  Status Commit();
  const std::string& path() const { return path_; }

 private:
  AtomicFile(std::string path, std::string temporary, std::FILE* file);
  void Abandon();

  std::string path_;
  std::string temporary_;
  std::FILE* file_ = nullptr;  // owned; closed by Commit() or the destructor
  bool write_failed_ = false;
};

// Writes `contents` to `path` atomically.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace sendpath::report
