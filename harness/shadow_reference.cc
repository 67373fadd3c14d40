#include "harness/shadow_reference.h"

#include "harness/candidates/reference/reference_candidate.h"

#include <vectors/loader/vector_loader.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sendpath::harness {

nic::OidResult ShadowReference::Set(const NDIS_ENCAPSULATION_FORMAT& format, const Capabilities& enable) {
  return nic_.SetCapabilities(format, enable);
}

nic::OidResult ShadowReference::AddSa(const std::string& name, const vectors::SaSpec& sa) {
  vectors::AddSaRequest built = vectors::BuildAddSaRequest(sa);
  const nic::OidResult result = nic_.AddSa(built.buffer, &built.extension);
  if (result.ok() && built.buffer.size() >= offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle) + sizeof(HANDLE)) {
    NDIS_HANDLE handle = nullptr;
    std::memcpy(&handle, built.buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), sizeof handle);
    handles_[name] = handle;
  }
  return result;
}

nic::OidResult ShadowReference::DeleteSa(const vectors::HandleRef& handle) { return nic_.DeleteSa(Resolve(handle)); }

nic::OidResult ShadowReference::AddUdpEspSa(const std::string& name, const vectors::SaSpec& sa,
                                            const vectors::HandleRef& parser_entry) {
  vectors::AddSaRequest built = vectors::BuildAddUdpEspSaRequest(sa, ResolveParserEntry(parser_entry));
  const nic::OidResult result = nic_.AddUdpEspSa(built.buffer, &built.extension);
  const AddUdpEspSaReply reply = UdpEspReplyFrom(result.status, built.buffer);
  if (result.ok()) {
    handles_[name] = reply.handle;
    if (reply.parser_entry != nullptr) parser_entries_[name] = reply.parser_entry;
  }
  return result;
}

nic::OidResult ShadowReference::DeleteUdpEspSa(const vectors::HandleRef& handle, const vectors::HandleRef& parser_entry) {
  return nic_.DeleteUdpEspSa(Resolve(handle), ResolveParserEntry(parser_entry));
}

NDIS_HANDLE ShadowReference::ResolveParserEntry(const vectors::HandleRef& ref) const {
  if (ref.kind != vectors::HandleRef::Kind::kSa) return Resolve(ref);
  const auto found = parser_entries_.find(ref.sa);
  if (found != parser_entries_.end()) return found->second;
  return Resolve(vectors::HandleRef{vectors::HandleRef::Kind::kNeverIssued, {}});
}

std::string ShadowReference::SendRule(const vectors::SendStep& step) {
  NDIS_IPSEC_PACKET_INFO info{};
  info.Transmit.OffloadHandle = Resolve(step.offload_handle);
  info.Transmit.NextOffloadHandle = Resolve(step.next_offload_handle);
  std::vector<nic::ByteSpan> chain;
  SplitFrame(step.frame, step.split, chain);
  Bytes wire(kWireBufferSize);
  const nic::SendResult result = nic_.Send(chain, step.has_info ? &info : nullptr, wire);
  return Because(step.expect_status, result.status, result.reason,
                 result.offset == 0 ? std::string() : "at byte " + std::to_string(result.offset));
}

std::string ShadowReference::Because(NDIS_STATUS expected, NDIS_STATUS reference, nic::Reason reason,
                                     const std::string& detail) {
  if (expected == NDIS_STATUS_SUCCESS || reference != expected) return "";
  return " (the rule: " + std::string(nic::ReasonName(reason)) + (detail.empty() ? "" : ": " + detail) + ")";
}

// The shadow's handle for a vector handle reference.
NDIS_HANDLE ShadowReference::Resolve(const vectors::HandleRef& ref) const {
  if (ref.kind == vectors::HandleRef::Kind::kZero) return nullptr;
  if (ref.kind == vectors::HandleRef::Kind::kSa) {
    const auto found = handles_.find(ref.sa);
    if (found != handles_.end()) return found->second;
  }
  return reinterpret_cast<NDIS_HANDLE>(UINTPTR_MAX - 0x5E9D);  // the reference never issues this
}

}  // namespace sendpath::harness
