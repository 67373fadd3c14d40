"""The algorithm and NDIS_STATUS tables, read from include/sendpath/algorithms.def and
statuses.def: the same rows the C++ layers expand (include/sendpath/algorithms.h).

The .def files are C preprocessor tables; this module reads them as data. Identifier and status
names resolve through include/sendpath/ndis51.h (its #defines and the OFFLOAD_CONF_ALGO /
OFFLOAD_INTEGRITY_ALGO enums), so every value is written once, there.

`python3 algorithm_table.py` prints the rows as JSON (the C++ table test compares them).
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Tuple

INCLUDE = Path(__file__).resolve().parents[2] / "include" / "sendpath"


@dataclass(frozen=True)
class ConfRow:
    name: str
    identifier: int
    identifier_name: str
    display: str
    family: str  # "null" | "cbc" | "gcm"
    keymat: int  # algoKeylen, the 4-byte salt included for GCM (RFC 4106 section 8.1)
    iv: int
    block: int  # the cipher block; 1 for null and GCM
    icv: int
    openssl: str
    capability: str
    wireshark: str
    scapy: str


@dataclass(frozen=True)
class IntegrityRow:
    name: str
    identifier: int
    identifier_name: str
    display: str
    family: str  # "none" | "hmac" | "gmac"
    keymat: int  # the 4-byte salt included for GMAC (RFC 4543)
    icv: int
    iv: int
    openssl: str
    capability: str
    wireshark: str
    scapy: str


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _ndis51_values() -> Dict[str, int]:
    """Names of ndis51.h: its integer #defines and the members of its enums."""
    text = _strip_comments((INCLUDE / "ndis51.h").read_text())
    values: Dict[str, int] = {}
    for name, value in re.findall(r"^#define\s+(\w+)\s+\(?(?:\(\w+\))?(0x[0-9A-Fa-f]+|\d+)L?\)?\s*$",
                                  text, flags=re.M):
        values[name] = int(value, 0)
    for body in re.findall(r"typedef enum \w+ \{(.*?)\}", text, flags=re.S):
        next_value = 0
        for member in body.split(","):
            match = re.fullmatch(r"\s*(\w+)\s*(?:=\s*(\d+))?\s*", member)
            if not match:
                continue
            if match.group(2) is not None:
                next_value = int(match.group(2))
            values[match.group(1)] = next_value
            next_value += 1
    return values


def _rows(path: Path, macro: str) -> List[List[str]]:
    """The argument lists of every `macro(...)` row; string literals unquoted."""
    text = _strip_comments(path.read_text())
    rows = []
    for line in text.splitlines():
        match = re.fullmatch(rf"\s*{macro}\((.*)\)\s*", line)
        if match:
            rows.append(next(csv.reader([match.group(1)], skipinitialspace=True)))
    return rows


def _load() -> Tuple[List[ConfRow], List[IntegrityRow], Dict[str, int]]:
    values = _ndis51_values()
    definition = INCLUDE / "algorithms.def"

    def typed(fields: List[str], ints: range) -> List:
        out: List = list(fields)
        out[1:2] = [values[fields[1]], fields[1]]
        for i in ints:
            out[i + 1] = int(fields[i])
        return out

    conf = [ConfRow(*typed(f, range(4, 8))) for f in _rows(definition, "SENDPATH_CONF_ALGORITHM")]
    integrity = [IntegrityRow(*typed(f, range(4, 7)))
                 for f in _rows(definition, "SENDPATH_INTEGRITY_ALGORITHM")]
    statuses = {f[0]: values[f[0]] for f in _rows(INCLUDE / "statuses.def", "SENDPATH_NDIS_STATUS")}
    return conf, integrity, statuses


CONF_ROWS, INTEGRITY_ROWS, NDIS_STATUSES = _load()
CONF: Dict[str, ConfRow] = {row.name: row for row in CONF_ROWS}
INTEGRITY: Dict[str, IntegrityRow] = {row.name: row for row in INTEGRITY_ROWS}


def conf_names(family: str) -> List[str]:
    return [row.name for row in CONF_ROWS if row.family == family]


def integrity_names(family: str) -> List[str]:
    return [row.name for row in INTEGRITY_ROWS if row.family == family]


if __name__ == "__main__":
    print(json.dumps({"conf": [asdict(r) for r in CONF_ROWS],
                      "integrity": [asdict(r) for r in INTEGRITY_ROWS],
                      "statuses": NDIS_STATUSES}, indent=1))
