#!/usr/bin/env bash
# End-to-end run on a machine with Docker, kind, kubectl and the Pulumi CLI:
#   bash scripts/e2e.sh [dev|current]
#
# Copies the config of Pulumi.BASE.yaml into a throwaway stack (own cluster name, Docker network and
# subnet, so it runs beside your own labs) on a throwaway local backend with a random passphrase,
# runs the preflight and the lab command (scripts/lab.sh up), asserts from `pulumi stack output
# --json` that every check passed (printing the failed ones' reasons and evidence), destroys, and
# asserts that no kind cluster, node container or Docker network of the stack is left. Prints how
# long each phase took. Exit status 0 only when all of that held.
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:-dev}
case "$base" in dev) subnet=172.16.110.0/24 ;; current) subnet=172.16.120.0/24 ;; *)
  echo "usage: bash scripts/e2e.sh [dev|current]" >&2
  exit 2
  ;;
esac
[ -f "Pulumi.$base.yaml" ] || { echo "no Pulumi.$base.yaml" >&2; exit 2; }

run_id=$(date +%s)
stack="e2e-$base-$run_id"
cluster="e2e-$base"
network="kind-$cluster"
work=$(mktemp -d)
export PULUMI_BACKEND_URL="file://$work/state"
mkdir -p "$work/state"
(umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$work/passphrase")
export PULUMI_CONFIG_PASSPHRASE_FILE="$work/passphrase"
unset PULUMI_CONFIG_PASSPHRASE
stack_file="Pulumi.$stack.yaml"

status=0
destroy_seconds=""
# Runs from the EXIT trap (shellcheck cannot see that call).
# shellcheck disable=SC2317
cleanup() {
  local code=$?
  if [ -f "$stack_file" ]; then
    local t0
    t0=$(date +%s)
    if pulumi destroy --yes --stack "$stack"; then
      destroy_seconds=$(($(date +%s) - t0))
    else
      echo "e2e: pulumi destroy failed" >&2
      code=1
    fi
    pulumi stack rm --yes --force --stack "$stack" >/dev/null 2>&1 || true
    rm -f "$stack_file"
  fi
  # Nothing of the stack may be left (a listing that fails proves nothing: an error too).
  local clusters
  if ! clusters=$(kind get clusters); then
    echo "e2e: cannot list kind clusters after destroy (kind get clusters failed)" >&2
    code=1
  elif printf '%s' "$clusters" | grep -qxF -- "$cluster"; then
    echo "e2e: kind cluster $cluster is left after destroy" >&2
    code=1
  fi
  if [ -n "$(docker ps -aq --filter "label=io.x-k8s.kind.cluster=$cluster")" ]; then
    echo "e2e: node containers of $cluster are left after destroy" >&2
    code=1
  fi
  if docker network inspect "$network" >/dev/null 2>&1; then
    echo "e2e: Docker network $network is left after destroy" >&2
    code=1
  fi
  if [ -n "${up_started:-}" ]; then
    node cli/run.js e2eReport phases "$work/events.jsonl" --started "$up_started" \
      --up-ended "${up_ended:-$(date +%s)}" --preflight "${preflight_seconds:-0}" \
      ${destroy_seconds:+--destroy "$destroy_seconds"} || true
  fi
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT

# The throwaway stack: the base stack's config (not its secrets state: a salt copied from a stack
# initialised with another passphrase stops Pulumi with "incorrect passphrase"), its own cluster name,
# network and subnet. The salt stays in the throwaway state (see scripts/lab.sh).
export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true
{ grep -v '^encryptionsalt:' "Pulumi.$base.yaml" || true; } >"$stack_file"
pulumi stack init "$stack" --secrets-provider passphrase
pulumi config set --stack "$stack" clusterName "$cluster"
pulumi config set --stack "$stack" nodeNetwork "$subnet"

t0=$(date +%s)
bash scripts/lab.sh preflight "$stack"
preflight_seconds=$(($(date +%s) - t0))

# The README's lab command (it runs the preflight again, then pulumi up with the policy pack).
up_started=$(date +%s)
# `--event-log` exists only with PULUMI_DEBUG_COMMANDS=true (pulumi/pulumi v3.248.0
# pkg/cmd/pulumi/operations/up.go lines 909-913); without it the real CLI stops with "unknown flag:
# --event-log" (test/fixtures/engine/existing-apiserver/).
PULUMI_DEBUG_COMMANDS=true bash scripts/lab.sh up "$stack" --event-log "$work/events.jsonl" || status=1
up_ended=$(date +%s)

if [ "$status" = 0 ]; then
  pulumi stack output --stack "$stack" --json >"$work/output.json"
  node cli/run.js e2eReport checks "$work/output.json" || status=1
fi
exit "$status"
