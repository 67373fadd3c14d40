#!/usr/bin/python3
"""fault_table.py on hand-made reports: it must accept runs whose first reported failure carries
the expected cause in both IV modes, and reject every way a run can fall short (clean NIC
failing, the cause named only by a later failure, a SHOULD vector first, a missing cause field
without --allow-missing-causes, a rule that does not match, the wrong run finding, a fault seen
in a mode where it cannot be, a crash, a fault without an expectation, an own-IV run that was
offered IVs)."""
from __future__ import annotations

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import fault_table  # noqa: E402

EXPECTATIONS = {
    "ttl": {"family": "AH header view", "cause": "ah-ttl-not-zeroed"},
    "frag": {"family": "status", "cause": "accepted-must-refuse", "rule": "fragments are not offloaded"},
    "counter": {"family": "IV policy", "run_finding": "cbc_iv_counter",
                "modes": {"injected": {"caught": False, "why": "the NIC takes the injected IVs"}}},
}


def vector(vid: str, verdict: str = "pass", cause: dict | None = None, must: bool = True) -> dict:
    v = {"id": vid, "class": "MUST" if must else "SHOULD", "verdict": verdict, "diagnosis": "d" if cause else ""}
    if cause is not None:
        v["cause"] = cause
    return v


def cause(cid: str, rule: str = "") -> dict:
    return {"id": cid, "text": f"{cid} (checked)", "rule": rule}


def write(root: Path, mode: str, name: str, exit_code: int, vectors: list, findings=()) -> None:
    d = root / mode / name
    d.mkdir(parents=True)
    (d / "exit_code").write_text(f"{exit_code}\n")
    summary = {"vectors": len(vectors), "by_verdict": {"pass": sum(v["verdict"] == "pass" for v in vectors)},
               "must_failures": sum(v["verdict"] != "pass" and v["class"] == "MUST" for v in vectors)}
    (d / "results.json").write_text(json.dumps({
        "candidate": {"ivs_offered": mode == "injected"}, "vectors": vectors, "run_findings": list(findings),
        "load_errors": [], "summary": summary}))


class FaultTableTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def good(self, skip=()):
        for mode in fault_table.MODES:
            if (mode, "clean") not in skip:
                write(self.root, mode, "clean", 0, [vector("contract/ah-transport/md5")])
            if (mode, "ttl") not in skip:
                write(self.root, mode, "ttl", 1, [vector("contract/ah-transport/md5", "fail", cause("ah-ttl-not-zeroed")),
                                                   vector("contract/ah-tunnel/md5", "fail", cause("unexplained"))])
            if (mode, "frag") not in skip:
                write(self.root, mode, "frag", 1, [vector("contract/fragments/esp-mf", "fail",
                                                          cause("accepted-must-refuse", "[S5] fragments are not offloaded"))])
            if (mode, "counter") not in skip:
                if mode == "injected":
                    write(self.root, mode, "counter", 0, [vector("contract/iv-freshness/x")])
                else:
                    write(self.root, mode, "counter", 1, [vector("contract/iv-freshness/x")],
                          [{"kind": "cbc_iv_counter", "severity": "MUST", "text": "counter"}])

    def problems(self, allow_missing_causes=False):
        return fault_table.check(fault_table.load_runs(self.root), EXPECTATIONS, allow_missing_causes)

    def assertProblem(self, prefix: str, allow_missing_causes=False):
        problems = self.problems(allow_missing_causes)
        self.assertTrue(any(p.startswith(prefix) for p in problems), problems)

    def test_matching_runs_pass_and_the_table_names_the_first_failure_and_the_share(self):
        self.good()
        self.assertEqual(self.problems(), [])
        runs = fault_table.load_runs(self.root)
        text = fault_table.table(runs, EXPECTATIONS)
        self.assertIn("| `ttl` | AH header view | `ah-ttl-not-zeroed` | `contract/ah-transport/md5`: ah-ttl-not-zeroed | "
                      "`contract/ah-transport/md5`: ah-ttl-not-zeroed | 1/2; 1/2 |", text)
        self.assertIn("not caught: the NIC takes the injected IVs", text)
        self.assertIn("`(run-wide)`: cbc_iv_counter", text)
        shares = fault_table.shares(runs, EXPECTATIONS)
        self.assertEqual(shares[0], "injected IVs: the first reported failure names the cause for 2 of 2 faults (100%)")
        self.assertEqual(shares[1], "own IVs (--own-ivs): the first reported failure names the cause for 3 of 3 faults (100%)")

    def test_clean_nic_failing_a_must_vector_is_reported_per_mode(self):
        self.good(skip=(("own", "clean"),))
        write(self.root, "own", "clean", 1, [vector("contract/ah-transport/md5", "fail", cause("unexplained"))])
        self.assertProblem("own/clean: sendpath run exited 1")
        self.assertProblem("own/clean: MUST vector contract/ah-transport/md5")

    def test_clean_should_failure_is_not_a_must_failure(self):
        self.good(skip=(("injected", "clean"),))
        write(self.root, "injected", "clean", 0, [vector("robustness/x", "fail", cause("unexplained"), must=False)])
        self.assertEqual(self.problems(), [])

    def test_the_cause_named_only_by_a_later_failure_is_not_enough(self):
        self.good(skip=(("injected", "ttl"),))
        write(self.root, "injected", "ttl", 1, [vector("contract/ah-transport/md5", "fail", cause("ah-checksum-not-zeroed")),
                                                vector("contract/ah-tunnel/md5", "fail", cause("ah-ttl-not-zeroed"))])
        self.assertProblem("injected/ttl: the first failure contract/ah-transport/md5 names cause ah-checksum-not-zeroed, "
                           "expected ah-ttl-not-zeroed")

    def test_a_should_vector_first_is_a_problem(self):
        self.good(skip=(("own", "ttl"),))
        write(self.root, "own", "ttl", 1, [vector("robustness/x", "fail", cause("ah-ttl-not-zeroed"), must=False)])
        self.assertProblem("own/ttl: the first failure robustness/x is a SHOULD vector")

    def test_a_missing_cause_field_needs_the_explicit_flag(self):
        self.good(skip=(("injected", "ttl"),))
        write(self.root, "injected", "ttl", 1, [{"id": "contract/ah-transport/md5", "class": "MUST", "verdict": "fail",
                                                 "diagnosis": "d", "cause": "AH ICV: TTL was not zeroed"}])
        self.assertProblem("injected/ttl: the first failure contract/ah-transport/md5 has no cause field")
        self.assertEqual(self.problems(allow_missing_causes=True), [])
        runs = fault_table.load_runs(self.root)
        self.assertIn("`contract/ah-transport/md5`: no cause field", fault_table.table(runs, EXPECTATIONS))
        self.assertIn("1 first failures have no cause field", fault_table.shares(runs, EXPECTATIONS)[0])

    def test_the_rule_must_match(self):
        self.good(skip=(("own", "frag"),))
        write(self.root, "own", "frag", 1, [vector("contract/fragments/esp-mf", "fail",
                                                   cause("accepted-must-refuse", "handle never issued"))])
        self.assertProblem("own/frag: contract/fragments/esp-mf: cause rule 'handle never issued' does not match")

    def test_the_wrong_or_no_run_finding(self):
        self.good(skip=(("own", "counter"),))
        write(self.root, "own", "counter", 1, [vector("contract/iv-freshness/x")],
              [{"kind": "cbc_iv_counter", "severity": "SHOULD"}, {"kind": "cbc_iv_constant", "severity": "MUST"}])
        self.assertProblem("own/counter: the first MUST run finding is cbc_iv_constant, expected cbc_iv_counter")

    def test_a_fault_seen_where_it_cannot_be_is_a_problem(self):
        self.good(skip=(("injected", "counter"),))
        write(self.root, "injected", "counter", 1, [vector("contract/x", "fail", cause("unexplained"))])
        self.assertProblem("injected/counter: exited 1, expected 0 (the fault cannot be seen in this mode")

    def test_fault_not_caught(self):
        self.good(skip=(("own", "ttl"),))
        write(self.root, "own", "ttl", 0, [vector("contract/ah-transport/md5")])
        self.assertProblem("own/ttl: exited 0, expected 1")
        self.assertProblem("own/ttl: no failing vector")

    def test_candidate_error_is_a_problem_even_when_caught(self):
        self.good(skip=(("injected", "ttl"),))
        write(self.root, "injected", "ttl", 1, [vector("contract/ah-transport/md5", "fail", cause("ah-ttl-not-zeroed")),
                                                vector("contract/ah-tunnel/md5", "candidate error", cause("unexplained"))])
        self.assertProblem("injected/ttl: contract/ah-tunnel/md5 ended in a candidate error")

    def test_fault_without_expectation_and_missing_run(self):
        self.good(skip=(("own", "frag"),))
        write(self.root, "own", "brand_new", 1, [vector("contract/x", "fail", cause("unexplained"))])
        problems = self.problems()
        self.assertIn("own/brand_new: a faulty NIC without an entry in the expectations", problems)
        self.assertIn("own/frag: expected a run of libsendpath_faulty_frag.so, found none", problems)

    def test_an_own_iv_run_that_was_offered_ivs(self):
        self.good(skip=(("own", "ttl"),))
        d = self.root / "own" / "ttl"
        write(self.root, "own", "ttl", 1, [vector("contract/ah-transport/md5", "fail", cause("ah-ttl-not-zeroed"))])
        results = json.loads((d / "results.json").read_text())
        results["candidate"]["ivs_offered"] = True
        (d / "results.json").write_text(json.dumps(results))
        self.assertProblem("own/ttl: results.json candidate.ivs_offered is True")

    def test_unreadable_results(self):
        self.good(skip=(("injected", "ttl"),))
        d = self.root / "injected" / "ttl"
        d.mkdir(parents=True)
        (d / "exit_code").write_text("1\n")
        (d / "results.json").write_text("{not json")
        problems = self.problems()
        self.assertTrue(any(p.startswith("injected/ttl: ") and "results.json" in p for p in problems), problems)


if __name__ == "__main__":
    unittest.main()
