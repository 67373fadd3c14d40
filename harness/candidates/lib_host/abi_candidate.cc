#include "harness/candidates/lib_host/abi_candidate.h"

#include "harness/candidates/reference/reference_candidate.h"
#include "harness/task_offload_buffer.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>

namespace sendpath::harness {
namespace {

std::string StatusText(NDIS_STATUS status) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(status));
  return text;
}

bool IsDefaultExtension(const SENDPATH_ADD_SA_EXTENSION& extension) {
  if (extension.KeyOrder != SENDPATH_KEYMAT_CONF_FIRST) return false;
  for (unsigned i = 0; i < OFFLOAD_MAX_SAS; ++i) {
    if (extension.SaFlags[i] != 0 || extension.SequenceNumberHighOrder[i] != 0) return false;
  }
  return true;
}

}  // namespace

void AbiCandidate::LibraryCloser::operator()(void* handle) const {
  if (handle != nullptr) dlclose(handle);
}

AbiCandidate::AbiCandidate(std::string library_path, std::string options)
    : library_path_(std::move(library_path)), options_(std::move(options)), wire_(kWireBufferSize) {}

AbiCandidate::~AbiCandidate() { Stop(); }

void AbiCandidate::Stop() {
  Destroy();
  entry_ = nullptr;
  library_.reset();
}

void AbiCandidate::Destroy() {
  if (entry_ != nullptr && adapter_ != nullptr) entry_->Destroy(adapter_);
  adapter_ = nullptr;
}

Outcome<Done> AbiCandidate::Create() {
  NDIS_HANDLE adapter = nullptr;
  const NDIS_STATUS status = entry_->Create(options_.c_str(), &adapter);
  if (status != NDIS_STATUS_SUCCESS) {
    return CandidateError{"Create(\"" + options_ + "\") returned " + StatusText(status)};
  }
  if (adapter == nullptr) return CandidateError{"Create returned success with a NULL adapter context"};
  adapter_ = adapter;
  if (entry_->SetIvCallback != nullptr) entry_->SetIvCallback(adapter_, &AbiCandidate::IvCallback, this);
  return Done{};
}

Outcome<CandidateIdentity> AbiCandidate::Start() {
  Stop();
  dlerror();
  library_.reset(dlopen(library_path_.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!library_) {
    const char* why = dlerror();
    return CandidateError{"cannot load " + library_path_ + ": " + (why != nullptr ? why : "dlopen failed")};
  }
  void* symbol = dlsym(library_.get(), SENDPATH_CANDIDATE_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    return CandidateError{library_path_ + " does not export " + SENDPATH_CANDIDATE_ENTRY_SYMBOL};
  }
  SENDPATH_CANDIDATE_ENTRY_FUNCTION function;
  static_assert(sizeof function == sizeof symbol);
  std::memcpy(&function, &symbol, sizeof function);  // POSIX: dlsym yields function addresses
  const SENDPATH_CANDIDATE_ENTRY* entry = function();
  if (entry == nullptr) return CandidateError{std::string(SENDPATH_CANDIDATE_ENTRY_SYMBOL) + "() returned NULL"};
  if (entry->AbiVersion != SENDPATH_CANDIDATE_ABI_VERSION) {
    return CandidateError{"ABI version " + std::to_string(entry->AbiVersion) + ", this host speaks " +
                          std::to_string(SENDPATH_CANDIDATE_ABI_VERSION)};
  }
  if (entry->Size < sizeof(SENDPATH_CANDIDATE_ENTRY)) {
    return CandidateError{"SENDPATH_CANDIDATE_ENTRY.Size " + std::to_string(entry->Size) + " < " +
                          std::to_string(sizeof(SENDPATH_CANDIDATE_ENTRY))};
  }
  if (entry->Create == nullptr || entry->Destroy == nullptr || entry->QueryInformation == nullptr ||
      entry->SetInformation == nullptr || entry->Send == nullptr) {
    return CandidateError{"SENDPATH_CANDIDATE_ENTRY has a NULL mandatory entry point"};
  }
  entry_ = entry;
  if (auto created = Create(); !created) return created.error();
  CandidateIdentity identity;
  identity.name = entry_->Name != nullptr ? entry_->Name : "";
  identity.version = entry_->Version != nullptr ? entry_->Version : "";
  identity.protocol = "sendpath-abi/" + std::to_string(entry_->AbiVersion);
  identity.iv_injection = entry_->SetIvCallback != nullptr;
  return identity;
}

Outcome<Done> AbiCandidate::Reset() {
  if (entry_ == nullptr) return CandidateError{"library not loaded"};
  Destroy();
  return Create();
}

Outcome<Capabilities> AbiCandidate::QueryCapabilities() {
  if (adapter_ == nullptr) return CandidateError{"library not loaded"};
  NDIS_ENCAPSULATION_FORMAT format{};
  format.Encapsulation = NULL_Encapsulation;
  const Bytes query = EncodeTaskOffloadQuery(format);
  const std::size_t size = 4096;
  oid_buffer_.assign(size / sizeof(std::uint64_t), 0);
  std::memcpy(oid_buffer_.data(), query.data(), query.size());
  ULONG written = 0, needed = 0;
  const NDIS_STATUS status = entry_->QueryInformation(adapter_, OID_TCP_TASK_OFFLOAD, oid_buffer_.data(),
                                                      static_cast<ULONG>(size), &written, &needed);
  if (status != NDIS_STATUS_SUCCESS) {
    return CandidateError{"query OID_TCP_TASK_OFFLOAD returned " + StatusText(status)};
  }
  DecodedTaskOffload decoded;
  std::string error;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(oid_buffer_.data());
  if (!DecodeTaskOffload(std::span(bytes, std::min<std::size_t>(written, size)), decoded, error)) {
    return CandidateError{"query OID_TCP_TASK_OFFLOAD: " + error};
  }
  return decoded.capabilities;
}

Outcome<NDIS_STATUS> AbiCandidate::Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) {
  if (adapter_ == nullptr) return CandidateError{"library not loaded"};
  const Bytes buffer = EncodeTaskOffload(encapsulation, enable);
  oid_buffer_.assign((buffer.size() + 7) / 8, 0);
  std::memcpy(oid_buffer_.data(), buffer.data(), buffer.size());
  ULONG read = 0, needed = 0;
  return entry_->SetInformation(adapter_, OID_TCP_TASK_OFFLOAD, oid_buffer_.data(), static_cast<ULONG>(buffer.size()),
                                &read, &needed);
}

Outcome<AddSaReply> AbiCandidate::AddSa(const AddSaRequest& request) {
  if (adapter_ == nullptr) return CandidateError{"library not loaded"};
  AddSaReply reply;
  ULONG read = 0, needed = 0;
  if (!IsDefaultExtension(request.extension)) {
    SENDPATH_ADD_SA_EXTENSION extension = request.extension;
    reply.status = entry_->SetInformation(adapter_, OID_SENDPATH_IPSEC_ADD_SA_EXTENSION, &extension,
                                          static_cast<ULONG>(sizeof extension), &read, &needed);
    if (reply.status != NDIS_STATUS_SUCCESS) return reply;
  }
  oid_buffer_.assign((request.buffer.size() + 7) / 8 + 1, 0);
  std::memcpy(oid_buffer_.data(), request.buffer.data(), request.buffer.size());
  reply.status = entry_->SetInformation(adapter_, OID_TCP_TASK_IPSEC_ADD_SA, oid_buffer_.data(),
                                        static_cast<ULONG>(request.buffer.size()), &read, &needed);
  if (reply.status == NDIS_STATUS_SUCCESS &&
      request.buffer.size() >= offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle) + sizeof(HANDLE)) {
    std::memcpy(&reply.handle, reinterpret_cast<const std::uint8_t*>(oid_buffer_.data()) +
                                   offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle),
                sizeof(HANDLE));
  }
  return reply;
}

Outcome<AddUdpEspSaReply> AbiCandidate::AddUdpEspSa(const AddSaRequest& request) {
  if (adapter_ == nullptr) return CandidateError{"library not loaded"};
  ULONG read = 0, needed = 0;
  // The extension OID applies to the very next ADD_SA or ADD_UDPESP_SA (candidate_abi.h).
  if (!IsDefaultExtension(request.extension)) {
    SENDPATH_ADD_SA_EXTENSION extension = request.extension;
    const NDIS_STATUS status = entry_->SetInformation(adapter_, OID_SENDPATH_IPSEC_ADD_SA_EXTENSION, &extension,
                                                      static_cast<ULONG>(sizeof extension), &read, &needed);
    if (status != NDIS_STATUS_SUCCESS) return AddUdpEspSaReply{status, nullptr, nullptr};
  }
  oid_buffer_.assign((request.buffer.size() + 7) / 8 + 1, 0);
  std::memcpy(oid_buffer_.data(), request.buffer.data(), request.buffer.size());
  const NDIS_STATUS status = entry_->SetInformation(adapter_, OID_TCP_TASK_IPSEC_ADD_UDPESP_SA, oid_buffer_.data(),
                                                    static_cast<ULONG>(request.buffer.size()), &read, &needed);
  return UdpEspReplyFrom(status, std::span(reinterpret_cast<const std::uint8_t*>(oid_buffer_.data()), request.buffer.size()));
}

Outcome<NDIS_STATUS> AbiCandidate::DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) {
  if (adapter_ == nullptr) return CandidateError{"library not loaded"};
  OFFLOAD_IPSEC_DELETE_UDPESP_SA request{};
  request.OffloadHandle = handle;
  request.EncapTypeEntryOffldHandle = parser_entry;
  ULONG read = 0, needed = 0;
  return entry_->SetInformation(adapter_, OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA, &request,
                                static_cast<ULONG>(sizeof request), &read, &needed);
}

Outcome<NDIS_STATUS> AbiCandidate::DeleteSa(NDIS_HANDLE handle) {
  if (adapter_ == nullptr) return CandidateError{"library not loaded"};
  OFFLOAD_IPSEC_DELETE_SA request{};
  request.OffloadHandle = handle;
  ULONG read = 0, needed = 0;
  return entry_->SetInformation(adapter_, OID_TCP_TASK_IPSEC_DELETE_SA, &request, static_cast<ULONG>(sizeof request),
                                &read, &needed);
}

BOOLEAN AbiCandidate::IvCallback(PVOID context, NDIS_HANDLE handle, ULONG sec_assoc_index, PUCHAR iv, ULONG length) {
  (void)sec_assoc_index;
  auto* self = static_cast<AbiCandidate*>(context);
  const auto queue = self->iv_queues_.find(handle);
  if (queue == self->iv_queues_.end() || iv == nullptr) return 0;
  std::size_t& next = self->iv_next_[handle];
  if (next >= queue->second.size() || queue->second[next].size() != length) return 0;
  std::memcpy(iv, queue->second[next].data(), length);
  ++next;
  return 1;
}

Outcome<SendReply> AbiCandidate::Send(const SendRequest& request) {
  if (adapter_ == nullptr) return CandidateError{"library not loaded"};
  frame_.assign(request.frame.begin(), request.frame.end());
  std::vector<nic::ByteSpan> pieces;
  SplitFrame(frame_, request.split, pieces);
  buffers_.assign(pieces.size(), NDIS_BUFFER{});
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    NDIS_BUFFER& buffer = buffers_[i];
    buffer.Next = i + 1 < pieces.size() ? &buffers_[i + 1] : nullptr;
    buffer.Size = static_cast<CSHORT>(sizeof(NDIS_BUFFER));
    buffer.MdlFlags = MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL;
    buffer.MappedSystemVa = const_cast<std::uint8_t*>(pieces[i].data());
    buffer.StartVa = buffer.MappedSystemVa;
    buffer.ByteCount = static_cast<ULONG>(pieces[i].size());
  }
  packet_ = SENDPATH_PACKET_STORAGE{};
  packet_.Packet.Private.PhysicalCount = static_cast<UINT>(buffers_.size());
  packet_.Packet.Private.TotalLength = static_cast<UINT>(frame_.size());
  packet_.Packet.Private.Head = buffers_.data();
  packet_.Packet.Private.Tail = &buffers_.back();
  packet_.Packet.Private.Count = static_cast<UINT>(buffers_.size());
  packet_.Packet.Private.ValidCounts = 1;
  packet_.Packet.Private.NdisPacketOobOffset = static_cast<USHORT>(offsetof(SENDPATH_PACKET_STORAGE, Oob));
  NDIS_IPSEC_PACKET_INFO info{};
  if (request.info) {
    info = *request.info;
    packet_.Extension.NdisPacketInfo[IpSecPacketInfo] = &info;
  }
  iv_queues_.clear();
  iv_next_.clear();
  for (const IvInjection& injection : request.ivs) iv_queues_[injection.handle] = injection.ivs;

  ULONG length = 0;
  const NDIS_STATUS status = entry_->Send(adapter_, &packet_.Packet, wire_.data(), static_cast<ULONG>(wire_.size()), &length);
  iv_queues_.clear();
  SendReply reply;
  reply.status = status;
  if (length > wire_.size()) {
    return CandidateError{"Send reported WireLength " + std::to_string(length) + " > WireSize " +
                          std::to_string(wire_.size())};
  }
  // Anything reported as written is what went on the wire, whatever the status: a frame with a
  // failure status is a leak the judge must see.
  if (length > 0 || status == NDIS_STATUS_SUCCESS) {
    reply.frame = Bytes(wire_.begin(), wire_.begin() + static_cast<std::ptrdiff_t>(length));
  }
  return reply;
}

}  // namespace sendpath::harness
