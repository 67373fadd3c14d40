// The captured-pcap candidate (`pcap:CAPTURE[,programming=FILE]`): what a real NIC on a test rig
// put on the wire while the rig replayed an export (programming.json + input.pcap). Only the wire
// is observed: OID statuses and handles are not, so the runner judges sends only.
//
// Matching rule (harness/CANDIDATES.md): a captured frame can belong to a send when it has the
// send's input length and the same IPv4 source, destination, identification and protocol in its
// outermost header (the fields no conforming NIC changes). Frames and sends are then aligned in
// order, each frame to at most one send and each send to at most one frame, maximising the
// number of attributed frames and preferring sends that are expected to emit (an order-preserving
// alignment by dynamic programming). A frame attributed to a refused send is a leak; a capture
// frame attributed to no send is reported and otherwise ignored.
#pragma once

#include "harness/candidate.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sendpath::harness {

struct CapturedSend {
  NDIS_STATUS expect_status = NDIS_STATUS_SUCCESS;
  bool expect_emit = false;
  std::optional<Bytes> frame;      // the attributed capture frame, as the NIC emitted it
  std::size_t capture_number = 0;  // its 1-based number in the capture (0: none)
};

struct CaptureAttribution {
  std::string capture_path;
  std::string programming_path;
  Capabilities claimed;
  std::map<std::pair<std::string, std::size_t>, CapturedSend> sends;  // (vector id, step index)
  std::vector<std::string> notes;  // unattributed frames, truncated frames
};

// Reads programming.json, its input.pcap and the capture; false with `error` (naming the file and
// frame) when any of them cannot be read.
bool LoadCaptureAttribution(const std::string& capture_path, const std::string& programming_path,
                            CaptureAttribution& attribution, std::string& error);

class PcapCandidate final : public Candidate {
 public:
  explicit PcapCandidate(std::shared_ptr<const CaptureAttribution> attribution);
  Outcome<CandidateIdentity> Start() override;
  Outcome<Done> Reset() override { return Done{}; }
  Outcome<Capabilities> QueryCapabilities() override { return attribution_->claimed; }
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT&, const Capabilities&) override { return NDIS_STATUS_SUCCESS; }
  Outcome<AddSaReply> AddSa(const AddSaRequest& request) override;
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE) override { return NDIS_STATUS_SUCCESS; }
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& request) override;
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE, NDIS_HANDLE) override { return NDIS_STATUS_SUCCESS; }
  Outcome<SendReply> Send(const SendRequest& request) override;

 private:
  std::shared_ptr<const CaptureAttribution> attribution_;
  std::uintptr_t next_handle_ = 0;
};

}  // namespace sendpath::harness
