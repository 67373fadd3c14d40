// A RunResult as a run against a faulty NIC would produce it, built from the independent cases:
// passing vectors, a vector whose NIC corrupted one AH ICV byte, one that decremented the inner
// TTL before sealing an ESP tunnel, a leaked refused send, a candidate error and a not-claimed one.
#pragma once

#include "reports/run_result.h"
#include "reports/sa_keys.h"

#include <map>
#include <memory>
#include <string>

namespace sendpath::report::testing {

struct RunFixture {
  RunResult run;
  std::map<std::string, std::unique_ptr<SaTable>> sas;  // by vector id
  SaTable* SasFor(const VectorResult& vector) const {
    auto it = sas.find(vector.id);
    return it == sas.end() ? nullptr : it->second.get();
  }
};

RunFixture FaultyNicRun();

}  // namespace sendpath::report::testing
