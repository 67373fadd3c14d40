#include "harness/candidates/reference/reference_candidate.h"

#include <algorithm>
#include <cstring>

namespace sendpath::harness {

void InjectedIvSource::Load(const std::vector<IvInjection>& injections) {
  queues_.clear();
  next_.clear();
  for (const IvInjection& injection : injections) {
    auto& queue = queues_[injection.handle];
    queue.insert(queue.end(), injection.ivs.begin(), injection.ivs.end());
  }
}

bool InjectedIvSource::NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, nic::MutableByteSpan iv) {
  const auto queue = queues_.find(sa);
  if (queue == queues_.end()) return random_.NextIv(sa, sec_assoc_index, iv);
  std::size_t& next = next_[sa];
  if (next >= queue->second.size() || queue->second[next].size() != iv.size()) {
    return random_.NextIv(sa, sec_assoc_index, iv);  // no (fitting) IV supplied: the NIC's own
  }
  std::memcpy(iv.data(), queue->second[next].data(), iv.size());
  ++next;
  return true;
}

void SplitFrame(std::span<const std::uint8_t> frame, const std::vector<std::size_t>& split,
                std::vector<nic::ByteSpan>& chain) {
  chain.clear();
  std::size_t start = 0;
  for (std::size_t cut : split) {
    cut = std::clamp(cut, start, frame.size());
    chain.push_back(frame.subspan(start, cut - start));
    start = cut;
  }
  chain.push_back(frame.subspan(start));
}

ReferenceCandidate::ReferenceCandidate(nic::NicOptions options) : options_(std::move(options)), wire_(kWireBufferSize) {}

Outcome<CandidateIdentity> ReferenceCandidate::Start() {
  nic_ = std::make_unique<nic::ReferenceNic>(options_);
  nic_->SetIvSource(&ivs_);
  CandidateIdentity identity;
  identity.name = "sendpath-reference-nic";
  identity.version = SENDPATH_VERSION;
  identity.protocol = "in-process";
  identity.iv_injection = true;
  return identity;
}

Outcome<Done> ReferenceCandidate::Reset() {
  nic_ = std::make_unique<nic::ReferenceNic>(options_);
  nic_->SetIvSource(&ivs_);
  return Done{};
}

Outcome<Capabilities> ReferenceCandidate::QueryCapabilities() {
  if (!nic_) return CandidateError{"reference NIC not started"};
  return nic_->QueryCapabilities();
}

Outcome<NDIS_STATUS> ReferenceCandidate::Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) {
  if (!nic_) return CandidateError{"reference NIC not started"};
  return nic_->SetCapabilities(encapsulation, enable).status;
}

Outcome<AddSaReply> ReferenceCandidate::AddSa(const AddSaRequest& request) {
  if (!nic_) return CandidateError{"reference NIC not started"};
  add_sa_buffer_ = request.buffer;
  const auto result = nic_->AddSa(add_sa_buffer_, &request.extension);
  AddSaReply reply;
  reply.status = result.status;
  if (result.ok() && add_sa_buffer_.size() >= offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle) + sizeof(HANDLE)) {
    std::memcpy(&reply.handle, add_sa_buffer_.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), sizeof(HANDLE));
  }
  return reply;
}

Outcome<NDIS_STATUS> ReferenceCandidate::DeleteSa(NDIS_HANDLE handle) {
  if (!nic_) return CandidateError{"reference NIC not started"};
  return nic_->DeleteSa(handle).status;
}

Outcome<AddUdpEspSaReply> ReferenceCandidate::AddUdpEspSa(const AddSaRequest& request) {
  if (!nic_) return CandidateError{"reference NIC not started"};
  add_sa_buffer_ = request.buffer;
  const auto result = nic_->AddUdpEspSa(add_sa_buffer_, &request.extension);
  return UdpEspReplyFrom(result.status, add_sa_buffer_);
}

Outcome<NDIS_STATUS> ReferenceCandidate::DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) {
  if (!nic_) return CandidateError{"reference NIC not started"};
  return nic_->DeleteUdpEspSa(handle, parser_entry).status;
}

Outcome<SendReply> ReferenceCandidate::Send(const SendRequest& request) {
  if (!nic_) return CandidateError{"reference NIC not started"};
  SplitFrame(request.frame, request.split, chain_);
  ivs_.Load(request.ivs);
  const NDIS_IPSEC_PACKET_INFO* info = request.info ? &*request.info : nullptr;
  const auto result = nic_->Send(chain_, info, wire_);
  SendReply reply;
  reply.status = result.status;
  if (result.ok()) reply.frame = Bytes(wire_.begin(), wire_.begin() + static_cast<std::ptrdiff_t>(result.length));
  return reply;
}

}  // namespace sendpath::harness
