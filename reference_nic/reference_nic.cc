#include "reference_nic/reference_nic.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "reference_nic/crypto.h"
#include "reference_nic/ipv4.h"

namespace sendpath::nic {
namespace {

using detail::CipherAlgorithm;
using detail::CipherInfo;
using detail::IntegrityAlgorithm;
using detail::IntegrityInfo;
using detail::Ipv4Header;
using detail::LoadBe32;
using detail::ParseFailure;

constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kAhFixedHeader = 12;   // Next Header .. Sequence Number (RFC 4302 2)
constexpr std::size_t kEspHeader = 8;        // SPI, Sequence Number (RFC 4303 2)
constexpr std::size_t kEspTrailer = 2;       // Pad Length, Next Header
// Handles look like kernel pointers and are never reused: a deleted handle stays invalid.
constexpr std::uintptr_t kFirstHandle = 0x5a0010;
constexpr std::uintptr_t kHandleStep = 0x10;
constexpr std::uintptr_t kParserEntryTag = 0x8;  // parser entry handles: an SA handle's slot + 8

std::uintptr_t HandleValue(NDIS_HANDLE handle) { return reinterpret_cast<std::uintptr_t>(handle); }
NDIS_HANDLE MakeHandle(std::uintptr_t value) { return reinterpret_cast<NDIS_HANDLE>(value); }

OidResult Refuse(Reason reason, std::string detail = {}) {
  return OidResult{StatusOf(reason), reason, std::move(detail)};
}

SendResult RefuseSend(Reason reason, std::size_t offset) { return SendResult{StatusOf(reason), reason, 0, offset}; }

// One element of an SA bundle with its keys scheduled.
struct SecAssoc {
  OFFLOAD_OPERATION_E operation = ENCRYPT;
  std::uint32_t spi = 0;
  CipherAlgorithm cipher = CipherAlgorithm::kNull;
  IntegrityAlgorithm integrity = IntegrityAlgorithm::kNone;
  bool esn = false;
  std::uint32_t sequence_high = 0;
  detail::CipherKey cipher_key;
  detail::IntegrityKey integrity_key;

  bool is_esp() const { return operation == ENCRYPT; }
  // ESP's IV belongs to its cipher, or with ENCR_NULL_AUTH_AES_GMAC to the GMAC (RFC 4543 3.1).
  std::size_t IvLength() const {
    return std::max(is_esp() ? detail::InfoOf(cipher).iv_length : 0, detail::InfoOf(integrity).iv_length);
  }
  std::size_t IcvLength() const {
    if (is_esp() && detail::IsGcm(cipher)) return detail::InfoOf(cipher).icv_length;
    return detail::InfoOf(integrity).icv_length;
  }
};

struct SaEntry {
  NDIS_HANDLE handle = nullptr;
  bool outbound = true;
  bool tunnel = false;  // SrcTunnelAddr/DestTunnelAddr set: the SA covers the tunnel portion
  int count = 0;
  int esp_index = -1;  // positions in `elements`, -1 when absent
  int ah_index = -1;
  std::array<SecAssoc, 2> elements;

  SecAssoc* Esp() { return esp_index < 0 ? nullptr : &elements[static_cast<std::size_t>(esp_index)]; }
  SecAssoc* Ah() { return ah_index < 0 ? nullptr : &elements[static_cast<std::size_t>(ah_index)]; }
  const SecAssoc* Esp() const { return esp_index < 0 ? nullptr : &elements[static_cast<std::size_t>(esp_index)]; }
  const SecAssoc* Ah() const { return ah_index < 0 ? nullptr : &elements[static_cast<std::size_t>(ah_index)]; }
  bool udp_esp = false;              // added by OID_TCP_TASK_IPSEC_ADD_UDPESP_SA
  std::uintptr_t parser_entry = 0;   // inbound UDP-ESP: the parser entry it was added with
  // ESP with no ICV and no AH beside it: IPsec without authentication (contract section 3).
  bool Unauthenticated() const { return Ah() == nullptr && Esp() != nullptr && Esp()->IcvLength() == 0; }
};

// Where one portion's IPsec headers sit in the frame, found and checked before anything changes.
struct PortionLayout {
  SaEntry* sa = nullptr;
  Ipv4Header ip;
  std::size_t end = 0;  // end of the portion: the IPv4 total length
  std::size_t udp_offset = 0;  // UDP-ESP: the UDP header before ESP (RFC 3948 2.1), else 0
  std::size_t ah_offset = 0, ah_length = 0;
  std::size_t esp_offset = 0, esp_payload = 0, esp_icv = 0;
  std::uint8_t next_header = 0;  // of what the portion protects
  std::size_t payload_offset = 0, payload_end = 0;  // what the portion protects, without trailer
};

bool CipherSupported(const Capabilities& caps, CipherAlgorithm cipher) {
  switch (cipher) {
    case CipherAlgorithm::kNull: return caps.task.V4ESP.NULL_ESP != 0;
    case CipherAlgorithm::kDesCbc: return caps.task.V4ESP.DES != 0;
    case CipherAlgorithm::kTripleDesCbc: return caps.task.V4ESP.TRIPLE_DES != 0;
    default: return (caps.extension.EncryptionAlgorithms & detail::InfoOf(cipher).identifier) != 0;
  }
}

bool IntegritySupported(const Capabilities& caps, IntegrityAlgorithm integrity) {
  switch (integrity) {
    case IntegrityAlgorithm::kNone: return true;
    // The V4AH algorithm bits name the keyed integrity usable for AH and ESP ICVs alike [S11].
    case IntegrityAlgorithm::kHmacMd5_96: return caps.task.V4AH.MD5 != 0;
    case IntegrityAlgorithm::kHmacSha1_96: return caps.task.V4AH.SHA_1 != 0;
    default: return (caps.extension.AuthenticationAlgorithms & detail::InfoOf(integrity).identifier) != 0;
  }
}

bool ModeSupported(const Capabilities& caps, bool esp, bool tunnel) {
  if (esp) return (tunnel ? caps.task.V4ESP.Tunnel : caps.task.V4ESP.Transport) != 0;
  return (tunnel ? caps.task.V4AH.Tunnel : caps.task.V4AH.Transport) != 0;
}

// Everything an SA needs from a capability set: used against the reported set at add time and
// against the enabled set at send time.
Reason CheckSaCapabilities(const Capabilities& caps, const SaEntry& sa, bool sending) {
  for (int i = 0; i < sa.count; ++i) {
    const SecAssoc& element = sa.elements[static_cast<std::size_t>(i)];
    const bool esp = element.is_esp();
    if (sending && (esp ? caps.task.V4ESP.Send : caps.task.V4AH.Send) == 0) {
      return Reason::kOffloadNotEnabled;
    }
    const Reason not_there = sending ? Reason::kCapabilityNotEnabled : Reason::kAlgorithmNotSupported;
    if (esp && !CipherSupported(caps, element.cipher)) return not_there;
    if (!IntegritySupported(caps, element.integrity)) return not_there;
    if (!ModeSupported(caps, esp, sa.tunnel)) return sending ? Reason::kCapabilityNotEnabled : Reason::kModeNotSupported;
    if (element.esn && (caps.extension.Flags & SENDPATH_EXT_ESN) == 0) {
      return sending ? Reason::kCapabilityNotEnabled : Reason::kEsnNotSupported;
    }
  }
  if (sa.count == 2 && caps.task.Supported.AH_ESP_COMBINED == 0) {
    return sending ? Reason::kCapabilityNotEnabled : Reason::kAlgorithmNotSupported;
  }
  return Reason::kOk;
}

// The UDP-ESP subtype a send uses must be enabled [S15b][S15e]: which of the two SAs is
// UDP-encapsulated and whether a tunnel SA is involved decide the subtype.
Reason CheckUdpEspSubtype(const Capabilities& enabled, const SaEntry& first, const SaEntry* tunnel) {
  ULONG needed = 0;
  if (tunnel == nullptr) {
    if (first.udp_esp) needed = first.tunnel ? IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER : IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER;
  } else if (first.udp_esp && tunnel->udp_esp) {
    return Reason::kUdpEspOverUdpEsp;  // "not supported" [S15b]
  } else if (tunnel->udp_esp) {
    needed = IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER;
  } else if (first.udp_esp) {
    needed = IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER;
  }
  if (needed != 0 && (enabled.task.Supported.RESERVED & needed) == 0) return Reason::kCapabilityNotEnabled;
  return Reason::kOk;
}

}  // namespace

namespace {

// Bumped in every forked child, so IV pools filled before the fork are not reused after it.
std::atomic<unsigned> g_fork_generation{0};

unsigned ForkGeneration() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  return g_fork_generation.load(std::memory_order_relaxed);
}

}  // namespace

RandomIvSource::~RandomIvSource() { OPENSSL_cleanse(pool_, sizeof pool_); }

bool RandomIvSource::NextIv(NDIS_HANDLE, unsigned, MutableByteSpan iv) {
  if (iv.size() > kPoolBytes) return false;
  const unsigned generation = ForkGeneration();
  if (generation != fork_generation_ || kPoolBytes - used_ < iv.size()) {
    if (RAND_bytes(pool_, static_cast<int>(kPoolBytes)) != 1) return false;
    used_ = 0;
    fork_generation_ = generation;
  }
  std::memcpy(iv.data(), pool_ + used_, iv.size());
  OPENSSL_cleanse(pool_ + used_, iv.size());  // an IV handed out is never handed out again
  used_ += iv.size();
  return true;
}

struct ReferenceNic::State {
  NicOptions options;
  Capabilities reported;
  bool offload_set = false;
  Capabilities enabled{};
  std::size_t encapsulation_length = 0;  // 0: NULL_Encapsulation, 14: IEEE 802.3
  std::unordered_map<std::uintptr_t, SaEntry> sas;
  // UDP-ESP parser entries [S15a]: handle -> (encapsulation type, port). Their handles come
  // from the same never-reused sequence as SA handles.
  std::unordered_map<std::uintptr_t, OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY> parser_entries;
  std::uintptr_t next_handle = kFirstHandle;
  RandomIvSource random_ivs;
  IvSource* iv_source = &random_ivs;

  Reason Resolve(NDIS_HANDLE handle, SaEntry*& sa);
  Reason Apply(const PortionLayout& layout, MutableByteSpan frame);
  OidResult Prepare(const OFFLOAD_IPSEC_ADD_SA& request, ByteSpan key_mat, const SENDPATH_ADD_SA_EXTENSION* extension,
                    SaEntry& sa);
  std::uintptr_t NextHandle() {
    const std::uintptr_t handle = next_handle;
    next_handle += kHandleStep;
    return handle;
  }
};

ReferenceNic::ReferenceNic(NicOptions options) : state_(std::make_unique<State>()) {
  state_->reported = FullCapabilities();
  if (options.reported && IsSubset(*options.reported, state_->reported)) state_->reported = *options.reported;
  state_->options = std::move(options);
}

ReferenceNic::~ReferenceNic() = default;
ReferenceNic::ReferenceNic(ReferenceNic&&) noexcept = default;
ReferenceNic& ReferenceNic::operator=(ReferenceNic&&) noexcept = default;

Capabilities ReferenceNic::QueryCapabilities() const { return state_->reported; }

OidResult ReferenceNic::SetCapabilities(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& enabled) {
  // S16c: the transport enables everything with a single set; the miniport fails later ones.
  if (state_->offload_set) return Refuse(Reason::kOffloadAlreadySet);
  std::size_t header = 0;
  switch (encapsulation.Encapsulation) {
    case NULL_Encapsulation: header = 0; break;
    case IEEE_802_3_Encapsulation:
      header = kEthernetHeader;
      if (encapsulation.Flags.FixedHeaderSize && encapsulation.EncapsulationHeaderSize != kEthernetHeader) {
        return Refuse(Reason::kEncapsulationNotSupported, "IEEE 802.3 with EncapsulationHeaderSize " +
                                                              std::to_string(encapsulation.EncapsulationHeaderSize));
      }
      break;
    default:
      return Refuse(Reason::kEncapsulationNotSupported,
                    "Encapsulation " + std::to_string(static_cast<int>(encapsulation.Encapsulation)));
  }
  if (!IsSubset(enabled, state_->reported)) return Refuse(Reason::kCapabilityNotSupported);
  state_->offload_set = true;
  state_->enabled = enabled;
  state_->encapsulation_length = header;
  return {};
}

OidResult ReferenceNic::AddSa(OFFLOAD_IPSEC_ADD_SA& request, ByteSpan key_mat, const SENDPATH_ADD_SA_EXTENSION* extension) {
  std::vector<std::uint8_t> buffer(OFFLOAD_IPSEC_ADD_SA_SIZE(key_mat.size()));
  request.KeyLen = static_cast<ULONG>(key_mat.size());
  std::memcpy(buffer.data(), &request, offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat));
  if (!key_mat.empty()) std::memcpy(buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat), key_mat.data(), key_mat.size());
  OidResult result = AddSa(MutableByteSpan(buffer), extension);
  std::memcpy(&request.OffloadHandle, buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), sizeof(HANDLE));
  return result;
}

// Checks an ADD_SA / ADD_UDPESP_SA request and schedules its keys into `sa`; commits nothing.
OidResult ReferenceNic::State::Prepare(const OFFLOAD_IPSEC_ADD_SA& request, ByteSpan key_mat,
                                       const SENDPATH_ADD_SA_EXTENSION* extension, SaEntry& sa) {
  if (request.Flags != OFFLOAD_INBOUND_SA && request.Flags != OFFLOAD_OUTBOUND_SA) {
    return Refuse(Reason::kBadSaFlags, "Flags = " + std::to_string(request.Flags));
  }
  if (request.NumSAs < 1 || request.NumSAs > 2) {
    return Refuse(Reason::kBadNumSAs, "NumSAs = " + std::to_string(request.NumSAs));
  }
  const bool integrity_first = extension != nullptr && extension->KeyOrder == SENDPATH_KEYMAT_INTEGRITY_FIRST;
  if (extension != nullptr && extension->KeyOrder != SENDPATH_KEYMAT_CONF_FIRST && !integrity_first) {
    return Refuse(Reason::kKeyOrderNotSupported, "KeyOrder = " + std::to_string(extension->KeyOrder));
  }
  if (integrity_first && (reported.extension.Flags & SENDPATH_EXT_KEYMAT_INTEGRITY_FIRST) == 0) {
    return Refuse(Reason::kKeyOrderNotSupported);
  }

  sa.outbound = request.Flags == OFFLOAD_OUTBOUND_SA;
  sa.tunnel = request.SrcTunnelAddr != 0 || request.DestTunnelAddr != 0;
  sa.count = request.NumSAs;

  // Element checks; key material is consumed in SecAssoc order.
  std::size_t key_offset = 0;
  std::array<std::pair<ByteSpan, ByteSpan>, 2> keys;  // conf, integrity
  for (int i = 0; i < sa.count; ++i) {
    const auto index = static_cast<std::size_t>(i);
    const OFFLOAD_SECURITY_ASSOCIATION& in = request.SecAssoc[index];
    SecAssoc& element = sa.elements[index];
    const std::string where = "SecAssoc[" + std::to_string(i) + "]";
    if (in.Operation != AUTHENTICATE && in.Operation != ENCRYPT) {
      return Refuse(Reason::kBadOperation, where + ".Operation = " + std::to_string(static_cast<int>(in.Operation)));
    }
    element.operation = in.Operation;
    element.spi = in.SPI;
    const CipherInfo* cipher = nullptr;
    if (in.Operation == AUTHENTICATE) {
      if (in.ConfAlgo.algoIdentifier != 0 || in.ConfAlgo.algoKeylen != 0 || in.ConfAlgo.algoRounds != 0) {
        return Refuse(Reason::kAhHasConfAlgo, where + ".ConfAlgo must be all zeros for AH");
      }
      if (in.IntegrityAlgo.algoIdentifier == OFFLOAD_IPSEC_INTEGRITY_NONE) {
        return Refuse(Reason::kAhWithoutIntegrity, where + ".IntegrityAlgo");
      }
    } else {
      cipher = detail::FindCipher(in.ConfAlgo.algoIdentifier);
      if (cipher == nullptr) {
        return Refuse(Reason::kUnknownConfAlgo, where + ".ConfAlgo.algoIdentifier = " + std::to_string(in.ConfAlgo.algoIdentifier));
      }
      element.cipher = cipher->algorithm;
    }
    const IntegrityInfo* integrity = detail::FindIntegrity(in.IntegrityAlgo.algoIdentifier);
    if (integrity == nullptr) {
      return Refuse(Reason::kUnknownIntegrityAlgo,
                    where + ".IntegrityAlgo.algoIdentifier = " + std::to_string(in.IntegrityAlgo.algoIdentifier));
    }
    element.integrity = integrity->algorithm;
    std::size_t integrity_key_length = integrity->key_length;
    if (cipher != nullptr && detail::IsGcm(cipher->algorithm)) {
      // A combined mode: the GCM key authenticates too; the integrity slot may repeat it as the
      // GMAC of the same size (IPsec offload v2 style) with no key of its own.
      if (integrity->algorithm != IntegrityAlgorithm::kNone &&
          detail::AesKeyBytes(integrity->algorithm) != detail::AesKeyBytes(cipher->algorithm)) {
        return Refuse(Reason::kGcmIntegrityMismatch, where + ": " + std::string(cipher->name) + " with " +
                                                         std::string(integrity->name));
      }
      element.integrity = IntegrityAlgorithm::kNone;
      integrity_key_length = 0;
    }
    if (cipher != nullptr && cipher->algorithm == CipherAlgorithm::kNull && integrity->algorithm == IntegrityAlgorithm::kNone) {
      return Refuse(Reason::kNothingToDo, where);
    }
    if (cipher != nullptr && detail::IsGmac(integrity->algorithm) && cipher->algorithm != CipherAlgorithm::kNull &&
        !detail::IsGcm(cipher->algorithm)) {
      // RFC 4543 3: ENCR_NULL_AUTH_AES_GMAC is an ESP transform without encryption.
      return Refuse(Reason::kGcmIntegrityMismatch, where + ": AES-GMAC needs ConfAlgo NONE");
    }
    const std::size_t conf_key_length = cipher != nullptr ? cipher->key_length : 0;
    if (in.Operation == ENCRYPT && in.ConfAlgo.algoKeylen != conf_key_length) {
      return Refuse(Reason::kKeyLengthMismatch, where + ".ConfAlgo.algoKeylen = " + std::to_string(in.ConfAlgo.algoKeylen) +
                                                    ", " + std::string(cipher->name) + " needs " + std::to_string(conf_key_length));
    }
    if (in.IntegrityAlgo.algoKeylen != integrity_key_length) {
      return Refuse(Reason::kKeyLengthMismatch, where + ".IntegrityAlgo.algoKeylen = " +
                                                    std::to_string(in.IntegrityAlgo.algoKeylen) + ", " +
                                                    std::string(integrity->name) + " needs " + std::to_string(integrity_key_length));
    }
    if (key_offset + conf_key_length + integrity_key_length > key_mat.size()) {
      return Refuse(Reason::kKeyMaterialMismatch, "KeyLen " + std::to_string(key_mat.size()) + " is short of " + where + "'s keys");
    }
    // S14a: confidentiality key first, then integrity; S14c: the reverse.
    const ByteSpan first = key_mat.subspan(key_offset, integrity_first ? integrity_key_length : conf_key_length);
    const ByteSpan second = key_mat.subspan(key_offset + first.size(), integrity_first ? conf_key_length : integrity_key_length);
    keys[index] = integrity_first ? std::pair{second, first} : std::pair{first, second};
    key_offset += conf_key_length + integrity_key_length;
    if (extension != nullptr && (extension->SaFlags[index] & IPSEC_OFFLOAD_V2_ESN_SA) != 0) {
      element.esn = true;
      element.sequence_high = extension->SequenceNumberHighOrder[index];
    }
  }
  if (key_offset != key_mat.size()) {
    return Refuse(Reason::kKeyMaterialMismatch, "KeyLen " + std::to_string(key_mat.size()) + " but the algorithms take " +
                                                    std::to_string(key_offset));
  }
  // S7: "Only one combination ... is supported: encryption/decryption (ESP) followed by
  // authentication (AH)."
  if (sa.count == 2 && !(sa.elements[0].is_esp() && !sa.elements[1].is_esp())) {
    return Refuse(Reason::kBundleOrder, "SecAssoc[0] must be ENCRYPT and SecAssoc[1] AUTHENTICATE");
  }
  for (int i = 0; i < sa.count; ++i) (sa.elements[static_cast<std::size_t>(i)].is_esp() ? sa.esp_index : sa.ah_index) = i;
  if (sa.udp_esp) {
    for (int i = 0; i < sa.count; ++i) {
      const SecAssoc& element = sa.elements[static_cast<std::size_t>(i)];
      const std::string where = "SecAssoc[" + std::to_string(i) + "]";
      // RFC 3948 defines UDP encapsulation for ESP only; AH cannot sit behind a UDP header.
      if (!element.is_esp()) return Refuse(Reason::kUdpEspWithAh, where + ".Operation = AUTHENTICATE");
      // RFC 3948 2.2: four zero bytes where the SPI would be mark a non-ESP (IKE) packet.
      if (element.spi == 0) return Refuse(Reason::kUdpEspZeroSpi, where + ".SPI = 0");
    }
  }
  if (const Reason reason = CheckSaCapabilities(reported, sa, /*sending=*/false); reason != Reason::kOk) {
    return Refuse(reason);
  }
  // A UDP-ESP SA is usable only in a subtype the NIC reports [S15e]: a transport SA alone or
  // over a plain tunnel, a tunnel SA alone or under a plain transport SA.
  const ULONG subtypes = sa.tunnel ? (IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER | IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER)
                                   : (IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER | IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER);
  if (sa.udp_esp && (reported.task.Supported.RESERVED & subtypes) == 0) {
    return Refuse(Reason::kUdpEspNotSupported, sa.tunnel ? "no UDP-ESP tunnel subtype reported" : "no UDP-ESP transport subtype reported");
  }
  // S5: "IPsec with no authentication is not permitted", unless the transport enabled the
  // encryption-only extension (to reproduce RFC 3602's encryption-only known answers).
  if (sa.Unauthenticated() && (enabled.extension.Flags & SENDPATH_EXT_ENCRYPTION_ONLY_ESP) == 0) {
    return Refuse(Reason::kAuthenticationRequired, "ESP without integrity and no AH in the bundle");
  }
  if (sas.size() >= options.sa_capacity) {
    return Refuse(Reason::kSaTableFull, "capacity " + std::to_string(options.sa_capacity));
  }
  // Key schedules and EVP contexts are prepared here, once, not per packet.
  for (int i = 0; i < sa.count; ++i) {
    const auto index = static_cast<std::size_t>(i);
    SecAssoc& element = sa.elements[index];
    if (element.is_esp()) {
      if (const Reason r = element.cipher_key.Init(element.cipher, keys[index].first); r != Reason::kOk) return Refuse(r);
    }
    if (const Reason r = element.integrity_key.Init(element.integrity, keys[index].second); r != Reason::kOk) return Refuse(r);
  }

  return {};
}

OidResult ReferenceNic::AddSa(MutableByteSpan buffer, const SENDPATH_ADD_SA_EXTENSION* extension) {
  State& s = *state_;
  constexpr std::size_t kHeader = offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat);
  if (buffer.size() < kHeader) {
    return Refuse(Reason::kBufferTooShort, "InformationBufferLength " + std::to_string(buffer.size()) +
                                               " < " + std::to_string(kHeader));
  }
  OFFLOAD_IPSEC_ADD_SA request;
  std::memcpy(&request, buffer.data(), kHeader);
  if (buffer.size() < OFFLOAD_IPSEC_ADD_SA_SIZE(request.KeyLen)) {
    return Refuse(Reason::kBufferTooShort, "KeyLen " + std::to_string(request.KeyLen) + " runs past the buffer");
  }
  const ByteSpan key_mat = ByteSpan(buffer).subspan(kHeader, request.KeyLen);
  SaEntry sa;
  if (OidResult prepared = s.Prepare(request, key_mat, extension, sa); !prepared.ok()) return prepared;
  const std::uintptr_t handle = s.NextHandle();
  sa.handle = MakeHandle(handle);
  s.sas.emplace(handle, std::move(sa));
  const NDIS_HANDLE out = MakeHandle(handle);
  std::memcpy(buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), &out, sizeof out);
  return {};
}

OidResult ReferenceNic::DeleteSa(ByteSpan buffer) {
  if (buffer.size() < sizeof(OFFLOAD_IPSEC_DELETE_SA)) {
    return Refuse(Reason::kBufferTooShort, "InformationBufferLength " + std::to_string(buffer.size()));
  }
  OFFLOAD_IPSEC_DELETE_SA request;
  std::memcpy(&request, buffer.data(), sizeof request);
  return DeleteSa(request.OffloadHandle);
}

OidResult ReferenceNic::DeleteSa(NDIS_HANDLE handle) {
  const auto found = state_->sas.find(HandleValue(handle));
  if (found == state_->sas.end()) return Refuse(Reason::kUnknownHandle);
  // A UDP-ESP SA leaves through OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA, which also names its
  // parser entry [S15d]; the plain OID would leave the entry's bookkeeping to guesswork.
  if (found->second.udp_esp) return Refuse(Reason::kWrongDeleteOid, "the SA was added by OID_TCP_TASK_IPSEC_ADD_UDPESP_SA");
  state_->sas.erase(found);
  return {};
}

OidResult ReferenceNic::AddUdpEspSa(OFFLOAD_IPSEC_ADD_UDPESP_SA& request, ByteSpan key_mat,
                                    const SENDPATH_ADD_SA_EXTENSION* extension) {
  std::vector<std::uint8_t> buffer(OFFLOAD_IPSEC_ADD_UDPESP_SA_SIZE(key_mat.size()));
  request.KeyLen = static_cast<ULONG>(key_mat.size());
  std::memcpy(buffer.data(), &request, offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat));
  if (!key_mat.empty()) {
    std::memcpy(buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat), key_mat.data(), key_mat.size());
  }
  OidResult result = AddUdpEspSa(MutableByteSpan(buffer), extension);
  std::memcpy(&request.OffloadHandle, buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle), sizeof(HANDLE));
  std::memcpy(&request.EncapTypeEntryOffldHandle,
              buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle), sizeof(HANDLE));
  return result;
}

OidResult ReferenceNic::AddUdpEspSa(MutableByteSpan buffer, const SENDPATH_ADD_SA_EXTENSION* extension) {
  State& s = *state_;
  constexpr std::size_t kHeader = offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat);
  if (buffer.size() < kHeader) {
    return Refuse(Reason::kBufferTooShort, "InformationBufferLength " + std::to_string(buffer.size()) +
                                               " < " + std::to_string(kHeader));
  }
  OFFLOAD_IPSEC_ADD_UDPESP_SA request;
  std::memcpy(&request, buffer.data(), kHeader);
  if (buffer.size() < OFFLOAD_IPSEC_ADD_UDPESP_SA_SIZE(request.KeyLen)) {
    return Refuse(Reason::kBufferTooShort, "KeyLen " + std::to_string(request.KeyLen) + " runs past the buffer");
  }
  const ByteSpan key_mat = ByteSpan(buffer).subspan(kHeader, request.KeyLen);
  // S14e: "almost identical to OFFLOAD_IPSEC_ADD_SA"; the shared fields are checked the same way.
  OFFLOAD_IPSEC_ADD_SA common{};
  common.SrcAddr = request.SrcAddr;
  common.SrcMask = request.SrcMask;
  common.DestAddr = request.DstAddr;
  common.DestMask = request.DstMask;
  common.Protocol = request.Protocol;  // "should be 0x11"; a filter field, not checked [S14e]
  common.SrcPort = request.SrcPort;
  common.DestPort = request.DstPort;
  common.SrcTunnelAddr = request.SrcTunnelAddr;
  common.DestTunnelAddr = request.DstTunnelAddr;
  common.Flags = request.Flags;
  common.NumSAs = request.NumSAs;
  std::memcpy(common.SecAssoc, request.SecAssoc, sizeof common.SecAssoc);
  common.KeyLen = request.KeyLen;

  SaEntry sa;
  sa.udp_esp = true;
  if (OidResult prepared = s.Prepare(common, key_mat, extension, sa); !prepared.ok()) return prepared;
  // S15a / the ENCAPTYPE_ENTRY page: only OTHER is supported (IKE is reserved). DstEncapPort
  // "should always specify port 4500" and the NIC ignores it for an outbound SA.
  if (request.EncapTypeEntry.UdpEncapType != OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER) {
    return Refuse(Reason::kUdpEspEncapTypeNotSupported,
                  "EncapTypeEntry.UdpEncapType = " + std::to_string(static_cast<int>(request.EncapTypeEntry.UdpEncapType)));
  }
  bool create_entry = false;
  if (!sa.outbound) {
    if (request.EncapTypeEntry.DstEncapPort != detail::kUdpEspPort) {
      return Refuse(Reason::kUdpEspPortNotSupported,
                    "EncapTypeEntry.DstEncapPort = " + std::to_string(request.EncapTypeEntry.DstEncapPort));
    }
    // S15a: the transport looks the entry up in its own list first; NULL asks the miniport to
    // create it, a handle names one the miniport already holds.
    const std::uintptr_t entry = HandleValue(request.EncapTypeEntryOffldHandle);
    if (entry == 0) {
      create_entry = true;
    } else if (!s.parser_entries.contains(entry)) {
      return Refuse(Reason::kUnknownParserEntry, "EncapTypeEntryOffldHandle " + std::to_string(entry));
    } else {
      sa.parser_entry = entry;
    }
  }
  // Everything is checked: from here on the request succeeds, so a failure adds nothing [S15a].
  if (create_entry) {
    // Tagged so that a parser entry handle passed as an OffloadHandle reads as never issued.
    sa.parser_entry = s.NextHandle() | kParserEntryTag;
    s.parser_entries.emplace(sa.parser_entry, request.EncapTypeEntry);
    const NDIS_HANDLE out = MakeHandle(sa.parser_entry);
    std::memcpy(buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle), &out, sizeof out);
  }
  const std::uintptr_t handle = s.NextHandle();
  sa.handle = MakeHandle(handle);
  s.sas.emplace(handle, std::move(sa));
  const NDIS_HANDLE out = MakeHandle(handle);
  std::memcpy(buffer.data() + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle), &out, sizeof out);
  return {};
}

OidResult ReferenceNic::DeleteUdpEspSa(ByteSpan buffer) {
  if (buffer.size() < sizeof(OFFLOAD_IPSEC_DELETE_UDPESP_SA)) {
    return Refuse(Reason::kBufferTooShort, "InformationBufferLength " + std::to_string(buffer.size()));
  }
  OFFLOAD_IPSEC_DELETE_UDPESP_SA request;
  std::memcpy(&request, buffer.data(), sizeof request);
  return DeleteUdpEspSa(request.OffloadHandle, request.EncapTypeEntryOffldHandle);
}

OidResult ReferenceNic::DeleteUdpEspSa(NDIS_HANDLE handle, NDIS_HANDLE parser_entry) {
  State& s = *state_;
  const auto found = s.sas.find(HandleValue(handle));
  if (found == s.sas.end()) return Refuse(Reason::kUnknownHandle);
  if (!found->second.udp_esp) return Refuse(Reason::kWrongDeleteOid, "the SA was added by OID_TCP_TASK_IPSEC_ADD_SA");
  const std::uintptr_t entry = HandleValue(parser_entry);
  if (entry != 0 && !s.parser_entries.contains(entry)) {
    return Refuse(Reason::kUnknownParserEntry, "EncapTypeEntryOffldHandle " + std::to_string(entry));
  }
  // S15d: a non-NULL entry handle deletes that parser entry too. The transport reference-counts
  // entries, so it names one only with its last SA; other SAs still naming it keep working on
  // send (parsing is a receive matter) and cannot lend it to a new SA.
  s.sas.erase(found);
  if (entry != 0) s.parser_entries.erase(entry);
  return {};
}

void ReferenceNic::SetIvSource(IvSource* source) { state_->iv_source = source != nullptr ? source : &state_->random_ivs; }
std::size_t ReferenceNic::LiveSaCount() const { return state_->sas.size(); }
std::size_t ReferenceNic::LiveParserEntryCount() const { return state_->parser_entries.size(); }
std::size_t ReferenceNic::SaCapacity() const { return state_->options.sa_capacity; }

Reason ReferenceNic::State::Resolve(NDIS_HANDLE handle, SaEntry*& sa) {
  const std::uintptr_t value = HandleValue(handle);
  const auto found = sas.find(value);
  if (found == sas.end()) {
    const bool issued = value >= kFirstHandle && value < next_handle && (value - kFirstHandle) % kHandleStep == 0;
    return issued ? Reason::kHandleDeleted : Reason::kHandleNeverIssued;
  }
  if (!found->second.outbound) return Reason::kHandleInbound;
  sa = &found->second;
  return Reason::kOk;
}

namespace {

ParseFailure Locate(SaEntry& sa, ByteSpan frame, const Ipv4Header& ip, PortionLayout& layout) {
  layout.sa = &sa;
  layout.ip = ip;
  layout.end = ip.end();
  std::size_t position = ip.offset + ip.header_length;
  std::uint8_t protocol = ip.protocol;
  std::size_t protocol_offset = ip.offset + 9;
  layout.payload_offset = position;
  layout.payload_end = layout.end;
  layout.next_header = protocol;

  if (const SecAssoc* ah = sa.Ah()) {
    if (protocol != detail::kProtocolAh) return {Reason::kProtocolMismatch, protocol_offset};
    if (layout.end - position < kAhFixedHeader) return {Reason::kAhTruncated, position};
    const std::size_t length = (static_cast<std::size_t>(frame[position + 1]) + 2) * 4;  // RFC 4302 2.2
    if (length != kAhFixedHeader + ah->IvLength() + ah->IcvLength()) return {Reason::kAhLengthMismatch, position + 1};
    if (length > layout.end - position) return {Reason::kAhTruncated, position + 1};
    if (LoadBe32(&frame[position + 4]) != ah->spi) return {Reason::kSpiMismatch, position + 4};
    if (sa.Esp() != nullptr && frame[position] != detail::kProtocolEsp) return {Reason::kAhNextHeaderMismatch, position};
    layout.ah_offset = position;
    layout.ah_length = length;
    protocol = frame[position];
    protocol_offset = position;
    position += length;
    layout.payload_offset = position;
    layout.next_header = protocol;
  }
  if (sa.udp_esp) {
    // RFC 3948 2.1: the UDP header sits between the IP header and ESP; the NIC finds it where
    // the transport framed it and changes none of it (ports, length, checksum).
    if (protocol != detail::kProtocolUdp) return {Reason::kProtocolMismatch, protocol_offset};
    if (layout.end - position < detail::kUdpHeader) return {Reason::kUdpTruncated, position};
    // RFC 3948 2.1 / RFC 3947 4: the local IKE port after the float is 4500, so an outbound
    // UDP-ESP packet leaves from it; the destination may be a NAT's mapped port.
    if (detail::LoadBe16(&frame[position]) != detail::kUdpEspPort) return {Reason::kUdpEspPortMismatch, position};
    if (detail::LoadBe16(&frame[position + 4]) != layout.end - position) return {Reason::kUdpLengthMismatch, position + 4};
    if (layout.end - position >= detail::kUdpHeader + 4 && LoadBe32(&frame[position + detail::kUdpHeader]) == 0) {
      return {Reason::kUdpEspNonEspMarker, position + detail::kUdpHeader};
    }
    layout.udp_offset = position;
    position += detail::kUdpHeader;
    protocol = detail::kProtocolEsp;
    protocol_offset = position;
    layout.payload_offset = position;
  }
  if (const SecAssoc* esp = sa.Esp()) {
    if (protocol != detail::kProtocolEsp) return {Reason::kProtocolMismatch, protocol_offset};
    const CipherInfo& cipher = detail::InfoOf(esp->cipher);
    const std::size_t iv_length = esp->IvLength();
    if (layout.end - position < kEspHeader + iv_length) return {Reason::kEspTruncated, position};
    if (LoadBe32(&frame[position]) != esp->spi) return {Reason::kSpiMismatch, position};
    const std::size_t payload = position + kEspHeader + iv_length;
    const std::size_t icv_length = esp->IcvLength();
    if (layout.end - payload < icv_length + kEspTrailer) return {Reason::kEspNoRoomForIcv, payload};
    const std::size_t icv = layout.end - icv_length;
    const std::size_t encrypted = icv - payload;
    // RFC 4303 2.4: the ciphertext is a whole number of blocks and ends on a 4-byte boundary.
    if (encrypted % cipher.block_size != 0 || (iv_length + encrypted) % 4 != 0) {
      return {Reason::kEspNotBlockAligned, payload};
    }
    const std::size_t pad_length = frame[icv - 2];
    if (pad_length + kEspTrailer > encrypted) return {Reason::kEspPadLengthPastPayload, icv - 2};
    layout.esp_offset = position;
    layout.esp_payload = payload;
    layout.esp_icv = icv;
    layout.next_header = frame[icv - 1];
    layout.payload_offset = payload;
    layout.payload_end = icv - kEspTrailer - pad_length;
  }
  return {};
}

}  // namespace

Reason ReferenceNic::State::Apply(const PortionLayout& layout, MutableByteSpan frame) {
  SaEntry& sa = *layout.sa;
  std::uint8_t sequence_high[4];
  static constexpr std::uint8_t kZeros[detail::kMaxIcvLength] = {};

  if (SecAssoc* esp_element = sa.Esp()) {
    SecAssoc& esp = *esp_element;
    const std::size_t iv_length = esp.IvLength();
    const MutableByteSpan iv = frame.subspan(layout.esp_offset + kEspHeader, iv_length);
    if (iv_length != 0 && !iv_source->NextIv(sa.handle, static_cast<unsigned>(sa.esp_index), iv)) {
      return Reason::kIvSourceFailed;
    }
    const MutableByteSpan encrypted = frame.subspan(layout.esp_payload, layout.esp_icv - layout.esp_payload);
    const MutableByteSpan icv = frame.subspan(layout.esp_icv, esp.IcvLength());
    detail::StoreBe32(sequence_high, esp.sequence_high);
    const ByteSpan spi = frame.subspan(layout.esp_offset, 4);
    const ByteSpan sequence_low = frame.subspan(layout.esp_offset + 4, 4);
    const ByteSpan high = esp.esn ? ByteSpan(sequence_high) : ByteSpan();
    if (detail::IsGcm(esp.cipher)) {
      // RFC 4106 5: AAD = SPI || Sequence Number, or with ESN SPI || high || low. Without ESN the
      // AAD is contiguous in the frame: one piece.
      const std::array<ByteSpan, 3> aad = {esp.esn ? spi : ByteSpan(frame).subspan(layout.esp_offset, kEspHeader), high,
                                           esp.esn ? sequence_low : ByteSpan()};
      if (!esp.cipher_key.Seal(iv, aad, encrypted, icv)) return Reason::kCryptoFailure;
    } else {
      if (esp.cipher != CipherAlgorithm::kNull && !esp.cipher_key.EncryptCbc(iv, encrypted)) return Reason::kCryptoFailure;
      if (detail::IsGmac(esp.integrity)) {
        // RFC 4543 3.3: AAD = SPI || Sequence Number (ESN: high || low) || IV || payload .. trailer.
        const std::array<ByteSpan, 5> aad = {spi, high, sequence_low, ByteSpan(iv), ByteSpan(encrypted)};
        if (!esp.integrity_key.Compute(iv, aad, icv)) return Reason::kCryptoFailure;
      } else if (esp.integrity != IntegrityAlgorithm::kNone) {
        // RFC 4303 2.8 / 2.2.1: ICV over ESP header .. trailer, then the implicit ESN high bits.
        const std::array<ByteSpan, 2> data = {ByteSpan(frame).subspan(layout.esp_offset, layout.esp_icv - layout.esp_offset), high};
        if (!esp.integrity_key.Compute({}, data, icv)) return Reason::kCryptoFailure;
      }
    }
  }
  if (SecAssoc* ah_element = sa.Ah()) {
    SecAssoc& ah = *ah_element;
    const std::size_t iv_length = ah.IvLength();
    const MutableByteSpan iv = frame.subspan(layout.ah_offset + kAhFixedHeader, iv_length);
    if (iv_length != 0 && !iv_source->NextIv(sa.handle, static_cast<unsigned>(sa.ah_index), iv)) {
      return Reason::kIvSourceFailed;
    }
    std::array<std::uint8_t, detail::kIpv4MaxHeader> header;
    detail::AhHeaderView(ByteSpan(frame).subspan(layout.ip.offset, layout.ip.header_length), header);
    detail::StoreBe32(sequence_high, ah.sequence_high);
    const std::size_t icv_offset = layout.ah_offset + kAhFixedHeader + iv_length;
    const std::size_t after_ah = layout.ah_offset + layout.ah_length;
    // RFC 4302 3.3.3: the IPv4 header as AH sees it, AH with a zero ICV (the GMAC IV included,
    // RFC 4543 4), the rest of the packet, and with ESN the implicit high bits (RFC 4302 2.5.1).
    const std::array<ByteSpan, 5> data = {
        ByteSpan(header).first(layout.ip.header_length),
        ByteSpan(frame).subspan(layout.ah_offset, kAhFixedHeader + iv_length),
        ByteSpan(kZeros, ah.IcvLength()),
        ByteSpan(frame).subspan(after_ah, layout.end - after_ah),
        ah.esn ? ByteSpan(sequence_high) : ByteSpan(),
    };
    if (!ah.integrity_key.Compute(iv, data, frame.subspan(icv_offset, ah.IcvLength()))) return Reason::kCryptoFailure;
  }
  return Reason::kOk;
}

SendResult ReferenceNic::Send(BufferChain packet, const NDIS_IPSEC_PACKET_INFO* info, MutableByteSpan wire) {
  State& s = *state_;
  std::size_t length = 0;
  for (ByteSpan buffer : packet) {
    if (buffer.size() > wire.size() - length) return RefuseSend(Reason::kWireBufferTooSmall, length);
    if (!buffer.empty()) std::memcpy(wire.data() + length, buffer.data(), buffer.size());
    length += buffer.size();
  }
  const MutableByteSpan frame = wire.first(length);

  const NDIS_HANDLE offload_handle = info != nullptr ? info->Transmit.OffloadHandle : nullptr;
  const NDIS_HANDLE next_handle = info != nullptr ? info->Transmit.NextOffloadHandle : nullptr;
  if (offload_handle == nullptr) {
    // The v2 rule [S21a]: a zero handle means no IPsec offload is wanted for this packet.
    if (next_handle != nullptr) return RefuseSend(Reason::kNextHandleWithoutOffloadHandle, 0);
    return SendResult{NDIS_STATUS_SUCCESS, Reason::kNoOffloadRequested, length, 0};
  }
  if (!s.offload_set) return RefuseSend(Reason::kOffloadNotEnabled, 0);

  SaEntry* first = nullptr;
  SaEntry* tunnel = nullptr;
  if (const Reason r = s.Resolve(offload_handle, first); r != Reason::kOk) return RefuseSend(r, 0);
  if (next_handle != nullptr) {
    if (const Reason r = s.Resolve(next_handle, tunnel); r != Reason::kOk) return RefuseSend(r, 0);
    if (!tunnel->tunnel) return RefuseSend(Reason::kNextHandleNotTunnelSa, 0);
    if (first->tunnel) return RefuseSend(Reason::kOffloadHandleNotTransportSa, 0);
    if (s.enabled.task.Supported.TRANSPORT_TUNNEL_COMBINED == 0) return RefuseSend(Reason::kCapabilityNotEnabled, 0);
  }
  if (const Reason r = CheckUdpEspSubtype(s.enabled, *first, tunnel); r != Reason::kOk) return RefuseSend(r, 0);
  if (const Reason r = CheckSaCapabilities(s.enabled, *first, /*sending=*/true); r != Reason::kOk) return RefuseSend(r, 0);
  if (tunnel != nullptr) {
    if (const Reason r = CheckSaCapabilities(s.enabled, *tunnel, /*sending=*/true); r != Reason::kOk) return RefuseSend(r, 0);
  }
  const bool encryption_only_enabled = (s.enabled.extension.Flags & SENDPATH_EXT_ENCRYPTION_ONLY_ESP) != 0;
  if (!encryption_only_enabled && (first->Unauthenticated() || (tunnel != nullptr && tunnel->Unauthenticated()))) {
    return RefuseSend(Reason::kCapabilityNotEnabled, 0);
  }

  // Frame checks: everything is validated before the first byte changes.
  const std::size_t l3 = s.encapsulation_length;
  if (l3 != 0) {
    if (length < l3) return RefuseSend(Reason::kFrameTooShort, 0);
    if (frame[12] != 0x08 || frame[13] != 0x00) return RefuseSend(Reason::kNotIpv4Ethertype, 12);
  }
  Ipv4Header outer;
  if (const ParseFailure f = detail::ParseIpv4(frame, l3, length, outer); f.reason != Reason::kOk) {
    return RefuseSend(f.reason, f.offset);
  }
  const bool options_enabled = s.enabled.task.Supported.V4_OPTIONS != 0;
  if (outer.fragment) return RefuseSend(Reason::kFragment, l3 + 6);
  if (outer.has_options && !options_enabled) return RefuseSend(Reason::kOptionsNotEnabled, l3 + 20);

  // With both handles the transport (inner) portion is processed first, then the tunnel [S1].
  PortionLayout outer_layout;
  if (const ParseFailure f = Locate(tunnel != nullptr ? *tunnel : *first, frame, outer, outer_layout); f.reason != Reason::kOk) {
    return RefuseSend(f.reason, f.offset);
  }
  PortionLayout inner_layout;
  if (tunnel != nullptr) {
    if (outer_layout.next_header != detail::kProtocolIpv4) {
      return RefuseSend(Reason::kNoTunnelPayload, outer_layout.esp_icv != 0 ? outer_layout.esp_icv - 1 : outer_layout.ah_offset);
    }
    Ipv4Header inner;
    const ParseFailure f = detail::ParseIpv4(frame, outer_layout.payload_offset, outer_layout.payload_end, inner);
    if (f.reason == Reason::kFrameTooShort || f.reason == Reason::kNotIpv4) {
      return RefuseSend(Reason::kNoTunnelPayload, outer_layout.payload_offset);
    }
    if (f.reason == Reason::kTotalLengthMismatch) return RefuseSend(Reason::kInnerPacketOverrun, f.offset);
    if (f.reason != Reason::kOk) return RefuseSend(f.reason, f.offset);
    if (inner.fragment) return RefuseSend(Reason::kFragment, inner.offset + 6);
    if (inner.has_options && !options_enabled) return RefuseSend(Reason::kOptionsNotEnabled, inner.offset + 20);
    if (const ParseFailure g = Locate(*first, frame, inner, inner_layout); g.reason != Reason::kOk) {
      return RefuseSend(g.reason, g.offset);
    }
    if (const Reason r = s.Apply(inner_layout, frame); r != Reason::kOk) return RefuseSend(r, 0);
  }
  if (const Reason r = s.Apply(outer_layout, frame); r != Reason::kOk) return RefuseSend(r, 0);
  return SendResult{NDIS_STATUS_SUCCESS, Reason::kOk, length, 0};
}

}  // namespace sendpath::nic
