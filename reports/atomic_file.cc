#include "reports/atomic_file.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace sendpath::report {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

std::string TemporaryPathFor(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(static_cast<long>(::getpid())) + "-" + std::to_string(counter++);
}

Status CommitTemporary(const std::string& temporary, const std::string& path) {
  // The data must reach the disk before the name does, or a crash could leave an empty file.
  if (std::FILE* file = std::fopen(temporary.c_str(), "rb")) {
    ::fsync(::fileno(file));
    std::fclose(file);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string message = path + ": cannot rename " + temporary + " into place: " + ErrnoText();
    std::remove(temporary.c_str());
    return Error{std::move(message)};
  }
  return {};
}

Result<AtomicFile> AtomicFile::Create(const std::string& path) {
  std::string temporary = TemporaryPathFor(path);
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (file == nullptr) return Error{path + ": cannot create " + temporary + ": " + ErrnoText()};
  // Reports run to hundreds of MB: one write(2) per MiB rather than per 4 KiB.
  std::setvbuf(file, nullptr, _IOFBF, std::size_t{1} << 20);
  return AtomicFile(path, std::move(temporary), file);
}

AtomicFile::AtomicFile(std::string path, std::string temporary, std::FILE* file)
    : path_(std::move(path)), temporary_(std::move(temporary)), file_(file) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temporary_(std::move(other.temporary_)),
      file_(other.file_),
      write_failed_(other.write_failed_) {
  other.file_ = nullptr;
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    path_ = std::move(other.path_);
    temporary_ = std::move(other.temporary_);
    file_ = other.file_;
    write_failed_ = other.write_failed_;
    other.file_ = nullptr;
  }
  return *this;
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
    std::remove(temporary_.c_str());
  }
}

void AtomicFile::Write(std::string_view bytes) {
  if (file_ == nullptr || write_failed_ || bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) write_failed_ = true;
}

Status AtomicFile::Commit() {
  if (file_ == nullptr) return Error{path_ + ": already committed"};
  bool failed = write_failed_ || std::fflush(file_) != 0;
  failed = failed || ::fsync(::fileno(file_)) != 0;
  const std::string reason = failed ? ErrnoText() : std::string();
  const bool close_failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (failed || close_failed) {
    std::remove(temporary_.c_str());
    return Error{path_ + ": write failed: " + (failed ? reason : ErrnoText())};
  }
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    std::string message = path_ + ": cannot rename " + temporary_ + " into place: " + ErrnoText();
    std::remove(temporary_.c_str());
    return Error{std::move(message)};
  }
  return {};
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  auto file = AtomicFile::Create(path);
  if (!file) return file.error();
  file.value().Write(contents);
  return file.value().Commit();
}

}  // namespace sendpath::report
