// Shared by the reports tests: the independent send-path cases of testdata/samples (computed
// without this project's code) as SA tables and frames.
#pragma once

#include "reports/sa_keys.h"
#include "vectors/loader/vector_model.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sendpath::report::testing {

std::vector<std::uint8_t> FromHex(const std::string& hex);
std::string TestDataDir();  // testdata/ of the source tree (kat/, samples/)
nlohmann::json LoadIndependentCases();

// The SAs of one independent case in the vector model (ConfAlgo/IntegrityAlgo identifiers,
// GCM/GMAC keys with their salt appended as OID_TCP_TASK_IPSEC_ADD_SA carries them).
std::map<std::string, vectors::SaSpec> SaSpecsOfCase(const nlohmann::json& sample);

// Where the first ESP (or AH) header of `frame` (raw IPv4) starts, or 0 if none.
std::size_t FirstHeaderOffset(const std::vector<std::uint8_t>& frame, std::uint8_t protocol);

std::string TemporaryDirectory();

}  // namespace sendpath::report::testing
