#!/usr/bin/env bash
# Sets up and runs every test of the project: Debian tools the tests exercise (when missing),
# npm ci, type check, lint, format check, then mocha. Ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# Tools the probe-mechanics and shell tests run for real (Debian package names).
declare -A tool_pkg=(
  [shellcheck]=shellcheck [tcpdump]=tcpdump [iperf3]=iperf3 [ping]=iputils-ping
  [iptables-save]=iptables [busybox]=busybox [conntrack]=conntrack [ip]=iproute2
  [python3]=python3 [curl]=curl
)
missing=()
for tool in "${!tool_pkg[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${tool_pkg[$tool]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: missing tools (${missing[*]}): their tests are skipped outside CI" >&2
  fi
fi

npm ci --no-audit --no-fund --loglevel=error || { echo "0 passed, 1 failed"; exit 1; }

# Mocha runs its spec files in parallel worker processes: many specs wait on real processes, timeouts
# and captures, so four files progress at once even on 2 cores (mocha alone, 1758 tests, this 2-core
# machine: 84 s with 3 workers, 72 s with 4, 71 s with 6 at more CPU).
MOCHA_ARGS=(--parallel --jobs "${MOCHA_JOBS:-4}")

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
# nothing: node_modules/mocha/lib/cli/collect-files.cjs): first the files that take longest, mostly
# waiting on real processes (captures, iperf3, timeouts being tested), so that the short ones fill the
# CPU while they wait instead of one of them starting last. Each took 10-40 s alone here (2026-12-01,
# `/usr/bin/time node node_modules/.bin/mocha <file>`); a name that no longer exists is skipped.
SLOW_FIRST=(
  test/perf/netns.spec.ts test/cli/perf.spec.ts test/checks/defs/redirect.mechanics.spec.ts
  test/stackModes.spec.ts test/hardening/failure.spec.ts test/integration/netns-lab.spec.ts
  test/cli/check.spec.ts test/policies/engine-phases.spec.ts test/preflight/preflight.spec.ts
)
specs=()
for f in "${SLOW_FIRST[@]}"; do [ -f "$f" ] && specs+=("$f"); done
while IFS= read -r f; do
  case " ${SLOW_FIRST[*]} " in *" $f "*) ;; *) specs+=("$f") ;; esac
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
