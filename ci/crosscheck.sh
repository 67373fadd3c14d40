#!/usr/bin/env bash
# Checks the bundled vector suites (vectors/kat, independent, contract, robustness):
#   1. the generator, rerun into a temporary directory, reproduces the committed files exactly;
#   2. every expected frame is confirmed independently (scapy, tshark, openssl) and the
#      confirmations equal each vector's provenance.confirmed_by;
#   3. every contract rule has positive and negative vectors and vectors/COVERAGE.md is current.
# Installs nothing: CI runs ci/deps.sh first (python3-cryptography, python3-scapy, tshark, openssl).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3  # Debian's interpreter: the one with python3-cryptography and python3-scapy

echo "== vectors: generator check"
"$PY" vectors/tools/generate.py --check
echo "== vectors: independent cross-check"
"$PY" vectors/tools/crosscheck.py
echo "== vectors: coverage"
"$PY" vectors/tools/coverage.py --check
