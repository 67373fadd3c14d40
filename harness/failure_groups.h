// After a run: each vector's complexity rank from its loaded vector, then the failures grouped
// by cause (reports/failure_groups.h, which the HTML report renders).
#pragma once

#include <reports/run_result.h>
#include <vectors/loader/vector_model.h>

#include <map>
#include <string>

namespace sendpath::harness {

// Each vector's rank (RankOf of the loaded vector with its id; a vector not found keeps the
// default rank), each failure's cause, and the run's failure groups.
void RankAndGroupFailures(report::RunResult& run, const std::map<std::string, const vectors::Vector*>& by_id);

}  // namespace sendpath::harness
