// Loads `sendpath-vectors/1` files (vectors/README.md) into the model of vector_model.h, and
// `sendpath-sas/1` SA-programming files into SaSpec. Strict: every key must be known, every
// required key present, every name resolvable; the first problem in a file is reported with the
// file and the RFC 6901 JSON pointer of the offending value, and the other files still load.
//
// Nothing here throws to the caller: every failure is a LoadError value. ParseVectorFile is also
// the fuzz entry point and accepts arbitrary bytes.
#pragma once

#include "vectors/loader/vector_model.h"

#include <nlohmann/json.hpp>
#include <sendpath/ndis51.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sendpath::vectors {

inline constexpr std::string_view kVectorFormat = "sendpath-vectors/1";
inline constexpr std::string_view kSaFileFormat = "sendpath-sas/1";
// Files larger than this are refused before parsing (the largest suite file is far smaller).
inline constexpr std::size_t kMaxFileBytes = 64u * 1024u * 1024u;

// Sizes beyond these are invalid vectors (the error names the JSON pointer), not candidate
// failures: nothing a real transport could hand a miniport, nor anything a harness should try.
// A send's frame (and its expected frame) is at most the largest IPv4 datagram plus the
// encapsulation header in effect (14 bytes of Ethernet II for ieee802.3, 0 for null). Split
// offsets lie inside the frame and ascend, so a frame has at most size - 1 of them.
inline constexpr std::size_t kMaxIpv4Bytes = 65535;
inline constexpr std::size_t kMaxEncapsulationBytes = 14;
// One algorithm key (the largest real one is AES-256-GCM's 32 + 4 bytes of salt). A differing
// algoKeylen is still stated with `key_length`.
inline constexpr std::size_t kMaxKeyBytes = 256;
// One injected IV (the largest real one is AES-CBC's 16 bytes), and IVs per SA per send.
inline constexpr std::size_t kMaxIvBytes = 64;
inline constexpr std::size_t kMaxIvsPerSa = 16;
// fill_sa_table adds at most this many SAs: enough for any real SA table, bounded for the harness.
inline constexpr std::uint64_t kMaxFillLimit = 1'000'000;
// The largest frame allowed with `encapsulation`.
constexpr std::size_t MaxFrameBytes(Encapsulation encapsulation) {
  return kMaxIpv4Bytes + (encapsulation == Encapsulation::kIeee8023 ? kMaxEncapsulationBytes : 0);
}

struct LoadError {
  std::string file;
  std::string pointer;  // RFC 6901; "" is the whole document
  std::string message;
  // "file:pointer: message", or "file: message" when the pointer is the whole document.
  std::string ToString() const;
};

struct LoadResult {
  std::vector<VectorFile> files;  // the files that loaded, in path order
  std::vector<LoadError> errors;  // one per file that did not load (and per duplicate id)
};

// Files and directories (searched recursively for `*.json`, sorted by path). A file with an error
// is left out and reported; every other file still loads. Across the loaded files vector ids must
// be unique: a file repeating an id already loaded is left out with an error.
LoadResult LoadVectorPaths(const std::vector<std::string>& paths);

std::variant<VectorFile, LoadError> LoadVectorFile(const std::string& path);

// The `*.json` files of `paths` (folders searched recursively), sorted, each once; a path that
// does not exist or cannot be listed is one error.
std::vector<std::string> ListVectorFiles(const std::vector<std::string>& paths, std::vector<LoadError>& errors);

namespace detail {

// The frames of a vector kept out of the JSON lexer (VectorFileReader::Next): they are most of a
// suite's bytes, and nlohmann builds a string a character at a time. Stash() copies a vector's
// text with each string value of a "frame" key replaced by the placeholder "\u0001<n>"; while
// a HexStashScope is alive, AsHex decodes placeholder n from the original digits. Only the
// digits are ever taken out, never the JSON structure, so every pointer stays the same. The
// caller parses the original text instead whenever the stashed parse fails or AllUsedOnce() is
// false (a placeholder read by anything but AsHex, or twice): then errors, byte offsets and
// values are exactly those of the plain parse.
class HexStash {
 public:
  // `text` (one JSON value) into `out` with the frames replaced; false (and `out` unspecified)
  // when there is nothing worth stashing.
  bool Stash(std::string_view text, std::string& out);
  // Appends the bytes of `placeholder` to `bytes`; false when it is not one of this stash's, was
  // used before, or its digits are not plain hex (the plain parse then names the problem).
  bool Decode(std::string_view placeholder, Bytes& bytes);
  bool AllUsedOnce() const { return used_ == digits_.size(); }

 private:
  std::vector<std::string_view> digits_;  // into the original text
  std::vector<bool> decoded_;
  std::size_t used_ = 0;
};

}  // namespace detail

// One vector file read a vector at a time (`sendpath run` streams suites through it, so a run
// holds one file's text and one vector's model, never the suite). Open() checks the file's
// head (format, group, description, notes: the errors LoadVectorFile gives); Next() parses the
// next vector on its own, so an invalid vector is one error (file and JSON pointer) and the
// file's other vectors still load. Duplicate ids within the file are errors of the later vector.
class VectorFileReader {
 public:
  // `path` is read; `name` names the file in errors and in Vector::file. `buffer`: storage to
  // read it into, e.g. the last file's (TakeBuffer()), so a suite of large files does not fault
  // in fresh memory for each.
  static std::variant<VectorFileReader, LoadError> Open(const std::string& path, const std::string& name,
                                                        std::string buffer = {});
  static std::variant<VectorFileReader, LoadError> FromText(std::string text, const std::string& name);

  // The file without its vectors (path = name, sha256 of the whole file).
  const VectorFile& head() const { return head_; }
  std::size_t vector_count() const { return elements_.size() + fallback_.size(); }
  // The next vector, or its error; nullopt after the last.
  std::optional<std::variant<Vector, LoadError>> Next();
  // The file's storage, for the next Open(); the reader has no more vectors afterwards.
  std::string TakeBuffer();

 private:
  VectorFileReader() = default;
  std::string text_;
  VectorFile head_;
  std::vector<std::pair<std::size_t, std::size_t>> elements_;  // byte ranges of /vectors/N in text_
  std::vector<Vector> fallback_;  // a file the scanner could not split: parsed whole, served from here
  std::size_t next_ = 0;
  std::map<std::string, std::string> seen_;  // id -> pointer
  // Next()'s frames kept out of the JSON parser, and the vector's text without them (reused).
  detail::HexStash stash_;
  std::string stashed_text_;
};
// `json_text` may be any bytes. `path` only names the file in errors and in VectorFile::path.
std::variant<VectorFile, LoadError> ParseVectorFile(std::string_view json_text, std::string path);

// ---- sendpath-sas/1: the SAs a candidate was programmed with (`sendpath diff/verify --sa`,
// `sendpath export`). {"format": "sendpath-sas/1", "encapsulation": "null"|"ieee802.3",
// "sas": {NAME: <a vector's SA object>}}.
struct SaFile {
  Encapsulation encapsulation = Encapsulation::kNull;
  std::map<std::string, SaSpec> sas;
};

std::variant<SaFile, LoadError> LoadSaFile(const std::string& path);
std::variant<SaFile, LoadError> ParseSaFile(std::string_view json_text, std::string path);
// The SA object as a vector (or an SA file) writes it: ParseSa(WriteSaObject(sa)) == sa.
nlohmann::json WriteSaObject(const SaSpec& sa);
// A whole `sendpath-sas/1` document.
nlohmann::json WriteSaFile(const SaFile& file);

// ---- OID_TCP_TASK_IPSEC_ADD_SA ----------------------------------------------------------------
struct AddSaRequest {
  // The InformationBuffer: OFFLOAD_IPSEC_ADD_SA (OffloadHandle 0) followed by KeyLen bytes of
  // KeyMat. Its length is max(sizeof(OFFLOAD_IPSEC_ADD_SA), OFFLOAD_IPSEC_ADD_SA_SIZE(KeyLen)),
  // so a miniport that checks either bound accepts a well-formed request.
  std::vector<std::uint8_t> buffer;
  SENDPATH_ADD_SA_EXTENSION extension{};
};
// Lays out the request exactly as the transport would: addresses and ports in network byte
// order, SPI in host order, SecAssoc[] in bundle order, KeyMat = SecAssoc[0]'s keys then
// SecAssoc[1]'s, each pair in `key_order`; algoKeylen = key_length or the key's size; raw
// Flags / NumSAs / Operation / KeyLen overrides written as given.
AddSaRequest BuildAddSaRequest(const SaSpec& sa);
// OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: the same fields laid out the same way, then EncapTypeEntry
// (from sa.udp_esp), EncapTypeEntryOffldHandle = `parser_entry`, KeyLen and KeyMat.
AddSaRequest BuildAddUdpEspSaRequest(const SaSpec& sa, NDIS_HANDLE parser_entry);

// ---- Names ------------------------------------------------------------------------------------
// Capability names (vectors/README.md, `requires` and `set.enable`) and the NDIS_TASK_IPSEC /
// SENDPATH_TASK_IPSEC_EXTENSION member each stands for.
bool IsCapabilityName(std::string_view name);
// Sets the capability; false (and nothing changed) for an unknown name.
bool SetCapability(NDIS_TASK_IPSEC& task, SENDPATH_TASK_IPSEC_EXTENSION& extension, std::string_view name);
bool HasCapability(const NDIS_TASK_IPSEC& task, const SENDPATH_TASK_IPSEC_EXTENSION& extension,
                   std::string_view name);
// Every capability name whose member is set, in the order of vectors/README.md.
std::vector<std::string> CapabilityNames(const NDIS_TASK_IPSEC& task, const SENDPATH_TASK_IPSEC_EXTENSION& extension);
// Every known capability name, in the same order.
const std::vector<std::string>& AllCapabilityNames();
// The names of `required` that `reported` lacks (unknown names count as lacking), in order.
std::vector<std::string> MissingCapabilities(const std::vector<std::string>& required,
                                             const std::vector<std::string>& reported);
std::vector<std::string> MissingCapabilities(const std::vector<std::string>& required, const NDIS_TASK_IPSEC& task,
                                             const SENDPATH_TASK_IPSEC_EXTENSION& extension);

// Algorithm names -> OFFLOAD_ALGO_INFO.algoIdentifier (reference_nic/README.md, algorithm table).
std::optional<ULONG> ConfAlgorithmId(std::string_view name);       // NONE, DES, 3_DES, AES_CBC_*, AES_GCM_*
std::optional<ULONG> IntegrityAlgorithmId(std::string_view name);  // NONE, MD5, SHA_1, SHA_256, AES_GMAC_*
std::string_view ConfAlgorithmName(ULONG identifier);              // "" when unknown
std::string_view IntegrityAlgorithmName(ULONG identifier);
const std::vector<std::string>& ConfAlgorithmNames();
const std::vector<std::string>& IntegrityAlgorithmNames();

// NDIS_STATUS_* names of ndis51.h.
std::optional<NDIS_STATUS> StatusFromName(std::string_view name);
std::string_view StatusName(NDIS_STATUS status);  // "" when unknown
const std::vector<std::string>& StatusNames();

std::string_view EncapsulationName(Encapsulation encapsulation);  // "null", "ieee802.3"

// ---- Small helpers the harness and reports share ----------------------------------------------
struct HexError {
  std::size_t offset = 0;  // character offset in the string
  std::string message;
};
// Hex digits with optional spaces, tabs and line breaks between them; whole bytes only.
std::variant<Bytes, HexError> ParseHex(std::string_view text);
std::string ToHex(std::span<const std::uint8_t> bytes);  // lowercase, no separators
// One RFC 6901 reference token: "~" -> "~0", "/" -> "~1".
std::string EscapePointerToken(std::string_view token);
// Lowercase hex SHA-256 (OpenSSL EVP); "" if OpenSSL fails.
std::string Sha256Hex(std::span<const std::uint8_t> bytes);

}  // namespace sendpath::vectors
