#include "harness/failure_groups.h"

#include "harness/complexity.h"

#include <reports/failure_groups.h>

namespace sendpath::harness {

void RankAndGroupFailures(report::RunResult& run, const std::map<std::string, const vectors::Vector*>& by_id) {
  for (report::VectorResult& vector : run.vectors) {
    if (const auto found = by_id.find(vector.id); found != by_id.end()) vector.rank = RankOf(*found->second);
  }
  report::GroupRunFailures(run);
}

}  // namespace sendpath::harness
