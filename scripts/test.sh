#!/usr/bin/env bash
# Sets up and runs every test of the project: Debian tools the tests exercise (when missing),
# npm ci, type check, lint, format check, then mocha. Ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# Tools the probe-mechanics and shell tests run for real, jq for the runner tests' fake kubectl, and
# for the miniature's eBPF datapath (test/integration/bpf/) clang, libbpf's headers (bpf_helpers.h)
# and bpftool; tc comes with iproute2 (Debian package names; Debian 12: clang 14, libbpf-dev 1.1.2,
# bpftool 7.1.0).
declare -A tool_pkg=(
  [shellcheck]=shellcheck [tcpdump]=tcpdump [iperf3]=iperf3 [ping]=iputils-ping
  [iptables-save]=iptables [busybox]=busybox [conntrack]=conntrack [ip]=iproute2
  [python3]=python3 [curl]=curl [jq]=jq [clang]=clang [bpftool]=bpftool
  [/usr/include/bpf/bpf_helpers.h]=libbpf-dev
)
missing=()
for tool in "${!tool_pkg[@]}"; do
  if [[ "$tool" == /* ]]; then
    [ -e "$tool" ] || missing+=("${tool_pkg[$tool]}")
  else
    command -v "$tool" >/dev/null 2>&1 || missing+=("${tool_pkg[$tool]}")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: missing tools (${missing[*]}): their tests are skipped outside CI" >&2
  fi
fi

# --prefer-offline: "staleness checks for cached data will be bypassed, but missing data will be
# requested from the server" (npm 11.19 docs/content/using-npm/config.md, `prefer-offline`). The
# lockfile pins every package by version and integrity; without the flag npm 11 re-fetched all ~760
# package documents (`npm ci --loglevel=http`: 760 GETs of ~3 s each, in parallel).
# Fresh clone, warm cache, this machine: 15.1-17.5 s without, 11.9-13.9 s with.
npm ci --prefer-offline --no-audit --no-fund --loglevel=error || { echo "0 passed, 1 failed"; exit 1; }

# Mocha runs its spec files in parallel worker processes: many specs wait on real processes, timeouts
# and captures, so five files progress at once even on 2 cores (mocha alone, this 2-core machine, the
# order below: 1763 tests 58-63 s with 5 workers on a quiet host, 65-66 s with 4, 68 s with 3, 73 s
# with 6; 1771 tests 56.9-59.0 s with 5; MOCHA_JOBS overrides).
MOCHA_ARGS=(--parallel --jobs "${MOCHA_JOBS:-5}")

status=0
# The type check, ESLint and Prettier are CPU work; mocha mostly waits (real processes, timeouts,
# captures). So they run beside mocha, their output kept apart and printed after it.
checks_log=$(mktemp)
(
  rc=0
  npx tsc --noEmit -p . || rc=1
  npx eslint . || rc=1
  npx prettier --check . >/dev/null || { npx prettier --list-different . >&2; rc=1; }
  exit "$rc"
) >"$checks_log" 2>&1 &
checks_pid=$!

# Spec files in the order mocha hands them to its workers (it keeps the order given and dedups
# nothing: node_modules/mocha/lib/cli/collect-files.cjs). Two kinds take long: files that mostly WAIT
# (real captures, iperf3 runs, timeouts under test: little CPU) and files that mostly COMPUTE. Started
# all together, the waiting ones left the 2 cores idle for the first 30 s; so each waiting file is
# followed by two computing ones, both lists longest first, and the short files come last. Seconds
# are each file alone (wall / CPU), measured here on 2026-12-01 with
# `/usr/bin/time node node_modules/.bin/mocha <file>`; a name that no longer exists is skipped.
WAITING=(
  test/perf/netns.spec.ts                     # 37 / 4
  test/integration/netns-lab.spec.ts          # 33 / 4 (two runs, bpf and kernel; 2026-12-07)
  test/checks/defs/redirect.mechanics.spec.ts # 17 / 2
  test/hardening/failure.spec.ts              # 14 / 2
  test/runner/runner.spec.ts                  # 6.5 / 0.8
  test/cli/report.spec.ts                     # 4.5 / 1
  test/runner/executor.spec.ts                # 4.2 / 1.1
  test/checks/probes.spec.ts                  # 2.6 / 0.7
)
COMPUTING=( # 2.5-10 s wall, 3-11 s CPU each; the two chart specs each wait on one long child process
  test/stackModes.spec.ts test/cli/checkNodeProbe.spec.ts
  test/runner/discoveryProjection.spec.ts test/cli/check.spec.ts
  test/hardening/parsers.fuzz.spec.ts test/hardening/secrets.spec.ts test/preflight/preflight.spec.ts
  test/hardening/shell.property.spec.ts test/scripts/derive-chart-index.spec.ts
  test/components/ciliumValues.spec.ts test/scripts/measure-memory.spec.ts
  test/policies/engine-phases.spec.ts test/lifecycle.spec.ts test/cli/perf.spec.ts
  test/components/kindConfig.spec.ts test/hardening/config.property.spec.ts
  test/existing/kubeconfig.spec.ts test/existing/realShapes.spec.ts
)
specs=()
b=0
for w in "${WAITING[@]}" ""; do
  [ -n "$w" ] && [ -f "$w" ] && specs+=("$w")
  for _ in 1 2; do
    [ "$b" -lt "${#COMPUTING[@]}" ] && [ -f "${COMPUTING[$b]}" ] && specs+=("${COMPUTING[$b]}")
    b=$((b + 1))
  done
done
while [ "$b" -lt "${#COMPUTING[@]}" ]; do
  [ -f "${COMPUTING[$b]}" ] && specs+=("${COMPUTING[$b]}")
  b=$((b + 1))
done
ordered=" ${WAITING[*]} ${COMPUTING[*]} "
while IFS= read -r f; do
  case "$ordered" in *" $f "*) ;; *) specs+=("$f") ;; esac
done < <(find test -name '*.spec.ts' | LC_ALL=C sort)

out=$(mktemp)
npx mocha --reporter spec "${MOCHA_ARGS[@]}" "${specs[@]}" 2>&1 | tee "$out"
mocha_status=${PIPESTATUS[0]}
[ "$mocha_status" = 0 ] || status=1
passed=$(sed -n 's/^ *\([0-9][0-9]*\) passing.*/\1/p' "$out" | tail -n 1)
failed=$(sed -n 's/^ *\([0-9][0-9]*\) failing.*/\1/p' "$out" | tail -n 1)
rm -f "$out"

if ! wait "$checks_pid"; then
  status=1
  echo "type check, ESLint or Prettier failed:" >&2
fi
cat "$checks_log"
rm -f "$checks_log"
passed=${passed:-0}
failed=${failed:-0}
# A failed type check, lint or format check counts as one more failure.
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
exit "$status"
