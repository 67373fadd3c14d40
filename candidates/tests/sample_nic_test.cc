// The clean sample NIC through its C ABI alone, without the harness: the library is loaded with
// dlopen, OIDs are issued with hand-built buffers and packets are handed over as NDIS_PACKETs
// built with the shim, exactly as sendpath-candidate-host would. The known answers come from
// testdata/samples/independent-cases.json (62 whole send-path cases) and the ESN cases of
// draft-mcgrew-gcm-test-01 in testdata/kat/.
#include <sendpath/candidate_abi.h>

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Bytes = std::vector<std::uint8_t>;
using nlohmann::json;

// ---- Loading the library ----------------------------------------------------------------------

struct LibraryCloser {
  void operator()(void* handle) const {
    if (handle != nullptr) dlclose(handle);
  }
};
using Library = std::unique_ptr<void, LibraryCloser>;

struct LoadedNic {
  Library library;
  const SENDPATH_CANDIDATE_ENTRY* entry = nullptr;
};

LoadedNic Load(const char* path) {
  LoadedNic nic;
  nic.library.reset(dlopen(path, RTLD_NOW | RTLD_LOCAL));
  if (!nic.library) return nic;
  void* symbol = dlsym(nic.library.get(), SENDPATH_CANDIDATE_ENTRY_SYMBOL);
  if (symbol == nullptr) return nic;
  SENDPATH_CANDIDATE_ENTRY_FUNCTION function;
  static_assert(sizeof function == sizeof symbol);
  std::memcpy(&function, &symbol, sizeof function);
  nic.entry = function();
  return nic;
}

const LoadedNic& SampleNic() {
  static const LoadedNic nic = Load(SAMPLE_NIC_LIBRARY);
  return nic;
}

// ---- Hex, JSON files ----------------------------------------------------------------------------

Bytes Hex(std::string_view text) {
  Bytes out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return json();
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

ULONG Ipv4(std::string_view dotted) {
  std::array<std::uint8_t, 4> b{};
  unsigned part = 0, value = 0;
  for (char c : dotted) {
    if (c == '.') {
      b[part++] = static_cast<std::uint8_t>(value);
      value = 0;
    } else {
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
  }
  b[part] = static_cast<std::uint8_t>(value);
  ULONG out;
  std::memcpy(&out, b.data(), 4);  // network byte order, as in the IPv4 header
  return out;
}

// ---- An adapter and the OIDs ------------------------------------------------------------------

struct Capabilities {
  NDIS_TASK_IPSEC task{};
  SENDPATH_TASK_IPSEC_EXTENSION extension{SENDPATH_EXTENSION_VERSION, 0, 0, 0};
};

constexpr std::size_t Align8(std::size_t n) { return (n + 7u) & ~std::size_t{7}; }
constexpr std::size_t kEntryHeader = offsetof(NDIS_TASK_OFFLOAD, TaskBuffer);

// OID_TCP_TASK_OFFLOAD set buffer: header, IpSecNdisTask entry, extension entry ([S16c]).
Bytes EncodeTaskOffload(NDIS_ENCAPSULATION encapsulation, const Capabilities& caps) {
  const std::size_t first = Align8(sizeof(NDIS_TASK_OFFLOAD_HEADER));
  const std::size_t ipsec = Align8(kEntryHeader + sizeof(NDIS_TASK_IPSEC));
  Bytes buffer(first + ipsec + Align8(kEntryHeader + sizeof(SENDPATH_TASK_IPSEC_EXTENSION)), 0);
  NDIS_TASK_OFFLOAD_HEADER header{};
  header.Version = NDIS_TASK_OFFLOAD_VERSION;
  header.Size = sizeof header;
  header.OffsetFirstTask = static_cast<ULONG>(first);
  header.EncapsulationFormat.Encapsulation = encapsulation;
  if (encapsulation == IEEE_802_3_Encapsulation) {
    header.EncapsulationFormat.Flags.FixedHeaderSize = 1;
    header.EncapsulationFormat.EncapsulationHeaderSize = 14;
  }
  std::memcpy(buffer.data(), &header, sizeof header);
  auto put = [&](std::size_t at, ULONG task, ULONG next, const void* data, std::size_t length) {
    // NDIS_TASK_OFFLOAD: Version, Size, Task, OffsetNextTask, TaskBufferLength; Task is written
    // as a ULONG since the extension's value is no NDIS_TASK enumerator.
    const ULONG fields[] = {NDIS_TASK_OFFLOAD_VERSION, sizeof(NDIS_TASK_OFFLOAD), task, next, static_cast<ULONG>(length)};
    static_assert(sizeof fields == kEntryHeader);
    std::memcpy(buffer.data() + at, fields, sizeof fields);
    std::memcpy(buffer.data() + at + kEntryHeader, data, length);
  };
  put(first, IpSecNdisTask, static_cast<ULONG>(ipsec), &caps.task, sizeof caps.task);
  put(first + ipsec, SENDPATH_NDIS_TASK_IPSEC_EXTENSION, 0, &caps.extension, sizeof caps.extension);
  return buffer;
}

struct Element {
  OFFLOAD_OPERATION_E operation = ENCRYPT;
  ULONG spi = 0;
  ULONG conf = OFFLOAD_IPSEC_CONF_NONE;
  Bytes conf_key;
  ULONG integrity = OFFLOAD_IPSEC_INTEGRITY_NONE;
  Bytes integrity_key;
  std::optional<ULONG> esn_high;
};

struct SaRequest {
  std::vector<Element> bundle;
  bool tunnel = false;
  USHORT flags = OFFLOAD_OUTBOUND_SA;
  bool integrity_first = false;
};

// IVs the NIC is to use for one send, per OffloadHandle in request order.
struct IvQueue {
  std::map<NDIS_HANDLE, std::deque<Bytes>> ivs;
  std::vector<std::pair<NDIS_HANDLE, ULONG>> requests;  // (handle, SecAssocIndex) as asked

  static BOOLEAN Callback(PVOID context, NDIS_HANDLE handle, ULONG index, PUCHAR iv, ULONG length) {
    auto* self = static_cast<IvQueue*>(context);
    self->requests.emplace_back(handle, index);
    auto found = self->ivs.find(handle);
    if (found == self->ivs.end() || found->second.empty() || found->second.front().size() != length) return 0;
    std::memcpy(iv, found->second.front().data(), length);
    found->second.pop_front();
    return 1;
  }
};

struct SendResult {
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  Bytes wire;  // empty when nothing was emitted
};

class Adapter {
 public:
  explicit Adapter(const char* options = "") {
    const auto* entry = SampleNic().entry;
    if (entry != nullptr) create_status_ = entry->Create(options, &context_);
  }
  ~Adapter() {
    if (context_ != nullptr) SampleNic().entry->Destroy(context_);
  }
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;

  bool ok() const { return create_status_ == NDIS_STATUS_SUCCESS && context_ != nullptr; }
  NDIS_STATUS create_status() const { return create_status_; }
  const SENDPATH_CANDIDATE_ENTRY& entry() const { return *SampleNic().entry; }

  NDIS_STATUS Query(Bytes& answer, ULONG size = 512) {
    NDIS_TASK_OFFLOAD_HEADER header{};
    header.Version = NDIS_TASK_OFFLOAD_VERSION;
    header.Size = sizeof header;
    header.EncapsulationFormat.Encapsulation = NULL_Encapsulation;
    std::vector<std::uint64_t> buffer((std::max<std::size_t>(size, sizeof header) + 7) / 8, 0);
    std::memcpy(buffer.data(), &header, sizeof header);
    ULONG written = 0;
    needed_ = 0;
    const NDIS_STATUS status = entry().QueryInformation(context_, OID_TCP_TASK_OFFLOAD, buffer.data(), size, &written, &needed_);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(buffer.data());
    answer.assign(bytes, bytes + std::min<ULONG>(written, size));
    return status;
  }
  ULONG needed() const { return needed_; }

  NDIS_STATUS Set(const Capabilities& caps, NDIS_ENCAPSULATION encapsulation = NULL_Encapsulation) {
    Bytes buffer = EncodeTaskOffload(encapsulation, caps);
    ULONG read = 0, needed = 0;
    return entry().SetInformation(context_, OID_TCP_TASK_OFFLOAD, buffer.data(), static_cast<ULONG>(buffer.size()), &read,
                                  &needed);
  }

  // OID_TCP_TASK_IPSEC_ADD_SA, preceded by OID_SENDPATH_IPSEC_ADD_SA_EXTENSION when needed.
  NDIS_STATUS AddSa(const SaRequest& request, NDIS_HANDLE* handle, std::optional<ULONG> raw_length = std::nullopt) {
    OFFLOAD_IPSEC_ADD_SA sa{};
    Bytes key_mat;
    if (const NDIS_STATUS status = Build(request, sa, key_mat); status != NDIS_STATUS_SUCCESS) return status;
    ULONG read = 0, needed = 0;
    std::vector<std::uint64_t> buffer((OFFLOAD_IPSEC_ADD_SA_SIZE(key_mat.size()) + 7) / 8 + 1, 0);
    auto* bytes = reinterpret_cast<std::uint8_t*>(buffer.data());
    std::memcpy(bytes, &sa, offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat));
    if (!key_mat.empty()) std::memcpy(bytes + offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat), key_mat.data(), key_mat.size());
    const auto length = raw_length.value_or(static_cast<ULONG>(OFFLOAD_IPSEC_ADD_SA_SIZE(key_mat.size())));
    const NDIS_STATUS status = entry().SetInformation(context_, OID_TCP_TASK_IPSEC_ADD_SA, bytes, length, &read, &needed);
    if (handle != nullptr) std::memcpy(handle, bytes + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), sizeof *handle);
    return status;
  }

  // OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: the same SA fields [S14e] plus the parser entry;
  // `parser_entry` is EncapTypeEntryOffldHandle in and out.
  NDIS_STATUS AddUdpEspSa(const SaRequest& request, NDIS_HANDLE* handle, NDIS_HANDLE* parser_entry,
                          UDP_ENCAP_TYPE type = OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER, USHORT port = 4500) {
    OFFLOAD_IPSEC_ADD_SA sa{};
    Bytes key_mat;
    if (const NDIS_STATUS status = Build(request, sa, key_mat); status != NDIS_STATUS_SUCCESS) return status;
    OFFLOAD_IPSEC_ADD_UDPESP_SA udp{};
    udp.SrcAddr = sa.SrcAddr;
    udp.SrcMask = sa.SrcMask;
    udp.DstAddr = sa.DestAddr;
    udp.DstMask = sa.DestMask;
    udp.Protocol = 17;
    udp.SrcTunnelAddr = sa.SrcTunnelAddr;
    udp.DstTunnelAddr = sa.DestTunnelAddr;
    udp.Flags = sa.Flags;
    udp.NumSAs = sa.NumSAs;
    std::memcpy(udp.SecAssoc, sa.SecAssoc, sizeof udp.SecAssoc);
    udp.EncapTypeEntry.UdpEncapType = type;
    udp.EncapTypeEntry.DstEncapPort = port;
    udp.EncapTypeEntryOffldHandle = parser_entry != nullptr ? *parser_entry : nullptr;
    udp.KeyLen = static_cast<ULONG>(key_mat.size());
    std::vector<std::uint64_t> buffer((OFFLOAD_IPSEC_ADD_UDPESP_SA_SIZE(key_mat.size()) + 7) / 8 + 1, 0);
    auto* bytes = reinterpret_cast<std::uint8_t*>(buffer.data());
    std::memcpy(bytes, &udp, offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat));
    if (!key_mat.empty()) std::memcpy(bytes + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat), key_mat.data(), key_mat.size());
    ULONG read = 0, needed = 0;
    const NDIS_STATUS status = entry().SetInformation(context_, OID_TCP_TASK_IPSEC_ADD_UDPESP_SA, bytes,
                                                      static_cast<ULONG>(OFFLOAD_IPSEC_ADD_UDPESP_SA_SIZE(key_mat.size())), &read, &needed);
    if (handle != nullptr) std::memcpy(handle, bytes + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle), sizeof *handle);
    if (parser_entry != nullptr) {
      std::memcpy(parser_entry, bytes + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle), sizeof *parser_entry);
    }
    return status;
  }

  NDIS_STATUS DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) {
    OFFLOAD_IPSEC_DELETE_UDPESP_SA request{};
    request.OffloadHandle = handle;
    request.EncapTypeEntryOffldHandle = parser_entry;
    ULONG read = 0, needed = 0;
    return entry().SetInformation(context_, OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA, &request, sizeof request, &read, &needed);
  }

  // The ADD_SA fields and KeyMat of `request`, after OID_SENDPATH_IPSEC_ADD_SA_EXTENSION when
  // the request needs it.
  NDIS_STATUS Build(const SaRequest& request, OFFLOAD_IPSEC_ADD_SA& sa, Bytes& key_mat) {
    sa.SrcAddr = Ipv4("192.0.2.1");
    sa.SrcMask = 0xffffffffu;
    sa.DestAddr = Ipv4("198.51.100.7");
    sa.DestMask = 0xffffffffu;
    if (request.tunnel) {
      sa.SrcTunnelAddr = Ipv4("203.0.113.1");
      sa.DestTunnelAddr = Ipv4("203.0.113.2");
    }
    sa.Flags = request.flags;
    sa.NumSAs = static_cast<SHORT>(request.bundle.size());
    SENDPATH_ADD_SA_EXTENSION extension{};
    extension.Version = SENDPATH_EXTENSION_VERSION;
    extension.KeyOrder = request.integrity_first ? SENDPATH_KEYMAT_INTEGRITY_FIRST : SENDPATH_KEYMAT_CONF_FIRST;
    bool needs_extension = request.integrity_first;
    key_mat.clear();
    for (std::size_t i = 0; i < request.bundle.size() && i < OFFLOAD_MAX_SAS; ++i) {
      const Element& e = request.bundle[i];
      OFFLOAD_SECURITY_ASSOCIATION& out = sa.SecAssoc[i];
      out.Operation = e.operation;
      out.SPI = e.spi;
      out.ConfAlgo.algoIdentifier = e.operation == ENCRYPT ? e.conf : 0;
      out.ConfAlgo.algoKeylen = static_cast<ULONG>(e.conf_key.size());
      out.IntegrityAlgo.algoIdentifier = e.integrity;
      out.IntegrityAlgo.algoKeylen = static_cast<ULONG>(e.integrity_key.size());
      const Bytes& a = request.integrity_first ? e.integrity_key : e.conf_key;
      const Bytes& b = request.integrity_first ? e.conf_key : e.integrity_key;
      key_mat.insert(key_mat.end(), a.begin(), a.end());
      key_mat.insert(key_mat.end(), b.begin(), b.end());
      if (e.esn_high) {
        extension.SaFlags[i] = IPSEC_OFFLOAD_V2_ESN_SA;
        extension.SequenceNumberHighOrder[i] = *e.esn_high;
        needs_extension = true;
      }
    }
    sa.KeyLen = static_cast<ULONG>(key_mat.size());
    ULONG read = 0, needed = 0;
    if (needs_extension) {
      return entry().SetInformation(context_, OID_SENDPATH_IPSEC_ADD_SA_EXTENSION, &extension, sizeof extension, &read, &needed);
    }
    return NDIS_STATUS_SUCCESS;
  }

  NDIS_STATUS DeleteSa(NDIS_HANDLE handle) {
    OFFLOAD_IPSEC_DELETE_SA request{};
    request.OffloadHandle = handle;
    ULONG read = 0, needed = 0;
    return entry().SetInformation(context_, OID_TCP_TASK_IPSEC_DELETE_SA, &request, sizeof request, &read, &needed);
  }

  // MiniportSend with the frame cut into NDIS_BUFFERs at `cuts`; `info` nullopt leaves the
  // IpSecPacketInfo slot NULL. Each buffer is a separate allocation, as it would be in a real
  // chain, so a read past a buffer's end is a bug ASan can see.
  SendResult Send(const Bytes& frame, const std::vector<std::size_t>& cuts, std::optional<NDIS_IPSEC_PACKET_INFO> info,
                  IvQueue* ivs = nullptr) {
    std::vector<std::size_t> bounds = {0};
    for (std::size_t cut : cuts) {
      if (cut > bounds.back() && cut < frame.size()) bounds.push_back(cut);
    }
    bounds.push_back(frame.size());
    std::vector<std::unique_ptr<std::uint8_t[]>> pieces;
    std::vector<NDIS_BUFFER> buffers(bounds.size() - 1);
    for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
      const std::size_t length = bounds[i + 1] - bounds[i];
      pieces.emplace_back(new std::uint8_t[std::max<std::size_t>(length, 1)]);
      if (length != 0) std::memcpy(pieces.back().get(), frame.data() + bounds[i], length);
      NDIS_BUFFER& b = buffers[i];
      b.Next = i + 1 < buffers.size() ? &buffers[i + 1] : nullptr;
      b.Size = sizeof(NDIS_BUFFER);
      b.MdlFlags = MDL_MAPPED_TO_SYSTEM_VA;
      b.MappedSystemVa = b.StartVa = pieces.back().get();
      b.ByteCount = static_cast<ULONG>(length);
    }
    SENDPATH_PACKET_STORAGE storage{};
    storage.Packet.Private.PhysicalCount = storage.Packet.Private.Count = static_cast<UINT>(buffers.size());
    storage.Packet.Private.TotalLength = static_cast<UINT>(frame.size());
    storage.Packet.Private.Head = buffers.data();
    storage.Packet.Private.Tail = &buffers.back();
    storage.Packet.Private.ValidCounts = 1;
    storage.Packet.Private.NdisPacketOobOffset = static_cast<USHORT>(offsetof(SENDPATH_PACKET_STORAGE, Oob));
    NDIS_IPSEC_PACKET_INFO packet_info{};
    if (info) {
      packet_info = *info;
      storage.Extension.NdisPacketInfo[IpSecPacketInfo] = &packet_info;
    }
    entry().SetIvCallback(context_, ivs != nullptr ? &IvQueue::Callback : nullptr, ivs);
    Bytes wire(65535 + 14, 0xee);
    ULONG length = 0;
    SendResult result;
    result.status = entry().Send(context_, &storage.Packet, wire.data(), static_cast<ULONG>(wire.size()), &length);
    entry().SetIvCallback(context_, nullptr, nullptr);
    result.wire.assign(wire.begin(), wire.begin() + std::min<std::size_t>(length, wire.size()));
    // Nothing the NIC read may have been changed: the packet is read-only.
    for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
      EXPECT_EQ(0, std::memcmp(pieces[i].get(), frame.data() + bounds[i], bounds[i + 1] - bounds[i]))
          << "the NIC wrote into NDIS_BUFFER " << i;
    }
    return result;
  }

 private:
  NDIS_HANDLE context_ = nullptr;
  NDIS_STATUS create_status_ = NDIS_STATUS_FAILURE;
  ULONG needed_ = 0;
};

NDIS_IPSEC_PACKET_INFO Info(NDIS_HANDLE offload, NDIS_HANDLE next = nullptr) {
  NDIS_IPSEC_PACKET_INFO info{};
  info.Transmit.OffloadHandle = offload;
  info.Transmit.NextOffloadHandle = next;
  return info;
}

// Everything the NIC reports, taken from its own query answer.
Capabilities Reported(Adapter& adapter) {
  Bytes answer;
  Capabilities caps;
  if (adapter.Query(answer) != NDIS_STATUS_SUCCESS || answer.size() < sizeof(NDIS_TASK_OFFLOAD_HEADER)) return caps;
  NDIS_TASK_OFFLOAD_HEADER header;
  std::memcpy(&header, answer.data(), sizeof header);
  for (std::size_t at = header.OffsetFirstTask; at != 0 && at + kEntryHeader <= answer.size();) {
    ULONG fields[5];  // Version, Size, Task, OffsetNextTask, TaskBufferLength
    std::memcpy(fields, answer.data() + at, sizeof fields);
    const ULONG task = fields[2], next = fields[3], length = fields[4];
    if (at + kEntryHeader + length > answer.size()) break;
    if (task == IpSecNdisTask && length >= sizeof caps.task) {
      std::memcpy(&caps.task, answer.data() + at + kEntryHeader, sizeof caps.task);
    } else if (task == SENDPATH_NDIS_TASK_IPSEC_EXTENSION && length >= sizeof caps.extension) {
      std::memcpy(&caps.extension, answer.data() + at + kEntryHeader, sizeof caps.extension);
    }
    if (next == 0) break;
    at += next;
  }
  return caps;
}

// ---- The independent cases ---------------------------------------------------------------------

struct Algorithm {
  const char* name;
  ULONG id;
  bool salted;  // GCM / GMAC: KeyMat = key || salt
};
constexpr Algorithm kCipherNames[] = {
    {"null", OFFLOAD_IPSEC_CONF_NONE, false},
    {"des-cbc", OFFLOAD_IPSEC_CONF_DES, false},
    {"3des-cbc", OFFLOAD_IPSEC_CONF_3_DES, false},
    {"aes-128-cbc", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, false},
    {"aes-192-cbc", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192, false},
    {"aes-256-cbc", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256, false},
    {"aes-128-gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128, true},
    {"aes-192-gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192, true},
    {"aes-256-gcm", IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256, true},
};
constexpr Algorithm kIntegrityNames[] = {
    {"none", OFFLOAD_IPSEC_INTEGRITY_NONE, false},
    {"hmac-md5-96", OFFLOAD_IPSEC_INTEGRITY_MD5, false},
    {"hmac-sha1-96", OFFLOAD_IPSEC_INTEGRITY_SHA, false},
    {"hmac-sha256-128", IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256, false},
    {"aes-gmac-128", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128, true},
    {"aes-gmac-192", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192, true},
    {"aes-gmac-256", IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256, true},
};

const Algorithm* Find(std::span<const Algorithm> table, const std::string& name) {
  for (const auto& a : table) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

std::string TestDataPath(const std::string& relative) { return std::string(SENDPATH_TESTDATA_DIR) + "/" + relative; }

const json& IndependentCases() {
  static const json cases = ReadJson(TestDataPath("samples/independent-cases.json"));
  return cases;
}

// The case's SA as an ADD_SA request; false when it names an algorithm unknown here.
bool CaseSa(const json& sa, SaRequest& request) {
  request.tunnel = sa.value("mode", "") == "tunnel";
  for (const json& e : sa.at("bundle")) {
    Element element;
    element.operation = e.at("proto") == "ah" ? AUTHENTICATE : ENCRYPT;
    element.spi = e.at("spi").get<ULONG>();
    const Algorithm* cipher = Find(kCipherNames, e.at("cipher").get<std::string>());
    const Algorithm* integrity = Find(kIntegrityNames, e.at("integrity").get<std::string>());
    if (cipher == nullptr || integrity == nullptr) return false;
    const Bytes salt = e.at("salt").is_string() ? Hex(e.at("salt").get<std::string>()) : Bytes{};
    if (element.operation == ENCRYPT) {
      element.conf = cipher->id;
      element.conf_key = Hex(e.at("cipher_key").get<std::string>());
      if (cipher->salted) element.conf_key.insert(element.conf_key.end(), salt.begin(), salt.end());
    }
    element.integrity = integrity->id;
    element.integrity_key = Hex(e.at("integrity_key").get<std::string>());
    if (integrity->salted) element.integrity_key.insert(element.integrity_key.end(), salt.begin(), salt.end());
    request.bundle.push_back(element);
  }
  return true;
}

Capabilities AllWithEncryptionOnly(Adapter& adapter) {
  Capabilities caps = Reported(adapter);
  // Some cases use ESP without integrity for the arithmetic (samples/README.md).
  caps.extension.Flags |= SENDPATH_EXT_ENCRYPTION_ONLY_ESP;
  return caps;
}

struct CaseRun {
  SendResult result;
  std::vector<std::pair<NDIS_HANDLE, ULONG>> iv_requests;
  std::map<std::string, NDIS_HANDLE> handles;
};

// One case on a fresh adapter: set everything, add its SAs, send with the case's IVs.
::testing::AssertionResult RunCase(const json& c, const std::vector<std::size_t>& cuts, CaseRun& run,
                                   NDIS_ENCAPSULATION encapsulation = NULL_Encapsulation, const Bytes& prefix = {}) {
  Adapter adapter;
  if (!adapter.ok()) return ::testing::AssertionFailure() << "Create failed";
  if (adapter.Set(AllWithEncryptionOnly(adapter), encapsulation) != NDIS_STATUS_SUCCESS) {
    return ::testing::AssertionFailure() << "OID_TCP_TASK_OFFLOAD set failed";
  }
  IvQueue ivs;
  for (const auto& [name, sa] : c.at("sas").items()) {
    SaRequest request;
    if (!CaseSa(sa, request)) return ::testing::AssertionFailure() << "unknown algorithm in SA " << name;
    NDIS_HANDLE handle = nullptr;
    const NDIS_STATUS status = adapter.AddSa(request, &handle);
    if (status != NDIS_STATUS_SUCCESS || handle == nullptr) {
      return ::testing::AssertionFailure() << "ADD_SA " << name << " returned 0x" << std::hex << status;
    }
    run.handles[name] = handle;
    const json& iv = c.at("ivs").value(name, json());
    if (iv.is_string()) ivs.ivs[handle].push_back(Hex(iv.get<std::string>()));
  }
  const NDIS_HANDLE offload = run.handles.at(c.at("offload_handle").get<std::string>());
  const NDIS_HANDLE next =
      c.at("next_offload_handle").is_string() ? run.handles.at(c.at("next_offload_handle").get<std::string>()) : nullptr;
  Bytes frame = prefix;
  const Bytes input = Hex(c.at("input_ip").get<std::string>());
  frame.insert(frame.end(), input.begin(), input.end());
  run.result = adapter.Send(frame, cuts, Info(offload, next), &ivs);
  run.iv_requests = ivs.requests;
  return ::testing::AssertionSuccess();
}

std::vector<std::size_t> EveryNBytes(std::size_t n, std::size_t limit) {
  std::vector<std::size_t> cuts;
  for (std::size_t at = n; at < limit; at += n) cuts.push_back(at);
  return cuts;
}

class IndependentCase : public ::testing::TestWithParam<std::size_t> {};

// Each case as one buffer, in 7-byte buffers, and with its first 80 bytes in 1-byte buffers:
// the headers are read through the chain, so the output must not depend on the cuts.
TEST_P(IndependentCase, MatchesExpectedFrameWhateverTheBufferChain) {
  const json& c = IndependentCases().at(GetParam());
  const Bytes input = Hex(c.at("input_ip").get<std::string>());
  const Bytes expected = Hex(c.at("expected_ip").get<std::string>());
  const bool refused = c.at("category") == "ah_fragment_fields";  // fragments are never offloaded [S5]
  const std::vector<std::vector<std::size_t>> chains = {{}, EveryNBytes(7, input.size()), EveryNBytes(1, 80)};
  for (const auto& cuts : chains) {
    SCOPED_TRACE(c.at("id").get<std::string>() + " cut into " + std::to_string(cuts.size() + 1) + " buffers");
    CaseRun run;
    ASSERT_TRUE(RunCase(c, cuts, run));
    if (refused) {
      EXPECT_EQ(run.result.status, NDIS_STATUS_NOT_SUPPORTED);
      EXPECT_TRUE(run.result.wire.empty());
      EXPECT_TRUE(run.iv_requests.empty()) << "a refused send drew an IV";
      continue;
    }
    ASSERT_EQ(run.result.status, NDIS_STATUS_SUCCESS) << c.at("description").get<std::string>();
    EXPECT_EQ(ToHex(run.result.wire), ToHex(expected)) << c.at("layout").get<std::string>();
  }
}

INSTANTIATE_TEST_SUITE_P(Samples, IndependentCase, ::testing::Range<std::size_t>(0, 62),
                         [](const ::testing::TestParamInfo<std::size_t>& param) {
                           std::string id = IndependentCases().is_array() && param.param < IndependentCases().size()
                                                ? IndependentCases()[param.param].value("id", "case")
                                                : "case";
                           std::replace_if(id.begin(), id.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
                           return id;
                         });

TEST(SampleNic, SamplesFileIsThere) {
  ASSERT_TRUE(IndependentCases().is_array()) << TestDataPath("samples/independent-cases.json");
  EXPECT_EQ(IndependentCases().size(), 62u);
}

const json* CaseById(std::string_view id) {
  for (const json& c : IndependentCases()) {
    if (c.value("id", "") == id) return &c;
  }
  return nullptr;
}

// Transport SA first, then tunnel SA; within a bundle ESP (index 0) before AH [S1][S7].
TEST(SampleNic, IvsAreDrawnTransportFirstThenTunnelEspBeforeAh) {
  const json* c = CaseById("sample-nested-025");  // transport ESP inside tunnel AH+ESP bundle
  ASSERT_NE(c, nullptr);
  CaseRun run;
  ASSERT_TRUE(RunCase(*c, {}, run));
  ASSERT_EQ(run.result.status, NDIS_STATUS_SUCCESS);
  const NDIS_HANDLE transport = run.handles.at(c->at("offload_handle").get<std::string>());
  const NDIS_HANDLE tunnel = run.handles.at(c->at("next_offload_handle").get<std::string>());
  ASSERT_EQ(run.iv_requests.size(), 2u);
  EXPECT_EQ(run.iv_requests[0], std::make_pair(transport, ULONG{0}));
  EXPECT_EQ(run.iv_requests[1], std::make_pair(tunnel, ULONG{0}));
}

TEST(SampleNic, EthernetEncapsulationProcessesFourteenBytesIn) {
  const json* c = CaseById("sample-bundle-transport-003");
  ASSERT_NE(c, nullptr);
  const Bytes ethernet = Hex("02 00 00 00 00 01 02 00 00 00 00 02 08 00");
  CaseRun run;
  ASSERT_TRUE(RunCase(*c, {3, 14, 15, 40}, run, IEEE_802_3_Encapsulation, ethernet));
  ASSERT_EQ(run.result.status, NDIS_STATUS_SUCCESS);
  Bytes expected = ethernet;
  const Bytes ip = Hex(c->at("expected_ip").get<std::string>());
  expected.insert(expected.end(), ip.begin(), ip.end());
  EXPECT_EQ(ToHex(run.result.wire), ToHex(expected));

  Bytes ipv6_ethertype = ethernet;
  ipv6_ethertype[12] = 0x86;
  ipv6_ethertype[13] = 0xdd;
  ASSERT_TRUE(RunCase(*c, {}, run, IEEE_802_3_Encapsulation, ipv6_ethertype));
  EXPECT_EQ(run.result.status, NDIS_STATUS_INVALID_PACKET);
  EXPECT_TRUE(run.result.wire.empty());
}

// ---- Contract rules through the ABI ---------------------------------------------------------

// An ESP transport SA (AES-128-CBC + HMAC-SHA1-96) and a packet framed for it by hand.
struct EspFixture {
  Element element{ENCRYPT, 0x1234,
                  IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, Hex("000102030405060708090a0b0c0d0e0f"),
                  OFFLOAD_IPSEC_INTEGRITY_SHA, Hex("0102030405060708090a0b0c0d0e0f1011121314"), std::nullopt};
  static constexpr std::size_t kPayload = 30;  // + 2 trailer = 32: two AES blocks
  // IPv4 (UDP inside ESP), ESP header, zero IV, payload, pad length 0, next header 17, zero ICV.
  Bytes Frame(std::uint8_t flags_byte = 0x40, const Bytes& options = {}) const {
    const std::size_t header = 20 + options.size();
    const std::size_t total = header + 8 + 16 + kPayload + 2 + 12;
    Bytes f = {0x45, 0x00, 0, 0, 0x12, 0x34, flags_byte, 0x00, 64, 50, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7};
    f[0] = static_cast<std::uint8_t>(0x40 | header / 4);
    f[2] = static_cast<std::uint8_t>(total >> 8);
    f[3] = static_cast<std::uint8_t>(total);
    f.insert(f.end(), options.begin(), options.end());
    const Bytes esp = {0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x01};
    f.insert(f.end(), esp.begin(), esp.end());
    f.insert(f.end(), 16, 0);  // IV space
    for (std::size_t i = 0; i < kPayload; ++i) f.push_back(static_cast<std::uint8_t>(i * 7));
    f.push_back(0);   // pad length
    f.push_back(17);  // next header
    f.insert(f.end(), 12, 0);  // ICV space
    return f;
  }
  SaRequest Request(bool tunnel = false) const { return SaRequest{{element}, tunnel, OFFLOAD_OUTBOUND_SA, false}; }
};

// Decrypts and verifies an AES-128-CBC + HMAC-SHA1-96 ESP frame from EspFixture with plain EVP
// calls, so a NIC-chosen IV is checked too.
::testing::AssertionResult DecryptsToInput(const EspFixture& fixture, const Bytes& input, const Bytes& wire) {
  if (wire.size() != input.size()) return ::testing::AssertionFailure() << "length " << wire.size();
  const std::size_t esp = 20, iv = esp + 8, payload = iv + 16, icv = wire.size() - 12;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha1(), fixture.element.integrity_key.data(), static_cast<int>(fixture.element.integrity_key.size()),
       wire.data() + esp, icv - esp, mac, &mac_length);
  if (std::memcmp(mac, wire.data() + icv, 12) != 0) return ::testing::AssertionFailure() << "ICV does not verify";
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  Bytes plain(icv - payload);
  int written = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, fixture.element.conf_key.data(), wire.data() + iv) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.data(), &written, wire.data() + payload, static_cast<int>(plain.size())) != 1) {
    return ::testing::AssertionFailure() << "decryption failed";
  }
  if (!std::equal(plain.begin(), plain.end(), input.begin() + static_cast<std::ptrdiff_t>(payload))) {
    return ::testing::AssertionFailure() << "plaintext differs";
  }
  if (!std::equal(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(iv), input.begin())) {
    return ::testing::AssertionFailure() << "IPv4 or ESP header changed";
  }
  return ::testing::AssertionSuccess();
}

TEST(SampleNic, ExportsOnlyTheEntryPoint) {
  ASSERT_NE(SampleNic().entry, nullptr) << dlerror();
  EXPECT_EQ(SampleNic().entry->AbiVersion, static_cast<ULONG>(SENDPATH_CANDIDATE_ABI_VERSION));
  EXPECT_GE(SampleNic().entry->Size, sizeof(SENDPATH_CANDIDATE_ENTRY));
  EXPECT_NE(SampleNic().entry->SetIvCallback, nullptr);
  EXPECT_EQ(dlsym(SampleNic().library.get(), "SnMiniportSend"), nullptr);
  EXPECT_EQ(dlsym(SampleNic().library.get(), "SnAddSa"), nullptr);
}

TEST(SampleNic, OptionsAreCheckedAtCreate) {
  EXPECT_EQ(Adapter("sa_capacity=0").create_status(), NDIS_STATUS_INVALID_DATA);
  EXPECT_EQ(Adapter("sa_capacity=12x").create_status(), NDIS_STATUS_INVALID_DATA);
  EXPECT_EQ(Adapter("turbo=1").create_status(), NDIS_STATUS_NOT_SUPPORTED);
  EXPECT_TRUE(Adapter("sa_capacity=8").ok());
}

TEST(SampleNic, QueryReportsIpsecAndTheExtensionAndAsksForRoom) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  Bytes answer;
  EXPECT_EQ(adapter.Query(answer, 16), NDIS_STATUS_BUFFER_TOO_SHORT);
  EXPECT_GT(adapter.needed(), 16u);
  const ULONG needed = adapter.needed();
  ASSERT_EQ(adapter.Query(answer, needed), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(answer.size(), needed);
  const Capabilities caps = Reported(adapter);
  EXPECT_EQ(caps.task.V4ESP.Send, 1u);
  EXPECT_EQ(caps.task.V4AH.Send, 1u);
  EXPECT_EQ(caps.task.V4ESP.Receive, 0u);  // a send-path model
  // The four UDP-ESP subtypes of the OTHER encapsulation, none of the reserved IKE ones.
  EXPECT_EQ(caps.task.Supported.RESERVED, IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER | IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER |
                                              IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER |
                                              IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER);
  EXPECT_NE(caps.extension.EncryptionAlgorithms & IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256, 0u);
  EXPECT_NE(caps.extension.Flags & SENDPATH_EXT_KEYMAT_INTEGRITY_FIRST, 0u);
}

TEST(SampleNic, OnlyTheFirstTaskOffloadSetCounts) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  Capabilities caps = Reported(adapter);
  EXPECT_EQ(adapter.Set(caps, IEEE_802_5_Encapsulation), NDIS_STATUS_NOT_SUPPORTED);
  Capabilities too_much = caps;
  too_much.task.V4ESP.Receive = 1;  // not reported
  EXPECT_EQ(adapter.Set(too_much), NDIS_STATUS_NOT_SUPPORTED);
  Capabilities without_aes = caps;
  without_aes.extension.EncryptionAlgorithms &= ~static_cast<ULONG>(IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128);
  ASSERT_EQ(adapter.Set(without_aes), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(adapter.Set(caps), NDIS_STATUS_FAILURE);  // [S16c]
  // The failed second set changed nothing: AES-CBC-128 is still not enabled.
  EspFixture esp;
  NDIS_HANDLE handle = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &handle), NDIS_STATUS_SUCCESS);
  const SendResult sent = adapter.Send(esp.Frame(), {}, Info(handle));
  EXPECT_EQ(sent.status, NDIS_STATUS_NOT_SUPPORTED);
  EXPECT_TRUE(sent.wire.empty());
}

TEST(SampleNic, NoInfoOrZeroHandleSendsTheFrameUnchanged) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  const Bytes garbage = Hex("0102030405060708090a");
  SendResult sent = adapter.Send(garbage, {3}, std::nullopt);
  EXPECT_EQ(sent.status, NDIS_STATUS_SUCCESS);
  EXPECT_EQ(sent.wire, garbage);
  sent = adapter.Send(garbage, {}, Info(nullptr));
  EXPECT_EQ(sent.status, NDIS_STATUS_SUCCESS);
  EXPECT_EQ(sent.wire, garbage);
  sent = adapter.Send(garbage, {}, Info(nullptr, reinterpret_cast<NDIS_HANDLE>(0x1234)));
  EXPECT_EQ(sent.status, NDIS_STATUS_INVALID_PACKET);
  EXPECT_TRUE(sent.wire.empty());
}

TEST(SampleNic, UnknownDeletedAndInboundHandlesFail) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
  EspFixture esp;
  const Bytes frame = esp.Frame();
  NDIS_HANDLE outbound = nullptr, inbound = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &outbound), NDIS_STATUS_SUCCESS);
  SaRequest in = esp.Request();
  in.flags = OFFLOAD_INBOUND_SA;
  ASSERT_EQ(adapter.AddSa(in, &inbound), NDIS_STATUS_SUCCESS);
  EXPECT_NE(outbound, inbound);

  IvQueue ivs;
  ivs.ivs[outbound].push_back(Bytes(16, 0xab));
  EXPECT_EQ(adapter.Send(frame, {}, Info(outbound), &ivs).status, NDIS_STATUS_SUCCESS);
  for (NDIS_HANDLE bad : {inbound, reinterpret_cast<NDIS_HANDLE>(0xdead0000), reinterpret_cast<NDIS_HANDLE>(1)}) {
    IvQueue none;
    const SendResult sent = adapter.Send(frame, {}, Info(bad), &none);
    EXPECT_EQ(sent.status, NDIS_STATUS_FAILURE) << bad;
    EXPECT_TRUE(sent.wire.empty());
    EXPECT_TRUE(none.requests.empty()) << "a refused send drew an IV";
  }
  EXPECT_EQ(adapter.DeleteSa(outbound), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(adapter.DeleteSa(outbound), NDIS_STATUS_FAILURE);
  const SendResult after_delete = adapter.Send(frame, {}, Info(outbound));
  EXPECT_EQ(after_delete.status, NDIS_STATUS_FAILURE);
  EXPECT_TRUE(after_delete.wire.empty());
  // A new SA in the freed slot gets a new handle; the old one stays dead.
  NDIS_HANDLE again = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &again), NDIS_STATUS_SUCCESS);
  EXPECT_NE(again, outbound);
  EXPECT_EQ(adapter.Send(frame, {}, Info(outbound)).status, NDIS_STATUS_FAILURE);
  EXPECT_EQ(adapter.Send(frame, {}, Info(again)).status, NDIS_STATUS_SUCCESS);
}

// ---- UDP-encapsulated ESP (RFC 3948) ----------------------------------------------------------

// EspFixture's frame with a UDP header between IPv4 and ESP (RFC 3948 2.1): source port
// `source_port`, UDP Length + `length_delta`, and a non-zero checksum the NIC must leave alone.
Bytes UdpEspFrame(const Bytes& esp_frame, std::uint16_t source_port = 4500, int length_delta = 0) {
  Bytes f = esp_frame;
  const std::size_t udp_length = f.size() - 20 + 8;
  const Bytes udp = {static_cast<std::uint8_t>(source_port >> 8), static_cast<std::uint8_t>(source_port), 0x11, 0x94,
                     static_cast<std::uint8_t>((udp_length + static_cast<std::size_t>(length_delta)) >> 8),
                     static_cast<std::uint8_t>(udp_length + static_cast<std::size_t>(length_delta)), 0xbe, 0xef};
  f.insert(f.begin() + 20, udp.begin(), udp.end());
  f[2] = static_cast<std::uint8_t>(f.size() >> 8);
  f[3] = static_cast<std::uint8_t>(f.size());
  f[9] = 17;
  return f;
}

TEST(SampleNic, UdpEspIsPlainEspBehindAnUntouchedUdpHeader) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
  EspFixture esp;
  NDIS_HANDLE plain = nullptr, udp = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &plain), NDIS_STATUS_SUCCESS);
  ASSERT_EQ(adapter.AddUdpEspSa(esp.Request(), &udp, nullptr), NDIS_STATUS_SUCCESS);
  ASSERT_NE(udp, nullptr);
  IvQueue plain_ivs;
  plain_ivs.ivs[plain].push_back(Bytes(16, 0x5c));
  const SendResult sealed = adapter.Send(esp.Frame(), {}, Info(plain), &plain_ivs);
  ASSERT_EQ(sealed.status, NDIS_STATUS_SUCCESS);
  // The same keys and IV behind UDP: the same ESP bytes, the UDP header as framed, whatever the
  // NDIS_BUFFER cuts (inside the UDP header, at the UDP/ESP boundary, inside SPI and IV).
  const Bytes frame = UdpEspFrame(esp.Frame());
  const Bytes expected = UdpEspFrame(sealed.wire);
  for (const std::vector<std::size_t>& cuts : std::vector<std::vector<std::size_t>>{{}, {23}, {28}, {30, 38}, EveryNBytes(1, 200)}) {
    IvQueue ivs;
    ivs.ivs[udp].push_back(Bytes(16, 0x5c));
    const SendResult sent = adapter.Send(frame, cuts, Info(udp), &ivs);
    ASSERT_EQ(sent.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(ToHex(sent.wire), ToHex(expected)) << cuts.size() << " cuts";
  }
  // Framing that disagrees with the SA: nothing goes out.
  Bytes marker = frame;
  std::fill(marker.begin() + 28, marker.begin() + 32, 0);  // RFC 3948 2.2 non-ESP marker
  const std::vector<std::pair<std::string, std::pair<Bytes, NDIS_HANDLE>>> bad = {
      {"plain ESP on a UDP-ESP SA", {esp.Frame(), udp}},
      {"UDP-ESP on a plain SA", {frame, plain}},
      {"source port 4501", {UdpEspFrame(esp.Frame(), 4501), udp}},
      {"UDP Length + 1", {UdpEspFrame(esp.Frame(), 4500, 1), udp}},
      {"UDP Length - 1", {UdpEspFrame(esp.Frame(), 4500, -1), udp}},
      {"non-ESP marker", {marker, udp}},
  };
  for (const auto& [what, send] : bad) {
    const SendResult sent = adapter.Send(send.first, {}, Info(send.second));
    EXPECT_EQ(sent.status, NDIS_STATUS_INVALID_PACKET) << what;
    EXPECT_TRUE(sent.wire.empty()) << what;
  }
}

TEST(SampleNic, UdpEspParserEntriesAndDeletes) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
  EspFixture esp;
  SaRequest inbound = esp.Request();
  inbound.flags = OFFLOAD_INBOUND_SA;
  // NULL creates an entry; naming it shares it (the field stays); an unknown one fails.
  NDIS_HANDLE in1 = nullptr, in2 = nullptr, entry = nullptr;
  ASSERT_EQ(adapter.AddUdpEspSa(inbound, &in1, &entry), NDIS_STATUS_SUCCESS);
  ASSERT_NE(entry, nullptr);
  EXPECT_NE(entry, in1);
  NDIS_HANDLE named = entry;
  ASSERT_EQ(adapter.AddUdpEspSa(inbound, &in2, &named), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(named, entry);
  NDIS_HANDLE unknown = reinterpret_cast<NDIS_HANDLE>(0x7770001);
  EXPECT_EQ(adapter.AddUdpEspSa(inbound, nullptr, &unknown), NDIS_STATUS_FAILURE);
  // An outbound SA ignores the entry fields and leaves them as they were.
  NDIS_HANDLE out = nullptr, ignored = unknown;
  ASSERT_EQ(adapter.AddUdpEspSa(esp.Request(), &out, &ignored, OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER, 500), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(ignored, unknown);
  // An entry handle is no SA handle.
  EXPECT_EQ(adapter.Send(UdpEspFrame(esp.Frame()), {}, Info(entry)).status, NDIS_STATUS_FAILURE);
  // A UDP-ESP SA leaves only by DELETE_UDPESP_SA, a plain one only by DELETE_SA.
  NDIS_HANDLE plain = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &plain), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(adapter.DeleteSa(out), NDIS_STATUS_FAILURE);
  EXPECT_EQ(adapter.DeleteUdpEspSa(plain, nullptr), NDIS_STATUS_FAILURE);
  // An unknown entry fails the delete and deletes nothing; with the entry both go.
  EXPECT_EQ(adapter.DeleteUdpEspSa(in1, unknown), NDIS_STATUS_FAILURE);
  EXPECT_EQ(adapter.DeleteUdpEspSa(in1, entry), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(adapter.DeleteUdpEspSa(in1, nullptr), NDIS_STATUS_FAILURE);
  named = entry;
  EXPECT_EQ(adapter.AddUdpEspSa(inbound, nullptr, &named), NDIS_STATUS_FAILURE);
  EXPECT_EQ(adapter.DeleteUdpEspSa(in2, nullptr), NDIS_STATUS_SUCCESS);
  // A deleted outbound UDP-ESP SA sends nothing.
  IvQueue ivs;
  ivs.ivs[out].push_back(Bytes(16, 1));
  EXPECT_EQ(adapter.Send(UdpEspFrame(esp.Frame()), {}, Info(out), &ivs).status, NDIS_STATUS_SUCCESS);
  EXPECT_EQ(adapter.DeleteUdpEspSa(out, nullptr), NDIS_STATUS_SUCCESS);
  const SendResult after = adapter.Send(UdpEspFrame(esp.Frame()), {}, Info(out));
  EXPECT_EQ(after.status, NDIS_STATUS_FAILURE);
  EXPECT_TRUE(after.wire.empty());
}

TEST(SampleNic, UdpEspRefusalsAndSubtypeGating) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  Capabilities caps = Reported(adapter);
  caps.task.Supported.RESERVED = IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER;  // the transport subtype not enabled
  ASSERT_EQ(adapter.Set(caps), NDIS_STATUS_SUCCESS);
  EspFixture esp;
  NDIS_HANDLE handle = nullptr;
  EXPECT_EQ(adapter.AddUdpEspSa(esp.Request(), &handle, nullptr, OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_IKE), NDIS_STATUS_NOT_SUPPORTED);
  SaRequest inbound = esp.Request();
  inbound.flags = OFFLOAD_INBOUND_SA;
  EXPECT_EQ(adapter.AddUdpEspSa(inbound, &handle, nullptr, OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER, 500), NDIS_STATUS_NOT_SUPPORTED);
  SaRequest zero_spi = esp.Request();
  zero_spi.bundle[0].spi = 0;
  EXPECT_EQ(adapter.AddUdpEspSa(zero_spi, &handle, nullptr), NDIS_STATUS_INVALID_DATA);
  const Element ah{AUTHENTICATE, 0x99, OFFLOAD_IPSEC_CONF_NONE, {}, OFFLOAD_IPSEC_INTEGRITY_SHA,
                   Hex("0102030405060708090a0b0c0d0e0f1011121314"), std::nullopt};
  EXPECT_EQ(adapter.AddUdpEspSa(SaRequest{{ah}, false, OFFLOAD_OUTBOUND_SA, false}, &handle, nullptr), NDIS_STATUS_NOT_SUPPORTED);
  // Reported but not enabled: the transport subtype's sends are not offloaded.
  ASSERT_EQ(adapter.AddUdpEspSa(esp.Request(), &handle, nullptr), NDIS_STATUS_SUCCESS);
  const SendResult sent = adapter.Send(UdpEspFrame(esp.Frame()), {}, Info(handle));
  EXPECT_EQ(sent.status, NDIS_STATUS_NOT_SUPPORTED);
  EXPECT_TRUE(sent.wire.empty());
}

TEST(SampleNic, NoSetMeansNoOffload) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  EspFixture esp;
  NDIS_HANDLE handle = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &handle), NDIS_STATUS_SUCCESS);
  const SendResult sent = adapter.Send(esp.Frame(), {}, Info(handle));
  EXPECT_EQ(sent.status, NDIS_STATUS_NOT_SUPPORTED);
  EXPECT_TRUE(sent.wire.empty());
}

TEST(SampleNic, FragmentsAndUnenabledOptionsAreNotOffloaded) {
  EspFixture esp;
  const Bytes router_alert = {148, 4, 0, 0};
  {
    Adapter adapter;
    ASSERT_TRUE(adapter.ok());
    ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
    NDIS_HANDLE handle = nullptr;
    ASSERT_EQ(adapter.AddSa(esp.Request(), &handle), NDIS_STATUS_SUCCESS);
    for (std::uint8_t flags : {std::uint8_t{0x20}, std::uint8_t{0x00 | 0x01}}) {  // MF; offset 256
      const SendResult sent = adapter.Send(esp.Frame(flags), {}, Info(handle));
      EXPECT_EQ(sent.status, NDIS_STATUS_NOT_SUPPORTED) << int{flags};
      EXPECT_TRUE(sent.wire.empty());
    }
    EXPECT_EQ(adapter.Send(esp.Frame(0x40, router_alert), {}, Info(handle)).status, NDIS_STATUS_SUCCESS);
  }
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  Capabilities caps = Reported(adapter);
  caps.task.Supported.V4_OPTIONS = 0;
  ASSERT_EQ(adapter.Set(caps), NDIS_STATUS_SUCCESS);
  NDIS_HANDLE handle = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &handle), NDIS_STATUS_SUCCESS);
  const SendResult sent = adapter.Send(esp.Frame(0x40, router_alert), {}, Info(handle));
  EXPECT_EQ(sent.status, NDIS_STATUS_NOT_SUPPORTED);
  EXPECT_TRUE(sent.wire.empty());
}

TEST(SampleNic, FramingDisagreementsAreInvalidPackets) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
  EspFixture esp;
  NDIS_HANDLE handle = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &handle), NDIS_STATUS_SUCCESS);
  const Bytes good = esp.Frame();
  std::vector<std::pair<std::string, Bytes>> bad;
  bad.emplace_back("truncated by 4", Bytes(good.begin(), good.end() - 4));
  bad.emplace_back("19 bytes", Bytes(good.begin(), good.begin() + 19));
  Bytes spi = good;
  spi[23] ^= 1;
  bad.emplace_back("SPI", spi);
  Bytes protocol = good;
  protocol[9] = 17;
  bad.emplace_back("protocol UDP", protocol);
  Bytes pad = good;
  pad[good.size() - 14] = 200;
  bad.emplace_back("pad length 200", pad);
  Bytes version = good;
  version[0] = 0x65;
  bad.emplace_back("version 6", version);
  for (const auto& [what, frame] : bad) {
    for (const auto& cuts : {std::vector<std::size_t>{}, EveryNBytes(1, frame.size())}) {
      const SendResult sent = adapter.Send(frame, cuts, Info(handle));
      EXPECT_EQ(sent.status, NDIS_STATUS_INVALID_PACKET) << what;
      EXPECT_TRUE(sent.wire.empty()) << what;
    }
  }
}

TEST(SampleNic, OwnIvsAreFreshAndTheFrameDecrypts) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
  EspFixture esp;
  NDIS_HANDLE handle = nullptr;
  ASSERT_EQ(adapter.AddSa(esp.Request(), &handle), NDIS_STATUS_SUCCESS);
  const Bytes frame = esp.Frame();
  const SendResult first = adapter.Send(frame, {20, 30}, Info(handle));
  const SendResult second = adapter.Send(frame, {}, Info(handle));
  ASSERT_EQ(first.status, NDIS_STATUS_SUCCESS);
  ASSERT_EQ(second.status, NDIS_STATUS_SUCCESS);
  EXPECT_TRUE(DecryptsToInput(esp, frame, first.wire));
  EXPECT_TRUE(DecryptsToInput(esp, frame, second.wire));
  EXPECT_NE(Bytes(first.wire.begin() + 28, first.wire.begin() + 44), Bytes(second.wire.begin() + 28, second.wire.begin() + 44))
      << "the same IV twice";
}

TEST(SampleNic, BothKeyMatOrdersGiveTheSameFrame) {
  EspFixture esp;
  const Bytes frame = esp.Frame();
  std::vector<Bytes> outputs;
  for (bool integrity_first : {false, true}) {
    Adapter adapter;
    ASSERT_TRUE(adapter.ok());
    ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
    SaRequest request = esp.Request();
    request.integrity_first = integrity_first;
    NDIS_HANDLE handle = nullptr;
    ASSERT_EQ(adapter.AddSa(request, &handle), NDIS_STATUS_SUCCESS);
    IvQueue ivs;
    ivs.ivs[handle].push_back(Hex("f0e0d0c0b0a090807060504030201000"));
    const SendResult sent = adapter.Send(frame, {}, Info(handle), &ivs);
    ASSERT_EQ(sent.status, NDIS_STATUS_SUCCESS);
    EXPECT_TRUE(DecryptsToInput(esp, frame, sent.wire)) << (integrity_first ? "integrity first" : "conf first");
    outputs.push_back(sent.wire);
  }
  EXPECT_EQ(outputs[0], outputs[1]);
}

TEST(SampleNic, SaTableCapacityAndSlotReuse) {
  Adapter adapter("sa_capacity=3");
  ASSERT_TRUE(adapter.ok());
  ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
  EspFixture esp;
  std::vector<NDIS_HANDLE> handles(3);
  for (auto& h : handles) ASSERT_EQ(adapter.AddSa(esp.Request(), &h), NDIS_STATUS_SUCCESS);
  NDIS_HANDLE extra = nullptr;
  EXPECT_EQ(adapter.AddSa(esp.Request(), &extra), NDIS_STATUS_RESOURCES);
  ASSERT_EQ(adapter.DeleteSa(handles[1]), NDIS_STATUS_SUCCESS);
  ASSERT_EQ(adapter.AddSa(esp.Request(), &extra), NDIS_STATUS_SUCCESS);
  EXPECT_EQ(std::count(handles.begin(), handles.end(), extra), 0);
  EXPECT_EQ(adapter.Send(esp.Frame(), {}, Info(extra)).status, NDIS_STATUS_SUCCESS);
  EXPECT_EQ(adapter.Send(esp.Frame(), {}, Info(handles[0])).status, NDIS_STATUS_SUCCESS);
}

TEST(SampleNic, AddSaRefusalsFollowTheOidTable) {
  Adapter adapter;
  ASSERT_TRUE(adapter.ok());
  Capabilities caps = Reported(adapter);
  caps.extension.Flags &= ~static_cast<ULONG>(SENDPATH_EXT_ENCRYPTION_ONLY_ESP);  // [S5] applies
  ASSERT_EQ(adapter.Set(caps), NDIS_STATUS_SUCCESS);
  EspFixture esp;
  NDIS_HANDLE h = nullptr;
  const Element ah{AUTHENTICATE, 0x99, 0, {}, OFFLOAD_IPSEC_INTEGRITY_MD5, Bytes(16, 0x11), std::nullopt};

  EXPECT_EQ(adapter.AddSa(esp.Request(), &h, ULONG{100}), NDIS_STATUS_INVALID_LENGTH);
  EXPECT_EQ(adapter.AddSa(esp.Request(), &h, ULONG{offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat) + 10}), NDIS_STATUS_INVALID_LENGTH);
  SaRequest flags = esp.Request();
  flags.flags = 3;
  EXPECT_EQ(adapter.AddSa(flags, &h), NDIS_STATUS_INVALID_DATA);
  SaRequest three = esp.Request();
  three.bundle = {esp.element, ah, ah};
  EXPECT_EQ(adapter.AddSa(three, &h), NDIS_STATUS_INVALID_DATA);
  SaRequest ah_first = esp.Request();
  ah_first.bundle = {ah, esp.element};
  EXPECT_EQ(adapter.AddSa(ah_first, &h), NDIS_STATUS_NOT_SUPPORTED);  // [S7]
  SaRequest short_key = esp.Request();
  short_key.bundle[0].conf_key.pop_back();
  EXPECT_EQ(adapter.AddSa(short_key, &h), NDIS_STATUS_INVALID_DATA);
  SaRequest gcm_hmac = esp.Request();
  gcm_hmac.bundle[0].conf = IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128;
  gcm_hmac.bundle[0].conf_key = Bytes(20, 0x22);
  EXPECT_EQ(adapter.AddSa(gcm_hmac, &h), NDIS_STATUS_INVALID_DATA);
  SaRequest gcm_gmac = gcm_hmac;  // GCM with the GMAC of its size and no key of its own
  gcm_gmac.bundle[0].integrity = IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128;
  gcm_gmac.bundle[0].integrity_key.clear();
  EXPECT_EQ(adapter.AddSa(gcm_gmac, &h), NDIS_STATUS_SUCCESS);
  SaRequest encryption_only = esp.Request();
  encryption_only.bundle[0].integrity = OFFLOAD_IPSEC_INTEGRITY_NONE;
  encryption_only.bundle[0].integrity_key.clear();
  EXPECT_EQ(adapter.AddSa(encryption_only, &h), NDIS_STATUS_NOT_SUPPORTED);  // [S5]
  SaRequest ah_with_conf = esp.Request();
  ah_with_conf.bundle = {ah};
  ah_with_conf.bundle[0].conf_key = Bytes(24, 1);
  EXPECT_EQ(adapter.AddSa(ah_with_conf, &h), NDIS_STATUS_INVALID_DATA);
  SaRequest null_null = esp.Request();
  null_null.bundle[0].conf = OFFLOAD_IPSEC_CONF_NONE;
  null_null.bundle[0].conf_key.clear();
  null_null.bundle[0].integrity = OFFLOAD_IPSEC_INTEGRITY_NONE;
  null_null.bundle[0].integrity_key.clear();
  EXPECT_EQ(adapter.AddSa(null_null, &h), NDIS_STATUS_INVALID_DATA);
  SaRequest unknown = esp.Request();
  unknown.bundle[0].conf = OFFLOAD_IPSEC_CONF_RESERVED;
  EXPECT_EQ(adapter.AddSa(unknown, &h), NDIS_STATUS_INVALID_DATA);
  EXPECT_EQ(adapter.DeleteSa(reinterpret_cast<NDIS_HANDLE>(0x777)), NDIS_STATUS_FAILURE);
}

// draft-mcgrew-gcm-test-01 cases with a 64-bit sequence number: the high 32 bits reach the NIC
// through SENDPATH_ADD_SA_EXTENSION and enter the AAD only (RFC 4106 5).
TEST(SampleNic, GcmExtendedSequenceNumberKnownAnswers) {
  const json kat = ReadJson(TestDataPath("kat/draft_mcgrew_gcm_test_01_esp.json"));
  ASSERT_TRUE(kat.is_object());
  int checked = 0;
  for (const json& v : kat.at("vectors")) {
    if (!v.value("esn", false) || v.at("algorithm").get<std::string>().find("GCM") == std::string::npos) continue;
    SCOPED_TRACE(v.at("case").dump());
    const Bytes keymat = Hex(v.at("keymat").get<std::string>());
    const Bytes seq = Hex(v.at("seq").get<std::string>());
    const Bytes plain = Hex(v.at("plaintext_with_esp_trailer").get<std::string>());
    const Bytes expected_esp = Hex(v.at("expected_esp_packet").get<std::string>());
    ASSERT_EQ(seq.size(), 8u);
    const ULONG conf = keymat.size() == 20   ? IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128
                       : keymat.size() == 28 ? IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192
                                             : IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256;
    const ULONG high = static_cast<ULONG>(seq[0]) << 24 | static_cast<ULONG>(seq[1]) << 16 | static_cast<ULONG>(seq[2]) << 8 | seq[3];
    Element element{ENCRYPT, v.at("spi_int").get<ULONG>(), conf, keymat, OFFLOAD_IPSEC_INTEGRITY_NONE, {}, high};
    // The ESP packet the transport framed: SPI, low sequence number, zero IV, plaintext, zero ICV.
    Bytes esp_packet(expected_esp.begin(), expected_esp.begin() + 8);
    esp_packet.insert(esp_packet.end(), 8, 0);
    esp_packet.insert(esp_packet.end(), plain.begin(), plain.end());
    esp_packet.insert(esp_packet.end(), 16, 0);
    ASSERT_EQ(esp_packet.size(), expected_esp.size());
    const std::size_t total = 20 + esp_packet.size();
    Bytes frame = {0x45, 0, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total), 0, 1, 0, 0, 64, 50, 0, 0,
                   10, 0, 0, 1, 10, 0, 0, 2};
    frame.insert(frame.end(), esp_packet.begin(), esp_packet.end());

    Adapter adapter;
    ASSERT_TRUE(adapter.ok());
    ASSERT_EQ(adapter.Set(Reported(adapter)), NDIS_STATUS_SUCCESS);
    NDIS_HANDLE handle = nullptr;
    ASSERT_EQ(adapter.AddSa(SaRequest{{element}, false, OFFLOAD_OUTBOUND_SA, false}, &handle), NDIS_STATUS_SUCCESS);
    IvQueue ivs;
    ivs.ivs[handle].push_back(Hex(v.at("iv").get<std::string>()));
    const SendResult sent = adapter.Send(frame, {21, 30}, Info(handle), &ivs);
    ASSERT_EQ(sent.status, NDIS_STATUS_SUCCESS);
    ASSERT_EQ(sent.wire.size(), frame.size());
    EXPECT_EQ(ToHex(std::span(sent.wire).subspan(20)), ToHex(expected_esp));
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
