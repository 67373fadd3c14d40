#!/usr/bin/python3
"""Generate the bundled sendpath vector suites (kat/, independent/, contract/, robustness/).

Every expected frame is computed here, constructively and independently of the C++ reference
NIC (see ipsec_frames.py). Deterministic: keys, SPIs, payloads and IVs are derived from each
vector's id, so a run reproduces the committed files byte for byte.

Usage:
  generate.py                 write the suites under vectors/
  generate.py --check         regenerate into a temporary directory and fail if the committed
                              suites differ (CI)
  generate.py --out DIR       write the suites under DIR instead
  generate.py --testdata DIR  read the published answers and samples from DIR (default:
                              testdata/ of this repository)
"""
from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

import coverage  # noqa: E402
import suite_contract  # noqa: E402
import suite_independent  # noqa: E402
import suite_kat  # noqa: E402
import suite_robustness  # noqa: E402
import suite_udpesp  # noqa: E402
from vectorfile import CAPABILITIES, STATUSES, VectorGroup, dumps  # noqa: E402

SUITES = ("kat", "independent", "contract", "robustness")
TOOLS = Path(__file__).resolve().parent
VECTORS = TOOLS.parent
CONFIRMATIONS = TOOLS / "confirmations.json"
DEFAULT_TESTDATA = VECTORS.parent / "testdata"  # published answers and samples (testdata/README.md)


def notes_for(flag: str) -> str:
    rule, neg = (flag[:-4], True) if flag.endswith("/neg") else (flag, False)
    if rule not in coverage.RULES:
        raise KeyError(f"flag {flag!r} is neither a rule id nor a group note")
    text, pos_note, neg_note = coverage.RULES[rule]
    return f"{text} {'Negative' if neg else 'Positive'}: {neg_note if neg else pos_note}"


def build_groups(testdata: Path) -> List[VectorGroup]:
    return (suite_kat.build(testdata) + suite_independent.build(testdata) + suite_contract.build()
            + suite_udpesp.build() + suite_robustness.build())


def validate(groups: List[VectorGroup]) -> None:
    seen: Dict[str, str] = {}
    for group in groups:
        for vector in group.vectors:
            where = f"{group.suite}/{group.group}.json {vector.id}"
            if vector.id in seen:
                raise ValueError(f"{where}: id also used in {seen[vector.id]}")
            seen[vector.id] = group.group
            if not vector.id.startswith(group.suite + "/"):
                raise ValueError(f"{where}: id must start with the suite name")
            for cap in vector.requires:
                if cap not in CAPABILITIES:
                    raise ValueError(f"{where}: unknown capability {cap}")
            for step in vector.steps:
                expect = step.get("expect")
                status = expect["status"] if isinstance(expect, dict) else expect
                if status is not None and status not in STATUSES:
                    raise ValueError(f"{where}: unknown status {status}")
                if step["op"] == "set":
                    for cap in step["enable"]:
                        if cap not in CAPABILITIES:
                            raise ValueError(f"{where}: set enables unknown {cap}")
                for key in ("sa",):
                    if key in step and step[key] not in vector.sas:
                        raise ValueError(f"{where}: step names unknown SA {step[key]}")


def render_files(groups: List[VectorGroup], confirmations: Dict[str, List[str]]) -> Dict[str, str]:
    files: Dict[str, str] = {}
    for group in groups:
        for vector in group.vectors:
            vector.confirmed_by = list(vector.sample_checks) + confirmations.get(vector.id, [])
        files[f"{group.suite}/{group.group}.json"] = dumps(group.to_json(notes_for))
    return files


def write(files: Dict[str, str], root: Path) -> None:
    for suite in SUITES:
        folder = root / suite
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.json"):
            if f"{suite}/{stale.name}" not in files:
                stale.unlink()
    for name, text in files.items():
        (root / name).write_text(text)


def check(files: Dict[str, str], root: Path) -> int:
    status = 0
    committed = {f"{s}/{p.name}" for s in SUITES for p in (root / s).glob("*.json")}
    for name in sorted(committed - set(files)):
        print(f"generate --check: {name} is committed but no longer generated", file=sys.stderr)
        status = 1
    for name, text in sorted(files.items()):
        path = root / name
        if not path.exists():
            print(f"generate --check: {name} is generated but not committed", file=sys.stderr)
            status = 1
            continue
        old = path.read_text()
        if old != text:
            diff = list(difflib.unified_diff(old.splitlines(), text.splitlines(),
                                             f"committed/{name}", f"generated/{name}",
                                             lineterm="", n=1))
            print("\n".join(diff[:40]), file=sys.stderr)
            print(f"generate --check: {name} differs from the generator's output",
                  file=sys.stderr)
            status = 1
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--out", type=Path, default=VECTORS)
    parser.add_argument("--testdata", type=Path, default=DEFAULT_TESTDATA)
    args = parser.parse_args()
    confirmations = json.loads(CONFIRMATIONS.read_text()) if CONFIRMATIONS.exists() else {}
    groups = build_groups(args.testdata)
    validate(groups)
    files = render_files(groups, confirmations)
    count = sum(len(g.vectors) for g in groups)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write(files, Path(tmp))  # the same bytes as a normal run would write
            regenerated = {n: (Path(tmp) / n).read_text() for n in files}
        status = check(regenerated, args.out)
        print(f"generate --check: {count} vectors in {len(files)} files: "
              f"{'identical' if status == 0 else 'DIFFERENT'}")
        return status
    write(files, args.out)
    print(f"generate: wrote {count} vectors in {len(files)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
