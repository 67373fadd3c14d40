#!/usr/bin/env bash
# The faulty-NIC test: runs the bundled suite against the clean sample NIC and against every
# libsendpath_faulty_<fault>.so, then checks each run against fault_expectations.json and writes
# the table "fault -> vectors that caught it" (candidates/tools/fault_table.py).
#
# usage: faulty_nics.sh SENDPATH LIBRARY_DIR OUT_DIR [TABLE]
#   SENDPATH     the sendpath executable (sendpath-candidate-host next to it)
#   LIBRARY_DIR  where libsendpath_sample_nic.so and libsendpath_faulty_*.so are
#   OUT_DIR      one report folder per candidate (replaced)
#   TABLE        where to write the Markdown table (default OUT_DIR/FAULT_TABLE.md)
set -euo pipefail

if (($# < 3)); then
  echo "usage: $0 SENDPATH LIBRARY_DIR OUT_DIR [TABLE]" >&2
  exit 2
fi
sendpath=$1
libraries=$2
out=$3
table=${4:-$out/FAULT_TABLE.md}
here=$(cd "$(dirname "$0")" && pwd)

[[ -x $sendpath ]] || { echo "$0: $sendpath is not executable" >&2; exit 2; }
[[ -f $libraries/libsendpath_sample_nic.so ]] || { echo "$0: no libsendpath_sample_nic.so in $libraries" >&2; exit 2; }
shopt -s nullglob
faulty=("$libraries"/libsendpath_faulty_*.so)
((${#faulty[@]})) || { echo "$0: no libsendpath_faulty_*.so in $libraries" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"

# One run; the exit code goes beside the report (0 pass, 1 a MUST vector failed; anything else
# is a harness or candidate problem the checker reports).
run() {
  local name=$1 library=$2 code=0
  "$sendpath" run --candidate "lib:$library" --out "$out/$name" --no-progress >"$out/$name.txt" 2>&1 || code=$?
  mkdir -p "$out/$name"
  echo "$code" >"$out/$name/exit_code"
  printf '%-32s exit %s\n' "$name" "$code"
}

run clean "$libraries/libsendpath_sample_nic.so"
for library in "${faulty[@]}"; do
  name=$(basename "$library" .so)
  run "${name#libsendpath_faulty_}" "$library"
done

/usr/bin/python3 "$here/../tools/fault_table.py" "$out" --expectations "$here/fault_expectations.json" \
  --check --table "$table"
