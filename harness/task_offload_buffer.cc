#include "harness/task_offload_buffer.h"

#include <sendpath/candidate_abi.h>

#include <cstddef>
#include <cstring>

namespace sendpath::harness {
namespace {

constexpr std::size_t kHeaderSize = sizeof(NDIS_TASK_OFFLOAD_HEADER);
constexpr std::size_t kEntryHeader = offsetof(NDIS_TASK_OFFLOAD, TaskBuffer);
constexpr std::size_t Align8(std::size_t n) { return (n + 7u) & ~std::size_t{7}; }
constexpr std::size_t kIpsecEntrySize = Align8(kEntryHeader + sizeof(NDIS_TASK_IPSEC));
constexpr std::size_t kExtensionEntrySize = Align8(kEntryHeader + sizeof(SENDPATH_TASK_IPSEC_EXTENSION));
constexpr std::size_t kFirstTask = Align8(kHeaderSize);

void PutUlong(Bytes& buffer, std::size_t offset, ULONG value) { std::memcpy(buffer.data() + offset, &value, sizeof value); }

ULONG GetUlong(std::span<const std::uint8_t> buffer, std::size_t offset) {
  ULONG value = 0;
  std::memcpy(&value, buffer.data() + offset, sizeof value);
  return value;
}

void PutEntry(Bytes& buffer, std::size_t at, ULONG task, ULONG next, const void* task_buffer, std::size_t length) {
  PutUlong(buffer, at + offsetof(NDIS_TASK_OFFLOAD, Version), NDIS_TASK_OFFLOAD_VERSION);
  PutUlong(buffer, at + offsetof(NDIS_TASK_OFFLOAD, Size), static_cast<ULONG>(sizeof(NDIS_TASK_OFFLOAD)));
  PutUlong(buffer, at + offsetof(NDIS_TASK_OFFLOAD, Task), task);
  PutUlong(buffer, at + offsetof(NDIS_TASK_OFFLOAD, OffsetNextTask), next);
  PutUlong(buffer, at + offsetof(NDIS_TASK_OFFLOAD, TaskBufferLength), static_cast<ULONG>(length));
  std::memcpy(buffer.data() + at + kEntryHeader, task_buffer, length);
}

Bytes EncodeHeader(const NDIS_ENCAPSULATION_FORMAT& encapsulation, std::size_t total, ULONG first_task) {
  Bytes buffer(total, 0);
  NDIS_TASK_OFFLOAD_HEADER header{};
  header.Version = NDIS_TASK_OFFLOAD_VERSION;
  header.Size = static_cast<ULONG>(kHeaderSize);
  header.OffsetFirstTask = first_task;
  header.EncapsulationFormat = encapsulation;
  std::memcpy(buffer.data(), &header, kHeaderSize);
  return buffer;
}

}  // namespace

std::size_t TaskOffloadBufferSize() { return kFirstTask + kIpsecEntrySize + kExtensionEntrySize; }

Bytes EncodeTaskOffloadQuery(const NDIS_ENCAPSULATION_FORMAT& encapsulation) {
  return EncodeHeader(encapsulation, kHeaderSize, 0);
}

Bytes EncodeTaskOffload(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& capabilities,
                        bool with_extension) {
  const std::size_t total = kFirstTask + kIpsecEntrySize + (with_extension ? kExtensionEntrySize : 0);
  Bytes buffer = EncodeHeader(encapsulation, total, static_cast<ULONG>(kFirstTask));
  PutEntry(buffer, kFirstTask, IpSecNdisTask, with_extension ? static_cast<ULONG>(kIpsecEntrySize) : 0u,
           &capabilities.task, sizeof capabilities.task);
  if (with_extension) {
    PutEntry(buffer, kFirstTask + kIpsecEntrySize, SENDPATH_NDIS_TASK_IPSEC_EXTENSION, 0, &capabilities.extension,
             sizeof capabilities.extension);
  }
  return buffer;
}

bool DecodeTaskOffload(std::span<const std::uint8_t> buffer, DecodedTaskOffload& decoded, std::string& error) {
  decoded = DecodedTaskOffload{};
  decoded.capabilities.extension = SENDPATH_TASK_IPSEC_EXTENSION{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
  if (buffer.size() < kHeaderSize) {
    error = "OID_TCP_TASK_OFFLOAD buffer of " + std::to_string(buffer.size()) + " bytes is shorter than " +
            "NDIS_TASK_OFFLOAD_HEADER (" + std::to_string(kHeaderSize) + ")";
    return false;
  }
  NDIS_TASK_OFFLOAD_HEADER header;
  std::memcpy(&header, buffer.data(), kHeaderSize);
  if (header.Version != NDIS_TASK_OFFLOAD_VERSION) {
    error = "NDIS_TASK_OFFLOAD_HEADER.Version = " + std::to_string(header.Version) + " at offset 0, expected 1";
    return false;
  }
  decoded.encapsulation = header.EncapsulationFormat;
  std::size_t at = header.OffsetFirstTask;
  std::size_t entries = 0;
  while (at != 0) {
    if (++entries > 16) {
      error = "more than 16 NDIS_TASK_OFFLOAD entries (an offset loop?)";
      return false;
    }
    if (at > buffer.size() || buffer.size() - at < kEntryHeader) {
      error = "NDIS_TASK_OFFLOAD entry at offset " + std::to_string(at) + " runs past the " +
              std::to_string(buffer.size()) + "-byte buffer";
      return false;
    }
    const ULONG task = GetUlong(buffer, at + offsetof(NDIS_TASK_OFFLOAD, Task));
    const ULONG length = GetUlong(buffer, at + offsetof(NDIS_TASK_OFFLOAD, TaskBufferLength));
    const ULONG next = GetUlong(buffer, at + offsetof(NDIS_TASK_OFFLOAD, OffsetNextTask));
    if (length > buffer.size() - at - kEntryHeader) {
      error = "NDIS_TASK_OFFLOAD at offset " + std::to_string(at) + ": TaskBufferLength " + std::to_string(length) +
              " runs past the buffer";
      return false;
    }
    const std::uint8_t* task_buffer = buffer.data() + at + kEntryHeader;
    if (task == IpSecNdisTask) {
      if (length < sizeof(NDIS_TASK_IPSEC)) {
        error = "IpSecNdisTask entry at offset " + std::to_string(at) + ": TaskBufferLength " + std::to_string(length) +
                " < sizeof(NDIS_TASK_IPSEC) (24)";
        return false;
      }
      std::memcpy(&decoded.capabilities.task, task_buffer, sizeof(NDIS_TASK_IPSEC));
      decoded.has_ipsec = true;
    } else if (task == SENDPATH_NDIS_TASK_IPSEC_EXTENSION) {
      if (length < sizeof(SENDPATH_TASK_IPSEC_EXTENSION)) {
        error = "sendpath extension entry at offset " + std::to_string(at) + ": TaskBufferLength " +
                std::to_string(length) + " < 16";
        return false;
      }
      std::memcpy(&decoded.capabilities.extension, task_buffer, sizeof(SENDPATH_TASK_IPSEC_EXTENSION));
      decoded.has_extension = true;
    }  // other tasks (checksum, LSO) are not ours to judge
    if (next == 0) break;
    if (next > buffer.size() - at) {
      error = "NDIS_TASK_OFFLOAD at offset " + std::to_string(at) + ": OffsetNextTask " + std::to_string(next) +
              " runs past the buffer";
      return false;
    }
    at += next;
  }
  return true;
}

}  // namespace sendpath::harness
