// Capture files through libpcap: reading pcap and pcapng (pcap_open_offline detects both),
// writing classic pcap through a temporary file renamed into place on Commit(). pcapng is
// written by PcapngWriter, a small block writer of our own: libpcap (1.10) reads pcapng but
// cannot write it, and the report's captures need per-frame comments.
//
// Link types: Ethernet (DLT_EN10MB, 802.1Q tags allowed), raw IP (DLT_RAW / LINKTYPE_RAW and
// DLT_IPV4) and Linux cooked captures (DLT_LINUX_SLL, what `tcpdump -i any` writes).
#pragma once

#include "reports/result.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct pcap;
struct pcap_dumper;

namespace sendpath::report {

enum class LinkType { kEthernet, kRawIp, kLinuxSll };
const char* LinkTypeName(LinkType link);

// Where the IPv4 header starts in a frame of this link type, or nullopt (with `why`) when the
// frame does not carry IPv4 (other EtherType, too short).
std::optional<std::size_t> Ipv4Offset(std::span<const std::uint8_t> frame, LinkType link, std::string* why = nullptr);

struct PcapRecord {
  std::size_t number = 0;             // 1-based, as Wireshark counts
  std::span<const std::uint8_t> data;  // valid until the next read
  std::uint32_t wire_length = 0;      // original length (> data.size() when the snap length cut it)
  std::int64_t seconds = 0;
  std::int64_t microseconds = 0;
  std::uint64_t file_offset = 0;  // where the record starts in the file
};

class PcapReader {
 public:
  static Result<PcapReader> Open(const std::string& path);
  PcapReader(PcapReader&&) noexcept;
  PcapReader& operator=(PcapReader&&) noexcept;
  ~PcapReader();

  enum class Next { kRecord, kEnd, kError };
  // kError: `error` says which frame and byte offset, and what libpcap found wrong.
  Next Read(PcapRecord& record, std::string& error);

  LinkType link_type() const { return link_; }
  const std::string& path() const { return path_; }
  std::size_t frames_read() const { return frames_read_; }

 private:
  struct Closer {
    void operator()(pcap* handle) const;
  };
  PcapReader(std::string path, pcap* handle, LinkType link);

  std::string path_;
  std::unique_ptr<pcap, Closer> handle_;
  LinkType link_ = LinkType::kRawIp;
  std::size_t frames_read_ = 0;
};

class PcapWriter {
 public:
  static Result<PcapWriter> Create(const std::string& path, LinkType link);
  PcapWriter(PcapWriter&&) noexcept;
  PcapWriter& operator=(PcapWriter&&) noexcept;
  ~PcapWriter();  // without Commit(): the temporary file is removed

  // Timestamps are the caller's (the report writers use the frame number as seconds so the files
  // are reproducible).
  void Write(std::span<const std::uint8_t> frame, std::int64_t seconds = 0, std::int64_t microseconds = 0);
  Status Commit();
  std::size_t frames_written() const { return frames_written_; }
  const std::string& path() const { return path_; }

 private:
  struct State;
  explicit PcapWriter(std::unique_ptr<State> state);
  void Abandon();

  std::unique_ptr<State> state_;
  std::string path_;
  std::size_t frames_written_ = 0;
};

// pcapng (draft-ietf-opsawg-pcapng) with one section, one interface and one Enhanced Packet
// Block per frame, little-endian, microsecond timestamps (the if_tsresol default):
//   SHB  (shb_userappl)               the file was written by sendpath
//   IDB  (if_name, if_description)    what the frames are ("frames the contract says must come out")
//   EPB  (opt_comment)                one comment per frame: vector id, step, verdict
// Every option value is padded to 32 bits; the file goes to a temporary name and is renamed into
// place on Commit(), like PcapWriter. Read back with PcapReader (libpcap) or tshark.
class PcapngWriter {
 public:
  static Result<PcapngWriter> Create(const std::string& path, LinkType link, std::string_view interface_name,
                                     std::string_view interface_description);
  PcapngWriter(PcapngWriter&&) noexcept;
  PcapngWriter& operator=(PcapngWriter&&) noexcept;
  ~PcapngWriter();  // without Commit(): the temporary file is removed

  // `comment` (UTF-8, may be empty: no option) is shown by Wireshark as the frame's comment
  // (`frame.comment`).
  void Write(std::span<const std::uint8_t> frame, std::int64_t seconds, std::int64_t microseconds, std::string_view comment);
  Status Commit();
  std::size_t frames_written() const { return frames_written_; }
  const std::string& path() const;

 private:
  struct State;
  explicit PcapngWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::size_t frames_written_ = 0;
};

// The LINKTYPE_* value a capture file records for `link` (1, 101, 113).
std::uint16_t LinkTypeFileValue(LinkType link);

}  // namespace sendpath::report
