// sendpath-vectors/1 files: vectors, steps, and loading whole suites.
#include "vectors/loader/vector_loader.h"

#include "vectors/loader/json_reader.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <limits>
#include <set>
#include <system_error>
#include <utility>

namespace sendpath::vectors {

std::string LoadError::ToString() const {
  if (pointer.empty()) return file + ": " + message;
  return file + ":" + pointer + ": " + message;
}

std::string Sha256Hex(std::span<const std::uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) return {};
  return ToHex(std::span<const std::uint8_t>(digest, length));
}

namespace {

using namespace detail;

constexpr std::uint64_t kMaxUlong = std::numeric_limits<ULONG>::max();

// What a vector's steps may refer to.
struct VectorScope {
  const std::map<std::string, SaSpec>& sas;
  JsonPointer sas_pointer;  // "/vectors/N/sas", for errors
  Encapsulation encapsulation = Encapsulation::kNull;  // in effect for this step (the vector's, or a set's)
};

// A frame of a send step: HEX, at most the largest IPv4 datagram plus the encapsulation header.
Bytes AsFrame(const nlohmann::json& value, const JsonPointer& pointer, const VectorScope& scope) {
  Bytes frame = AsHex(value, pointer);
  const std::size_t max = MaxFrameBytes(scope.encapsulation);
  if (frame.size() > max) {
    Fail(pointer, "frame of " + std::to_string(frame.size()) + " bytes; the largest is " + std::to_string(max) +
                      " (a 65535-byte IPv4 datagram" +
                      (scope.encapsulation == Encapsulation::kIeee8023 ? " plus the 14-byte Ethernet II header" : "") +
                      ", encapsulation " + std::string(EncapsulationName(scope.encapsulation)) + ")");
  }
  return frame;
}

std::string RequireSaName(const nlohmann::json& value, const JsonPointer& pointer, const VectorScope& scope) {
  const std::string& name = AsString(value, pointer);
  if (scope.sas.find(name) == scope.sas.end()) {
    Fail(pointer, "bad handle name '" + name + "': no SA of that name in " + scope.sas_pointer.str());
  }
  return name;
}

// HANDLE: an SA name (whatever its state), 0, or "never_issued".
HandleRef ParseHandle(const nlohmann::json& value, const JsonPointer& pointer, const VectorScope& scope) {
  HandleRef handle;
  if (value.is_number()) {
    const bool zero = value.is_number_unsigned() ? value.get<std::uint64_t>() == 0
                                                 : value.is_number_integer() && value.get<std::int64_t>() == 0;
    if (!zero) Fail(pointer, "a literal handle must be 0 (or \"never_issued\", or an SA name)");
    handle.kind = HandleRef::Kind::kZero;
    return handle;
  }
  if (!value.is_string()) Fail(pointer, std::string("expected handle (0, SA name or \"never_issued\"), found ") + TypeName(value));
  if (value.get_ref<const std::string&>() == kNeverIssued) {
    handle.kind = HandleRef::Kind::kNeverIssued;
    return handle;
  }
  handle.kind = HandleRef::Kind::kSa;
  handle.sa = RequireSaName(value, pointer, scope);
  return handle;
}

SetStep ParseSetStep(const ObjectReader& reader) {
  SetStep step;
  AsCapabilities(reader.Required("enable"), reader.At("enable"), step.enable, step.task, step.extension);
  if (const auto* encapsulation = reader.Optional("encapsulation")) {
    step.encapsulation = AsEncapsulation(*encapsulation, reader.At("encapsulation"));
  }
  step.expect = AsStatus(reader.Required("expect"), reader.At("expect"));
  return step;
}

// The SA a delete names: exactly one of "sa" (an SA of the vector) and "handle" (any handle ref).
HandleRef ParseSaOrHandle(const ObjectReader& reader, const VectorScope& scope) {
  const auto* sa = reader.Optional("sa");
  const auto* handle = reader.Optional("handle");
  if ((sa == nullptr) == (handle == nullptr)) Fail(reader.pointer(), "needs exactly one of 'sa' and 'handle'");
  if (sa == nullptr) return ParseHandle(*handle, reader.At("handle"), scope);
  HandleRef ref;
  ref.kind = HandleRef::Kind::kSa;
  ref.sa = RequireSaName(*sa, reader.At("sa"), scope);
  return ref;
}

DeleteSaStep ParseDeleteSaStep(const ObjectReader& reader, const VectorScope& scope) {
  DeleteSaStep step;
  step.handle = ParseSaOrHandle(reader, scope);
  step.expect = AsStatus(reader.Required("expect"), reader.At("expect"));
  return step;
}

// EncapTypeEntryOffldHandle: 0 (NULL), "never_issued", or the name of the SA whose
// add_udpesp_sa returned the entry.
HandleRef ParseParserEntry(const ObjectReader& reader, const VectorScope& scope) {
  const auto* entry = reader.Optional("parser_entry");
  if (entry == nullptr) return HandleRef{};
  HandleRef ref = ParseHandle(*entry, reader.At("parser_entry"), scope);
  if (ref.kind == HandleRef::Kind::kSa && !scope.sas.at(ref.sa).udp_esp) {
    Fail(reader.At("parser_entry"), "SA '" + ref.sa + "' is no UDP-ESP SA, so it has no parser entry");
  }
  return ref;
}

AddUdpEspSaStep ParseAddUdpEspSaStep(const ObjectReader& reader, const VectorScope& scope) {
  AddUdpEspSaStep step;
  step.sa = RequireSaName(reader.Required("sa"), reader.At("sa"), scope);
  if (!scope.sas.at(step.sa).udp_esp) {
    Fail(reader.At("sa"), "SA '" + step.sa + "' has no 'udp_esp': add it with add_sa");
  }
  step.parser_entry = ParseParserEntry(reader, scope);
  step.expect = AsStatus(reader.Required("expect"), reader.At("expect"));
  return step;
}

DeleteUdpEspSaStep ParseDeleteUdpEspSaStep(const ObjectReader& reader, const VectorScope& scope) {
  DeleteUdpEspSaStep step;
  step.handle = ParseSaOrHandle(reader, scope);
  step.parser_entry = ParseParserEntry(reader, scope);
  step.expect = AsStatus(reader.Required("expect"), reader.At("expect"));
  return step;
}

SendStep ParseSendStep(const ObjectReader& reader, const VectorScope& scope) {
  SendStep step;
  step.frame = AsFrame(reader.Required("frame"), reader.At("frame"), scope);

  if (const auto* split = reader.Optional("split")) {
    const JsonPointer at = reader.At("split");
    const auto& offsets = AsArray(*split, at);
    for (std::size_t i = 0; i < offsets.size(); ++i) {
      const JsonPointer offset_at = at.Child(i);
      const auto offset = static_cast<std::size_t>(AsUnsigned(offsets[i], offset_at, kMaxUlong));
      // Each cut leaves a non-empty NDIS_BUFFER on both sides.
      if (offset == 0 || offset >= step.frame.size()) {
        Fail(offset_at, "split offset " + std::to_string(offset) + " is not inside the " +
                            std::to_string(step.frame.size()) + "-byte frame (1.." +
                            std::to_string(step.frame.size() == 0 ? 0 : step.frame.size() - 1) + ")");
      }
      if (!step.split.empty() && offset <= step.split.back()) {
        Fail(offset_at, "split offsets must be ascending: " + std::to_string(offset) + " follows " +
                            std::to_string(step.split.back()));
      }
      step.split.push_back(offset);
    }
  }

  const nlohmann::json& info = reader.Required("info");
  if (info.is_null()) {
    step.has_info = false;
  } else {
    ObjectReader info_reader(info, reader.At("info"), {"OffloadHandle", "NextOffloadHandle"});
    step.has_info = true;
    step.offload_handle = ParseHandle(info_reader.Required("OffloadHandle"), info_reader.At("OffloadHandle"), scope);
    step.next_offload_handle =
        ParseHandle(info_reader.Required("NextOffloadHandle"), info_reader.At("NextOffloadHandle"), scope);
  }

  if (const auto* ivs = reader.Optional("ivs")) {
    const JsonPointer at = reader.At("ivs");
    if (!ivs->is_object()) Fail(at, std::string("expected object, found ") + TypeName(*ivs));
    for (const auto& [name, list] : ivs->items()) {
      const JsonPointer name_at = at.Child(name);
      if (scope.sas.find(name) == scope.sas.end()) {
        Fail(name_at, "bad handle name '" + name + "': no SA of that name in " + scope.sas_pointer.str());
      }
      const auto& entries = AsArray(list, name_at);
      if (entries.size() > kMaxIvsPerSa) {
        Fail(name_at, std::to_string(entries.size()) + " IVs for one SA in one send; at most " +
                          std::to_string(kMaxIvsPerSa));
      }
      std::vector<Bytes>& out = step.ivs[name];
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const JsonPointer entry_at = name_at.Child(i);
        out.push_back(AsHex(entries[i], entry_at));
        if (out.back().size() > kMaxIvBytes) {
          Fail(entry_at,
               "IV of " + std::to_string(out.back().size()) + " bytes; at most " + std::to_string(kMaxIvBytes));
        }
      }
    }
  }

  ObjectReader expect(reader.Required("expect"), reader.At("expect"), {"status", "frame", "iv_bytes"});
  step.expect_status = AsStatus(expect.Required("status"), expect.At("status"));
  const nlohmann::json& frame = expect.Required("frame");
  if (!frame.is_null()) step.expect_frame = AsFrame(frame, expect.At("frame"), scope);
  if (const auto* iv_bytes = expect.Optional("iv_bytes")) {
    const JsonPointer at = expect.At("iv_bytes");
    const auto& ranges = AsArray(*iv_bytes, at);
    if (!ranges.empty() && !step.expect_frame) Fail(at, "IV ranges given but the expected frame is null");
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const JsonPointer range_at = at.Child(i);
      const auto& pair = AsArray(ranges[i], range_at);
      if (pair.size() != 2) Fail(range_at, "expected [offset, length], found " + std::to_string(pair.size()) + " entries");
      const JsonPointer length_at = range_at.Child(std::size_t{1});
      const auto offset = static_cast<std::size_t>(AsUnsigned(pair[0], range_at.Child(std::size_t{0}), kMaxUlong));
      const auto length = static_cast<std::size_t>(AsUnsigned(pair[1], length_at, kMaxUlong));
      if (length == 0) Fail(length_at, "IV length must not be 0");
      const std::size_t frame_size = step.expect_frame->size();
      if (offset > frame_size || length > frame_size - offset) {  // no size_t wrap-around
        Fail(range_at, "IV bytes " + std::to_string(offset) + ".." + std::to_string(offset + length) +
                           " run past the " + std::to_string(frame_size) + "-byte expected frame");
      }
      step.iv_bytes.emplace_back(offset, length);
    }
  }
  return step;
}

Step ParseStep(const nlohmann::json& value, const JsonPointer& pointer, const VectorScope& scope) {
  if (!value.is_object()) Fail(pointer, std::string("expected object, found ") + TypeName(value));
  const auto op_it = value.find("op");
  if (op_it == value.end()) Fail(pointer, "missing required key 'op'");
  const JsonPointer op_at = pointer.Child("op");
  const std::string& op = AsString(*op_it, op_at);
  Step step;
  step.pointer = pointer.str();
  if (op == "set") {
    step.op = ParseSetStep(ObjectReader(value, pointer, {"op", "enable", "encapsulation", "expect"}));
  } else if (op == "add_sa") {
    ObjectReader reader(value, pointer, {"op", "sa", "expect"});
    AddSaStep add;
    add.sa = RequireSaName(reader.Required("sa"), reader.At("sa"), scope);
    if (scope.sas.at(add.sa).udp_esp) {
      Fail(reader.At("sa"), "SA '" + add.sa + "' is a UDP-ESP SA: add it with add_udpesp_sa");
    }
    add.expect = AsStatus(reader.Required("expect"), reader.At("expect"));
    step.op = std::move(add);
  } else if (op == "delete_sa") {
    step.op = ParseDeleteSaStep(ObjectReader(value, pointer, {"op", "sa", "handle", "expect"}), scope);
  } else if (op == "fill_sa_table") {
    ObjectReader reader(value, pointer, {"op", "sa", "limit"});
    FillSaTableStep fill;
    fill.sa = RequireSaName(reader.Required("sa"), reader.At("sa"), scope);
    if (scope.sas.at(fill.sa).udp_esp) Fail(reader.At("sa"), "fill_sa_table takes a plain (add_sa) SA");
    fill.limit = static_cast<std::size_t>(AsUnsigned(reader.Required("limit"), reader.At("limit"), kMaxFillLimit));
    if (fill.limit == 0) Fail(reader.At("limit"), "limit must be at least 1");
    step.op = std::move(fill);
  } else if (op == "add_udpesp_sa") {
    step.op = ParseAddUdpEspSaStep(ObjectReader(value, pointer, {"op", "sa", "parser_entry", "expect"}), scope);
  } else if (op == "delete_udpesp_sa") {
    step.op =
        ParseDeleteUdpEspSaStep(ObjectReader(value, pointer, {"op", "sa", "handle", "parser_entry", "expect"}), scope);
  } else if (op == "send") {
    step.op = ParseSendStep(ObjectReader(value, pointer, {"op", "frame", "split", "info", "ivs", "expect"}), scope);
  } else {
    Fail(op_at, "unknown op '" + op +
                    "' (expected set, add_sa, delete_sa, add_udpesp_sa, delete_udpesp_sa, fill_sa_table or send)");
  }
  return step;
}

Provenance ParseProvenance(const nlohmann::json& value, const JsonPointer& pointer) {
  ObjectReader reader(value, pointer, {"source", "generator", "confirmed_by", "comment"});
  Provenance provenance;
  provenance.source = AsNonEmptyString(reader.Required("source"), reader.At("source"));
  provenance.generator = AsNonEmptyString(reader.Required("generator"), reader.At("generator"));
  provenance.confirmed_by = AsStringArray(reader.Required("confirmed_by"), reader.At("confirmed_by"));
  if (const auto* comment = reader.Optional("comment")) provenance.comment = AsString(*comment, reader.At("comment"));
  return provenance;
}

bool IsValidId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

Vector ParseVector(const nlohmann::json& value, const JsonPointer& pointer, const VectorFile& file) {
  ObjectReader reader(value, pointer,
                      {"id", "title", "class", "flags", "provenance", "requires", "encapsulation", "sas", "steps"});
  Vector vector;
  vector.file = file.path;
  vector.pointer = pointer.str();
  vector.id = AsString(reader.Required("id"), reader.At("id"));
  if (!IsValidId(vector.id)) Fail(reader.At("id"), "id must be non-empty printable ASCII without spaces");
  vector.title = AsNonEmptyString(reader.Required("title"), reader.At("title"));

  const std::string& vector_class = AsString(reader.Required("class"), reader.At("class"));
  if (vector_class == "MUST") {
    vector.vector_class = VectorClass::kMust;
  } else if (vector_class == "SHOULD") {
    vector.vector_class = VectorClass::kShould;
  } else {
    Fail(reader.At("class"), "unknown class '" + vector_class + "' (expected MUST or SHOULD)");
  }

  const JsonPointer flags_at = reader.At("flags");
  vector.flags = AsStringArray(reader.Required("flags"), flags_at);
  for (std::size_t i = 0; i < vector.flags.size(); ++i) {
    if (file.notes.find(vector.flags[i]) == file.notes.end()) {
      Fail(flags_at.Child(i), "flag '" + vector.flags[i] + "' has no note in /notes");
    }
  }

  vector.provenance = ParseProvenance(reader.Required("provenance"), reader.At("provenance"));
  AsCapabilities(reader.Required("requires"), reader.At("requires"), vector.requires_caps, vector.requires_task,
                 vector.requires_extension);
  vector.encapsulation = AsEncapsulation(reader.Required("encapsulation"), reader.At("encapsulation"));

  const JsonPointer sas_at = reader.At("sas");
  const nlohmann::json& sas = reader.Required("sas");
  if (!sas.is_object()) Fail(sas_at, std::string("expected object, found ") + TypeName(sas));
  for (const auto& [name, sa] : sas.items()) {
    const JsonPointer at = sas_at.Child(name);
    if (!IsValidSaName(name)) Fail(at, "bad SA name '" + name + "' (expected [A-Za-z0-9_.-]+, not never_issued)");
    vector.sas.emplace(name, ParseSa(sa, at, name));
  }

  VectorScope scope{vector.sas, sas_at, vector.encapsulation};
  const JsonPointer steps_at = reader.At("steps");
  const auto& steps = AsArray(reader.Required("steps"), steps_at);
  if (steps.empty()) Fail(steps_at, "a vector needs at least one step");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    vector.steps.push_back(ParseStep(steps[i], steps_at.Child(i), scope));
    if (const auto* set = std::get_if<SetStep>(&vector.steps.back().op); set != nullptr && set->encapsulation == Encapsulation::kIeee8023) {
      scope.encapsulation = Encapsulation::kIeee8023;  // frames may carry the Ethernet header from here on
    }
  }
  return vector;
}

// The file's own keys (format, group, description, notes); `vectors` is checked to be an array
// and returned, not parsed.
VectorFile ParseHead(const nlohmann::json& document, const std::string& path, const nlohmann::json::array_t*& vectors) {
  RequireFormat(document, kVectorFormat);
  const JsonPointer root;
  ObjectReader reader(document, root, {"format", "group", "description", "notes", "vectors"});
  VectorFile file;
  file.path = path;
  file.format = AsString(reader.Required("format"), reader.At("format"));
  file.group = AsNonEmptyString(reader.Required("group"), reader.At("group"));
  file.description = AsString(reader.Required("description"), reader.At("description"));

  const nlohmann::json& notes = reader.Required("notes");
  const JsonPointer notes_at = reader.At("notes");
  if (!notes.is_object()) Fail(notes_at, std::string("expected object, found ") + TypeName(notes));
  for (const auto& [flag, note] : notes.items()) file.notes.emplace(flag, AsNonEmptyString(note, notes_at.Child(flag)));
  vectors = &AsArray(reader.Required("vectors"), reader.At("vectors"));
  return file;
}

std::string FileSha256(std::string_view json_text) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(json_text.data());
  return Sha256Hex(std::span<const std::uint8_t>(data, json_text.size()));
}

VectorFile ParseDocument(std::string_view json_text, const std::string& path) {
  const nlohmann::json document = ParseJsonText(json_text);
  const nlohmann::json::array_t* vectors = nullptr;
  VectorFile file = ParseHead(document, path, vectors);
  const JsonPointer root;
  const JsonPointer vectors_at = root.Child("vectors");
  if (vectors->empty()) Fail(vectors_at, "a file needs at least one vector");
  std::map<std::string, std::string> seen;  // id -> pointer
  for (std::size_t i = 0; i < vectors->size(); ++i) {
    const JsonPointer at = vectors_at.Child(i);
    Vector vector = ParseVector((*vectors)[i], at, file);
    const auto [it, inserted] = seen.emplace(vector.id, vector.pointer);
    if (!inserted) Fail(at.Child("id"), "duplicate id '" + vector.id + "' (first at " + it->second + ")");
    file.vectors.push_back(std::move(vector));
  }
  file.sha256 = FileSha256(json_text);
  return file;
}

// ---- Splitting a file into its vectors without parsing them ----------------------------------
// A string-aware bracket scan (no value is decoded): where each element of the top-level
// "vectors" array lies. It only splits; every piece is then parsed strictly on its own. A text
// it cannot split (not an object, a syntax error, an escaped or repeated "vectors" key) is
// parsed whole instead, which names the problem exactly.
constexpr std::size_t kNone = std::string_view::npos;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t SkipSpace(std::string_view text, std::size_t i) {
  while (i < text.size() && IsJsonSpace(text[i])) ++i;
  return i;
}

// Past the closing quote of the string opening at text[i].
std::size_t SkipString(std::string_view text, std::size_t i) {
  for (std::size_t from = i + 1; from < text.size();) {
    const void* found = std::memchr(text.data() + from, '"', text.size() - from);
    if (found == nullptr) return kNone;
    const auto quote = static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
    std::size_t backslashes = 0;
    while (quote - backslashes > i + 1 && text[quote - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return quote + 1;
    from = quote + 1;
  }
  return kNone;
}

// Past the value starting at text[i] (kNone when it does not close).
std::size_t SkipValue(std::string_view text, std::size_t i) {
  if (i >= text.size()) return kNone;
  if (text[i] == '"') return SkipString(text, i);
  if (text[i] == '{' || text[i] == '[') {
    std::size_t depth = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"') {
        i = SkipString(text, i);
        if (i == kNone) return kNone;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i + 1;
      }
      ++i;
    }
    return kNone;
  }
  while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']' && !IsJsonSpace(text[i])) ++i;
  return i;
}

struct VectorsLayout {
  std::size_t open = 0, close = 0;  // the brackets of the array
  std::vector<std::pair<std::size_t, std::size_t>> elements;
};

std::optional<VectorsLayout> FindVectors(std::string_view text) {
  std::optional<VectorsLayout> found;
  std::size_t i = SkipSpace(text, 0);
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  i = SkipSpace(text, i + 1);
  while (true) {
    if (i >= text.size() || text[i] != '"') return std::nullopt;
    const std::size_t key_end = SkipString(text, i);
    if (key_end == kNone) return std::nullopt;
    const std::string_view key = text.substr(i + 1, key_end - i - 2);
    i = SkipSpace(text, key_end);
    if (i >= text.size() || text[i] != ':') return std::nullopt;
    i = SkipSpace(text, i + 1);
    if (key == "vectors" && i < text.size() && text[i] == '[') {
      if (found) return std::nullopt;
      VectorsLayout layout;
      layout.open = i;
      i = SkipSpace(text, i + 1);
      while (i < text.size() && text[i] != ']') {
        const std::size_t end = SkipValue(text, i);
        if (end == kNone || end == i) return std::nullopt;
        layout.elements.emplace_back(i, end);
        i = SkipSpace(text, end);
        if (i < text.size() && text[i] == ',') i = SkipSpace(text, i + 1);
        else if (i >= text.size() || text[i] != ']') return std::nullopt;
      }
      if (i >= text.size()) return std::nullopt;
      layout.close = i++;
      found = std::move(layout);
    } else {
      const std::size_t end = SkipValue(text, i);
      if (end == kNone || end == i) return std::nullopt;
      i = end;
    }
    i = SkipSpace(text, i);
    if (i < text.size() && text[i] == ',') {
      i = SkipSpace(text, i + 1);
      continue;
    }
    if (i < text.size() && text[i] == '}') break;
    return std::nullopt;
  }
  return found;
}

}  // namespace

std::variant<VectorFile, LoadError> ParseVectorFile(std::string_view json_text, std::string path) {
  try {
    return ParseDocument(json_text, path);
  } catch (const LoadFailure& failure) {
    return LoadError{std::move(path), failure.pointer, failure.message};
  } catch (const std::exception& e) {
    return LoadError{std::move(path), "", std::string("cannot load: ") + e.what()};
  }
}

std::variant<VectorFile, LoadError> LoadVectorFile(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (auto* error = std::get_if<LoadError>(&text)) return std::move(*error);
  return ParseVectorFile(std::get<std::string>(text), path);
}

std::vector<std::string> ListVectorFiles(const std::vector<std::string>& paths, std::vector<LoadError>& errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      errors.push_back(LoadError{path, "", "no such file or directory"});
      continue;
    }
    if (!fs::is_directory(status)) {
      files.push_back(fs::path(path).lexically_normal().string());
      continue;
    }
    fs::recursive_directory_iterator it(path, fs::directory_options::none, ec);  // no symlink cycles
    if (ec) {
      errors.push_back(LoadError{path, "", "cannot list the directory: " + ec.message()});
      continue;
    }
    for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
      if (ec) {
        errors.push_back(LoadError{path, "", "cannot list the directory: " + ec.message()});
        break;
      }
      std::error_code type_ec;
      if (it->path().extension() == ".json" && it->is_regular_file(type_ec)) {
        files.push_back(it->path().lexically_normal().string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

std::variant<VectorFileReader, LoadError> VectorFileReader::Open(const std::string& path, const std::string& name,
                                                                std::string buffer) {
  if (auto error = ReadWholeFileInto(path, buffer)) {
    error->file = name;
    return std::move(*error);
  }
  return FromText(std::move(buffer), name);
}

std::string VectorFileReader::TakeBuffer() {
  elements_.clear();
  fallback_.clear();
  next_ = 0;
  text_.clear();
  return std::move(text_);
}

std::variant<VectorFileReader, LoadError> VectorFileReader::FromText(std::string text, const std::string& name) {
  VectorFileReader reader;
  const std::optional<VectorsLayout> layout = FindVectors(text);
  std::optional<VectorFile> head;
  if (layout) {
    try {
      // The head: the document with the vectors array emptied.
      const std::string head_text = text.substr(0, layout->open + 1) + text.substr(layout->close);
      const nlohmann::json document = ParseJsonText(head_text);
      const nlohmann::json::array_t* vectors = nullptr;
      head = ParseHead(document, name, vectors);
      if (layout->elements.empty()) Fail("/vectors", "a file needs at least one vector");
    } catch (const LoadFailure& failure) {
      if (failure.message.starts_with("not valid JSON")) {
        head.reset();  // the whole parse below names the byte in the file
      } else {
        return LoadError{name, failure.pointer, failure.message};
      }
    } catch (const std::exception& e) {
      return LoadError{name, "", std::string("cannot load: ") + e.what()};
    }
  }
  if (head) {
    reader.head_ = std::move(*head);
    reader.elements_ = layout->elements;
  } else {
    auto parsed = ParseVectorFile(text, name);
    if (auto* error = std::get_if<LoadError>(&parsed)) return std::move(*error);
    reader.head_ = std::move(std::get<VectorFile>(parsed));
    reader.fallback_ = std::move(reader.head_.vectors);
    reader.head_.vectors.clear();
  }
  reader.head_.sha256 = FileSha256(text);
  reader.text_ = std::move(text);
  return reader;
}

std::optional<std::variant<Vector, LoadError>> VectorFileReader::Next() {
  if (!fallback_.empty()) {
    if (next_ >= fallback_.size()) return std::nullopt;
    return std::variant<Vector, LoadError>(std::move(fallback_[next_++]));
  }
  if (next_ >= elements_.size()) return std::nullopt;
  const auto [begin, end] = elements_[next_];
  const JsonPointer root;
  const JsonPointer vectors = root.Child("vectors");
  const JsonPointer pointer = vectors.Child(next_);
  ++next_;
  const std::string_view element = std::string_view(text_).substr(begin, end - begin);
  try {
    std::optional<Vector> parsed;
    // The frames decoded outside the JSON lexer; anything unusual is parsed again as written.
    if (stash_.Stash(element, stashed_text_)) {
      try {
        const HexStashScope scope(stash_);
        const nlohmann::json value = ParseJsonText(stashed_text_, pointer, begin);
        parsed.emplace(ParseVector(value, pointer, head_));
        if (!stash_.AllUsedOnce()) parsed.reset();
      } catch (const LoadFailure&) {
        parsed.reset();
      } catch (const std::exception&) {
        parsed.reset();
      }
    }
    if (!parsed) parsed.emplace(ParseVector(ParseJsonText(element, pointer, begin), pointer, head_));
    Vector& vector = *parsed;
    const auto [it, inserted] = seen_.emplace(vector.id, vector.pointer);
    if (!inserted) Fail(pointer.Child("id"), "duplicate id '" + vector.id + "' (first at " + it->second + ")");
    return std::variant<Vector, LoadError>(std::move(vector));
  } catch (const LoadFailure& failure) {
    return std::variant<Vector, LoadError>(LoadError{head_.path, failure.pointer.empty() ? pointer.str() : failure.pointer, failure.message});
  } catch (const std::exception& e) {
    return std::variant<Vector, LoadError>(LoadError{head_.path, pointer.str(), std::string("cannot load: ") + e.what()});
  }
}

LoadResult LoadVectorPaths(const std::vector<std::string>& paths) {
  LoadResult result;
  const std::vector<std::string> files = ListVectorFiles(paths, result.errors);

  std::map<std::string, std::string> ids;  // id -> "file:pointer" of its first definition
  for (const std::string& path : files) {
    auto loaded = LoadVectorFile(path);
    if (auto* error = std::get_if<LoadError>(&loaded)) {
      result.errors.push_back(std::move(*error));
      continue;
    }
    VectorFile& file = std::get<VectorFile>(loaded);
    // Ids name vectors in reports and regressions, so a file repeating one is left out whole.
    const Vector* duplicate = nullptr;
    for (const Vector& vector : file.vectors) {
      if (ids.count(vector.id) != 0) {
        duplicate = &vector;
        break;
      }
    }
    if (duplicate != nullptr) {
      result.errors.push_back(LoadError{file.path, duplicate->pointer + "/id",
                                        "duplicate id '" + duplicate->id + "' (first in " + ids[duplicate->id] + ")"});
      continue;
    }
    for (const Vector& vector : file.vectors) ids.emplace(vector.id, file.path + ":" + vector.pointer);
    result.files.push_back(std::move(file));
  }
  return result;
}

}  // namespace sendpath::vectors
