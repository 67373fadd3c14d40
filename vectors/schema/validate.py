#!/usr/bin/python3
"""Validate sendpath vector files and SA files against their JSON Schemas.

Usage: /usr/bin/python3 vectors/schema/validate.py [PATH ...]

Each PATH is a file or a directory (searched recursively for *.json). Without paths, the bundled
suite folders vectors/{kat,independent,contract,robustness,regressions} are validated (folders
that do not exist yet are skipped). A file's "format" picks the schema: sendpath-vectors/1 or
sendpath-sas/1. Every problem is printed as `file:pointer: message`; the exit status is 1 when
any file is invalid, 2 on a usage error.

The schema is the structural half of the format; the C++ loader (vectors/loader) also checks
what a schema cannot (flags name notes, handles name SAs, split and iv_bytes ranges, unique ids).
Needs Debian's python3-jsonschema.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

import jsonschema

SCHEMA_DIR = Path(__file__).resolve().parent
VECTORS_DIR = SCHEMA_DIR.parent
SUITES = ("kat", "independent", "contract", "robustness", "regressions")
SCHEMA_FILES = {
    "sendpath-vectors/1": "sendpath-vectors-1.schema.json",
    "sendpath-sas/1": "sendpath-sas-1.schema.json",
}


def escape_token(token: Any) -> str:
    """One RFC 6901 reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(path: Iterable[Any]) -> str:
    return "".join("/" + escape_token(token) for token in path)


class DuplicateKey(ValueError):
    pass


def _refuse_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    # The C++ loader refuses repeated keys too; json.load would keep the last one silently.
    out: Dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(f"duplicate key '{key}'")
        out[key] = value
    return out


def load_validators() -> Dict[str, jsonschema.protocols.Validator]:
    schemas = {fmt: json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")) for fmt, name in SCHEMA_FILES.items()}
    store = {schema["$id"]: schema for schema in schemas.values()}
    validators = {}
    for fmt, schema in schemas.items():
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        validators[fmt] = cls(schema, resolver=resolver)
    return validators


def _most_specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf failures, the sub-error that says most (jsonschema's best_match)."""
    if error.context:
        return jsonschema.exceptions.best_match(error.context) or error
    return error


def validate_document(document: Any, validators: Dict[str, Any]) -> List[Tuple[str, str]]:
    """(pointer, message) for every problem; empty when the document is valid."""
    if not isinstance(document, dict):
        return [("", f"expected object, found {type(document).__name__}")]
    fmt = document.get("format")
    if fmt not in validators:
        return [("/format", f"unknown format {fmt!r} (expected one of {', '.join(sorted(validators))})")]
    problems = []
    for error in sorted(validators[fmt].iter_errors(document), key=lambda e: [str(t) for t in e.absolute_path]):
        detail = _most_specific(error)
        message = detail.message if detail is error else f"{error.message}; closest: {detail.message}"
        problems.append((pointer(error.absolute_path), message))
    return problems


def validate_file(path: Path, validators: Dict[str, Any]) -> List[Tuple[str, str]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_refuse_duplicates)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return [("", f"cannot load: {error}")]
    return validate_document(document, validators)


def collect(paths: List[str], explicit: bool) -> Tuple[List[Path], List[str]]:
    files, missing = [], []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(p for p in path.rglob("*.json") if p.is_file())
        elif path.is_file():
            files.append(path)
        elif explicit:
            missing.append(name)
    return sorted(set(files)), missing


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="files or directories (default: the bundled suites)")
    args = parser.parse_args(argv)
    explicit = bool(args.paths)
    paths = args.paths or [str(VECTORS_DIR / suite) for suite in SUITES]
    files, missing = collect(paths, explicit)
    for name in missing:
        print(f"{name}: no such file or directory")
    validators = load_validators()
    invalid = 0
    for path in files:
        problems = validate_file(path, validators)
        if problems:
            invalid += 1
            for where, message in problems:
                print(f"{path}:{where}: {message}" if where else f"{path}: {message}")
    print(f"{len(files) - invalid} valid, {invalid} invalid ({len(files)} files)")
    return 1 if invalid or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
