#!/usr/bin/env bash
# ci/nightly-fuzz passes NIGHTLY_MINIMIZE_SECONDS to libFuzzer's crash minimisation
# (-max_total_time) and stops a minimisation that runs past it, keeping the finding: run with a
# stub fuzz_vector_loader (NIGHTLY_BIN) that reports one finding and whose minimisation never ends.
#   nightly_minimize_bound_test.sh SOURCE_DIR
set -uo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/nightly.log" ] && cat "$work/nightly.log" >&2; exit 1; }

mkdir -p "$work/bin"
cat >"$work/bin/fuzz_vector_loader" <<'STUB'
#!/usr/bin/env bash
# A fuzz target: one crash when fuzzing, its signature when replaying, a minimisation that
# sleeps for STUB_MINIMIZE_SLEEP seconds (0: returns at once, nothing smaller found).
echo "$*" >>"$STUB_ARGS"
prefix=""
for arg; do
  case $arg in
    -minimize_crash=1) sleep "${STUB_MINIMIZE_SLEEP:-0}"; exit 0 ;;
    -merge=1) exit 0 ;;
    -artifact_prefix=*) prefix=${arg#-artifact_prefix=} ;;
  esac
done
if [ -n "$prefix" ]; then printf 'stub crash input' >"${prefix}crash-0001"; exit 0; fi
echo "==sendpath-fuzz== SIGNATURE: stub-finding"
exit 1
STUB
chmod +x "$work/bin/fuzz_vector_loader"

# nightly RUN_NAME [VAR=VALUE...]: ci/nightly-fuzz 1 vector_loader with the stub; sets $status.
nightly() {
  local name=$1
  shift
  mkdir -p "$work/$name/regressions"
  : >"$work/$name/args"
  env "$@" NIGHTLY_BIN="$work/bin" NIGHTLY_DIR="$work/$name/nightly" NIGHTLY_REGRESSIONS="$work/$name/regressions" \
    STUB_ARGS="$work/$name/args" "$source_dir/ci/nightly-fuzz" 1 vector_loader >"$work/nightly.log" 2>&1 </dev/null
  status=$?
}

# 1. A minimisation that does not end is stopped at the bound; the crash itself is the regression.
nightly bounded NIGHTLY_MINIMIZE_SECONDS=2 STUB_MINIMIZE_SLEEP=600
[ "$status" = 1 ] || fail "bounded run: exit status $status, expected 1 (a finding)"
grep -q -- '-minimize_crash=1 .*-max_total_time=2 ' "$work/bounded/args" || fail "bounded run: -max_total_time=2 not passed to -minimize_crash"
grep -q 'minimising stub-finding stopped after 2s' "$work/nightly.log" || fail "bounded run: the stop is not reported"
regression=$(ls "$work"/bounded/regressions/*-vector_loader-stub-finding.input 2>/dev/null)
[ -n "$regression" ] || fail "bounded run: no regression written"
[ "$(cat "$regression")" = 'stub crash input' ] || fail "bounded run: the regression is not the crash input"

# 2. The default bound is passed through too.
nightly default
[ "$status" = 1 ] || fail "default run: exit status $status, expected 1"
grep -q -- '-minimize_crash=1 .*-max_total_time=300 ' "$work/default/args" || fail "default run: -max_total_time=300 not passed"
if grep -q 'stopped after' "$work/nightly.log"; then fail "default run: a minimisation that ended was reported stopped"; fi

# 3. A bound that is not a positive number of seconds is refused before anything runs.
nightly refused NIGHTLY_MINIMIZE_SECONDS=soon
[ "$status" = 2 ] || fail "NIGHTLY_MINIMIZE_SECONDS=soon: exit status $status, expected 2"
[ ! -s "$work/refused/args" ] || fail "NIGHTLY_MINIMIZE_SECONDS=soon: the fuzzer ran"
echo "ok: ci/nightly-fuzz bounds minimisation by NIGHTLY_MINIMIZE_SECONDS"
