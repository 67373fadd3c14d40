#include "harness/candidates/pcap/pcap_candidate.h"

#include "harness/export.h"
#include "harness/protocol.h"

#include <reports/pcap_io.h>
#include <vectors/loader/vector_loader.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sendpath::harness {
namespace {

using nlohmann::json;

struct ProgrammedSend {
  std::string vector;
  std::size_t step = 0;
  std::size_t frame = 0;  // 1-based in input.pcap
  bool ethernet = false;  // the vector's own encapsulation is IEEE 802.3
  NDIS_STATUS expect_status = NDIS_STATUS_SUCCESS;
  bool expect_emit = false;
  Bytes input;  // as the NIC receives it (synthetic Ethernet removed)
};

struct CaptureFrame {
  std::size_t number = 0;
  Bytes bytes;
  std::size_t ip_offset = 0;
  bool has_ip = false;
  bool truncated = false;
};

bool ReadPcap(const std::string& path, std::vector<CaptureFrame>& frames, report::LinkType& link, std::string& error) {
  auto reader = report::PcapReader::Open(path);
  if (!reader) {
    error = reader.error().message;
    return false;
  }
  link = reader.value().link_type();
  report::PcapRecord record;
  for (;;) {
    const auto next = reader.value().Read(record, error);
    if (next == report::PcapReader::Next::kEnd) return true;
    if (next == report::PcapReader::Next::kError) return false;
    CaptureFrame frame;
    frame.number = record.number;
    frame.bytes.assign(record.data.begin(), record.data.end());
    frame.truncated = record.wire_length > record.data.size();
    if (const auto offset = report::Ipv4Offset(frame.bytes, link)) {
      frame.has_ip = true;
      frame.ip_offset = *offset;
    } else {  // not IPv4 (a frame the NIC passed through unchanged): skip just the link header
      const std::size_t link_header = link == report::LinkType::kEthernet  ? 14
                                      : link == report::LinkType::kLinuxSll ? 16
                                                                            : 0;
      frame.ip_offset = std::min(link_header, frame.bytes.size());
    }
    frames.push_back(std::move(frame));
  }
}

// The captured frame as the NIC emitted it in the vector's encapsulation.
Bytes AsEmitted(const CaptureFrame& frame, const ProgrammedSend& send, report::LinkType link) {
  if (!send.ethernet) return Bytes(frame.bytes.begin() + static_cast<std::ptrdiff_t>(frame.ip_offset), frame.bytes.end());
  if (link == report::LinkType::kEthernet) return frame.bytes;
  // An Ethernet vector captured without its link header: the input's header stands in for it.
  Bytes out(send.input.begin(), send.input.begin() + std::min<std::ptrdiff_t>(14, static_cast<std::ptrdiff_t>(send.input.size())));
  out.insert(out.end(), frame.bytes.begin() + static_cast<std::ptrdiff_t>(frame.ip_offset), frame.bytes.end());
  return out;
}

bool Matches(const CaptureFrame& frame, const ProgrammedSend& send) {
  const std::size_t input_ip = send.ethernet ? 14 : 0;
  if (!frame.has_ip || send.input.size() < input_ip + 20) {
    // No IPv4 header to key on: only the input itself, passed through unchanged, matches.
    return send.input.size() >= input_ip && frame.bytes.size() - frame.ip_offset == send.input.size() - input_ip &&
           std::equal(frame.bytes.begin() + static_cast<std::ptrdiff_t>(frame.ip_offset), frame.bytes.end(),
                      send.input.begin() + static_cast<std::ptrdiff_t>(input_ip));
  }
  const std::size_t input_ip_length = send.input.size() - input_ip;
  if (frame.bytes.size() - frame.ip_offset != input_ip_length) return false;
  const auto same = [&](std::size_t at, std::size_t length) {
    return std::memcmp(frame.bytes.data() + frame.ip_offset + at, send.input.data() + input_ip + at, length) == 0;
  };
  return same(4, 2) && same(9, 1) && same(12, 8);
}

}  // namespace

bool LoadCaptureAttribution(const std::string& capture_path, const std::string& programming_path,
                            CaptureAttribution& attribution, std::string& error) {
  attribution = CaptureAttribution{};
  attribution.capture_path = capture_path;
  attribution.programming_path = programming_path;
  std::ifstream stream(programming_path, std::ios::binary);
  if (!stream) {
    error = programming_path + ": cannot open";
    return false;
  }
  std::stringstream text;
  text << stream.rdbuf();
  const json programming = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (programming.is_discarded() || !programming.is_object() || programming.value("format", "") != kProgrammingFormat) {
    error = programming_path + ": not a " + std::string(kProgrammingFormat) + " document";
    return false;
  }
  std::string claim_error;
  if (!protocol::CapabilitiesFromJson(programming.value("claimed", json::array()), attribution.claimed, claim_error)) {
    error = programming_path + ":/claimed: " + claim_error;
    return false;
  }
  const std::filesystem::path base = std::filesystem::path(programming_path).parent_path();
  const std::string input_path = (base / programming.value("input", std::string("input.pcap"))).string();
  std::vector<CaptureFrame> inputs;
  report::LinkType input_link = report::LinkType::kRawIp;
  if (!ReadPcap(input_path, inputs, input_link, error)) return false;

  std::vector<ProgrammedSend> sends;
  const json steps = programming.value("steps", json::array());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const json& step = steps[i];
    if (!step.is_object() || step.value("op", "") != "send") continue;
    const std::string where = programming_path + ":/steps/" + std::to_string(i);
    try {
      ProgrammedSend send;
      send.vector = step.at("vector").get<std::string>();
      send.step = step.at("step").get<std::size_t>();
      send.frame = step.at("frame").get<std::size_t>();
      send.expect_emit = step.at("expect_emit").get<bool>();
      const auto status = protocol::StatusFromJson(step.at("expect_status"));
      if (!status) {
        error = where + "/expect_status: not an NDIS_STATUS";
        return false;
      }
      send.expect_status = *status;
      if (send.frame == 0 || send.frame > inputs.size()) {
        error = where + "/frame: " + std::to_string(send.frame) + " is not a frame of " + input_path;
        return false;
      }
      const Bytes& framed = inputs[send.frame - 1].bytes;
      const bool synthetic = step.value("synthetic_ethernet", false);
      send.ethernet = !synthetic && input_link == report::LinkType::kEthernet;
      send.input.assign(framed.begin() + (synthetic ? 14 : 0), framed.end());
      sends.push_back(std::move(send));
    } catch (const json::exception& e) {
      error = where + ": " + e.what();
      return false;
    }
  }

  std::vector<CaptureFrame> captured;
  report::LinkType link = report::LinkType::kRawIp;
  if (!ReadPcap(capture_path, captured, link, error)) return false;

  // Order-preserving alignment (see the header): score 2 for a frame on a send expected to emit,
  // 1 on a refused send (a leak), 0 for leaving a frame or a send unmatched.
  const std::size_t n = sends.size(), m = captured.size();
  std::vector<std::size_t> owner(m, SIZE_MAX);  // frame -> send
  const auto weight = [&](std::size_t s, std::size_t f) {
    return Matches(captured[f], sends[s]) ? (sends[s].expect_emit ? 2 : 1) : 0;
  };
  if (n * m <= 20'000'000) {
    std::vector<std::uint32_t> score((n + 1) * (m + 1), 0);
    const auto at = [&](std::size_t s, std::size_t f) -> std::uint32_t& { return score[s * (m + 1) + f]; };
    for (std::size_t s = 1; s <= n; ++s) {
      for (std::size_t f = 1; f <= m; ++f) {
        std::uint32_t best = std::max(at(s - 1, f), at(s, f - 1));
        if (const int w = weight(s - 1, f - 1); w > 0) best = std::max(best, at(s - 1, f - 1) + static_cast<std::uint32_t>(w));
        at(s, f) = best;
      }
    }
    for (std::size_t s = n, f = m; s > 0 && f > 0;) {
      const int w = weight(s - 1, f - 1);
      if (w > 0 && at(s, f) == at(s - 1, f - 1) + static_cast<std::uint32_t>(w)) {
        owner[f - 1] = s - 1;
        --s;
        --f;
      } else if (at(s, f) == at(s - 1, f)) {
        --s;
      } else {
        --f;
      }
    }
  } else {  // too large for the table: first match in order
    std::size_t s = 0;
    for (std::size_t f = 0; f < m && s < n; ++f) {
      for (std::size_t t = s; t < n; ++t) {
        if (weight(t, f) > 0) {
          owner[f] = t;
          s = t + 1;
          break;
        }
      }
    }
  }

  for (const ProgrammedSend& send : sends) {
    CapturedSend& out = attribution.sends[{send.vector, send.step}];
    out.expect_status = send.expect_status;
    out.expect_emit = send.expect_emit;
  }
  std::size_t unattributed = 0;
  for (std::size_t f = 0; f < m; ++f) {
    if (owner[f] == SIZE_MAX) {
      if (++unattributed <= 20) {
        attribution.notes.push_back(capture_path + ": frame " + std::to_string(captured[f].number) +
                                    " matches no send (ignored)");
      }
      continue;
    }
    const ProgrammedSend& send = sends[owner[f]];
    CapturedSend& out = attribution.sends[{send.vector, send.step}];
    out.frame = AsEmitted(captured[f], send, link);
    out.capture_number = captured[f].number;
    if (captured[f].truncated) {
      attribution.notes.push_back(capture_path + ": frame " + std::to_string(captured[f].number) +
                                  " was cut by the capture's snap length");
    }
  }
  if (unattributed > 20) {
    attribution.notes.push_back(capture_path + ": " + std::to_string(unattributed - 20) + " more frames match no send");
  }
  return true;
}

PcapCandidate::PcapCandidate(std::shared_ptr<const CaptureAttribution> attribution)
    : attribution_(std::move(attribution)) {}

Outcome<CandidateIdentity> PcapCandidate::Start() {
  CandidateIdentity identity;
  identity.name = "captured NIC";
  identity.version = attribution_->capture_path;
  identity.protocol = "pcap";
  identity.iv_injection = false;
  identity.oid_results_observed = false;
  return identity;
}

Outcome<AddSaReply> PcapCandidate::AddSa(const AddSaRequest&) {
  // Handles are not observed; distinct stand-ins keep the runner's bookkeeping meaningful.
  return AddSaReply{NDIS_STATUS_SUCCESS, reinterpret_cast<NDIS_HANDLE>(++next_handle_)};
}

Outcome<AddUdpEspSaReply> PcapCandidate::AddUdpEspSa(const AddSaRequest&) {
  // As AddSa: stand-ins for the SA handle and for a parser entry the rig's NIC may have made.
  const auto handle = reinterpret_cast<NDIS_HANDLE>(++next_handle_);
  return AddUdpEspSaReply{NDIS_STATUS_SUCCESS, handle, reinterpret_cast<NDIS_HANDLE>(++next_handle_)};
}

Outcome<SendReply> PcapCandidate::Send(const SendRequest& request) {
  const auto found = attribution_->sends.find({request.context.vector_id, request.context.step_index});
  if (found == attribution_->sends.end()) {
    return CandidateError{"send " + std::to_string(request.context.step_index) + " of " + request.context.vector_id +
                          " is not in " + attribution_->programming_path};
  }
  // The status is not observed: a frame on the wire is taken as a transmitted send, and the
  // judge sees the expected status otherwise (so a missing frame reads "nothing emitted").
  SendReply reply;
  reply.status = found->second.expect_status;
  reply.frame = found->second.frame;
  return reply;
}

}  // namespace sendpath::harness
