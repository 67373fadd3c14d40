#!/usr/bin/python3
"""Checks the runs of the faulty sample NICs and writes the table "fault -> vectors that caught it".

Input: a folder with one `sendpath run` report per candidate, as candidates/tests/faulty_nics.sh
leaves it:

    RUNS/clean/results.json       RUNS/clean/exit_code
    RUNS/<fault>/results.json     RUNS/<fault>/exit_code     (one per libsendpath_faulty_<fault>.so)

--check asserts, against candidates/tests/fault_expectations.json, that
  - the clean sample NIC exits 0 with every MUST vector passing and no load errors;
  - every fault has a run and every run a fault (a new fault without an expectation fails);
  - every faulty NIC exits with its expected code (1 unless stated), never makes a vector end in
    "candidate error" (a fault is a wrong answer, not a crash), and has a failing MUST vector whose
    id and diagnosis match the expectation (or, with `run_note`, a matching run-wide note).
Every problem is printed with the fault, the file and what was found; the exit code is 1 if any.

--table FILE writes the Markdown table (candidates/FAULT_TABLE.md in the repository).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple

FAILING = {"fail", "candidate error", "invalid vector"}
LISTED = 8  # up to this many failing vectors are listed by id, more by group


class Run:
    def __init__(self, name: str, folder: Path):
        self.name = name
        self.folder = folder
        self.error: Optional[str] = None
        self.exit_code: Optional[int] = None
        self.results: dict = {}
        try:
            self.exit_code = int((folder / "exit_code").read_text().strip())
        except (OSError, ValueError) as e:
            self.error = f"{folder / 'exit_code'}: {e}"
        try:
            self.results = json.loads((folder / "results.json").read_text())
        except (OSError, ValueError) as e:
            self.error = f"{folder / 'results.json'}: {e}"

    @property
    def vectors(self) -> List[dict]:
        return self.results.get("vectors", [])

    def must_failures(self) -> List[dict]:
        return [v for v in self.vectors if v.get("class") == "MUST" and v.get("verdict") in FAILING]

    def all_failures(self) -> List[dict]:
        return [v for v in self.vectors if v.get("verdict") in FAILING]


def diagnoses(vector: dict) -> List[str]:
    """The vector's diagnosis and those of its steps (the first failing step's is the vector's)."""
    texts = [vector.get("diagnosis", "")]
    texts += [s.get("diagnosis", "") for s in vector.get("steps", [])]
    return [t for t in texts if t]


def catching(run: Run, expectation: dict) -> List[Tuple[str, str]]:
    """(vector id, diagnosis) of the failing MUST vectors that match the expectation."""
    vector_re = re.compile(expectation.get("vector", ""))
    diagnosis_re = re.compile(expectation.get("diagnosis", ""))
    found = []
    for v in run.must_failures():
        if not vector_re.search(v.get("id", "")):
            continue
        for text in diagnoses(v):
            if diagnosis_re.search(text):
                found.append((v["id"], text))
                break
    return found


def check(runs: Dict[str, Run], expectations: Dict[str, dict]) -> List[str]:
    problems = []
    for run in runs.values():
        if run.error:
            problems.append(f"{run.name}: {run.error}")
    clean = runs.get("clean")
    if clean is None:
        problems.append("clean: no run of the clean sample NIC")
    elif not clean.error:
        if clean.exit_code != 0:
            problems.append(f"clean: sendpath run exited {clean.exit_code}, expected 0")
        for v in clean.must_failures():
            problems.append(f"clean: MUST vector {v['id']} is '{v['verdict']}': {v.get('diagnosis', '')}")
        for e in clean.results.get("load_errors", []):
            problems.append(f"clean: load error: {e}")
        if not clean.vectors:
            problems.append("clean: no vectors were run")
    faults = {name for name in runs if name != "clean"}
    for name in sorted(faults - set(expectations)):
        problems.append(f"{name}: a faulty NIC without an entry in the expectations")
    for name in sorted(set(expectations) - faults):
        problems.append(f"{name}: expected a run of libsendpath_faulty_{name}.so, found none")
    for name in sorted(faults & set(expectations)):
        run, expectation = runs[name], expectations[name]
        if run.error:
            continue
        want_exit = expectation.get("exit", 1)
        if run.exit_code != want_exit:
            problems.append(f"{name}: sendpath run exited {run.exit_code}, expected {want_exit}")
        for v in run.vectors:
            if v.get("verdict") == "candidate error":
                problems.append(f"{name}: {v['id']} ended in a candidate error: {v.get('diagnosis', '')}")
        if "run_note" in expectation:
            note_re = re.compile(expectation["run_note"])
            if not any(note_re.search(n) for n in run.results.get("run_notes", [])):
                problems.append(f"{name}: no run note matches /{expectation['run_note']}/; notes: "
                                f"{run.results.get('run_notes', [])}")
        else:
            if not catching(run, expectation):
                seen = [f"{v['id']}: {v.get('diagnosis', '')}" for v in run.must_failures()[:5]]
                problems.append(f"{name}: no failing MUST vector matches id /{expectation.get('vector', '')}/ "
                                f"with diagnosis /{expectation.get('diagnosis', '')}/; failing MUST vectors "
                                f"({len(run.must_failures())}): {seen}")
    return problems


def groups(ids: List[str]) -> str:
    """'contract/esp-transport (12), kat/mcgrew-gcm (14)': the vector files' groups with counts."""
    counts = Counter(i.rsplit("/", 1)[0] if "/" in i else i for i in ids)
    return ", ".join(f"`{g}` ({n})" for g, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(runs: Dict[str, Run], expectations: Dict[str, dict]) -> str:
    lines = [
        "# Faulty sample NICs: the vectors that caught them",
        "",
        "Generated by `candidates/tools/fault_table.py` from the `sendpath run` reports of "
        "`candidates/tests/faulty_nics.sh` (the bundled suite against each "
        "`libsendpath_faulty_<fault>.so`). What each fault models and which rule it breaks: "
        "[FAULTS.md](FAULTS.md).",
        "",
    ]
    clean = runs.get("clean")
    if clean is not None and clean.results:
        summary = clean.results.get("summary", {})
        lines.append(f"The clean sample NIC: exit {clean.exit_code}, "
                     f"{summary.get('by_verdict', {}).get('pass', 0)} of {summary.get('vectors', 0)} vectors "
                     f"passed ({summary.get('must_failures', 0)} MUST failures).")
        lines.append("")
    lines += [
        f"| fault | exit | vectors failed (MUST) | vectors that caught it (up to {LISTED} listed, else per group) "
        "| diagnosis the test asserts |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(n for n in runs if n != "clean"):
        run = runs[name]
        expectation = expectations.get(name, {})
        failed = run.all_failures()
        must = run.must_failures()
        ids = [v["id"] for v in failed]
        caught = ", ".join(f"`{i}`" for i in ids) if len(ids) <= LISTED else groups(ids)
        if "run_note" in expectation:
            note_re = re.compile(expectation["run_note"])
            notes = [n for n in run.results.get("run_notes", []) if note_re.search(n)]
            caught = "the run-wide IV check"
            diagnosis = "run note: " + (notes[0] if notes else "(none)")
            if expectation.get("comment"):
                diagnosis += ". " + expectation["comment"]
        else:
            matched = catching(run, expectation)
            diagnosis = f"`{matched[0][0]}`: {matched[0][1]}" if matched else "(no match)"
        lines.append(f"| `{name}` | {run.exit_code} | {len(failed)} ({len(must)}) | {cell(caught) or '—'} | "
                     f"{cell(diagnosis)} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, help="folder with clean/ and one folder per fault")
    parser.add_argument("--expectations", type=Path,
                        default=Path(__file__).resolve().parent.parent / "tests" / "fault_expectations.json")
    parser.add_argument("--check", action="store_true", help="assert the expectations")
    parser.add_argument("--table", type=Path, help="write the Markdown table here")
    args = parser.parse_args(argv)

    try:
        expectations = json.loads(args.expectations.read_text())["faults"]
    except (OSError, ValueError, KeyError) as e:
        print(f"fault_table.py: {args.expectations}: {e}", file=sys.stderr)
        return 2
    if not args.runs.is_dir():
        print(f"fault_table.py: {args.runs}: not a folder", file=sys.stderr)
        return 2
    runs = {d.name: Run(d.name, d) for d in sorted(args.runs.iterdir()) if d.is_dir()}

    status = 0
    if args.check:
        problems = check(runs, expectations)
        for p in problems:
            print(f"FAIL {p}")
        faults = len([n for n in runs if n != "clean"])
        if problems:
            status = 1
        else:
            print(f"ok: the clean sample NIC passes; all {faults} faulty NICs are caught as expected")
    if args.table:
        args.table.write_text(table(runs, expectations))
        print(f"wrote {args.table}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
