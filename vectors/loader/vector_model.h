// The in-memory form of a `sendpath-vectors/1` file (vectors/README.md). Produced by the loader
// (vector_loader.h), consumed by the harness. Plain data: no behaviour beyond small helpers.
#pragma once

#include <sendpath/ndis51.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sendpath::vectors {

using Bytes = std::vector<std::uint8_t>;

enum class VectorClass { kMust, kShould };
enum class Encapsulation { kNull, kIeee8023 };  // NULL_Encapsulation / IEEE_802_3_Encapsulation
enum class KeyOrder { kConfFirst, kIntegrityFirst };

struct Provenance {
  std::string source;
  std::string generator;
  std::vector<std::string> confirmed_by;
  std::string comment;
};

// One algorithm of a SecAssoc element: the OFFLOAD_ALGO_INFO plus its key bytes.
struct AlgorithmSpec {
  std::string name;         // as written: "AES_CBC_128", "SHA_1", ...; "" for a literal identifier
  ULONG identifier = 0;     // OFFLOAD_ALGO_INFO.algoIdentifier
  Bytes key;
  std::optional<ULONG> key_length;  // algoKeylen when it must differ from key.size()
  bool operator==(const AlgorithmSpec&) const = default;
};

struct SecAssocSpec {
  OFFLOAD_OPERATION_E operation = ENCRYPT;
  ULONG raw_operation = 0;  // the literal Operation value (equals `operation` unless malformed)
  SPI_TYPE spi = 0;
  std::optional<AlgorithmSpec> conf;       // nullopt for AH
  std::optional<AlgorithmSpec> integrity;  // nullopt for none
  std::optional<ULONG> esn_high;           // IPSEC_OFFLOAD_V2_ESN_SA with these high bits
  bool operator==(const SecAssocSpec&) const = default;
};

// OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY of a UDP-ESP SA (ntddndis.h; docs section 5.7).
struct UdpEspSpec {
  ULONG encap_type = OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER;  // UdpEncapType (raw: any ULONG)
  USHORT dst_encap_port = 4500;                            // DstEncapPort
  bool operator==(const UdpEspSpec&) const = default;
};

struct SaSpec {
  std::string name;
  USHORT flags = OFFLOAD_OUTBOUND_SA;  // OFFLOAD_INBOUND_SA / OFFLOAD_OUTBOUND_SA (or raw)
  IPAddr src_addr = 0, src_mask = 0, dest_addr = 0, dest_mask = 0;  // network byte order
  ULONG protocol = 0;
  USHORT src_port = 0, dest_port = 0;  // port numbers; BuildAddSaRequest writes them in network order
  std::optional<IPAddr> src_tunnel_addr, dest_tunnel_addr;  // set for a tunnel SA
  KeyOrder key_order = KeyOrder::kConfFirst;
  std::optional<SHORT> num_sas_override;  // raw.num_sas for malformed requests
  std::optional<ULONG> key_len_override;  // raw.key_len: a KeyLen that differs from the KeyMat sent
  std::vector<SecAssocSpec> bundle;       // 1..OFFLOAD_MAX_SAS elements, processing order
  std::optional<UdpEspSpec> udp_esp;      // set: added by OID_TCP_TASK_IPSEC_ADD_UDPESP_SA
  std::string pointer;                    // JSON pointer of this SA, for messages
  bool operator==(const SaSpec&) const = default;
};

// A HANDLE as a vector names it.
struct HandleRef {
  enum class Kind { kZero, kSa, kNeverIssued } kind = Kind::kZero;
  std::string sa;  // for kSa
  bool operator==(const HandleRef&) const = default;
};

struct SetStep {
  std::vector<std::string> enable;  // capability names
  NDIS_TASK_IPSEC task{};                 // `enable` as the structure
  SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
  std::optional<Encapsulation> encapsulation;  // overrides the vector's
  NDIS_STATUS expect = NDIS_STATUS_SUCCESS;
};

struct AddSaStep {
  std::string sa;
  NDIS_STATUS expect = NDIS_STATUS_SUCCESS;
};

struct DeleteSaStep {
  HandleRef handle;
  NDIS_STATUS expect = NDIS_STATUS_SUCCESS;
};

// OID_TCP_TASK_IPSEC_ADD_UDPESP_SA of a UDP-ESP SA. `parser_entry` is EncapTypeEntryOffldHandle:
// kZero (NULL: ask for a new entry), kSa (the entry the named SA's add returned) or kNeverIssued.
struct AddUdpEspSaStep {
  std::string sa;
  HandleRef parser_entry;
  NDIS_STATUS expect = NDIS_STATUS_SUCCESS;
};

// OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA: the SA and, unless kZero, a parser entry (as above).
struct DeleteUdpEspSaStep {
  HandleRef handle;
  HandleRef parser_entry;
  NDIS_STATUS expect = NDIS_STATUS_SUCCESS;
};

struct FillSaTableStep {
  std::string sa;
  std::size_t limit = 0;
};

struct SendStep {
  Bytes frame;
  std::vector<std::size_t> split;  // ascending buffer-chain cut offsets
  bool has_info = true;            // false: no NDIS_IPSEC_PACKET_INFO on the packet
  HandleRef offload_handle;
  HandleRef next_offload_handle;
  std::map<std::string, std::vector<Bytes>> ivs;  // SA name -> IVs in generation order
  NDIS_STATUS expect_status = NDIS_STATUS_SUCCESS;
  std::optional<Bytes> expect_frame;  // nullopt: nothing emitted
  std::vector<std::pair<std::size_t, std::size_t>> iv_bytes;  // (offset, length) in expect_frame
};

struct Step {
  std::variant<SetStep, AddSaStep, DeleteSaStep, FillSaTableStep, SendStep, AddUdpEspSaStep, DeleteUdpEspSaStep> op;
  std::string pointer;  // JSON pointer of the step, e.g. "/vectors/3/steps/2"
};

struct Vector {
  std::string id;
  std::string title;
  VectorClass vector_class = VectorClass::kMust;
  std::vector<std::string> flags;
  Provenance provenance;
  std::vector<std::string> requires_caps;  // capability names
  NDIS_TASK_IPSEC requires_task{};         // the same as structures
  SENDPATH_TASK_IPSEC_EXTENSION requires_extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
  Encapsulation encapsulation = Encapsulation::kNull;
  std::map<std::string, SaSpec> sas;
  std::vector<Step> steps;
  std::string file;     // the file it came from
  std::string pointer;  // "/vectors/N"
};

struct VectorFile {
  std::string path;
  std::string format;  // "sendpath-vectors/1"
  std::string group;
  std::string description;
  std::map<std::string, std::string> notes;  // flag -> note
  std::vector<Vector> vectors;
  std::string sha256;  // hex digest of the file's bytes (reproducible certification)
};

}  // namespace sendpath::vectors
