#!/usr/bin/python3
"""fault_table.py on hand-made reports: it must accept a run that matches the expectations and
reject every way a run can fall short (clean NIC failing, fault not caught, wrong diagnosis,
wrong exit code, a crash, a fault without an expectation, a missing run note)."""
from __future__ import annotations

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import fault_table  # noqa: E402

EXPECTATIONS = {
    "ttl": {"vector": "^contract/ah-", "diagnosis": "TTL was not zeroed\\?"},
    "iv": {"exit": 0, "run_note": "repeated CBC IVs"},
}


def vector(vid: str, verdict: str = "pass", diagnosis: str = "", must: bool = True) -> dict:
    return {"id": vid, "class": "MUST" if must else "SHOULD", "verdict": verdict, "diagnosis": diagnosis,
            "steps": [{"diagnosis": diagnosis}] if diagnosis else []}


def write(folder: Path, name: str, exit_code: int, vectors: list, run_notes=()) -> None:
    d = folder / name
    d.mkdir(parents=True)
    (d / "exit_code").write_text(f"{exit_code}\n")
    summary = {"vectors": len(vectors), "by_verdict": {"pass": sum(v["verdict"] == "pass" for v in vectors)},
               "must_failures": sum(v["verdict"] != "pass" and v["class"] == "MUST" for v in vectors)}
    (d / "results.json").write_text(json.dumps({"vectors": vectors, "run_notes": list(run_notes),
                                                "load_errors": [], "summary": summary}))


class FaultTableTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def good(self, skip=()):
        if "clean" not in skip:
            write(self.root, "clean", 0, [vector("contract/ah-transport/md5")])
        if "ttl" not in skip:
            write(self.root, "ttl", 1, [vector("contract/ah-transport/md5", "fail",
                                               "transport AH ICV differs — TTL was not zeroed? (checked)")])
        if "iv" not in skip:
            write(self.root, "iv", 0, [vector("contract/esp-transport/x")], ["repeated CBC IVs: 5 of 6"])

    def problems(self):
        runs = {d.name: fault_table.Run(d.name, d) for d in sorted(self.root.iterdir())}
        return fault_table.check(runs, EXPECTATIONS)

    def test_matching_runs_pass_and_the_table_names_the_vector(self):
        self.good()
        self.assertEqual(self.problems(), [])
        runs = {d.name: fault_table.Run(d.name, d) for d in sorted(self.root.iterdir())}
        text = fault_table.table(runs, EXPECTATIONS)
        self.assertIn("| `ttl` | 1 | 1 (1) | `contract/ah-transport/md5` |", text)
        self.assertIn("run note: repeated CBC IVs", text)

    def test_clean_nic_failing_a_must_vector_is_reported(self):
        self.good(skip=("clean",))
        write(self.root, "clean", 1, [vector("contract/ah-transport/md5", "fail", "ICV differs")])
        problems = self.problems()
        self.assertTrue(any(p.startswith("clean: sendpath run exited 1") for p in problems), problems)
        self.assertTrue(any("MUST vector contract/ah-transport/md5" in p for p in problems), problems)

    def test_clean_should_failure_is_not_a_must_failure(self):
        self.good(skip=("clean",))
        write(self.root, "clean", 0, [vector("robustness/x", "fail", "odd", must=False)])
        self.assertEqual(self.problems(), [])

    def test_fault_not_caught(self):
        self.good(skip=("ttl",))
        write(self.root, "ttl", 0, [vector("contract/ah-transport/md5")])
        problems = self.problems()
        self.assertTrue(any(p.startswith("ttl: sendpath run exited 0, expected 1") for p in problems), problems)
        self.assertTrue(any(p.startswith("ttl: no failing MUST vector matches") for p in problems), problems)

    def test_wrong_diagnosis_or_wrong_vector(self):
        self.good(skip=("ttl",))
        write(self.root, "ttl", 1, [vector("contract/ah-transport/md5", "fail", "checksum was not zeroed?"),
                                    vector("contract/esp-transport/x", "fail", "TTL was not zeroed?")])
        self.assertTrue(any(p.startswith("ttl: no failing MUST vector matches") for p in self.problems()))

    def test_only_a_should_vector_catching_is_not_enough(self):
        self.good(skip=("ttl",))
        write(self.root, "ttl", 1, [vector("contract/ah-x", "fail", "TTL was not zeroed?", must=False)])
        self.assertTrue(any(p.startswith("ttl: no failing MUST vector matches") for p in self.problems()))

    def test_candidate_error_is_a_problem_even_when_caught(self):
        self.good(skip=("ttl",))
        write(self.root, "ttl", 1, [vector("contract/ah-transport/md5", "fail", "TTL was not zeroed?"),
                                    vector("contract/ah-tunnel/md5", "candidate error", "killed by signal 11")])
        self.assertTrue(any("candidate error" in p for p in self.problems()))

    def test_fault_without_expectation_and_missing_run(self):
        self.good(skip=("iv",))
        write(self.root, "brand_new", 1, [vector("contract/x", "fail", "d")])
        problems = self.problems()
        self.assertIn("brand_new: a faulty NIC without an entry in the expectations", problems)
        self.assertTrue(any(p.startswith("iv: expected a run") for p in problems), problems)

    def test_missing_run_note(self):
        self.good(skip=("iv",))
        write(self.root, "iv", 0, [vector("contract/esp-transport/x")], ["something else"])
        self.assertTrue(any(p.startswith("iv: no run note matches") for p in self.problems()))

    def test_unreadable_results(self):
        self.good(skip=("ttl",))
        (self.root / "ttl").mkdir()
        (self.root / "ttl" / "exit_code").write_text("1\n")
        (self.root / "ttl" / "results.json").write_text("{not json")
        self.assertTrue(any(p.startswith("ttl: ") and "results.json" in p for p in self.problems()))


if __name__ == "__main__":
    unittest.main()
