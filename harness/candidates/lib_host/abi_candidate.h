// A shared library exporting the sendpath C ABI (include/sendpath/candidate_abi.h), driven
// in process. Only sendpath-candidate-host uses it: the harness reaches libraries through that
// child process, so the library's crashes and hangs never reach the harness.
#pragma once

#include "harness/candidate.h"

#include <sendpath/candidate_abi.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sendpath::harness {

class AbiCandidate final : public Candidate {
 public:
  AbiCandidate(std::string library_path, std::string options);
  ~AbiCandidate() override;

  Outcome<CandidateIdentity> Start() override;
  Outcome<Done> Reset() override;
  Outcome<Capabilities> QueryCapabilities() override;
  Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) override;
  Outcome<AddSaReply> AddSa(const AddSaRequest& request) override;
  Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE handle) override;
  Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest& request) override;
  Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) override;
  Outcome<SendReply> Send(const SendRequest& request) override;
  void Stop() override;

 private:
  static BOOLEAN IvCallback(PVOID context, NDIS_HANDLE handle, ULONG sec_assoc_index, PUCHAR iv, ULONG length);
  Outcome<Done> Create();
  void Destroy();

  struct LibraryCloser {
    void operator()(void* handle) const;
  };

  std::string library_path_;
  std::string options_;
  std::unique_ptr<void, LibraryCloser> library_;
  const SENDPATH_CANDIDATE_ENTRY* entry_ = nullptr;
  NDIS_HANDLE adapter_ = nullptr;

  // Per-send IV queues, consulted by IvCallback.
  std::map<NDIS_HANDLE, std::vector<Bytes>> iv_queues_;
  std::map<NDIS_HANDLE, std::size_t> iv_next_;

  // Reused per send: the packet descriptor, its buffer chain, a private copy of the frame.
  SENDPATH_PACKET_STORAGE packet_{};
  std::vector<NDIS_BUFFER> buffers_;
  Bytes frame_;
  Bytes wire_;
  std::vector<std::uint64_t> oid_buffer_;  // 8-byte aligned OID InformationBuffer
};

}  // namespace sendpath::harness
