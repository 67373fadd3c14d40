#include "reports/writers.h"

#include "reports/atomic_file.h"
#include "reports/diff.h"
#include "reports/dissector.h"
#include "reports/failure_groups.h"
#include "reports/ipv4.h"
#include "reports/receive_check.h"
#include "vectors/loader/vector_loader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <filesystem>
#include <map>
#include <set>
#include <utility>
#include <system_error>

namespace sendpath::report {
namespace {

// Documentation-range locally administered MACs for raw-IP frames in an Ethernet pcap. The
// EtherType is IPv4 (0x0800) only for bytes that are IPv4 (version nibble 4); a vector's
// deliberately malformed frame gets the IEEE local experimental EtherType 0x88b5, so neither
// Wireshark nor `sendpath verify` reads it as a malformed IPv4 header.
constexpr std::uint8_t kSyntheticEthernet[14] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};
constexpr std::uint8_t kExperimentalEtherType[2] = {0x88, 0xb5};

std::size_t VerdictIndex(Verdict verdict) { return static_cast<std::size_t>(verdict); }

nlohmann::json HexOrNull(const std::optional<Bytes>& bytes) {
  if (!bytes) return nullptr;
  return ToHex(*bytes);
}

nlohmann::json StatusOrNull(const std::optional<std::int32_t>& status) {
  if (!status) return nullptr;
  return StatusText(*status);
}

// Appends `text` to `out` with XML's five entities; a control character XML 1.0 forbids is '?'.
void AppendXmlEscaped(std::string& out, std::string_view text) {
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no control characters but tab, newline and carriage return.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendXmlEscaped(out, text);
  return out;
}

// A vector's complexity rank for results.json: its components in order of significance
// (report::ComplexityRank's declaration order).
std::vector<std::pair<const char*, nlohmann::json>> RankComponents(const ComplexityRank& rank) {
  return {{"should", rank.should},
          {"sa_structure", SaStructureName(rank.sa_structure)},
          {"ipv4_options", rank.ipv4_options},
          {"buffer_splits", rank.buffer_splits},
          {"ethernet", rank.ethernet},
          {"add_sa_raw_fields", rank.add_sa_raw_fields},
          {"sa_extensions", rank.sa_extensions},
          {"payload", rank.payload},
          {"steps", rank.steps},
          {"frame_bytes", rank.frame_bytes}};
}

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", seconds < 0 ? 0.0 : seconds);
  return text;
}

}  // namespace

std::string StatusText(std::int32_t status) {
  const std::string_view name = vectors::StatusName(status);
  if (!name.empty()) return std::string(name);
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<std::uint32_t>(status));
  return text;
}

void CountVector(RunSummary& summary, const VectorResult& vector) {
  ++summary.total;
  const std::size_t index = VerdictIndex(vector.verdict);
  if (index >= 6) return;
  ++summary.by_verdict[index];
  (vector.must ? summary.must : summary.should)[index]++;
  if (vector.must && (vector.verdict == Verdict::kFail || vector.verdict == Verdict::kCandidateError)) ++summary.must_failures;
}

RunSummary Summarize(const RunResult& run) {
  RunSummary summary;
  for (const VectorResult& vector : run.vectors) CountVector(summary, vector);
  return summary;
}

void AssignFrameNumbers(RunResult& run) {
  std::size_t input = 0, expected = 0, actual = 0;
  for (VectorResult& vector : run.vectors) {
    for (StepResult& step : vector.steps) {
      step.input_frame_number = step.input_frame ? ++input : 0;
      step.expected_frame_number = step.expected_frame ? ++expected : 0;
      step.actual_frame_number = step.actual_frame ? ++actual : 0;
    }
  }
}

LinkType PcapLinkType(const RunResult& run) {
  for (const VectorResult& vector : run.vectors) {
    if (vector.ethernet) return LinkType::kEthernet;
  }
  return LinkType::kRawIp;
}

namespace {

std::string Dotted(std::span<const std::uint8_t> address) {
  return std::to_string(address[0]) + "." + std::to_string(address[1]) + "." + std::to_string(address[2]) + "." +
         std::to_string(address[3]);
}

std::string Hex32Text(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

// Wireshark 4.0's names in the esp_sa table (epan/dissectors/packet-ipsec.c), or "" when it has
// none for the algorithm.
std::string_view WiresharkCipher(const SaKeys& keys) {
  return keys.conf_row != nullptr ? keys.conf_row->wireshark : table::FindConf(ULONG{OFFLOAD_IPSEC_CONF_NONE})->wireshark;
}
std::string_view WiresharkIntegrity(const SaKeys& keys) {
  return keys.integrity_row != nullptr ? keys.integrity_row->wireshark : table::FindIntegrity(ULONG{OFFLOAD_IPSEC_INTEGRITY_NONE})->wireshark;
}

// The esp_sa records of a run: one per (source, destination, SPI) seen in an expected frame, in
// run order (Wireshark takes the first record that matches a packet).
class EspSaTable {
 public:
  void Add(const std::string& source, const std::string& destination, const SaKeys& keys) {
    std::string& key = key_;  // reused: most frames repeat a record already listed
    key.assign(source).append(" ").append(destination).append(" ").append(Hex32Text(keys.spi));
    const auto found = records_.find(key);
    if (found == records_.end()) {
      records_.emplace(key, Listed{Record(source, destination, keys), keys.cipher, keys.conf_row, keys.cipher_key, keys.salt, keys.integrity,
                                   keys.integrity_row, keys.integrity_key});
      order_.push_back(key);
      return;
    }
    // The record is a function of these (the address pair and SPI are the key).
    const Listed& listed = found->second;
    if (listed.cipher != keys.cipher || listed.conf_row != keys.conf_row || listed.cipher_key != keys.cipher_key ||
        listed.salt != keys.salt || listed.integrity != keys.integrity || listed.integrity_row != keys.integrity_row ||
        listed.integrity_key != keys.integrity_key) {
      ++conflicts_;
    }
  }
  std::string Text() const {
    std::string text =
        "# Wireshark ESP SA table (esp_sa UAT, Wireshark 4.0 columns: protocol, source, destination, SPI,\n"
        "# encryption, key, authentication, key), written by sendpath for this run's captures.\n"
        "# Use this folder as WIRESHARK_CONFIG_DIR; the command is in report.html and RESULTS.md.\n";
    if (conflicts_ > 0) {
      text += "# " + std::to_string(conflicts_) +
              " frame(s) use an address pair and SPI that an earlier vector used with other keys: Wireshark decrypts them "
              "with the first record, so their ESP may show as undecryptable.\n";
    }
    for (const std::string& note : notes_) text += "# " + note + "\n";
    for (const std::string& key : order_) text += records_.at(key).record + "\n";
    return text;
  }
  void Note(std::string note) {
    if (noted_.insert(note).second) notes_.push_back(std::move(note));
  }
  std::size_t size() const { return order_.size(); }

 private:
  static std::string Record(const std::string& source, const std::string& destination, const SaKeys& keys) {
    std::vector<std::uint8_t> cipher_key = keys.cipher_key;
    if (keys.cipher == CipherAlgorithm::kAesGcm) cipher_key.insert(cipher_key.end(), keys.salt.begin(), keys.salt.end());
    const bool aead = keys.cipher == CipherAlgorithm::kAesGcm;
    return "\"IPv4\",\"" + source + "\",\"" + destination + "\",\"" + Hex32Text(keys.spi) + "\",\"" +
           std::string(WiresharkCipher(keys)) + "\",\"" + (cipher_key.empty() ? "" : "0x" + ToHex(cipher_key)) + "\",\"" +
           std::string(aead ? "NULL" : WiresharkIntegrity(keys)) + "\",\"" +
           (aead || keys.integrity_key.empty() ? "" : "0x" + ToHex(keys.integrity_key)) + "\"";
  }
  struct Listed {
    std::string record;
    CipherAlgorithm cipher;
    const table::ConfAlgorithm* conf_row;
    Bytes cipher_key, salt;
    IntegrityAlgorithm integrity;
    const table::IntegrityAlgorithm* integrity_row;
    Bytes integrity_key;
  };
  std::map<std::string, Listed> records_;
  std::vector<std::string> order_;
  std::string key_;
  std::set<std::string> noted_;
  std::vector<std::string> notes_;
  std::size_t conflicts_ = 0;
};

// What the receive side knows about one step's expected frame: the SPIs of the AH/ESP headers
// the NIC seals (their bytes differ between the input and the expected frame, read through the
// decryption of the headers around them); headers of a known SA whose bytes the NIC leaves as
// they came (an inner ESP left for software, a send without offload) are not sealed.
struct SealedHeaders {
  bool known = false;  // the vector's SAs were available
  std::vector<std::uint32_t> spis;
};

SealedHeaders AnalyseExpectedFrame(const VectorResult& vector, const StepResult& step, SaTable* sas, EspSaTable& esp_sa) {
  SealedHeaders sealed;
  if (sas == nullptr || !step.expected_frame || !step.input_frame) return sealed;
  sealed.known = true;
  // The judge's check of this frame when it had every SA of the vector (the same table, entry
  // for entry: SaTable::OfEverySa); else checked here.
  CheckResult own_check;
  if (!step.expected_check) {
    ReceiveChecker checker(*sas);
    checker.Check(*step.expected_frame, vector.ethernet ? LinkType::kEthernet : LinkType::kRawIp, own_check);
  }
  const CheckResult& check = step.expected_check ? *step.expected_check : own_check;
  const Bytes& input = *step.input_frame;
  for (const HeaderCheck& header : check.headers) {
    if (header.sa == kNoSa) continue;
    // The bytes the NIC writes for this header: its IV and ICV (read through the decryption of
    // the headers around it, never its own); without either (NULL encryption, no ICV) its data.
    const auto changed = [&](std::size_t begin, std::size_t length) {
      for (std::size_t i = begin; i < begin + length; ++i) {
        if (i >= input.size() || i >= check.plaintext.size() || input[i] != check.plaintext[i]) return true;
      }
      return false;
    };
    const bool sealed_here = header.iv_length + header.icv_length > 0
                                 ? changed(header.iv_offset, header.iv_length) || changed(header.icv_offset, header.icv_length)
                                 : changed(header.data_offset, header.data_length);
    if (!sealed_here) continue;
    sealed.spis.push_back(header.spi);
    if (header.protocol != IpsecProtocol::kEsp) continue;
    const SaKeys& keys = sas->keys(header.sa);
    // The IPv4 packet that carries the header: the innermost one that starts before it.
    const IpPacket* packet = nullptr;
    for (const IpPacket& candidate : check.ip_packets) {
      if (candidate.offset < header.offset && header.offset < candidate.end) packet = &candidate;
    }
    if (packet == nullptr) continue;
    const auto ip = std::span<const std::uint8_t>(check.plaintext).subspan(packet->offset);
    const auto parsed = ipv4::ParseHeader(ip);
    if (!parsed) continue;
    std::string destination = Dotted(ip.subspan(16, 4));
    if (const auto final_destination = ipv4::SourceRouteFinalDestination(ip.first(parsed->header_length))) {
      const std::uint32_t d = *final_destination;
      const std::uint8_t bytes[4] = {static_cast<std::uint8_t>(d >> 24), static_cast<std::uint8_t>(d >> 16),
                                     static_cast<std::uint8_t>(d >> 8), static_cast<std::uint8_t>(d)};
      destination = Dotted(bytes);
    }
    if (keys.integrity == IntegrityAlgorithm::kAesGmac) {
      esp_sa.Note(keys.Description() + ": Wireshark 4.0 has no AES-GMAC; not listed");
      continue;
    }
    if (keys.esn_high) {
      esp_sa.Note("SPI " + Hex32Text(keys.spi) + " uses extended sequence numbers, which Wireshark 4.0's ICV check does not know: "
                  "its ICVs show as bad");
    }
    esp_sa.Add(Dotted(ip.subspan(12, 4)), destination, keys);
  }
  return sealed;
}

nlohmann::json CauseJson(const Cause& cause) {
  nlohmann::json json = {{"id", cause.id}, {"text", cause.text}, {"rule", cause.rule}};
  if (!cause.header.empty()) json["header"] = cause.header;
  if (!cause.proof.empty()) json["proof"] = cause.proof;
  if (!cause.also.empty()) json["also"] = cause.also;
  return json;
}

// The comment of a step's frame in each capture: vector, step and verdict (with the diagnosis).
// Into `comment`, whose storage is reused frame after frame.
void FrameComment(const VectorResult& vector, const StepResult& step, std::string_view which, bool unchanged, std::string& comment) {
  comment.assign("sendpath: vector ").append(vector.id).append(", step ").append(std::to_string(step.index));
  comment.append(" (").append(step.op).append("), ").append(which).append(" frame; verdict ").append(VerdictName(step.verdict));
  if (!step.diagnosis.empty()) {
    constexpr std::size_t kLimit = 300;
    comment.append(": ").append(std::string_view(step.diagnosis).substr(0, kLimit));
    if (step.diagnosis.size() > kLimit) comment.append("...");
  }
  if (unchanged && which != "actual") comment += "; the NIC must leave this frame unchanged (no offload)";
  if (step.leaked && which == "actual") comment += "; leaked on a refused send";
}

}  // namespace

std::string WiresharkCommand(const std::string& directory, const std::string& capture, bool udp_esp, bool gui) {
  return "WIRESHARK_CONFIG_DIR='" + directory + "/" + kWiresharkDir + "' " + (gui ? "wireshark" : "tshark") + " -r '" + directory + "/" +
         capture + "'" + (udp_esp ? "" : " --disable-protocol udpencap") +
         " -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE";
}

bool RunUsesUdpEsp(const RunResult& run) {
  if (run.udp_esp) return true;
  for (const VectorResult& vector : run.vectors) {
    for (const StepResult& step : vector.steps) {
      if (step.op == "add_udpesp_sa") return true;
    }
  }
  return false;
}

namespace {

std::string JsonText(const nlohmann::json& value) { return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// JSON text appended the way nlohmann's dump(-1) with error_handler_t::replace writes it, for
// results.json entries written without a DOM (keys are given in nlohmann's sorted order).
class JsonAppender {
 public:
  explicit JsonAppender(std::string& out) : out_(out) {}
  // A member name (ASCII, no escapes) after a '{' or a value.
  JsonAppender& Key(std::string_view key) {
    out_ += '"';
    out_ += key;
    out_ += "\":";
    return *this;
  }
  void String(std::string_view text) {
    // Printable ASCII without '"' and '\\' is written as it is; anything else as nlohmann
    // escapes it (control characters, UTF-8, invalid bytes replaced).
    const bool plain = std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
    if (plain) {
      out_ += '"';
      out_ += text;
      out_ += '"';
    } else {
      out_ += JsonText(nlohmann::json(std::string(text)));
    }
  }
  void Unsigned(std::uint64_t value) {
    char text[24];
    out_.append(text, std::to_chars(text, text + sizeof text, value).ptr);
  }
  void Bool(bool value) { out_ += value ? "true" : "false"; }
  // StatusText's string (the NDIS_STATUS_* name or 0x%08x), or null without a status.
  void Status(std::optional<std::int32_t> status) {
    if (!status) return Null();
    const std::string_view name = vectors::StatusName(*status);
    name.empty() ? String(StatusText(*status)) : String(name);
  }
  void Null() { out_ += "null"; }
  void Value(const nlohmann::json& value) {
    if (value.is_boolean()) return Bool(value.get<bool>());
    if (value.is_number_unsigned()) return Unsigned(value.get<std::uint64_t>());
    if (value.is_string()) return String(value.get_ref<const std::string&>());
    out_ += JsonText(value);
  }
  void StringArray(const std::vector<std::string>& items) {
    out_ += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += ',';
      String(items[i]);
    }
    out_ += ']';
  }
  void Text(std::string_view text) { out_ += text; }

 private:
  std::string& out_;
};

// A file of pieces written during the run and copied into a report file at its end (the
// vectors of results.json, the testcases of junit.xml, the frames of index.json), so that they
// are not held in memory. Anonymous: removed when closed, whatever happens.
class Spool {
 public:
  Spool() : file_(std::tmpfile()) {
    if (file_ != nullptr) std::setvbuf(file_.get(), nullptr, _IOFBF, std::size_t{1} << 20);  // as AtomicFile
  }
  bool ok() const { return file_ != nullptr && !failed_; }
  // Where the piece starts.
  std::uint64_t Append(std::string_view bytes) {
    const std::uint64_t offset = size_;
    if (file_ == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), file_.get()) != bytes.size()) failed_ = true;
    size_ += bytes.size();
    return offset;
  }
  std::uint64_t size() const { return size_; }
  // Copies [offset, offset + length) to `out`.
  Status CopyTo(AtomicFile& out, std::uint64_t offset, std::uint64_t length) {
    if (!ok()) return Error{"a spool file of the report could not be written (disk full?)"};
    if (std::fflush(file_.get()) != 0 || fseeko(file_.get(), static_cast<off_t>(offset), SEEK_SET) != 0) {
      return Error{"a spool file of the report could not be read back"};
    }
    buffer_.resize(1 << 20);
    while (length > 0) {
      const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer_.size()));
      if (std::fread(buffer_.data(), 1, chunk, file_.get()) != chunk) return Error{"a spool file of the report is short"};
      out.Write(std::string_view(buffer_.data(), chunk));
      length -= chunk;
    }
    return fseeko(file_.get(), 0, SEEK_END) == 0 ? Status{} : Status{Error{"a spool file of the report could not be reopened"}};
  }

 private:
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  std::unique_ptr<std::FILE, Closer> file_;
  std::uint64_t size_ = 0;
  bool failed_ = false;
  std::string buffer_;
};

// Copies `text` of a report file whose `body` spool goes between its two halves.
Status WriteAround(const std::string& path, std::string_view before, Spool& body, std::string_view after) {
  auto file = AtomicFile::Create(path);
  if (!file) return file.error();
  file.value().Write(before);
  if (auto status = body.CopyTo(file.value(), 0, body.size()); !status) return status;
  file.value().Write(after);
  return file.value().Commit();
}

// A JSON object's text without its closing brace, to append more members.
std::string OpenObject(const nlohmann::json& object) {
  std::string text = object.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  while (!text.empty() && text.back() != '}') text.pop_back();
  if (!text.empty()) text.pop_back();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The three captures, index.json's frames and the esp_sa table, a vector at a time. Numbers the
// frames of each step (1-based per capture, 0: not in that capture).
class PcapSet {
 public:
  static Result<std::unique_ptr<PcapSet>> Open(const std::string& directory, LinkType link, const std::string& who) {
    auto set = std::unique_ptr<PcapSet>(new PcapSet(directory, link));
    auto input = PcapngWriter::Create(directory + "/" + kInputCapture, link, "input",
                                      "sendpath: the frames the transport handed to the NIC, one per send step, in run order");
    if (!input) return input.error();
    auto expected = PcapngWriter::Create(directory + "/" + kExpectedCapture, link, "expected",
                                         "sendpath: the frames the contract says must come out (refused sends have none)");
    if (!expected) return expected.error();
    auto actual = PcapngWriter::Create(directory + "/" + kActualCapture, link, "actual", "sendpath: what the candidate " + who + " emitted");
    if (!actual) return actual.error();
    set->input_.emplace(std::move(input).value());
    set->expected_.emplace(std::move(expected).value());
    set->actual_.emplace(std::move(actual).value());
    return set;
  }

  // Writes the vector's frames and numbers its steps.
  void Add(VectorResult& vector, SaTable* sas) {
    const bool synthetic = link_ == LinkType::kEthernet && !vector.ethernet;
    for (StepResult& step : vector.steps) {
      udp_esp_ = udp_esp_ || step.op == "add_udpesp_sa";
      step.input_frame_number = step.input_frame ? ++input_count_ : 0;
      step.expected_frame_number = step.expected_frame ? ++expected_count_ : 0;
      step.actual_frame_number = step.actual_frame ? ++actual_count_ : 0;
      if (!step.input_frame && !step.expected_frame && !step.actual_frame) continue;
      ++ordinal_;  // the three files share timestamps, so a step's frames line up in time
      const bool unchanged = step.input_frame && step.expected_frame && *step.input_frame == *step.expected_frame;
      Write(*input_, step.input_frame, synthetic, vector, step, "input", unchanged);
      Write(*expected_, step.expected_frame, synthetic, vector, step, "expected", unchanged);
      Write(*actual_, step.actual_frame, synthetic, vector, step, "actual", unchanged);
      // The frame's index.json entry, as nlohmann's dump(-1) writes it (keys in its sorted
      // order), without a DOM per frame.
      entry_.assign(frames_.size() == 0 ? "\n{" : ",\n{");
      JsonAppender json(entry_);
      json.Key("actual").Unsigned(step.actual_frame_number);
      json.Text(",");
      json.Key("expected").Unsigned(step.expected_frame_number);
      json.Text(",");
      json.Key("input").Unsigned(step.input_frame_number);
      json.Text(",");
      if (step.expected_frame) {
        const SealedHeaders sealed = AnalyseExpectedFrame(vector, step, sas, esp_sa_);
        if (sealed.known) {
          json.Key("sealed_spis").Text("[");
          for (std::size_t i = 0; i < sealed.spis.size(); ++i) {
            if (i > 0) json.Text(",");
            json.String(Hex32Text(sealed.spis[i]));
          }
          json.Text("],");
        }
      }
      json.Key("step").Unsigned(step.index);
      json.Text(",");
      json.Key("synthetic_ethernet").Bool(synthetic);
      json.Text(",");
      json.Key("timestamp").Unsigned(static_cast<std::uint64_t>(ordinal_));
      json.Text(",");
      if (step.expected_frame) {
        json.Key("unchanged").Bool(unchanged);
        json.Text(",");
      }
      json.Key("vector").String(vector.id);
      json.Text("}");
      frames_.Append(entry_);
    }
  }

  bool udp_esp() const { return udp_esp_; }

  // Commits the captures, writes wireshark/esp_sa and index.json.
  Status Finish(bool complete) {
    for (PcapngWriter* writer : {&*input_, &*expected_, &*actual_}) {
      if (auto status = writer->Commit(); !status) return status;
    }
    std::error_code error;
    std::filesystem::create_directories(directory_ + "/" + kWiresharkDir, error);
    if (error) return Error{directory_ + "/" + kWiresharkDir + ": cannot create the folder: " + error.message()};
    if (auto status = WriteFileAtomically(directory_ + "/" + kEspSaFile, esp_sa_.Text()); !status) return status;
    const nlohmann::json index = {{"format", kPcapIndexFormat},
                                  {"link_type", LinkTypeName(link_)},
                                  {"files", {{"input", kInputCapture}, {"expected", kExpectedCapture}, {"actual", kActualCapture}}},
                                  {"esp_sa", kEspSaFile},
                                  {"wireshark", WiresharkCommand(".", kExpectedCapture, udp_esp_)},
                                  {"complete", complete}};
    return WriteAround(directory_ + "/" + kPcapIndexFile, OpenObject(index) + ",\n \"frames\": [", frames_, "\n]}\n");
  }

 private:
  PcapSet(std::string directory, LinkType link) : directory_(std::move(directory)), link_(link) {}

  void Write(PcapngWriter& writer, const std::optional<Bytes>& frame, bool synthetic, const VectorResult& vector,
             const StepResult& step, std::string_view which, bool unchanged) {
    if (!frame) return;
    std::string& comment = comment_;
    FrameComment(vector, step, which, unchanged, comment);
    if (synthetic) {
      wrapped_.assign(std::begin(kSyntheticEthernet), std::end(kSyntheticEthernet));
      if (frame->empty() || ((*frame)[0] >> 4) != 4) std::copy(std::begin(kExperimentalEtherType), std::end(kExperimentalEtherType), wrapped_.begin() + 12);
      wrapped_.insert(wrapped_.end(), frame->begin(), frame->end());
      writer.Write(wrapped_, ordinal_, 0, comment);
    } else {
      writer.Write(*frame, ordinal_, 0, comment);
    }
  }

  std::string directory_;
  LinkType link_;
  std::optional<PcapngWriter> input_, expected_, actual_;
  EspSaTable esp_sa_;
  Spool frames_;  // index.json's frame entries
  std::string entry_;  // the entry being written (reused)
  std::string comment_;  // the frame comment being written (reused)
  std::vector<std::uint8_t> wrapped_;
  std::int64_t ordinal_ = 0;
  std::size_t input_count_ = 0, expected_count_ = 0, actual_count_ = 0;
  bool udp_esp_ = false;  // a step added a UDP-ESP SA: index.json's command keeps the NAT-T dissector
};

}  // namespace

Status WritePcaps(const RunResult& run, const std::string& directory, const ReportOptions& options) {
  const std::string who = run.candidate.identity.empty() ? run.candidate.spec : run.candidate.identity;
  auto pcaps = PcapSet::Open(directory, PcapLinkType(run), who);
  if (!pcaps) return pcaps.error();
  for (const VectorResult& vector : run.vectors) {
    VectorResult numbered = vector;
    pcaps.value()->Add(numbered, options.sas_for_vector ? options.sas_for_vector(vector) : nullptr);
  }
  return pcaps.value()->Finish(run.complete);
}

nlohmann::json DecodeStep(const VectorResult& vector, const StepResult& step, SaTable* sas) {
  nlohmann::json decoded = nlohmann::json::object();
  const LinkType link = vector.ethernet ? LinkType::kEthernet : LinkType::kRawIp;
  const std::optional<Bytes>& reference = step.expected_frame ? step.expected_frame : step.actual_frame;
  if (!reference) return decoded;
  DiffOptions options;
  options.masked = step.iv_bytes;
  FrameDiffer differ(sas, options);
  const Bytes& expected = step.expected_frame ? *step.expected_frame : *step.actual_frame;
  const Bytes& actual = step.actual_frame ? *step.actual_frame : expected;
  const FrameComparison& comparison = differ.Compare(expected, actual, link);
  // The differ skips identical frames without dissecting them; a lone frame (a leak on a refused
  // send, or nothing emitted) or two identical ones are dissected and checked here instead.
  const bool identical = expected == actual;
  Dissection single;
  CheckResult single_check;
  if (identical) {
    if (sas != nullptr) ReceiveChecker(*sas).Check(expected, link, single_check);
    Dissect(expected, link, sas != nullptr ? &single_check : nullptr, single);
  }
  const Dissection& e = identical ? single : differ.expected_dissection();
  const Dissection& a = identical ? single : differ.actual_dissection();
  auto regions = [](const Dissection& dissection) {
    std::vector<Region> per_byte;
    dissection.ByteRegions(per_byte);
    nlohmann::json runs = nlohmann::json::array();
    for (std::size_t i = 0; i < per_byte.size();) {
      std::size_t j = i;
      while (j < per_byte.size() && per_byte[j] == per_byte[i]) ++j;
      runs.push_back({i, j - i, RegionName(per_byte[i])});
      i = j;
    }
    return runs;
  };
  decoded["regions"] = regions(e);
  if (step.actual_frame && step.expected_frame) decoded["actual_regions"] = regions(a);
  std::set<std::string> differing;
  for (const auto& difference : comparison.differences) differing.insert(difference.field);
  nlohmann::json fields = nlohmann::json::array();
  std::vector<bool> used(a.fields.size(), false);
  for (const Field& field : e.fields) {
    const std::string name = e.Name(field);
    nlohmann::json row = {{"name", name}, {"offset", field.offset}, {"length", field.length}, {"region", RegionName(field.region)},
                          {"expected", step.expected_frame ? nlohmann::json(e.Value(field)) : nlohmann::json(nullptr)}};
    if (field.decrypted) row["decrypted"] = true;
    if (step.actual_frame && step.expected_frame) {
      for (std::size_t j = 0; j < a.fields.size(); ++j) {
        if (!used[j] && a.Name(a.fields[j]) == name) {
          used[j] = true;
          row["actual"] = a.Value(a.fields[j]);
          break;
        }
      }
      if (!row.contains("actual")) row["actual"] = "(absent)";
    } else if (step.actual_frame) {
      row["actual"] = e.Value(field);  // the lone frame is the actual one (a leak)
    }
    if (differing.count(name) > 0) row["differs"] = true;
    fields.push_back(std::move(row));
  }
  decoded["fields"] = std::move(fields);
  if (!comparison.notes.empty()) decoded["notes"] = comparison.notes;
  if (!e.error.empty()) decoded["expected_error"] = e.error;
  if (step.actual_frame && !a.error.empty()) decoded["actual_error"] = a.error;
  if (sas != nullptr && step.actual_frame) {
    const CheckResult& check = identical ? single_check : differ.actual_check();
    decoded["receive_check"] = {{"status", FrameStatusName(check.status)}, {"reason", check.reason}};
  }
  return decoded;
}

namespace {

// One vector of results.json. A passing step's frames are not repeated here: they are in the
// captures, at the frame numbers of "frames" (RESULTS.md). Failing and other steps keep them,
// with their dissection. "failure_group" is added by the caller (the groups are known at the end).
nlohmann::json VectorJson(const VectorResult& vector, SaTable* sas) {
  nlohmann::json steps = nlohmann::json::array();
  for (const StepResult& step : vector.steps) {
    nlohmann::json differences = nlohmann::json::array();
    for (const auto& d : step.differences) {
      differences.push_back({{"field", d.field}, {"offset", d.offset}, {"length", d.length}, {"expected", d.expected},
                             {"actual", d.actual}, {"consequence", d.consequence}});
    }
    nlohmann::json iv_bytes = nlohmann::json::array();
    for (const auto& [offset, length] : step.iv_bytes) iv_bytes.push_back({offset, length});
    nlohmann::json entry = {{"index", step.index},
                            {"op", step.op},
                            {"verdict", VerdictName(step.verdict)},
                            {"diagnosis", step.diagnosis},
                            {"notes", step.notes},
                            {"expected_status", StatusOrNull(step.expected_status)},
                            {"actual_status", StatusOrNull(step.actual_status)},
                            {"iv_bytes", std::move(iv_bytes)},
                            {"differences", std::move(differences)},
                            {"leaked", step.leaked},
                            {"leaked_plaintext", step.leaked_plaintext},
                            {"frames", {{"input", step.input_frame_number}, {"expected", step.expected_frame_number}, {"actual", step.actual_frame_number}}},
                            {"seconds", step.seconds}};
    entry["cause"] = step.cause ? CauseJson(*step.cause) : nlohmann::json(nullptr);
    if (step.verdict != Verdict::kPass) {
      entry["input_frame"] = HexOrNull(step.input_frame);
      entry["expected_frame"] = HexOrNull(step.expected_frame);
      entry["actual_frame"] = HexOrNull(step.actual_frame);
      if (step.expected_frame || step.actual_frame) entry["decoded"] = DecodeStep(vector, step, sas);
    }
    steps.push_back(std::move(entry));
  }
  nlohmann::json json = {{"id", vector.id},
                         {"title", vector.title},
                         {"file", vector.file},
                         {"class", vector.must ? "MUST" : "SHOULD"},
                         {"flags", vector.flags},
                         {"notes", vector.notes},
                         {"requires", vector.requires_caps},
                         {"missing_caps", vector.missing_caps},
                         {"encapsulation", vector.ethernet ? "ieee802.3" : "null"},
                         {"verdict", VerdictName(vector.verdict)},
                         {"diagnosis", vector.diagnosis},
                         {"seconds", vector.seconds},
                         {"steps", std::move(steps)}};
  nlohmann::json rank = nlohmann::json::object();
  for (auto& [name, value] : RankComponents(vector.rank)) rank[name] = std::move(value);
  json["rank"] = std::move(rank);
  // The failure's cause: the first failing step's (id, text, rule) and the group it is in.
  nlohmann::json cause = nullptr;
  if (IsFailure(vector.verdict)) {
    cause = vector.step_cause ? CauseJson(*vector.step_cause)
                              : nlohmann::json{{"id", nullptr}, {"text", vector.diagnosis}, {"rule", nullptr}};
    cause["group"] = vector.cause;
  }
  json["cause"] = std::move(cause);
  return json;
}

// Whether AppendPlainEntry can write `vector` without a DOM: no step failed, so no step carries a
// cause, differences, frames or a dissection.
bool PlainEntry(const VectorResult& vector) {
  if (IsFailure(vector.verdict)) return false;
  return std::all_of(vector.steps.begin(), vector.steps.end(), [](const StepResult& step) {
    return step.verdict == Verdict::kPass && !step.cause && step.differences.empty();
  });
}

// The results.json entry of a vector that did not fail, with "failure_group": null: the bytes
// JsonText(VectorJson(vector)) gives, without building the DOM (reports tests compare the two).
// Most of a run's vectors pass, so this is most of results.json.
void AppendPlainEntry(const VectorResult& vector, std::string& out) {
  JsonAppender json(out);
  json.Text("{");
  json.Key("cause").Null();
  json.Text(",");
  json.Key("class").String(vector.must ? "MUST" : "SHOULD");
  json.Text(",");
  json.Key("diagnosis").String(vector.diagnosis);
  json.Text(",");
  json.Key("encapsulation").String(vector.ethernet ? "ieee802.3" : "null");
  json.Text(",");
  json.Key("failure_group").Null();
  json.Text(",");
  json.Key("file").String(vector.file);
  json.Text(",");
  json.Key("flags").StringArray(vector.flags);
  json.Text(",");
  json.Key("id").String(vector.id);
  json.Text(",");
  json.Key("missing_caps").StringArray(vector.missing_caps);
  json.Text(",");
  json.Key("notes").StringArray(vector.notes);
  json.Text(",");
  json.Key("rank").Text("{");
  auto rank = RankComponents(vector.rank);
  std::sort(rank.begin(), rank.end(), [](const auto& a, const auto& b) { return std::strcmp(a.first, b.first) < 0; });
  for (std::size_t i = 0; i < rank.size(); ++i) {
    if (i > 0) json.Text(",");
    json.Key(rank[i].first).Value(rank[i].second);
  }
  json.Text("},");
  json.Key("requires").StringArray(vector.requires_caps);
  json.Text(",");
  json.Key("seconds").Value(vector.seconds);
  json.Text(",");
  json.Key("steps").Text("[");
  for (std::size_t i = 0; i < vector.steps.size(); ++i) {
    const StepResult& step = vector.steps[i];
    if (i > 0) json.Text(",");
    json.Text("{");
    json.Key("actual_status");
    json.Status(step.actual_status);
    json.Text(",");
    json.Key("cause").Null();
    json.Text(",");
    json.Key("diagnosis").String(step.diagnosis);
    json.Text(",");
    json.Key("differences").Text("[],");
    json.Key("expected_status");
    json.Status(step.expected_status);
    json.Text(",");
    json.Key("frames").Text("{");
    json.Key("actual").Unsigned(step.actual_frame_number);
    json.Text(",");
    json.Key("expected").Unsigned(step.expected_frame_number);
    json.Text(",");
    json.Key("input").Unsigned(step.input_frame_number);
    json.Text("},");
    json.Key("index").Unsigned(step.index);
    json.Text(",");
    json.Key("iv_bytes").Text("[");
    for (std::size_t r = 0; r < step.iv_bytes.size(); ++r) {
      if (r > 0) json.Text(",");
      json.Text("[");
      json.Unsigned(step.iv_bytes[r].first);
      json.Text(",");
      json.Unsigned(step.iv_bytes[r].second);
      json.Text("]");
    }
    json.Text("],");
    json.Key("leaked").Bool(step.leaked);
    json.Text(",");
    json.Key("leaked_plaintext").Bool(step.leaked_plaintext);
    json.Text(",");
    json.Key("notes").StringArray(step.notes);
    json.Text(",");
    json.Key("op").String(step.op);
    json.Text(",");
    json.Key("seconds").Value(step.seconds);
    json.Text(",");
    json.Key("verdict").String(VerdictName(step.verdict));
    json.Text("}");
  }
  json.Text("],");
  json.Key("title").String(vector.title);
  json.Text(",");
  json.Key("verdict").String(VerdictName(vector.verdict));
  json.Text("}");
}

// results.json without its "vectors": the run, the counts, the groups, the findings.
nlohmann::json ResultsHead(const RunResult& run, const RunSummary& summary, LinkType link) {
  nlohmann::json by_verdict = nlohmann::json::object(), must = nlohmann::json::object(), should = nlohmann::json::object();
  for (std::size_t i = 0; i < 6; ++i) {
    const char* name = VerdictName(static_cast<Verdict>(i));
    by_verdict[name] = summary.by_verdict[i];
    must[name] = summary.must[i];
    should[name] = summary.should[i];
  }
  nlohmann::json files = nlohmann::json::array();
  for (const auto& file : run.vector_files) files.push_back({{"path", file.path}, {"sha256", file.sha256}});
  nlohmann::json rank_components = nlohmann::json::array();
  for (const auto& [name, value] : RankComponents(ComplexityRank{})) rank_components.push_back(name);
  nlohmann::json failure_groups = nlohmann::json::array();
  for (const FailureGroup& group : run.failure_groups) {
    failure_groups.push_back({{"cause", group.cause},
                              {"count", group.count},
                              {"must", group.must},
                              {"simplest", group.simplest},
                              {"vectors", group.vector_ids}});
  }
  // Run-wide findings: the values, and their one-line text for a reader.
  nlohmann::json findings = nlohmann::json::array();
  for (const RunFinding& finding : run.run_findings) {
    nlohmann::json occurrences = nlohmann::json::array();
    for (const IvOccurrence& at : finding.occurrences) {
      occurrences.push_back({{"vector", at.vector}, {"sa", at.sa}, {"step", at.step}, {"iv", ToHex(at.iv)}, {"in_clear", at.in_clear}});
    }
    nlohmann::json sas = nlohmann::json::array();
    for (const IvOccurrence& at : finding.occurrences) {
      const nlohmann::json sa = {{"vector", at.vector}, {"sa", at.sa}};
      if (std::find(sas.begin(), sas.end(), sa) == sas.end()) sas.push_back(sa);
    }
    nlohmann::json value = {{"kind", FindingKindName(finding.kind)}, {"severity", SeverityName(finding.severity)},
                            {"algorithm", finding.algorithm}, {"sas", std::move(sas)},
                            {"occurrences", std::move(occurrences)}, {"rule", finding.rule}, {"text", FindingText(finding)}};
    if (finding.kind == FindingKind::kCbcIvCounter) {
      value["increment"] = ToHex(finding.increment);
      value["byte_order"] = finding.little_endian ? "little-endian" : "big-endian";
    }
    findings.push_back(std::move(value));
  }
  return {
      {"format", kResultsFormat},
      {"sendpath_version", run.sendpath_version},
      {"command_line", run.command_line},
      {"started_utc", run.started_utc},
      {"finished_utc", run.finished_utc},
      {"complete", run.complete},
      {"candidate", {{"spec", run.candidate.spec}, {"identity", run.candidate.identity}, {"claimed_caps", run.candidate.claimed_caps}, {"picks_own_ivs", run.candidate.picks_own_ivs}, {"ivs_offered", run.candidate.ivs_offered}}},
      {"vector_files", std::move(files)},
      {"load_errors", run.load_errors},
      {"run_findings", std::move(findings)},
      {"run_notes", run.run_notes},
      {"summary", {{"vectors", summary.total}, {"by_verdict", std::move(by_verdict)}, {"must", std::move(must)}, {"should", std::move(should)}, {"must_failures", summary.must_failures}}},
      {"rank_components", std::move(rank_components)},
      {"failure_groups", std::move(failure_groups)},
      {"pcaps", {{"input", kInputCapture}, {"expected", kExpectedCapture}, {"actual", kActualCapture}, {"index", kPcapIndexFile}, {"esp_sa", kEspSaFile}, {"link_type", LinkTypeName(link)}}}};
}

// junit.xml: one <testsuite> per vector file, one <testcase> per vector step (a vector that ran
// no step gets one testcase for itself). Testcase text goes to a spool a suite at a time.
class JunitBuilder {
 public:
  void AddVector(const VectorResult& vector) {
    Suite& suite = SuiteFor(vector.file.empty() ? "vectors" : vector.file);
    if (vector.steps.empty()) {
      std::string diagnosis = vector.diagnosis;
      if (vector.verdict == Verdict::kNotClaimed && diagnosis.empty()) {
        for (const auto& cap : vector.missing_caps) diagnosis += (diagnosis.empty() ? "missing " : ", ") + cap;
      }
      Testcase(suite, vector.id, "vector", vector.seconds, vector.verdict, vector.must, diagnosis, vector.title);
      return;
    }
    for (const StepResult& step : vector.steps) {
      const std::string name = "step " + std::to_string(step.index) + " (" + step.op + ")";
      if (step.verdict == Verdict::kPass) {  // a passing testcase has no message and no details
        Testcase(suite, vector.id, name, step.seconds, step.verdict, vector.must, {}, {});
        continue;
      }
      std::string details = vector.title;
      for (const auto& note : step.notes) details += "\n" + note;
      for (const auto& d : step.differences) {
        details += "\n" + d.field + " at byte " + std::to_string(d.offset) + ": expected " + d.expected + ", actual " + d.actual +
                   (d.consequence ? " (consequence)" : "");
      }
      if (step.actual_frame_number > 0 || step.expected_frame_number > 0) {
        details += std::string("\nframes: ") + kInputCapture + " #" + std::to_string(step.input_frame_number) + ", " + kExpectedCapture + " #" +
                   std::to_string(step.expected_frame_number) + ", " + kActualCapture + " #" + std::to_string(step.actual_frame_number);
      }
      // The message leads with the cause id, for CI filters.
      Testcase(suite, vector.id, name, step.seconds, step.verdict, vector.must,
               step.cause ? "[" + step.cause->id + "] " + step.diagnosis : step.diagnosis, details);
    }
  }

  Status Write(const RunResult& run, const std::string& path) {
    if (!run.load_errors.empty() || !run.complete || !run.run_findings.empty()) {
      Suite& suite = SuiteFor("sendpath");
      for (const auto& error : run.load_errors) Testcase(suite, "load", "vector file", 0, Verdict::kInvalidVector, true, error, error);
      // One testcase per run-wide finding: failed when MUST, "SHOULD not met" otherwise.
      for (std::size_t i = 0; i < run.run_findings.size(); ++i) {
        const RunFinding& finding = run.run_findings[i];
        const std::string text = FindingText(finding);
        Testcase(suite, "run findings", std::to_string(i + 1) + " " + FindingKindName(finding.kind), 0, Verdict::kFail,
                 finding.severity == Severity::kMust, text, text);
      }
      if (!run.complete) {
        // Not a candidate error: the run stopped (or never started) before every vector was judged.
        const std::string why = run.incomplete_reason.empty() ? "the run was interrupted" : run.incomplete_reason;
        ++suite.tests;
        ++suite.errors;
        body_ += "    <testcase classname=\"run\" name=\"complete\" time=\"" + Seconds(0) + "\">\n      <error message=\"" +
                 XmlEscape(why + ": the results are incomplete") + "\" type=\"incomplete run\"/>\n    </testcase>\n";
      }
    }
    FlushBody();
    std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double seconds = 0;
    for (const Suite& suite : suites_) {
      tests += suite.tests;
      failures += suite.failures;
      errors += suite.errors;
      skipped += suite.skipped;
      seconds += suite.seconds;
    }
    auto file = AtomicFile::Create(path);
    if (!file) return file.error();
    AtomicFile& out = file.value();
    out.Write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.Write("<testsuites name=\"sendpath\" tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
              std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" + Seconds(seconds) + "\">\n");
    std::size_t id = 0;
    for (const Suite& suite : suites_) {
      out.Write("  <testsuite name=\"" + XmlEscape(suite.name) + "\" id=\"" + std::to_string(id++) + "\" tests=\"" + std::to_string(suite.tests) +
                "\" failures=\"" + std::to_string(suite.failures) + "\" errors=\"" + std::to_string(suite.errors) + "\" skipped=\"" +
                std::to_string(suite.skipped) + "\" time=\"" + Seconds(suite.seconds) + "\" timestamp=\"" + XmlEscape(run.started_utc) + "\">\n");
      out.Write("    <properties>\n      <property name=\"candidate\" value=\"" + XmlEscape(run.candidate.spec) + "\"/>\n      <property name=\"identity\" value=\"" +
                XmlEscape(run.candidate.identity) + "\"/>\n      <property name=\"sendpath_version\" value=\"" + XmlEscape(run.sendpath_version) +
                "\"/>\n      <property name=\"complete\" value=\"" + (run.complete ? "true" : "false") + "\"/>\n    </properties>\n");
      for (const auto& [offset, length] : suite.pieces) {
        if (auto status = spool_.CopyTo(out, offset, length); !status) return status;
      }
      out.Write("  </testsuite>\n");
    }
    out.Write("</testsuites>\n");
    return out.Commit();
  }

 private:
  struct Suite {
    std::string name;
    std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double seconds = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pieces;  // its testcases in the spool
  };

  Suite& SuiteFor(const std::string& name) {
    if (current_ < suites_.size() && suites_[current_].name == name) return suites_[current_];
    FlushBody();
    const auto found = index_.find(name);
    if (found != index_.end()) {
      current_ = found->second;
    } else {
      current_ = suites_.size();
      index_.emplace(name, current_);
      suites_.push_back(Suite{name, 0, 0, 0, 0, 0, {}});
    }
    return suites_[current_];
  }

  void FlushBody() {
    if (body_.empty() || current_ >= suites_.size()) return;
    suites_[current_].pieces.emplace_back(spool_.Append(body_), body_.size());
    body_.clear();
  }

  void Testcase(Suite& suite, const std::string& classname, const std::string& name, double seconds, Verdict verdict, bool must,
                const std::string& diagnosis, const std::string& details) {
    ++suite.tests;
    suite.seconds += seconds;
    std::string& body = body_;
    body += "    <testcase classname=\"";
    AppendXmlEscaped(body, classname);
    body += "\" name=\"";
    AppendXmlEscaped(body, name);
    body += "\" time=\"";
    body += Seconds(seconds);  // short enough for the string's own storage: no allocation
    body += "\"";
    if (verdict == Verdict::kPass) {
      body += "/>\n";
      if (body_.size() > (1u << 16)) FlushBody();
      return;
    }
    const std::string message = XmlEscape(diagnosis.empty() ? std::string(VerdictName(verdict)) : diagnosis);
    switch (verdict) {
      case Verdict::kPass:
        break;
      case Verdict::kFail:
        if (!must) {
          // SHOULD failures do not fail the run (exit code 0): shown, not counted as failures.
          ++suite.skipped;
          body += ">\n      <skipped message=\"SHOULD not met: " + message + "\"/>\n      <system-out>" + XmlEscape(details) + "</system-out>\n    </testcase>\n";
          break;
        }
        ++suite.failures;
        body += ">\n      <failure message=\"" + message + "\" type=\"MUST\">" + XmlEscape(details) + "</failure>\n    </testcase>\n";
        break;
      case Verdict::kCandidateError:
      case Verdict::kInvalidVector:
        ++suite.errors;
        body += ">\n      <error message=\"" + message + "\" type=\"" + VerdictName(verdict) + "\">" + XmlEscape(details) + "</error>\n    </testcase>\n";
        break;
      case Verdict::kNotClaimed:
      case Verdict::kSkipped:
        ++suite.skipped;
        body += ">\n      <skipped message=\"" + std::string(VerdictName(verdict)) + (diagnosis.empty() ? "" : ": " + message) + "\"/>\n    </testcase>\n";
        break;
    }
    if (body_.size() > (1u << 16)) FlushBody();
  }

  Spool spool_;
  std::vector<Suite> suites_;
  std::map<std::string, std::size_t> index_;
  std::size_t current_ = 0;
  std::string body_;
};

// What report.html and the failure groups need of a vector that did not pass: no frames, and
// of its steps only the first failing one (its op and diagnosis give the cause).
VectorResult Light(const VectorResult& vector) {
  VectorResult light = vector;
  light.steps.clear();
  for (const StepResult& step : vector.steps) {
    if (step.verdict == Verdict::kFail || step.verdict == Verdict::kCandidateError) {
      StepResult& kept = light.steps.emplace_back();
      kept.index = step.index;
      kept.op = step.op;
      kept.verdict = step.verdict;
      kept.diagnosis = step.diagnosis;
      kept.cause = step.cause;
      kept.input_frame_number = step.input_frame_number;
      kept.expected_frame_number = step.expected_frame_number;
      kept.actual_frame_number = step.actual_frame_number;
      break;
    }
  }
  return light;
}

// A passing vector as a row of report.html: its steps' frame numbers.
VectorResult Row(const VectorResult& vector) {
  VectorResult row;
  row.id = vector.id;
  row.title = vector.title;
  row.file = vector.file;
  row.must = vector.must;
  row.verdict = vector.verdict;
  row.diagnosis = vector.diagnosis;
  row.rank = vector.rank;
  for (const StepResult& step : vector.steps) {
    if (step.input_frame_number == 0 && step.expected_frame_number == 0 && step.actual_frame_number == 0) continue;
    StepResult& kept = row.steps.emplace_back();
    kept.index = step.index;
    kept.op = step.op;
    kept.input_frame_number = step.input_frame_number;
    kept.expected_frame_number = step.expected_frame_number;
    kept.actual_frame_number = step.actual_frame_number;
  }
  return row;
}

}  // namespace

Status WriteResultsJson(const RunResult& run, const std::string& path, const ReportOptions& options) {
  std::map<std::string, std::size_t> group_of;  // vector id -> index in failure_groups
  for (std::size_t g = 0; g < run.failure_groups.size(); ++g) {
    for (const std::string& id : run.failure_groups[g].vector_ids) group_of.emplace(id, g);
  }
  // Failures first, simplest first (by rank); then every other vector in suite order.
  std::vector<std::size_t> order = FailuresSimplestFirst(run);
  for (std::size_t i = 0; i < run.vectors.size(); ++i) {
    if (!IsFailure(run.vectors[i].verdict)) order.push_back(i);
  }
  nlohmann::json document = ResultsHead(run, Summarize(run), PcapLinkType(run));
  nlohmann::json vectors = nlohmann::json::array();
  for (const std::size_t index : order) {
    const VectorResult& vector = run.vectors[index];
    nlohmann::json json = VectorJson(vector, options.sas_for_vector ? options.sas_for_vector(vector) : nullptr);
    const auto group = group_of.find(vector.id);
    json["failure_group"] = group != group_of.end() ? nlohmann::json(group->second) : nlohmann::json(nullptr);
    vectors.push_back(std::move(json));
  }
  document["vectors"] = std::move(vectors);
  return WriteFileAtomically(path, document.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Status WriteJunitXml(const RunResult& run, const std::string& path) {
  JunitBuilder junit;
  for (const VectorResult& vector : run.vectors) junit.AddVector(vector);
  return junit.Write(run, path);
}

// ---- ReportStream ---------------------------------------------------------------------------

struct ReportStream::State {
  std::string directory;
  LinkType link = LinkType::kRawIp;
  StreamLimits limits;
  std::unique_ptr<PcapSet> pcaps;
  JunitBuilder junit;
  RunSummary summary;
  std::size_t sequence = 0;  // vectors added
  std::string entry_text;    // the results.json entry being written
  // results.json's vectors: the failures (entries without "failure_group") and the rest.
  Spool failure_entries, other_entries;
  struct Failure {
    std::string id;
    ComplexityRank rank;
    std::uint64_t offset = 0, length = 0;  // its entry in failure_entries
  };
  std::vector<Failure> failures;
  // report.html: every vector that did not pass, without frames; the first listed_passes passes;
  // the simplest failures in full, with the details decoded while their SA keys were at hand.
  std::vector<std::pair<std::size_t, VectorResult>> rows;  // sequence, row
  std::size_t listed_passes = 0, unlisted_passes = 0;
  std::map<std::pair<ComplexityRank, std::size_t>, std::pair<VectorResult, nlohmann::json>> detailed;
};

ReportStream::ReportStream() : state_(std::make_unique<State>()) {}
ReportStream::~ReportStream() = default;

Result<std::unique_ptr<ReportStream>> ReportStream::Open(const std::string& directory, LinkType link, const std::string& who,
                                                         StreamLimits limits) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Error{directory + ": cannot create the report folder: " + error.message()};
  auto stream = std::unique_ptr<ReportStream>(new ReportStream());
  State& state = *stream->state_;
  state.directory = directory;
  state.link = link;
  state.limits = limits;
  auto pcaps = PcapSet::Open(directory, link, who);
  if (!pcaps) return pcaps.error();
  state.pcaps = std::move(pcaps).value();
  if (!state.failure_entries.ok() || !state.other_entries.ok()) return Error{"cannot create the report's spool files: " + std::string(std::strerror(errno))};
  return stream;
}

const RunSummary& ReportStream::summary() const { return state_->summary; }

Status ReportStream::Add(VectorResult&& vector, SaTable* sas) {
  State& state = *state_;
  const std::size_t sequence = state.sequence++;
  state.pcaps->Add(vector, sas);
  CountVector(state.summary, vector);
  state.junit.AddVector(vector);
  AssignCause(vector);
  const bool failure = IsFailure(vector.verdict);
  Spool& entries = failure ? state.failure_entries : state.other_entries;
  std::string& text = state.entry_text;  // reused: no allocation per vector for its text
  text.clear();
  if (failure) {
    text = JsonText(VectorJson(vector, sas));
    const std::uint64_t offset = entries.Append(text);
    state.failures.push_back(State::Failure{vector.id, vector.rank, offset, text.size()});
  } else {
    text += entries.size() == 0 ? "\n" : ",\n";
    if (PlainEntry(vector)) {
      AppendPlainEntry(vector, text);
    } else {
      nlohmann::json json = VectorJson(vector, sas);
      json["failure_group"] = nullptr;
      text += JsonText(json);
    }
    entries.Append(text);
  }
  if (vector.verdict == Verdict::kPass) {
    if (state.listed_passes < state.limits.listed_passes) {
      ++state.listed_passes;
      state.rows.emplace_back(sequence, Row(vector));
    } else {
      ++state.unlisted_passes;
    }
    return {};
  }
  state.rows.emplace_back(sequence, Light(vector));
  if (failure && state.limits.detailed_failures > 0) {
    nlohmann::json details = HtmlVectorDetails(vector, sas);
    state.detailed.emplace(std::make_pair(vector.rank, sequence), std::make_pair(std::move(vector), std::move(details)));
    if (state.detailed.size() > state.limits.detailed_failures) state.detailed.erase(std::prev(state.detailed.end()));
  }
  return {};
}

Status ReportStream::Finish(RunResult& run) {
  State& state = *state_;
  // The failures, in run order, without frames: their causes and groups.
  run.vectors.clear();
  for (const auto& [sequence, row] : state.rows) {
    if (IsFailure(row.verdict)) run.vectors.push_back(row);
  }
  run.failure_groups = GroupFailures(run.vectors);
  std::map<std::string, std::size_t> group_of;
  for (std::size_t g = 0; g < run.failure_groups.size(); ++g) {
    for (const std::string& id : run.failure_groups[g].vector_ids) group_of.emplace(id, g);
  }

  run.udp_esp = run.udp_esp || state.pcaps->udp_esp();
  if (auto status = state.pcaps->Finish(run.complete); !status) return status;

  // results.json: the head, the failures simplest first (ties in run order), the rest.
  {
    auto file = AtomicFile::Create(state.directory + "/results.json");
    if (!file) return file.error();
    AtomicFile& out = file.value();
    out.Write(OpenObject(ResultsHead(run, state.summary, state.link)) + ",\n \"vectors\": [");
    std::vector<State::Failure> failures = state.failures;
    std::stable_sort(failures.begin(), failures.end(), [](const State::Failure& a, const State::Failure& b) { return a.rank < b.rank; });
    bool first = true;
    for (const State::Failure& failure : failures) {
      out.Write(first ? "\n" : ",\n");
      first = false;
      // The entry without its closing brace, then its group.
      if (auto status = state.failure_entries.CopyTo(out, failure.offset, failure.length - 1); !status) return status;
      const auto group = group_of.find(failure.id);
      out.Write(",\"failure_group\":" + (group != group_of.end() ? std::to_string(group->second) : std::string("null")));
      out.Write("}");
    }
    if (state.other_entries.size() > 0) {
      if (!first) out.Write(",");
      if (auto status = state.other_entries.CopyTo(out, 0, state.other_entries.size()); !status) return status;
    }
    out.Write("\n]}\n");
    if (auto status = out.Commit(); !status) return status;
  }

  if (auto status = state.junit.Write(run, state.directory + "/junit.xml"); !status) return status;

  // report.html: the rows kept, in run order; the simplest failures in full.
  RunResult page;
  page.sendpath_version = run.sendpath_version;
  page.command_line = run.command_line;
  page.started_utc = run.started_utc;
  page.finished_utc = run.finished_utc;
  page.complete = run.complete;
  page.incomplete_reason = run.incomplete_reason;
  page.candidate = run.candidate;
  page.vector_files = run.vector_files;
  page.load_errors = run.load_errors;
  page.run_findings = run.run_findings;
  page.run_notes = run.run_notes;
  page.failure_groups = run.failure_groups;
  page.udp_esp = run.udp_esp;
  std::map<std::string, const nlohmann::json*> details;
  for (auto& [sequence, row] : state.rows) {
    const auto full = state.detailed.find(std::make_pair(row.rank, sequence));
    if (full != state.detailed.end()) {
      page.vectors.push_back(full->second.first);
      details.emplace(row.id, &full->second.second);
    } else {
      page.vectors.push_back(std::move(row));
    }
  }
  ReportOptions options;
  options.summary = &state.summary;
  options.unlisted_passes = state.unlisted_passes;
  options.details_for_vector = [&](const VectorResult& vector) -> std::optional<nlohmann::json> {
    const auto found = details.find(vector.id);
    if (found == details.end()) return std::nullopt;
    return *found->second;
  };
  return WriteHtmlReport(page, state.directory + "/report.html", options);
}

Status WriteReportFolder(RunResult& run, const std::string& directory, const ReportOptions& options) {
  AssignFrameNumbers(run);
  const std::string who = run.candidate.identity.empty() ? run.candidate.spec : run.candidate.identity;
  auto stream = ReportStream::Open(directory, PcapLinkType(run), who, StreamLimits{run.vectors.size(), run.vectors.size()});
  if (!stream) return stream.error();
  for (const VectorResult& vector : run.vectors) {
    VectorResult copy = vector;
    if (auto status = stream.value()->Add(std::move(copy), options.sas_for_vector ? options.sas_for_vector(vector) : nullptr); !status) {
      return status;
    }
  }
  RunResult header = run;
  header.vectors.clear();
  if (auto status = stream.value()->Finish(header); !status) return status;
  run.failure_groups = std::move(header.failure_groups);
  for (VectorResult& vector : run.vectors) AssignCause(vector);
  return {};
}

}  // namespace sendpath::report
