// Failures grouped by cause, the simplest failing vector first.
//
// A failure whose first failing step has a proven cause (reports/causes.h) is grouped by the
// cause id: "<id> (<rule>)", whatever header carries it, so every vector an AH ICV computed over
// a non-zeroed TTL broke lands in one group. Otherwise (unexplained, status causes, candidate
// errors) the group is the step's diagnosis with what is specific to the vector taken out:
// offsets, byte and hex values, frame lengths, SA names, step numbers, copy counts.
#pragma once

#include "reports/run_result.h"

#include <string>
#include <string_view>
#include <vector>

namespace sendpath::report {

// The cause of a step's diagnosis (`op`: the step's op; `candidate_error`: the step ended in a
// candidate error, the diagnosis is its reason).
std::string CauseOfDiagnosis(std::string_view op, std::string_view diagnosis, bool candidate_error);

// True for a cause proven by recomputation (not unexplained, accepted-must-refuse, refused-must-accept).
bool IsProvenCause(const Cause& cause);

// The cause a failure (IsFailure) is grouped under; "" for a vector that did not fail.
std::string CauseOf(const VectorResult& vector);

// Every failure of `vectors` in exactly one group (by CauseOf). Within a group the vector ids
// are simplest first (by rank, ties in the given order); the groups are ordered by their
// simplest vector's rank (ties: the larger group first, then the order of appearance).
std::vector<FailureGroup> GroupFailures(const std::vector<VectorResult>& vectors);

// Each failure's cause and the run's failure groups, from the ranks the vectors carry.
// Sets `cause` (the group key) and `step_cause` (the first failing step's Cause) of one vector.
void AssignCause(VectorResult& vector);
void GroupRunFailures(RunResult& run);

}  // namespace sendpath::report
