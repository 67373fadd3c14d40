// What the generators share: the SA model as a `sendpath-vectors/1` SA object, the capability
// names a case needs, packet sizes, command-line numbers and atomic file writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/cases.h"
#include "vectors/loader/vector_model.h"

namespace sendpath::bench {

// The SA as vectors/README.md writes it: outbound, a host-to-host UDP filter for the packets
// FramePacket builds, tunnel addresses for a tunnel SA, conf-first KeyMat.
vectors::SaSpec ToSaSpec(const SaModel& sa, const std::string& name);

// The capability names (vectors/README.md, `requires`) a send of this case needs.
std::vector<std::string> RequiredCapabilities(const CaseSpec& spec);

// Simple IMIX: 7 x 64, 4 x 576 and 1 x 1500-byte IPv4 packets in every 12, interleaved.
std::size_t ImixLength(std::size_t index);

// Packet sizes: "imix", or a comma-separated list of lengths cycled through. nullopt with
// `error` on a bad list.
struct SizePattern {
  bool imix = true;
  std::vector<std::size_t> lengths;
  std::size_t At(std::size_t index) const { return imix ? ImixLength(index) : lengths[index % lengths.size()]; }
};
std::optional<SizePattern> ParseSizes(std::string_view text, std::string& error);

// Writes `text` to `path` through a temporary file renamed into place. False with `error`.
bool WriteFileAtomically(const std::string& path, std::string_view text, std::string& error);

}  // namespace sendpath::bench
