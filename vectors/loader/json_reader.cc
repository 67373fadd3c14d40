#include "vectors/loader/json_reader.h"

#include "vectors/loader/vector_loader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <unordered_set>
#include <utility>

namespace sendpath::vectors {

namespace {

// Each character's hex value, -1 for a non-digit: one load per character instead of three
// range tests (frames are most of a suite's bytes).
constexpr std::array<std::int8_t, 256> kHexValue = [] {
  std::array<std::int8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[static_cast<std::size_t>(c)] = c >= '0' && c <= '9'   ? static_cast<std::int8_t>(c - '0')
                                         : c >= 'a' && c <= 'f' ? static_cast<std::int8_t>(c - 'a' + 10)
                                         : c >= 'A' && c <= 'F' ? static_cast<std::int8_t>(c - 'A' + 10)
                                                                : std::int8_t{-1};
  }
  return table;
}();

int HexDigitValue(char c) { return kHexValue[static_cast<unsigned char>(c)]; }

bool IsHexSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string Printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string(1, c);
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("\\x") + kDigits[u >> 4] + kDigits[u & 0xf];
}

// The bytes of HEX `text` appended to `bytes`, so that AsHex needs no second buffer; on an
// error `bytes` holds some of them.
std::optional<HexError> AppendHexDigits(std::string_view text, Bytes& bytes) {
  int high = -1;
  std::size_t high_offset = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsHexSpace(c)) continue;
    const int v = HexDigitValue(c);
    if (v < 0) return HexError{i, "bad hex digit '" + Printable(c) + "' at offset " + std::to_string(i)};
    if (high < 0) {
      high = v;
      high_offset = i;
    } else {
      bytes.push_back(static_cast<std::uint8_t>((high << 4) | v));
      high = -1;
    }
  }
  if (high >= 0) {
    return HexError{high_offset, "odd number of hex digits: the digit at offset " + std::to_string(high_offset) +
                                     " has no partner"};
  }
  return std::nullopt;
}

}  // namespace

std::variant<Bytes, HexError> ParseHex(std::string_view text) {
  Bytes bytes;
  bytes.reserve(text.size() / 2);
  if (auto error = AppendHexDigits(text, bytes)) return std::move(*error);
  return bytes;
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace detail {

void JsonPointer::AppendTo(std::string& out) const {
  if (parent_ == nullptr) return;
  parent_->AppendTo(out);
  out += '/';
  out += index_ == kKey ? EscapePointerToken(key_) : std::to_string(index_);
}

std::string JsonPointer::str() const {
  std::string out;
  AppendTo(out);
  return out;
}

void Fail(std::string pointer, std::string message) { throw LoadFailure{std::move(pointer), std::move(message)}; }

void Fail(const JsonPointer& pointer, std::string message) { Fail(pointer.str(), std::move(message)); }

const char* TypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "number";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::null: return "null";
    default: return "binary";
  }
}

namespace {

[[noreturn]] void WrongType(const nlohmann::json& value, const JsonPointer& pointer, std::string_view expected) {
  Fail(pointer, "expected " + std::string(expected) + ", found " + TypeName(value));
}

}  // namespace

ObjectReader::ObjectReader(const nlohmann::json& value, const JsonPointer& pointer,
                           std::initializer_list<std::string_view> known)
    : value_(value), pointer_(pointer) {
  if (!value_.is_object()) WrongType(value_, pointer_, "object");
  for (const auto& [key, member] : value_.items()) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
      Fail(pointer_.Child(key), "unknown key '" + key + "'");
    }
  }
}

bool ObjectReader::Has(std::string_view key) const { return value_.find(key) != value_.end(); }

const nlohmann::json& ObjectReader::Required(std::string_view key) const {
  const auto it = value_.find(key);
  if (it == value_.end()) Fail(pointer_, "missing required key '" + std::string(key) + "'");
  return *it;
}

const nlohmann::json* ObjectReader::Optional(std::string_view key) const {
  const auto it = value_.find(key);
  return it == value_.end() ? nullptr : &*it;
}

const nlohmann::json::array_t& AsArray(const nlohmann::json& value, const JsonPointer& pointer) {
  if (!value.is_array()) WrongType(value, pointer, "array");
  return value.get_ref<const nlohmann::json::array_t&>();
}

const std::string& AsString(const nlohmann::json& value, const JsonPointer& pointer) {
  if (!value.is_string()) WrongType(value, pointer, "string");
  return value.get_ref<const std::string&>();
}

std::string AsNonEmptyString(const nlohmann::json& value, const JsonPointer& pointer) {
  const std::string& s = AsString(value, pointer);
  if (s.empty()) Fail(pointer, "must not be empty");
  return s;
}

std::uint64_t AsUnsigned(const nlohmann::json& value, const JsonPointer& pointer, std::uint64_t max) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > max) Fail(pointer, std::to_string(v) + " is above the maximum " + std::to_string(max));
    return v;
  }
  if (value.is_number_integer()) {
    Fail(pointer, std::to_string(value.get<std::int64_t>()) + " is negative; expected 0.." + std::to_string(max));
  }
  WrongType(value, pointer, "integer");
}

std::int64_t AsSigned(const nlohmann::json& value, const JsonPointer& pointer, std::int64_t min, std::int64_t max) {
  if (!value.is_number_integer()) WrongType(value, pointer, "integer");
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    Fail(pointer, std::to_string(value.get<std::uint64_t>()) + " is outside " + std::to_string(min) + ".." +
                      std::to_string(max));
  }
  const auto v = value.get<std::int64_t>();
  if (v < min || v > max) {
    Fail(pointer, std::to_string(v) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  return v;
}

std::vector<std::string> AsStringArray(const nlohmann::json& value, const JsonPointer& pointer) {
  const auto& array = AsArray(value, pointer);
  std::vector<std::string> out;
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) out.push_back(AsString(array[i], pointer.Child(i)));
  return out;
}

namespace {

// The stash AsHex reads on this thread (HexStashScope), or none.
thread_local HexStash* tl_hex_stash = nullptr;

constexpr char kStashMark = '\x01';

void AppendHexString(const nlohmann::json& value, const JsonPointer& pointer, Bytes& out) {
  const std::string& text = AsString(value, pointer);
  if (tl_hex_stash != nullptr && !text.empty() && text[0] == kStashMark) {
    // Any miss sends the caller back to the plain parse, which names the real problem.
    if (!tl_hex_stash->Decode(text, out)) Fail(pointer, "stashed frame not decoded");
    return;
  }
  if (out.empty()) out.reserve(text.size() / 2);
  if (auto error = AppendHexDigits(text, out)) Fail(pointer, std::move(error->message));
}

}  // namespace

Bytes AsHex(const nlohmann::json& value, const JsonPointer& pointer) {
  Bytes out;
  if (value.is_string()) {
    AppendHexString(value, pointer, out);
  } else if (value.is_array()) {
    const auto& parts = value.get_ref<const nlohmann::json::array_t&>();
    for (std::size_t i = 0; i < parts.size(); ++i) AppendHexString(parts[i], pointer.Child(i), out);
  } else {
    WrongType(value, pointer, "hex string or array of hex strings");
  }
  return out;
}

bool HexStash::Stash(std::string_view text, std::string& out) {
  constexpr std::size_t kMinDigits = 64;  // shorter strings cost the lexer little
  digits_.clear();
  used_ = 0;
  out.clear();
  std::size_t copied = 0;  // text[copied..] is not in `out` yet
  std::string_view key;
  char previous = 0;  // the last character before the current string, outside strings, not space
  std::size_t i = 0;
  while (i < text.size()) {
    const void* quote = std::memchr(text.data() + i, '"', text.size() - i);
    if (quote == nullptr) break;
    const auto open = static_cast<std::size_t>(static_cast<const char*>(quote) - text.data());
    for (std::size_t j = open; j > i; --j) {
      if (!IsHexSpace(text[j - 1])) {
        previous = text[j - 1];
        break;
      }
    }
    // The closing quote: the next one not escaped by an odd run of backslashes.
    std::size_t close = open + 1;
    while (true) {
      const void* end = close < text.size() ? std::memchr(text.data() + close, '"', text.size() - close) : nullptr;
      if (end == nullptr) return false;  // unterminated: the plain parse reports it
      close = static_cast<std::size_t>(static_cast<const char*>(end) - text.data());
      std::size_t backslashes = 0;
      while (close - backslashes > open + 1 && text[close - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0) break;
      ++close;
    }
    const std::string_view content = text.substr(open + 1, close - open - 1);
    std::size_t after = close + 1;
    while (after < text.size() && IsHexSpace(text[after])) ++after;
    if (after < text.size() && text[after] == ':') {
      key = content;
    } else if (previous == ':' && key == "frame" && content.size() >= kMinDigits) {
      out.append(text.substr(copied, open - copied));
      char number[24];
      const auto written = std::to_chars(number, number + sizeof(number), digits_.size());
      out += "\"\\u0001";
      out.append(number, written.ptr);
      out += '"';
      copied = close + 1;
      digits_.push_back(content);
    }
    previous = '"';
    i = close + 1;
  }
  if (digits_.empty()) return false;
  out.append(text.substr(copied));
  decoded_.assign(digits_.size(), false);
  return true;
}

bool HexStash::Decode(std::string_view placeholder, Bytes& bytes) {
  std::size_t index = 0;
  const char* const end = placeholder.data() + placeholder.size();
  const auto [parsed_end, status] = std::from_chars(placeholder.data() + 1, end, index);
  if (placeholder.size() < 2 || status != std::errc() || parsed_end != end || index >= digits_.size() || decoded_[index]) return false;
  const std::string_view digits = digits_[index];
  if (digits.size() % 2 != 0) return false;
  const std::size_t start = bytes.size();
  bytes.resize(start + digits.size() / 2);
  int bad = 0;
  for (std::size_t i = 0, o = start; i < digits.size(); i += 2, ++o) {
    const int high = HexDigitValue(digits[i]), low = HexDigitValue(digits[i + 1]);
    bad |= high | low;  // negative when either is not a digit
    bytes[o] = static_cast<std::uint8_t>((high << 4) | (low & 0xf));
  }
  if (bad < 0) {
    bytes.resize(start);
    return false;
  }
  decoded_[index] = true;
  ++used_;
  return true;
}

HexStashScope::HexStashScope(HexStash& stash) : previous_(tl_hex_stash) { tl_hex_stash = &stash; }
HexStashScope::~HexStashScope() { tl_hex_stash = previous_; }

IPAddr AsIpv4Address(const nlohmann::json& value, const JsonPointer& pointer) {
  const std::string& text = AsString(value, pointer);
  std::uint8_t octets[4] = {};
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') Fail(pointer, "'" + text + "' is not a dotted-quad IPv4 address");
      ++p;
    }
    // Decimal octets without leading zeros (no octal ambiguity).
    unsigned octet = 0;
    const auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255 || (next - p > 1 && *p == '0')) {
      Fail(pointer, "'" + text + "' is not a dotted-quad IPv4 address");
    }
    octets[i] = static_cast<std::uint8_t>(octet);
    p = next;
  }
  if (p != end) Fail(pointer, "'" + text + "' is not a dotted-quad IPv4 address");
  IPAddr address = 0;
  static_assert(sizeof(address) == sizeof(octets));
  std::memcpy(&address, octets, sizeof(address));  // network byte order: a.b.c.d in memory order
  return address;
}

Encapsulation AsEncapsulation(const nlohmann::json& value, const JsonPointer& pointer) {
  const std::string& text = AsString(value, pointer);
  if (text == "null") return Encapsulation::kNull;
  if (text == "ieee802.3") return Encapsulation::kIeee8023;
  Fail(pointer, "unknown encapsulation '" + text + "' (expected \"null\" or \"ieee802.3\")");
}

NDIS_STATUS AsStatus(const nlohmann::json& value, const JsonPointer& pointer) {
  const std::string& text = AsString(value, pointer);
  const auto status = StatusFromName(text);
  if (!status) Fail(pointer, "unknown status name '" + text + "'");
  return *status;
}

void AsCapabilities(const nlohmann::json& value, const JsonPointer& pointer, std::vector<std::string>& names,
                    NDIS_TASK_IPSEC& task, SENDPATH_TASK_IPSEC_EXTENSION& extension) {
  names = AsStringArray(value, pointer);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!SetCapability(task, extension, names[i])) {
      Fail(pointer.Child(i), "unknown capability name '" + names[i] + "'");
    }
  }
}

bool IsValidSaName(std::string_view name) {
  if (name.empty() || name == kNeverIssued) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

namespace {

// Sendpath files nest seven levels deep; anything far deeper is not a vector file and is refused
// before it can cost memory.
constexpr int kMaxDepth = 32;

// Tracks where the parser is, to refuse duplicate keys (nlohmann keeps the last silently) with
// the pointer of the repeated key. The keys of the open objects share one stack (no tree node
// per key; a vector's objects have a handful of keys each); an object with many keys also gets
// a hash set, so the check stays linear for any input.
class DuplicateKeyGuard {
 public:
  explicit DuplicateKeyGuard(const JsonPointer& prefix) : prefix_(prefix) {}
  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (depth >= kMaxDepth) Fail(PointerHere(), "nested deeper than " + std::to_string(kMaxDepth) + " levels");
        frames_.push_back(Frame{event == Event::object_start, keys_.size(), kNoKey, 0, {}});
        break;
      case Event::key: {
        Frame& top = frames_.back();
        const std::string& key = parsed.get_ref<const std::string&>();
        bool repeated = false;
        if (top.many) {
          repeated = !top.many->insert(key).second;
        } else {
          repeated = std::find(keys_.begin() + static_cast<std::ptrdiff_t>(top.keys_begin), keys_.end(), key) != keys_.end();
          if (!repeated && keys_.size() - top.keys_begin >= kLinearKeys) {
            top.many = std::make_unique<std::unordered_set<std::string>>(keys_.begin() + static_cast<std::ptrdiff_t>(top.keys_begin), keys_.end());
            top.many->insert(key);
          }
        }
        top.key = keys_.size();
        keys_.push_back(key);
        if (repeated) Fail(PointerHere(), "duplicate key '" + key + "'");
        break;
      }
      case Event::object_end:
      case Event::array_end:
        keys_.resize(frames_.back().keys_begin);
        frames_.pop_back();
        CountElement();
        break;
      case Event::value:
        CountElement();
        break;
    }
    return true;
  }

 private:
  static constexpr std::size_t kNoKey = static_cast<std::size_t>(-1);
  static constexpr std::size_t kLinearKeys = 16;  // beyond this many keys an object gets a hash set
  struct Frame {
    bool is_object;
    std::size_t keys_begin;  // this object's keys are keys_[keys_begin..]
    std::size_t key;         // the member being read: an index into keys_
    std::size_t index;
    std::unique_ptr<std::unordered_set<std::string>> many;
  };

  void CountElement() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }

  std::string PointerHere() const {
    std::string pointer = prefix_.str();
    for (const Frame& frame : frames_) {
      pointer += '/';
      pointer += frame.is_object ? EscapePointerToken(frame.key == kNoKey ? std::string_view() : keys_[frame.key])
                                 : std::to_string(frame.index);
    }
    return pointer;
  }

  JsonPointer prefix_;  // a copy; its parent is the caller's, which outlives the parse
  std::vector<Frame> frames_;
  std::vector<std::string> keys_;
};

}  // namespace

void RequireFormat(const nlohmann::json& document, std::string_view format) {
  const std::string expected(format);
  if (!document.is_object()) {
    Fail("", "not a " + expected + " file: expected object, found " + TypeName(document));
  }
  const auto found = document.find("format");
  if (found == document.end()) {
    Fail("", "missing required key 'format' (not a " + expected + " file, which starts with \"format\": \"" +
                 expected + "\")");
  }
  if (!found->is_string()) Fail("/format", "not a " + expected + " file: expected string, found " + TypeName(*found));
  const std::string& actual = found->get_ref<const std::string&>();
  if (actual == format) return;
  std::string instead;
  if (actual == "sendpath-vectors/1") instead = " (it is a vector file)";
  if (actual == "sendpath-sas/1") instead = " (it is an SA file)";
  if (actual == "sendpath-results/1") instead = " (it is a run's results.json)";
  if (actual == "sendpath-pcap-index/1") instead = " (it is a report's pcap index)";
  Fail("/format", "not a " + expected + " file: format is '" + actual + "'; expected '" + expected + "'" + instead);
}

nlohmann::json ParseJsonText(std::string_view text, const JsonPointer& pointer_prefix, std::size_t byte_offset) {
  DuplicateKeyGuard guard(pointer_prefix);
  try {
    return nlohmann::json::parse(text.begin(), text.end(), std::ref(guard));
  } catch (const nlohmann::json::parse_error& e) {
    Fail("", "not valid JSON (byte " + std::to_string(e.byte + byte_offset) + "): " + e.what());
  }
}

std::optional<LoadError> ReadWholeFileInto(const std::string& path, std::string& text) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return LoadError{path, "", "is a directory, not a file"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return LoadError{path, "", "cannot open the file"};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return LoadError{path, "", "cannot read the file"};
  if (static_cast<std::uint64_t>(size) > kMaxFileBytes) {
    return LoadError{path, "", "file is " + std::to_string(size) + " bytes; the limit is " + std::to_string(kMaxFileBytes)};
  }
  in.seekg(0, std::ios::beg);
  text.resize(static_cast<std::size_t>(size));
  if (!in.read(text.data(), size)) return LoadError{path, "", "cannot read the file"};
  return std::nullopt;
}

std::variant<std::string, LoadError> ReadWholeFile(const std::string& path) {
  std::string text;
  if (auto error = ReadWholeFileInto(path, text)) return std::move(*error);
  return text;
}

}  // namespace detail
}  // namespace sendpath::vectors
