#include "reports/pcap_io.h"

#include "reports/atomic_file.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <vector>

namespace sendpath::report {
namespace {

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeVlan = 0x8100;
constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;
constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kLinuxSllHeader = 16;
constexpr int kSnapLength = 262144;

std::uint16_t Be16(std::span<const std::uint8_t> bytes, std::size_t offset) {
  return static_cast<std::uint16_t>((bytes[offset] << 8) | bytes[offset + 1]);
}

std::string Hex16(std::uint16_t value) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", value);
  return text;
}

}  // namespace

const char* LinkTypeName(LinkType link) {
  switch (link) {
    case LinkType::kEthernet: return "ethernet";
    case LinkType::kRawIp: return "raw-ip";
    case LinkType::kLinuxSll: return "linux-sll";
  }
  return "?";
}

std::optional<std::size_t> Ipv4Offset(std::span<const std::uint8_t> frame, LinkType link, std::string* why) {
  auto fail = [&](std::string text) -> std::optional<std::size_t> {
    if (why != nullptr) *why = std::move(text);
    return std::nullopt;
  };
  switch (link) {
    case LinkType::kRawIp:
      if (frame.empty() || (frame[0] >> 4) != 4) return fail("not IPv4 (version nibble is not 4)");
      return 0;
    case LinkType::kEthernet: {
      std::size_t offset = 12;
      if (frame.size() < kEthernetHeader) return fail("frame shorter than an Ethernet header");
      std::uint16_t type = Be16(frame, offset);
      // 802.1Q / 802.1ad tags sit between the source address and the EtherType.
      while (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
        offset += 4;
        if (frame.size() < offset + 2) return fail("frame ends inside a VLAN tag");
        type = Be16(frame, offset);
      }
      if (type != kEtherTypeIpv4) return fail("EtherType " + Hex16(type) + " is not IPv4");
      return offset + 2;
    }
    case LinkType::kLinuxSll:
      if (frame.size() < kLinuxSllHeader) return fail("frame shorter than a Linux cooked header");
      if (Be16(frame, 14) != kEtherTypeIpv4) return fail("protocol " + Hex16(Be16(frame, 14)) + " is not IPv4");
      return kLinuxSllHeader;
  }
  return fail("unknown link type");
}

// ---- Reader ---------------------------------------------------------------------------------

void PcapReader::Closer::operator()(pcap* handle) const { pcap_close(handle); }

PcapReader::PcapReader(std::string path, pcap* handle, LinkType link)
    : path_(std::move(path)), handle_(handle), link_(link) {}
PcapReader::PcapReader(PcapReader&&) noexcept = default;
PcapReader& PcapReader::operator=(PcapReader&&) noexcept = default;
PcapReader::~PcapReader() = default;

Result<PcapReader> PcapReader::Open(const std::string& path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap* handle = pcap_open_offline(path.c_str(), error);
  if (handle == nullptr) return Error{path + ": not a readable pcap or pcapng capture: " + error};
  LinkType link;
  switch (pcap_datalink(handle)) {
    case DLT_EN10MB: link = LinkType::kEthernet; break;
    case DLT_RAW:
    case DLT_IPV4: link = LinkType::kRawIp; break;
    case DLT_LINUX_SLL: link = LinkType::kLinuxSll; break;
    default: {
      const int dlt = pcap_datalink(handle);
      const char* name = pcap_datalink_val_to_name(dlt);
      pcap_close(handle);
      return Error{path + ": link type " + std::to_string(dlt) + " (" + (name != nullptr ? name : "unknown") +
                   ") is not supported; use Ethernet, raw IP or Linux cooked captures"};
    }
  }
  return PcapReader(path, handle, link);
}

PcapReader::Next PcapReader::Read(PcapRecord& record, std::string& error) {
  std::FILE* file = pcap_file(handle_.get());
  const long offset = file != nullptr ? std::ftell(file) : -1;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const std::size_t number = frames_read_ + 1;
  const int status = pcap_next_ex(handle_.get(), &header, &data);
  if (status == PCAP_ERROR_BREAK) return Next::kEnd;
  if (status != 1) {
    error = path_ + ": frame " + std::to_string(number) +
            (offset >= 0 ? " at byte offset " + std::to_string(offset) : std::string()) + ": " +
            pcap_geterr(handle_.get());
    return Next::kError;
  }
  frames_read_ = number;
  record.number = number;
  record.data = std::span<const std::uint8_t>(data, header->caplen);
  record.wire_length = header->len;
  record.seconds = header->ts.tv_sec;
  record.microseconds = header->ts.tv_usec;
  record.file_offset = offset >= 0 ? static_cast<std::uint64_t>(offset) : 0;
  return Next::kRecord;
}

// ---- Writer ---------------------------------------------------------------------------------

struct PcapWriter::State {
  pcap* dead = nullptr;
  pcap_dumper* dumper = nullptr;
  std::string temporary;
  ~State() {
    if (dumper != nullptr) pcap_dump_close(dumper);
    if (dead != nullptr) pcap_close(dead);
  }
};

PcapWriter::PcapWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
PcapWriter::PcapWriter(PcapWriter&&) noexcept = default;
PcapWriter& PcapWriter::operator=(PcapWriter&& other) noexcept {
  if (this != &other) {
    Abandon();
    state_ = std::move(other.state_);
    path_ = std::move(other.path_);
    frames_written_ = other.frames_written_;
  }
  return *this;
}
PcapWriter::~PcapWriter() { Abandon(); }

void PcapWriter::Abandon() {
  if (state_ && state_->dumper != nullptr) {
    pcap_dump_close(state_->dumper);
    state_->dumper = nullptr;
    std::remove(state_->temporary.c_str());
  }
  state_.reset();
}

Result<PcapWriter> PcapWriter::Create(const std::string& path, LinkType link) {
  const int dlt = link == LinkType::kEthernet ? DLT_EN10MB : link == LinkType::kRawIp ? DLT_RAW : DLT_LINUX_SLL;
  auto state = std::make_unique<State>();
  state->dead = pcap_open_dead(dlt, kSnapLength);
  if (state->dead == nullptr) return Error{path + ": libpcap cannot open a capture handle"};
  state->temporary = TemporaryPathFor(path);
  state->dumper = pcap_dump_open(state->dead, state->temporary.c_str());
  if (state->dumper == nullptr) return Error{path + ": cannot create " + state->temporary + ": " + pcap_geterr(state->dead)};
  PcapWriter writer(std::move(state));
  writer.path_ = path;
  return writer;
}

void PcapWriter::Write(std::span<const std::uint8_t> frame, std::int64_t seconds, std::int64_t microseconds) {
  if (!state_ || state_->dumper == nullptr) return;
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(seconds);
  header.ts.tv_usec = static_cast<suseconds_t>(microseconds);
  const auto length = static_cast<bpf_u_int32>(frame.size() > static_cast<std::size_t>(kSnapLength) ? kSnapLength : frame.size());
  header.caplen = length;
  header.len = static_cast<bpf_u_int32>(frame.size());
  pcap_dump(reinterpret_cast<u_char*>(state_->dumper), &header, frame.data());
  ++frames_written_;
}

Status PcapWriter::Commit() {
  if (!state_ || state_->dumper == nullptr) return Error{path_ + ": capture already committed"};
  const bool flushed = pcap_dump_flush(state_->dumper) == 0 && std::ferror(pcap_dump_file(state_->dumper)) == 0;
  pcap_dump_close(state_->dumper);
  state_->dumper = nullptr;
  if (!flushed) {
    std::remove(state_->temporary.c_str());
    return Error{path_ + ": writing the capture failed"};
  }
  return CommitTemporary(state_->temporary, path_);
}

// ---- pcapng writer --------------------------------------------------------------------------
// libpcap 1.10 cannot write pcapng (pcap_dump writes classic pcap only), hence this block writer.

std::uint16_t LinkTypeFileValue(LinkType link) {
  switch (link) {
    case LinkType::kEthernet: return 1;    // LINKTYPE_ETHERNET
    case LinkType::kRawIp: return 101;     // LINKTYPE_RAW
    case LinkType::kLinuxSll: return 113;  // LINKTYPE_LINUX_SLL
  }
  return 101;
}

namespace {

constexpr std::uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceDescriptionBlock = 0x00000001;
constexpr std::uint32_t kEnhancedPacketBlock = 0x00000006;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::uint16_t kOptEndOfOpt = 0;
constexpr std::uint16_t kOptComment = 1;
constexpr std::uint16_t kShbUserAppl = 4;
constexpr std::uint16_t kIfName = 2;
constexpr std::uint16_t kIfDescription = 3;
constexpr std::size_t kMaxOptionValue = 0xffff;

// One block under construction: body fields, then options, then the trailing length.
// Built in `storage` (cleared first), so that a writer reuses one buffer for every packet.
class Block {
 public:
  Block(std::uint32_t type, std::vector<std::uint8_t>& storage) : bytes_(storage) {
    bytes_.clear();
    U32(type);
    U32(0);  // total length, set by Finish()
  }
  void U16(std::uint16_t value) { for (int i = 0; i < 2; ++i) bytes_.push_back(static_cast<std::uint8_t>(value >> (8 * i))); }
  void U32(std::uint32_t value) { for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<std::uint8_t>(value >> (8 * i))); }
  void Data(std::span<const std::uint8_t> data) {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    Pad();
  }
  // An option of `value` (cut at 65535 bytes, the option length field), padded to 32 bits.
  void Option(std::uint16_t code, std::string_view value) {
    if (value.empty()) return;
    const std::size_t length = std::min(value.size(), kMaxOptionValue);
    U16(code);
    U16(static_cast<std::uint16_t>(length));
    Data(std::span(reinterpret_cast<const std::uint8_t*>(value.data()), length));
    has_options_ = true;
  }
  // Closes the options (opt_endofopt when any), writes both length fields and returns the block.
  std::string_view Finish() {
    if (has_options_) {
      U16(kOptEndOfOpt);
      U16(0);
    }
    const auto total = static_cast<std::uint32_t>(bytes_.size() + 4);
    U32(total);
    for (int i = 0; i < 4; ++i) bytes_[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(total >> (8 * i));
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

 private:
  void Pad() { while (bytes_.size() % 4 != 0) bytes_.push_back(0); }
  std::vector<std::uint8_t>& bytes_;
  bool has_options_ = false;
};

}  // namespace

struct PcapngWriter::State {
  AtomicFile file;
  std::vector<std::uint8_t> block;  // the block being written
};

PcapngWriter::PcapngWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
PcapngWriter::PcapngWriter(PcapngWriter&&) noexcept = default;
PcapngWriter& PcapngWriter::operator=(PcapngWriter&&) noexcept = default;
PcapngWriter::~PcapngWriter() = default;  // AtomicFile removes an uncommitted temporary

const std::string& PcapngWriter::path() const { return state_->file.path(); }

Result<PcapngWriter> PcapngWriter::Create(const std::string& path, LinkType link, std::string_view interface_name,
                                          std::string_view interface_description) {
  auto file = AtomicFile::Create(path);
  if (!file) return file.error();
  auto state = std::make_unique<State>(State{std::move(file).value(), {}});
  Block section(kSectionHeaderBlock, state->block);
  section.U32(kByteOrderMagic);
  section.U16(1);  // major version
  section.U16(0);  // minor version
  section.U32(0xffffffff);  // section length: not given (64 bits of -1)
  section.U32(0xffffffff);
  section.Option(kShbUserAppl, "sendpath");
  state->file.Write(section.Finish());
  Block interface(kInterfaceDescriptionBlock, state->block);
  interface.U16(LinkTypeFileValue(link));
  interface.U16(0);  // reserved
  interface.U32(static_cast<std::uint32_t>(kSnapLength));
  interface.Option(kIfName, interface_name);
  interface.Option(kIfDescription, interface_description);
  state->file.Write(interface.Finish());
  return PcapngWriter(std::move(state));
}

void PcapngWriter::Write(std::span<const std::uint8_t> frame, std::int64_t seconds, std::int64_t microseconds,
                         std::string_view comment) {
  if (!state_) return;
  const std::size_t captured = std::min(frame.size(), static_cast<std::size_t>(kSnapLength));
  const auto timestamp = static_cast<std::uint64_t>(seconds) * 1000000u + static_cast<std::uint64_t>(microseconds);
  Block packet(kEnhancedPacketBlock, state_->block);
  packet.U32(0);  // interface 0
  packet.U32(static_cast<std::uint32_t>(timestamp >> 32));
  packet.U32(static_cast<std::uint32_t>(timestamp));
  packet.U32(static_cast<std::uint32_t>(captured));
  packet.U32(static_cast<std::uint32_t>(frame.size()));
  packet.Data(frame.first(captured));
  packet.Option(kOptComment, comment);
  state_->file.Write(packet.Finish());
  ++frames_written_;
}

Status PcapngWriter::Commit() {
  if (!state_) return Error{"pcapng capture already committed"};
  return state_->file.Commit();
}

}  // namespace sendpath::report
