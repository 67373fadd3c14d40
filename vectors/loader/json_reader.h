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

// The JSON pointer of the value being read, built on the stack as the loader descends: the
// pointer it was made from and one token (a key or an index). The RFC 6901 text is made only
// where it is needed (an error, a pointer kept in the model), not for every value read.
// A child refers to its parent and to the key it was given: neither may end before the child.
// Children of a temporary are refused, since they would outlive it.
class JsonPointer {
 public:
  // The whole document: "".
  JsonPointer() = default;

  JsonPointer Child(std::string_view key) const& { return JsonPointer(this, key, kKey); }
  JsonPointer Child(std::size_t index) const& { return JsonPointer(this, {}, index); }
  JsonPointer Child(std::string_view key) const&& = delete;
  JsonPointer Child(std::size_t index) const&& = delete;

  // "" or "/token/...", keys escaped (~0, ~1) as EscapePointerToken does.
  std::string str() const;
  void AppendTo(std::string& out) const;

 private:
  static constexpr std::size_t kKey = static_cast<std::size_t>(-1);
  JsonPointer(const JsonPointer* parent, std::string_view key, std::size_t index)
      : parent_(parent), key_(key), index_(index) {}

  const JsonPointer* parent_ = nullptr;  // null: the whole document
  std::string_view key_;
  std::size_t index_ = kKey;  // kKey: the token is key_
};

[[noreturn]] void Fail(std::string pointer, std::string message);
[[noreturn]] void Fail(const JsonPointer& pointer, std::string message);

// "object", "array", "string", "integer", "number", "boolean", "null".
const char* TypeName(const nlohmann::json& value);

// An object whose keys must all be in `known`; checked on construction, so a misspelt key is
// reported as unknown rather than as a missing required key.
class ObjectReader {
 public:
  // `pointer` is copied, so the reader may outlive a temporary child (not that child's parent).
  ObjectReader(const nlohmann::json& value, const JsonPointer& pointer, std::initializer_list<std::string_view> known);

  const JsonPointer& pointer() const { return pointer_; }
  bool Has(std::string_view key) const;
  // The member; fails with "missing required key" when absent.
  const nlohmann::json& Required(std::string_view key) const;
  // The member, or null when absent.
  const nlohmann::json* Optional(std::string_view key) const;
  // The member's pointer. It refers to this reader, so a temporary reader gives none.
  JsonPointer At(std::string_view key) const& { return pointer_.Child(key); }
  JsonPointer At(std::string_view key) const&& = delete;

 private:
  const nlohmann::json& value_;
  JsonPointer pointer_;
};

const nlohmann::json::array_t& AsArray(const nlohmann::json& value, const JsonPointer& pointer);
const std::string& AsString(const nlohmann::json& value, const JsonPointer& pointer);
std::string AsNonEmptyString(const nlohmann::json& value, const JsonPointer& pointer);
// An integer in [min, max]; floats, booleans and strings are type errors.
std::uint64_t AsUnsigned(const nlohmann::json& value, const JsonPointer& pointer, std::uint64_t max);
std::int64_t AsSigned(const nlohmann::json& value, const JsonPointer& pointer, std::int64_t min, std::int64_t max);
std::vector<std::string> AsStringArray(const nlohmann::json& value, const JsonPointer& pointer);
// HEX: a string of hex digits (whitespace allowed) or an array of such strings, concatenated.
// With a HexStash in scope, a placeholder string decodes the digits it stands for.
Bytes AsHex(const nlohmann::json& value, const JsonPointer& pointer);

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
IPAddr AsIpv4Address(const nlohmann::json& value, const JsonPointer& pointer);
Encapsulation AsEncapsulation(const nlohmann::json& value, const JsonPointer& pointer);
NDIS_STATUS AsStatus(const nlohmann::json& value, const JsonPointer& pointer);

// Capability names -> structures; fails at pointer/i on an unknown name.
void AsCapabilities(const nlohmann::json& value, const JsonPointer& pointer, std::vector<std::string>& names,
                    NDIS_TASK_IPSEC& task, SENDPATH_TASK_IPSEC_EXTENSION& extension);

// SA names: [A-Za-z0-9_.-]+ and not the reserved handle word.
bool IsValidSaName(std::string_view name);
inline constexpr std::string_view kNeverIssued = "never_issued";

// The SA object of a vector or an SA file.
SaSpec ParseSa(const nlohmann::json& value, const JsonPointer& pointer, const std::string& name);

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
nlohmann::json ParseJsonText(std::string_view text, const JsonPointer& pointer_prefix = JsonPointer(),
                             std::size_t byte_offset = 0);

}  // namespace sendpath::vectors::detail
