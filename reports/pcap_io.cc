#include "reports/pcap_io.h"

#include "reports/atomic_file.h"

#include <pcap/pcap.h>

#include <climits>
#include <cstdio>

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

}  // namespace sendpath::report
