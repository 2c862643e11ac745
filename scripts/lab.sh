#!/usr/bin/env bash
# The lab command: bash scripts/lab.sh ACTION [STACK]
#
#   up        (default) preflight, then pulumi up with the policy pack
#   preview   preflight, then pulumi preview with the policy pack
#   preflight the machine check alone
#   output    pulumi stack output --json
#   destroy   pulumi destroy (kind cluster, nodes and Docker network included)
#   ab        the datapath A/B: STACK as it is (BPF host routing) and STACK-legacy, the same lab with
#             datapathVariant legacy-host-routing (Pulumi.STACK-legacy.yaml, written by
#             `npm run ab-stack`: its own clusterName and the next node subnet), brought up one after
#             the other, never at once (they share the CPUs); both stacks' outputs go to ab-STACK/ and
#             the side-by-side report to ab-STACK/ab.md (report/compare.ts). Destroy each stack with
#             `destroy STACK` and `destroy STACK-legacy`.
#
# STACK defaults to dev (Pulumi.dev.yaml); current is the other stack file. Further arguments go
# to pulumi (for example --event-log FILE).
#
# State lives in a local file backend in .pulumi/ (no Pulumi Cloud account) unless PULUMI_BACKEND_URL
# is set. Secrets (the kubeconfig) are encrypted with a passphrase:
# - PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, when set, is used as it is;
# - otherwise, for a kind stack, a random passphrase is generated once into
#   .pulumi/passphrase-STACK (mode 0600, git-ignored) and used from there: keep that file with the state;
# - a stack with clusterMode existing never gets a generated or default passphrase: its kubeconfig
#   is a real cluster's credentials, so the script stops and asks for one of the two variables; an
#   empty passphrase (or file) and the old `lab` default are refused too.
#
# The passphrase's salt (`encryptionsalt:`) is per-user secrets state: `pulumi stack init` writes it
# into Pulumi.STACK.yaml (pulumi/pulumi sdk/go/common/workspace/project.go line 1237), and Pulumi
# then uses that salt with whatever passphrase it gets, failing with "incorrect passphrase" for any
# other one (pkg/secrets/passphrase/manager.go lines 236-252 at v3.259.0): after `rm -rf .pulumi`, or
# for another user of the same checkout. So the tracked stack file never keeps it: the script takes
# it out again after every pulumi command, and Pulumi reads it from the stack's state instead
# (PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER, Pulumi >= 3.134.0: pkg/cmd/pulumi/stack/secrets.go lines
# 242-280). A stack file holding `secure:` values is left alone: those belong to that salt.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: bash scripts/lab.sh [up|preview|preflight|output|destroy|ab] [STACK]" >&2
  exit 2
}
action=${1:-up}
stack=${2:-dev}
shift $(($# < 2 ? $# : 2))
case "$action" in up | preview | preflight | output | destroy | ab) ;; *) usage ;; esac
if ! printf '%s' "$stack" | grep -Eq '^[A-Za-z0-9_.-]+$'; then
  echo "stack name '$stack' must be letters, digits, '_', '.' or '-'" >&2
  exit 2
fi

[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

if [ "$action" = preflight ]; then
  exec npm run --silent preflight -- --stack "$stack"
fi

if [ "$action" = ab ]; then
  # Each step is this script's own action, so each stack gets its passphrase, preflight and policy pack.
  [ $# -eq 0 ] || {
    echo "ab takes no pulumi arguments (both stacks would share them, an --event-log file too)" >&2
    exit 2
  }
  legacy="$stack-legacy"
  out_dir="ab-$stack"
  npm run --silent ab-stack -- "$stack"
  bash scripts/lab.sh up "$stack"
  bash scripts/lab.sh up "$legacy"
  mkdir -p "$out_dir"
  bash scripts/lab.sh output "$stack" >"$out_dir/$stack.json"
  bash scripts/lab.sh output "$legacy" >"$out_dir/$legacy.json"
  npm run --silent report -- --stack-output "$out_dir/$stack.json" --compare "$out_dir/$legacy.json" \
    --labels bpf,legacy-host-routing --out "$out_dir/ab.md"
  echo "the A/B report: $out_dir/ab.md (destroy: bash scripts/lab.sh destroy $stack; bash scripts/lab.sh destroy $legacy)" >&2
  exit 0
fi

if ! command -v pulumi >/dev/null 2>&1; then
  echo "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/" >&2
  exit 1
fi

if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p .pulumi
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi"
fi

existing_mode=0
if [ -f "Pulumi.$stack.yaml" ] && grep -Eq '^[[:space:]]*cilium-ebpf-lab:clusterMode:[[:space:]]*"?existing' "Pulumi.$stack.yaml"; then
  existing_mode=1
fi
if [ "$existing_mode" = 1 ]; then
  # The passphrase Pulumi will use, read as Pulumi reads it (pulumi/pulumi readPassphrase, the
  # passphrase secrets manager: PULUMI_CONFIG_PASSPHRASE when set, even empty; else the file's
  # content with surrounding white space trimmed). Empty, or the old `lab` default: refused.
  if [ -n "${PULUMI_CONFIG_PASSPHRASE+set}" ]; then
    phrase_from="PULUMI_CONFIG_PASSPHRASE"
    phrase=$PULUMI_CONFIG_PASSPHRASE
  elif [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    phrase_from="PULUMI_CONFIG_PASSPHRASE_FILE ($PULUMI_CONFIG_PASSPHRASE_FILE)"
    if [ ! -r "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
      echo "stack $stack uses an existing cluster: $phrase_from cannot be read." >&2
      exit 1
    fi
    phrase=$(cat "$PULUMI_CONFIG_PASSPHRASE_FILE")
  else
    echo "stack $stack uses an existing cluster: its kubeconfig is encrypted with your passphrase." >&2
    echo "Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) and run again; no default is used." >&2
    exit 1
  fi
  trimmed=$(printf '%s' "$phrase" | tr -d ' \t\r\n')
  if [ -z "$trimmed" ] || [ "$trimmed" = lab ]; then
    echo "stack $stack uses an existing cluster: the passphrase from $phrase_from is empty or the old 'lab' default." >&2
    echo "Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to a passphrase of your own and run again." >&2
    exit 1
  fi
  unset phrase trimmed
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  mkdir -p .pulumi
  pass_file=".pulumi/passphrase-$stack"
  if [ ! -s "$pass_file" ]; then
    (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$pass_file")
    echo "generated a passphrase for stack $stack in $pass_file (keep it with .pulumi/)" >&2
  fi
  PULUMI_CONFIG_PASSPHRASE_FILE="$PWD/$pass_file"
  export PULUMI_CONFIG_PASSPHRASE_FILE
fi

stack_file="Pulumi.$stack.yaml"
# Removes the passphrase salt from the stack file unless secrets are encrypted with it there.
strip_salt() {
  if [ -f "$stack_file" ] && grep -q '^encryptionsalt:' "$stack_file" && ! grep -q 'secure:' "$stack_file"; then
    local kept
    kept=$(grep -v '^encryptionsalt:' "$stack_file" || true)
    printf '%s\n' "$kept" >"$stack_file"
  fi
}
export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER="${PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER:-true}"
trap strip_salt EXIT

if ! pulumi stack select "$stack" 2>/dev/null; then
  # A salt left in the stack file belongs to a stack of another backend or passphrase.
  if [ -f "$stack_file" ] && grep -q '^encryptionsalt:' "$stack_file" && grep -q 'secure:' "$stack_file"; then
    echo "$stack_file holds secrets encrypted for another state or passphrase (secure: values): set them again after removing them and its encryptionsalt line" >&2
    exit 1
  fi
  strip_salt
  pulumi stack init "$stack" --secrets-provider passphrase
fi

case "$action" in
  up)
    npm run --silent preflight -- --stack "$stack"
    pulumi up --policy-pack policies --yes "$@"
    ;;
  preview)
    npm run --silent preflight -- --stack "$stack"
    pulumi preview --policy-pack policies "$@"
    ;;
  output) pulumi stack output --json "$@" ;;
  destroy)
    if ! pulumi destroy --yes "$@"; then
      release="urn:pulumi:$stack::cilium-ebpf-lab::lab:index:CiliumRelease\$kubernetes:helm.sh/v3:Release::cilium-release"
      cat >&2 <<EOT
pulumi destroy failed. If the cluster is already gone (deleted by hand, or an existing cluster you
removed), let the Kubernetes provider drop its objects from the state (a kind stack deletes the
release with its cluster; an existing-mode release kept on destroy needs nothing more):
  PULUMI_K8S_DELETE_UNREACHABLE=true bash scripts/lab.sh destroy $stack
With uninstallCiliumOnDestroy true the provider refuses to delete the Helm release on an unreachable
cluster whatever that variable says (pulumi/pulumi-kubernetes#2675): drop it, and what depends on it,
from the state first (recorded with the real CLI: test/fixtures/engine/existing-apiserver/):
  pulumi state delete '$release' --target-dependents --yes
  PULUMI_K8S_DELETE_UNREACHABLE=true bash scripts/lab.sh destroy $stack
EOT
      exit 1
    fi
    ;;
esac
