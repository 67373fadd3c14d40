#!/usr/bin/env bash
# The faulty-NIC test: runs the bundled suite against the clean sample NIC and against every
# libsendpath_faulty_<fault>.so, in both IV modes (the vectors' IVs injected, and `--own-ivs`),
# then checks each run against fault_expectations.json: the first reported failure names the
# fault's cause (candidates/tools/fault_table.py), and writes the table FAULT_TABLE.md.
#
# usage: faulty_nics.sh SENDPATH LIBRARY_DIR OUT_DIR [TABLE] [FAULT_TABLE_OPTION...]
#   SENDPATH     the sendpath executable (sendpath-candidate-host next to it)
#   LIBRARY_DIR  where libsendpath_sample_nic.so and libsendpath_faulty_*.so are
#   OUT_DIR      OUT_DIR/{injected,own}/<candidate>/: one report folder per run (replaced)
#   TABLE        where to write the Markdown table (default OUT_DIR/FAULT_TABLE.md)
#   FAULT_TABLE_OPTION...  passed to fault_table.py (e.g. --allow-missing-causes)
# FAULTY_NICS_JOBS (default 2) runs go in parallel; the elapsed time is printed.
set -euo pipefail

if (($# < 3)); then
  echo "usage: $0 SENDPATH LIBRARY_DIR OUT_DIR [TABLE] [FAULT_TABLE_OPTION...]" >&2
  exit 2
fi
sendpath=$1
libraries=$2
out=$3
table=${4:-$out/FAULT_TABLE.md}
shift $(($# < 4 ? $# : 4))
here=$(cd "$(dirname "$0")" && pwd)

[[ -x $sendpath ]] || { echo "$0: $sendpath is not executable" >&2; exit 2; }
[[ -f $libraries/libsendpath_sample_nic.so ]] || { echo "$0: no libsendpath_sample_nic.so in $libraries" >&2; exit 2; }
shopt -s nullglob
faulty=("$libraries"/libsendpath_faulty_*.so)
((${#faulty[@]})) || { echo "$0: no libsendpath_faulty_*.so in $libraries" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out/injected" "$out/own"

# One run: MODE NAME LIBRARY. The exit code goes beside the report (0 pass, 1 a MUST vector
# failed or a MUST run finding; anything else is a harness or candidate problem the checker
# reports).
run() {
  local mode=$1 name=$2 library=$3 code=0 flags=()
  [[ $mode == own ]] && flags=(--own-ivs)
  "$sendpath" run --candidate "lib:$library" --out "$out/$mode/$name" --no-progress "${flags[@]}" \
    >"$out/$mode/$name.txt" 2>&1 || code=$?
  mkdir -p "$out/$mode/$name"
  echo "$code" >"$out/$mode/$name/exit_code"
  printf '%-8s %-32s exit %s\n' "$mode" "$name" "$code"
}
export -f run
export sendpath out

start=$SECONDS
{
  for mode in injected own; do
    printf '%s\0%s\0%s\0' "$mode" clean "$libraries/libsendpath_sample_nic.so"
    for library in "${faulty[@]}"; do
      name=$(basename "$library" .so)
      printf '%s\0%s\0%s\0' "$mode" "${name#libsendpath_faulty_}" "$library"
    done
  done
} | xargs -0 -n 3 -P "${FAULTY_NICS_JOBS:-2}" bash -c 'run "$@"' run
echo "$((${#faulty[@]} + 1)) NICs x 2 IV modes: $((SECONDS - start)) s with ${FAULTY_NICS_JOBS:-2} parallel runs"

/usr/bin/python3 "$here/../tools/fault_table.py" "$out" --expectations "$here/fault_expectations.json" \
  --check --table "$table" "$@"
