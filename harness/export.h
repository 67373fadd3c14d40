// `sendpath export`: what a hardware rig needs to replay the suite on a real NIC, and what the
// `pcap:` candidate reads back to judge the rig's capture (harness/CANDIDATES.md, "Captured pcap").
//
//   input.pcap        one frame per send step, in programming order (frame N = the N-th send)
//   programming.json  `sendpath-programming/1`: the ordered steps (reset, set, add_sa, delete_sa,
//                     fill_sa_table, send) with SA objects, per-packet info and expectations
//   sas.json          `sendpath-sas/1`: every SA the NIC is expected to accept, keyed "<vector>.<sa>"
#pragma once

#include "harness/runner.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sendpath::harness {

inline constexpr const char* kProgrammingFormat = "sendpath-programming/1";

// Null-encapsulation frames in an Ethernet input.pcap get this synthetic Ethernet II header,
// which the rig strips (programming.json says so per send) and the pcap candidate ignores.
inline constexpr std::uint8_t kSyntheticEthernet[14] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // destination
                                                        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source
                                                        0x08, 0x00};                          // IPv4

// The key of an SA in sas.json: the vector id and SA name with every character outside
// [A-Za-z0-9_.-] replaced by '_', joined by '.'.
std::string ExportSaKey(const std::string& vector_id, const std::string& sa_name);

// Writes the three files into `directory` (created if missing). Errors name the file.
bool WriteExport(const std::vector<SelectedVector>& selected, const std::string& directory, std::string& error);

}  // namespace sendpath::harness
