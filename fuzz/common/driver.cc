#include "fuzz/common/driver.h"

namespace sendpath::fuzz {

std::string Driver::Start() {
  auto identity = candidate_->Start();
  if (!identity) return "does not start: " + identity.error().reason;
  identity_ = *identity;
  auto reported = candidate_->QueryCapabilities();
  if (!reported) return "capability query failed: " + reported.error().reason;
  reported_ = *reported;
  return "";
}

void Driver::Forget() {
  handles_.clear();
  added_.clear();
  entries_.clear();
}

NDIS_HANDLE Driver::NeverIssuedEntry() const {
  std::vector<NDIS_HANDLE> issued = handles_;
  issued.insert(issued.end(), entries_.begin(), entries_.end());
  return NeverIssuedHandle(issued);
}

void Driver::Record(NDIS_HANDLE handle) {
  handles_.push_back(handle);
  added_.push_back(handle != nullptr);
}

void Driver::Seal() {
  never_issued_ = NeverIssuedHandle(handles_);
  for (std::size_t i = 0; i < handles_.size(); ++i) {
    if (!added_[i]) handles_[i] = never_issued_;
  }
}

NDIS_HANDLE Driver::Resolve(const HandleRef& ref) const {
  switch (ref.kind) {
    case HandleKind::kZero: return nullptr;
    case HandleKind::kSa: return ref.sa < handles_.size() ? handles_[ref.sa] : never_issued_;
    default: return never_issued_;
  }
}

std::vector<harness::Bytes> SendIvs(const Script& script, std::size_t send, const Programming& programming, std::size_t sa) {
  std::vector<harness::Bytes> ivs;
  const SaFraming& framing = programming.framing[sa];
  unsigned element = 0;
  const auto add = [&](std::size_t length) {
    if (length > 0) {
      harness::Bytes iv(length);
      DeriveIv(script.iv_seed, send, sa, element, iv);
      ivs.push_back(std::move(iv));
    }
    ++element;
  };
  if (framing.HasEsp()) add(framing.esp_iv);
  if (framing.HasAh()) add(framing.ah_iv);
  return ivs;
}

harness::SendRequest Driver::Request(const Script& script, std::size_t send, const Programming& programming,
                                     std::span<const std::uint8_t> frame, const std::vector<std::size_t>& cuts) const {
  const SendDef& def = script.sends[send];
  harness::SendRequest request;
  request.frame = frame;
  request.split = cuts;
  if (def.has_info) {
    NDIS_IPSEC_PACKET_INFO info{};
    info.Transmit.OffloadHandle = Resolve(def.offload);
    info.Transmit.NextOffloadHandle = Resolve(def.next);
    request.info = info;
  }
  for (const HandleRef* ref : {&def.offload, &def.next}) {
    std::size_t sa = 0;
    if (!SaIndexOf(*ref, programming.framing.size(), sa) || !added(sa)) continue;
    request.ivs.push_back({handles_[sa], SendIvs(script, send, programming, sa)});
  }
  return request;
}

harness::AddSaRequest MakeAddSaRequest(const vectors::SaSpec& spec, const vectors::AddSaRequest& built) {
  harness::AddSaRequest request;
  request.spec = &spec;
  request.buffer = built.buffer;
  request.extension = built.extension;
  return request;
}

nic::Capabilities CommonCapabilities(const nic::Capabilities& a, const nic::Capabilities& b) {
  nic::Capabilities common;
  for (const std::string& name : vectors::AllCapabilityNames()) {
    if (vectors::HasCapability(a.task, a.extension, name) && vectors::HasCapability(b.task, b.extension, name)) {
      vectors::SetCapability(common.task, common.extension, name);
    }
  }
  return common;
}

}  // namespace sendpath::fuzz
