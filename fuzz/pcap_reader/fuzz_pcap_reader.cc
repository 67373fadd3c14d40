// libFuzzer target: arbitrary bytes as a capture file (pcap or pcapng, whatever libpcap makes
// of them) read through reports' PcapReader, every record then located (Ipv4Offset), checked
// (ReceiveChecker, with the SAs the seed captures were made with) and dissected. Oracles: no
// crash; a read error names the file; every dissected field lies inside its frame.
#include "fuzz/common/programming.h"
#include "fuzz/common/script.h"

#include <reports/dissector.h>
#include <reports/pcap_io.h>
#include <reports/receive_check.h>

#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

namespace {

using namespace sendpath;

[[noreturn]] void Finding(const char* oracle, const std::string& detail) {
  std::fprintf(stderr, "\n==sendpath-fuzz== SIGNATURE: pcap_reader-%s\n==sendpath-fuzz== %s\n", oracle, detail.c_str());
  std::abort();
}

// libpcap reads captures by path: the input lives in one anonymous memory file, opened through
// /proc/self/fd.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("sendpath-fuzz-capture", MFD_CLOEXEC)) {
    if (fd_ < 0) Finding("setup", "memfd_create failed");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  const std::string& Hold(const std::uint8_t* data, std::size_t size) {
    if (ftruncate(fd_, 0) != 0) Finding("setup", "ftruncate failed");
    std::size_t written = 0;
    while (written < size) {
      const ssize_t n = pwrite(fd_, data + written, size - written, static_cast<off_t>(written));
      if (n <= 0) Finding("setup", "pwrite failed");
      written += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

// The SAs of the seed captures (fuzz/tools/make_seeds.cc).
report::SaTable& SeedSas() {
  static report::SaTable table = [] {
    const fuzz::Setup setup = fuzz::BaseSetup();
    std::map<std::string, vectors::SaSpec> specs;
    for (std::size_t i = 0; i < setup.sas.size(); ++i) {
      auto spec = fuzz::MakeSaSpec(setup.sas[i], i);
      specs.emplace(spec.name, std::move(spec));
    }
    auto made = report::SaTable::FromSaSpecs(specs, "fuzz");
    if (!made) Finding("setup", made.error().message);
    return std::move(made).value();
  }();
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // OpenSSL and the reference NIC's providers first: their exit-time cleanup then runs after the
  // destructors of the statics below, which still hold EVP objects.
  static const bool openssl_ready = OPENSSL_init_crypto(0, nullptr) == 1 && nic::FullCapabilities().task.V4ESP.Send != 0;
  (void)openssl_ready;
  static MemoryFile file;
  static report::CheckResult check;
  static report::Dissection dissection;
  const std::string& path = file.Hold(data, size);

  auto opened = report::PcapReader::Open(path);
  if (!opened) {
    if (opened.error().message.find(path) == std::string::npos) Finding("error-place", opened.error().message);
    return 0;
  }
  report::PcapReader& reader = opened.value();
  report::ReceiveChecker checker(SeedSas());
  report::PcapRecord record;
  std::string error;
  while (reader.Read(record, error) == report::PcapReader::Next::kRecord) {
    std::string why;
    (void)report::Ipv4Offset(record.data, reader.link_type(), &why);
    checker.Check(record.data, reader.link_type(), check);
    report::Dissect(record.data, reader.link_type(), &check, dissection);
    for (const report::Field& field : dissection.fields) {
      if (field.offset > record.data.size() || field.length > record.data.size() - field.offset) {
        Finding("field-outside-frame", dissection.Name(field) + " at " + std::to_string(field.offset) + "+" +
                                           std::to_string(field.length) + " in a " + std::to_string(record.data.size()) +
                                           "-byte frame");
      }
      (void)dissection.Value(field);
    }
  }
  return 0;
}
