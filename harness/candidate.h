// The one interface every candidate NIC is reached through: the in-process reference, a shared
// library in sendpath-candidate-host, a JSON-lines subprocess, or a captured pcap. The runner
// drives it the way the TCP/IP transport drives a miniport (query, one set, add/delete SAs,
// sends) and never sees which kind it is talking to.
#pragma once

#include "harness/outcome.h"

#include <reference_nic/reference_nic.h>
#include <sendpath/ndis51.h>
#include <vectors/loader/vector_model.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sendpath::harness {

using Bytes = std::vector<std::uint8_t>;
using Capabilities = nic::Capabilities;  // NDIS_TASK_IPSEC + SENDPATH_TASK_IPSEC_EXTENSION

struct CandidateIdentity {
  std::string name;
  std::string version;
  std::string protocol;       // "sendpath-candidate/1", "in-process", "pcap"
  bool iv_injection = false;  // accepts the IVs a vector supplies
  // False for a captured pcap: OID statuses and handles were not recorded, only the wire.
  bool oid_results_observed = true;
  std::string Describe() const;  // "reference 0.1.0 (in-process, IV injection)"
};

// OID_TCP_TASK_IPSEC_ADD_SA as the transport issues it.
struct AddSaRequest {
  const vectors::SaSpec* spec = nullptr;  // the SA as the vector states it (for JSON candidates)
  Bytes buffer;                           // OFFLOAD_IPSEC_ADD_SA followed by KeyMat, OffloadHandle 0
  SENDPATH_ADD_SA_EXTENSION extension{SENDPATH_EXTENSION_VERSION, SENDPATH_KEYMAT_CONF_FIRST, {}, {}};
};

struct AddSaReply {
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  NDIS_HANDLE handle = nullptr;  // OFFLOAD_IPSEC_ADD_SA.OffloadHandle as the candidate filled it in
};

// OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: AddSaRequest's buffer then holds an
// OFFLOAD_IPSEC_ADD_UDPESP_SA (EncapTypeEntryOffldHandle as the transport passes it) + KeyMat.
struct AddUdpEspSaReply {
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  NDIS_HANDLE handle = nullptr;        // OffloadHandle as the candidate filled it in
  NDIS_HANDLE parser_entry = nullptr;  // EncapTypeEntryOffldHandle after the request
};

// The reply to an ADD_UDPESP_SA whose InformationBuffer is `buffer` after the request: the
// handles are read back only on success (and only when the buffer holds them).
inline AddUdpEspSaReply UdpEspReplyFrom(NDIS_STATUS status, std::span<const std::uint8_t> buffer) {
  AddUdpEspSaReply reply;
  reply.status = status;
  if (status != NDIS_STATUS_SUCCESS) return reply;
  if (buffer.size() >= offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle) + sizeof(HANDLE)) {
    std::memcpy(&reply.handle, buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle), sizeof(HANDLE));
  }
  if (buffer.size() >= offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle) + sizeof(HANDLE)) {
    std::memcpy(&reply.parser_entry, buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle),
                sizeof(HANDLE));
  }
  return reply;
}

// IVs the candidate is to generate for one SA during one send, in generation order.
struct IvInjection {
  NDIS_HANDLE handle = nullptr;
  std::vector<Bytes> ivs;
};

// Where a send comes from; the pcap candidate uses it to find the captured frame.
struct SendContext {
  std::string vector_id;
  std::size_t step_index = 0;
};

struct SendRequest {
  std::span<const std::uint8_t> frame;
  std::vector<std::size_t> split;               // NDIS_BUFFER boundaries
  std::optional<NDIS_IPSEC_PACKET_INFO> info;   // nullopt: the IpSecPacketInfo slot is NULL
  std::vector<IvInjection> ivs;
  SendContext context;
};

struct SendReply {
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  std::optional<Bytes> frame;  // what went on the wire; nullopt: nothing
};

class Candidate {
 public:
  virtual ~Candidate() = default;

  // Launches (if needed) and handshakes. Called before the first vector and after any
  // candidate error; an error here means the candidate cannot be run at all.
  virtual Outcome<CandidateIdentity> Start() = 0;
  // A freshly initialised NIC: no SAs, nothing enabled (MiniportHalt + MiniportInitialize).
  virtual Outcome<Done> Reset() = 0;
  // OID_TCP_TASK_OFFLOAD query.
  virtual Outcome<Capabilities> QueryCapabilities() = 0;
  // OID_TCP_TASK_OFFLOAD set.
  virtual Outcome<NDIS_STATUS> Set(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enable) = 0;
  virtual Outcome<AddSaReply> AddSa(const AddSaRequest& request) = 0;
  // OID_TCP_TASK_IPSEC_DELETE_SA.
  virtual Outcome<NDIS_STATUS> DeleteSa(NDIS_HANDLE handle) = 0;
  // OID_TCP_TASK_IPSEC_ADD_UDPESP_SA / DELETE_UDPESP_SA. Every candidate kind sendpath ships
  // carries them; the default answers as a miniport that does not know the OIDs.
  virtual Outcome<AddUdpEspSaReply> AddUdpEspSa(const AddSaRequest&) {
    return AddUdpEspSaReply{NDIS_STATUS_INVALID_OID, nullptr, nullptr};
  }
  virtual Outcome<NDIS_STATUS> DeleteUdpEspSa(NDIS_HANDLE, NDIS_HANDLE) { return NDIS_STATUS_INVALID_OID; }
  virtual Outcome<SendReply> Send(const SendRequest& request) = 0;
  // Ends the candidate (process killed, library unloaded); Start may follow.
  virtual void Stop() {}
};

// Makes one candidate per job. Errors are usage errors (bad spec) with a message.
struct CandidateFactory {
  std::string spec;  // as given on the command line
  virtual ~CandidateFactory() = default;
  virtual std::unique_ptr<Candidate> Make() const = 0;
};

}  // namespace sendpath::harness
