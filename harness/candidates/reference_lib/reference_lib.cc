// The reference NIC exporting the sendpath C ABI: libsendpath_reference_candidate.so. Its send
// routine reads the packet the way a vendor's MiniportSend would (NdisQueryPacket,
// NdisQueryBufferSafe, NdisGetNextBuffer, NDIS_PER_PACKET_INFO_FROM_PACKET), so it doubles as the
// worked example of harness/CANDIDATES.md. Options: "sa_capacity=N".
#include "harness/task_offload_buffer.h"

#include <reference_nic/reference_nic.h>
#include <sendpath/candidate_abi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace {

using sendpath::nic::ByteSpan;

// The IV source the harness installs through SetIvCallback; without one (or when it declines),
// the reference's own random IVs.
class CallbackIvSource final : public sendpath::nic::IvSource {
 public:
  SENDPATH_IV_CALLBACK callback = nullptr;
  PVOID context = nullptr;
  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, sendpath::nic::MutableByteSpan iv) override {
    if (callback != nullptr && callback(context, sa, sec_assoc_index, iv.data(), static_cast<ULONG>(iv.size())) != 0) {
      return true;
    }
    return random_.NextIv(sa, sec_assoc_index, iv);
  }

 private:
  sendpath::nic::RandomIvSource random_;
};

struct Adapter {
  explicit Adapter(sendpath::nic::NicOptions options) : nic(std::move(options)) { nic.SetIvSource(&ivs); }
  sendpath::nic::ReferenceNic nic;
  CallbackIvSource ivs;
  std::optional<SENDPATH_ADD_SA_EXTENSION> pending_extension;
  std::vector<ByteSpan> chain;  // reused per send
};

Adapter* AsAdapter(NDIS_HANDLE context) { return static_cast<Adapter*>(context); }

NDIS_STATUS Create(const char* options, NDIS_HANDLE* context) {
  sendpath::nic::NicOptions nic_options;
  const std::string text = options != nullptr ? options : "";
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string option = text.substr(start, end - start);
    if (option.rfind("sa_capacity=", 0) == 0) {
      char* stop = nullptr;
      const unsigned long capacity = std::strtoul(option.c_str() + 12, &stop, 10);
      if (stop == option.c_str() + 12 || *stop != '\0' || capacity == 0) return NDIS_STATUS_INVALID_DATA;
      nic_options.sa_capacity = capacity;
    } else if (!option.empty()) {
      return NDIS_STATUS_NOT_SUPPORTED;
    }
    start = end + 1;
  }
  auto* adapter = new (std::nothrow) Adapter(std::move(nic_options));
  if (adapter == nullptr) return NDIS_STATUS_RESOURCES;
  *context = adapter;
  return NDIS_STATUS_SUCCESS;
}

void Destroy(NDIS_HANDLE context) { std::unique_ptr<Adapter> owned(AsAdapter(context)); }

NDIS_STATUS QueryInformation(NDIS_HANDLE context, NDIS_OID oid, PVOID buffer, ULONG length, PULONG written,
                             PULONG needed) {
  *written = 0;
  if (oid != OID_TCP_TASK_OFFLOAD) return NDIS_STATUS_INVALID_OID;
  const std::size_t size = sendpath::harness::TaskOffloadBufferSize();
  *needed = static_cast<ULONG>(size);
  if (length < size) return NDIS_STATUS_BUFFER_TOO_SHORT;
  NDIS_TASK_OFFLOAD_HEADER header{};
  if (length >= sizeof header) std::memcpy(&header, buffer, sizeof header);
  const auto answer =
      sendpath::harness::EncodeTaskOffload(header.EncapsulationFormat, AsAdapter(context)->nic.QueryCapabilities());
  std::memcpy(buffer, answer.data(), answer.size());
  *written = static_cast<ULONG>(answer.size());
  return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS SetInformation(NDIS_HANDLE context, NDIS_OID oid, PVOID buffer, ULONG length, PULONG read, PULONG needed) {
  Adapter& adapter = *AsAdapter(context);
  *read = 0;
  *needed = 0;
  switch (oid) {
    case OID_TCP_TASK_OFFLOAD: {
      sendpath::harness::DecodedTaskOffload decoded;
      std::string error;
      if (!sendpath::harness::DecodeTaskOffload(std::span(static_cast<const std::uint8_t*>(buffer), length), decoded,
                                                error)) {
        return NDIS_STATUS_INVALID_DATA;
      }
      *read = length;
      return adapter.nic.SetCapabilities(decoded.encapsulation, decoded.capabilities).status;
    }
    case OID_SENDPATH_IPSEC_ADD_SA_EXTENSION: {
      if (length < sizeof(SENDPATH_ADD_SA_EXTENSION)) {
        *needed = sizeof(SENDPATH_ADD_SA_EXTENSION);
        return NDIS_STATUS_INVALID_LENGTH;
      }
      SENDPATH_ADD_SA_EXTENSION extension;
      std::memcpy(&extension, buffer, sizeof extension);
      adapter.pending_extension = extension;
      *read = sizeof extension;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_TCP_TASK_IPSEC_ADD_SA: {
      const auto extension = adapter.pending_extension;
      adapter.pending_extension.reset();  // applies to this ADD_SA only
      *read = length;
      return adapter.nic
          .AddSa(std::span(static_cast<std::uint8_t*>(buffer), length), extension ? &*extension : nullptr)
          .status;
    }
    case OID_TCP_TASK_IPSEC_DELETE_SA:
      *read = length;
      return adapter.nic.DeleteSa(std::span(static_cast<const std::uint8_t*>(buffer), length)).status;
    case OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: {
      const auto extension = adapter.pending_extension;
      adapter.pending_extension.reset();  // applies to this add only
      *read = length;
      return adapter.nic
          .AddUdpEspSa(std::span(static_cast<std::uint8_t*>(buffer), length), extension ? &*extension : nullptr)
          .status;
    }
    case OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA:
      *read = length;
      return adapter.nic.DeleteUdpEspSa(std::span(static_cast<const std::uint8_t*>(buffer), length)).status;
    default:
      return NDIS_STATUS_INVALID_OID;
  }
}

NDIS_STATUS Send(NDIS_HANDLE context, PNDIS_PACKET packet, PUCHAR wire, ULONG wire_size, PULONG wire_length) {
  Adapter& adapter = *AsAdapter(context);
  *wire_length = 0;
  // Walk the buffer chain as a miniport does.
  UINT buffer_count = 0, total_length = 0;
  PNDIS_BUFFER buffer = nullptr;
  NdisQueryPacket(packet, nullptr, &buffer_count, &buffer, &total_length);
  adapter.chain.clear();
  while (buffer != nullptr) {
    PVOID address = nullptr;
    UINT length = 0;
    NdisQueryBufferSafe(buffer, &address, &length, NormalPagePriority);
    adapter.chain.emplace_back(static_cast<const std::uint8_t*>(address), length);
    NdisGetNextBuffer(buffer, &buffer);
  }
  // The slot holds a pointer to the NDIS_IPSEC_PACKET_INFO, or NULL [S13].
  const auto* info = static_cast<const NDIS_IPSEC_PACKET_INFO*>(NDIS_PER_PACKET_INFO_FROM_PACKET(packet, IpSecPacketInfo));
  const auto result = adapter.nic.Send(adapter.chain, info, std::span(wire, wire_size));
  if (result.ok()) *wire_length = static_cast<ULONG>(result.length);
  return result.status;
}

void SetIvCallback(NDIS_HANDLE context, SENDPATH_IV_CALLBACK callback, PVOID callback_context) {
  Adapter& adapter = *AsAdapter(context);
  adapter.ivs.callback = callback;
  adapter.ivs.context = callback_context;
}

const SENDPATH_CANDIDATE_ENTRY kEntry = {
    SENDPATH_CANDIDATE_ABI_VERSION,
    sizeof(SENDPATH_CANDIDATE_ENTRY),
    "sendpath-reference-nic",
    SENDPATH_VERSION,
    &Create,
    &Destroy,
    &QueryInformation,
    &SetInformation,
    &Send,
    &SetIvCallback,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const SENDPATH_CANDIDATE_ENTRY* SendpathCandidateEntry(void) {
  return &kEntry;
}
