// Internal to the loader: strict reading of nlohmann::json values with JSON pointers.
// A problem throws LoadFailure, which the loader's entry points turn into a LoadError; nothing
// here escapes the loader.
#pragma once

#include "vectors/loader/vector_loader.h"
#include "vectors/loader/vector_model.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sendpath::vectors::detail {

struct LoadFailure {
  std::string pointer;
  std::string message;
};

[[noreturn]] void Fail(std::string pointer, std::string message);

// pointer + "/" + escaped token.
std::string Child(const std::string& pointer, std::string_view token);
std::string Child(const std::string& pointer, std::size_t index);

// "object", "array", "string", "integer", "number", "boolean", "null".
const char* TypeName(const nlohmann::json& value);

// An object whose keys must all be in `known`; checked on construction, so a misspelt key is
// reported as unknown rather than as a missing required key.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& value, std::string pointer, std::initializer_list<std::string_view> known);

  const std::string& pointer() const { return pointer_; }
  bool Has(std::string_view key) const;
  // The member; fails with "missing required key" when absent.
  const nlohmann::json& Required(std::string_view key) const;
  // The member, or null when absent.
  const nlohmann::json* Optional(std::string_view key) const;
  std::string At(std::string_view key) const { return Child(pointer_, key); }

 private:
  const nlohmann::json& value_;
  std::string pointer_;
};

const nlohmann::json::array_t& AsArray(const nlohmann::json& value, const std::string& pointer);
const std::string& AsString(const nlohmann::json& value, const std::string& pointer);
std::string AsNonEmptyString(const nlohmann::json& value, const std::string& pointer);
// An integer in [min, max]; floats, booleans and strings are type errors.
std::uint64_t AsUnsigned(const nlohmann::json& value, const std::string& pointer, std::uint64_t max);
std::int64_t AsSigned(const nlohmann::json& value, const std::string& pointer, std::int64_t min, std::int64_t max);
std::vector<std::string> AsStringArray(const nlohmann::json& value, const std::string& pointer);
// HEX: a string of hex digits (whitespace allowed) or an array of such strings, concatenated.
// With a HexStash in scope, a placeholder string decodes the digits it stands for.
Bytes AsHex(const nlohmann::json& value, const std::string& pointer);

// HexStash (vector_loader.h): the frames of a vector kept out of the JSON lexer.
// Makes `stash` the one AsHex reads on this thread for the scope's lifetime.
class HexStashScope {
 public:
  explicit HexStashScope(HexStash& stash);
  ~HexStashScope();
  HexStashScope(const HexStashScope&) = delete;
  HexStashScope& operator=(const HexStashScope&) = delete;

 private:
  HexStash* previous_;
};
// A dotted quad -> IPAddr in network byte order (the bytes a.b.c.d in memory order).
IPAddr AsIpv4Address(const nlohmann::json& value, const std::string& pointer);
Encapsulation AsEncapsulation(const nlohmann::json& value, const std::string& pointer);
NDIS_STATUS AsStatus(const nlohmann::json& value, const std::string& pointer);

// Capability names -> structures; fails at pointer/i on an unknown name.
void AsCapabilities(const nlohmann::json& value, const std::string& pointer, std::vector<std::string>& names,
                    NDIS_TASK_IPSEC& task, SENDPATH_TASK_IPSEC_EXTENSION& extension);

// SA names: [A-Za-z0-9_.-]+ and not the reserved handle word.
bool IsValidSaName(std::string_view name);
inline constexpr std::string_view kNeverIssued = "never_issued";

// The SA object of a vector or an SA file.
SaSpec ParseSa(const nlohmann::json& value, const std::string& pointer, const std::string& name);

// The whole file, or a LoadError (cannot open, larger than kMaxFileBytes).
std::variant<std::string, LoadError> ReadWholeFile(const std::string& path);
// The same into `text`, whose storage is reused (no fresh pages to fault in for each file).
std::optional<LoadError> ReadWholeFileInto(const std::string& path, std::string& text);

// The document is an object whose "format" is `format`; otherwise fails naming what the file
// is instead ("not a sendpath-sas/1 file: format is 'sendpath-vectors/1'; ... (it is a vector
// file)"), before any other key is looked at.
void RequireFormat(const nlohmann::json& document, std::string_view format);

// Parses JSON text; fails at "" with the byte offset of a syntax error. A piece of a larger
// document (one vector of a file) names its place: `pointer_prefix` goes in front of the
// pointers of duplicate keys, `byte_offset` is added to the byte offset of a syntax error.
nlohmann::json ParseJsonText(std::string_view text, const std::string& pointer_prefix = "", std::size_t byte_offset = 0);

}  // namespace sendpath::vectors::detail
