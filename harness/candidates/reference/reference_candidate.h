// The reference NIC as a candidate, in process: the trusted oracle needs no isolation. Also the
// backend of the reference agent (JSON lines) and the model the shared-library form mirrors.
#pragma once

#include "harness/candidate.h"

#include <reference_nic/reference_nic.h>

#include <map>
#include <memory>
#include <vector>

namespace sendpath::harness {

// Serves injected IVs per OffloadHandle in order; falls back to random IVs for a handle without
// any (the NIC then picks its own, as a real NIC would).
class InjectedIvSource final : public nic::IvSource {
 public:
  void Load(const std::vector<IvInjection>& injections);
  bool NextIv(NDIS_HANDLE sa, unsigned sec_assoc_index, nic::MutableByteSpan iv) override;

 private:
  std::map<NDIS_HANDLE, std::vector<Bytes>> queues_;
  std::map<NDIS_HANDLE, std::size_t> next_;
  nic::RandomIvSource random_;
};

class ReferenceCandidate final : public Candidate {
 public:
  explicit ReferenceCandidate(nic::NicOptions options = {});
  Outcome<CandidateIdentity> Start() override;
  Outcome<Done> Reset() override;
  Outcome<Capabilities> QueryCapabilities() override;
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) override;
  Outcome<AddSaReply> AddSa(const AddSaRequest& request) override;
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE handle) override;
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& request) override;
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) override;
  Outcome<SendReply> Send(const SendRequest& request) override;

 private:
  nic::NicOptions options_;
  std::unique_ptr<nic::ReferenceNic> nic_;
  InjectedIvSource ivs_;
  std::vector<nic::ByteSpan> chain_;
  Bytes wire_;
  Bytes add_sa_buffer_;
};

// Splits `frame` at `split` offsets into NDIS_BUFFER-sized pieces (offsets out of order or past
// the end are clamped: a zero-length buffer is legal in NDIS).
void SplitFrame(std::span<const std::uint8_t> frame, const std::vector<std::size_t>& split,
                std::vector<nic::ByteSpan>& chain);

// Wire buffers hold the largest IPv4 packet plus an Ethernet header.
inline constexpr std::size_t kWireBufferSize = 65535 + 14;

}  // namespace sendpath::harness
