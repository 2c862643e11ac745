/**
 * Test doubles shared by the check-runner specs: fake `kubectl` and `kind` executables written to a
 * temporary directory (put it first on PATH), the recorded kubectl JSON of the seed lab, and a look
 * at process groups through /proc.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { RUN_PROBE_LABEL } from "../../lib/nodeProbeSpec";
import type { DocKey, KubectlDocs } from "../../runner/discoveryTypes";
import { writeOfflineCurl } from "./offlineCurl";

export const FIXTURES = path.join(__dirname, "..", "fixtures", "context");
export const SEED_CONTEXT_FILE = path.join(FIXTURES, "seed-lab.json");

/** Recorded `kubectl get -o json` output of the seed lab, by document. */
export const KUBECTL_FIXTURE_FILES: Readonly<Record<DocKey, string>> = {
  nodes: "nodes.json",
  ciliumNodes: "ciliumnodes.json",
  testPods: "pods-evescn.json",
  client: "pod-net.json",
  ciliumPods: "pods-cilium.json",
  probePods: "pods-node-probe.json",
  kubeProxyPods: "pods-kube-proxy.json",
  // the seed lab has no kube-proxy in any shape: the same empty list answers the static-pod query
  kubeProxyStaticPods: "pods-kube-proxy.json",
  service: "svc-serversvc.json",
  ciliumConfig: "cm-cilium-config.json",
};

/** Fresh parsed copies of the recorded documents (tests mutate them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function seedDocs(): Record<DocKey, any> & KubectlDocs {
  const out: Record<string, unknown> = {};
  for (const [key, file] of Object.entries(KUBECTL_FIXTURE_FILES)) {
    out[key] = JSON.parse(fs.readFileSync(path.join(FIXTURES, "kubectl", file), "utf8"));
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return out as Record<DocKey, any>;
}

/**
 * awk functions for the sh fakes' logs: `esc(s)` is s as a JSON string (backslash, quote and every
 * control character escaped). Characters are replaced by split and join, so no regex or
 * replacement-string escaping (which differs between mawk and gawk) is involved.
 */
export const AWK_JSON_ESCAPE = `    function rep(s, ch, to,   n, parts, out, i) {
      n = split(s, parts, ch)
      out = parts[1]
      for (i = 2; i <= n; i++) out = out to parts[i]
      return out
    }
    function esc(s,   i) {
      s = rep(s, "\\\\", "\\\\\\\\"); s = rep(s, "\\"", "\\\\\\"")
      s = rep(s, "\\n", "\\\\n"); s = rep(s, "\\t", "\\\\t"); s = rep(s, "\\r", "\\\\r")
      for (i = 1; i < 32; i++) if (i != 9 && i != 10 && i != 13) s = rep(s, sprintf("%c", i), sprintf("\\\\u%04x", i))
      return "\\"" s "\\""
    }
`;

/**
 * awk function appending one log line to the file named by the awk variable `logf`, whole even when
 * calls run at once: mawk writes its buffer in 4096-byte pieces (`strace -e write` here), and one
 * write(2) to a file opened for append is not interleaved with another writer's (POSIX write(),
 * O_APPEND). So a shorter line is appended by awk itself (exit 0); a longer one is written to the
 * file named by `tmp` and awk exits 3, for the script to append it with `cat` (128 KiB writes).
 */
export const AWK_APPEND_LINE = `    function append_line(line) {
      if (length(line) < 4096) { print line >> logf; exit 0 }
      print line > tmp
      exit 3
    }
`;

/**
 * jq program of `get pods -l <run label>=<id>`: the recorded probe pods (the seed's, in $rec) as the
 * run's DaemonSet (one of the slurped inputs, matched by its run label) would have them: its pod
 * labels and namespace, on the nodes of its node affinity (every recorded pod when it has none);
 * Pending (ContainerCreating) when $pending is non-empty; no pods when no DaemonSet matches.
 */
const JQ_PROBE_PODS = `
  (map(select(($run + "=" + (.metadata.labels[$run] // "")) == $sel)) | first) as $ds
  | (if $ds == null then []
     else ($ds.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
             .nodeSelectorTerms[0].matchFields[0].values) as $nodes
       | $rec[0].items
       | map(select($nodes == null or (.spec.nodeName as $n | $nodes | any(. == $n))))
       | map(.metadata.labels = $ds.spec.template.metadata.labels
             | .metadata.namespace = $ds.metadata.namespace
             | if $pending != "" then .status = {
                 phase: "Pending",
                 conditions: [{type: "Ready", status: "False"}],
                 containerStatuses: [{name: "probe", ready: false, state: {waiting: {reason: "ContainerCreating"}}}]
               } else . end)
     end) as $items
  | {apiVersion: "v1", kind: "List", metadata: {resourceVersion: ""}, items: $items}
`;

/**
 * The fake kubectl, in POSIX sh with awk and jq (a Node start costs ~0.15 s of CPU on this 2-core
 * machine, a call here a few hundredths). Every call appends one JSON line to $FAKE_KUBECTL_LOG:
 * `{ argv, pid, kubeconfig, kubeconfigMode, kubeconfigExists, input }`, built by awk (argv from ARGV,
 * so no shell or awk escape processing touches it; JSON-escaped: backslash, quote and every control
 * character), and appended whole by AWK_APPEND_LINE (concurrent calls never interleave a line);
 * `input` is what a `create -f -` read on stdin.
 * - `get` answers from the recorded fixtures (exit 1 with a NotFound message for anything else, or a
 *   refused connection for everything when $FAKE_KUBECTL_FAIL is set);
 * - `exec ... -- CMD` runs CMD on this machine as its child, unless CMD (or its `sh -c` script)
 *   would touch the network: those are refused (exit 126);
 * - a run's own node probe (`--node-probe run`): `create -f -` keeps the DaemonSet as a file in
 *   $FAKE_KUBECTL_STATE/daemonsets with a creationTimestamp (or prints $FAKE_KUBECTL_CREATE_ERROR's
 *   file and fails), `get daemonsets -l <run label>` lists them, `get pods -l <run label>=<id>`
 *   answers with the recorded probe pods on the DaemonSet's nodes (JQ_PROBE_PODS), `delete daemonset
 *   NAME` removes the file (`--ignore-not-found` as kubectl; $FAKE_KUBECTL_DELETE_ERROR's file and a
 *   failure when set).
 * jq 1.6 or later (Debian package jq; scripts/test.sh installs it) reads and writes the DaemonSets.
 */
const FAKE_KUBECTL = `#!/bin/sh
# Found through PATH, so $0 is this file's path: its directory by expansion, not by a dirname process.
bin=\${0%/*}
RUN=${RUN_PROBE_LABEL}
verb=""
for a in "$@"; do
  case "$a" in get|exec|create|delete) verb=$a; break ;; apply|wait|rollout|config|debug) break ;; esac
done
# The words after the verb: the resource, its name, and the -l selector.
after=0
resource=""
name=""
sel=""
prev=""
ignore_not_found=0
for a in "$@"; do
  if [ "$after" = 1 ]; then
    if [ -z "$resource" ]; then resource=$a
    elif [ -z "$name" ]; then name=$a
    fi
    [ "$prev" = -l ] && [ -z "$sel" ] && sel=$a
    [ "$a" = --ignore-not-found ] && ignore_not_found=1
  fi
  [ "$after" = 0 ] && [ -n "$verb" ] && [ "$a" = "$verb" ] && after=1
  prev=$a
done
kubeconfig=""
prev=""
for a in "$@"; do
  [ "$prev" = "--kubeconfig" ] && kubeconfig=$a
  prev=$a
done
exists=false
mode=""
if [ -n "$kubeconfig" ] && [ -e "$kubeconfig" ]; then
  exists=true
  mode=$(stat -c %a "$kubeconfig")
fi
# create -f - reads its manifest from stdin: kept for the log line and the create.
input=""
if [ "$verb" = create ]; then
  for a in "$@"; do
    if [ "$a" = - ]; then input="$bin/input.$$"; cat > "$input"; break; fi
  done
fi
if [ -n "$FAKE_KUBECTL_LOG" ]; then
  awk -v pid="$$" -v kc_set="\${kubeconfig:+1}" -v mode="$mode" -v exists="$exists" -v input="$input" \
    -v logf="$FAKE_KUBECTL_LOG" -v tmp="$FAKE_KUBECTL_LOG.$$" '
${AWK_JSON_ESCAPE}${AWK_APPEND_LINE}    BEGIN {
      line = "{\\"argv\\":["
      for (i = 1; i < ARGC; i++) { line = line (i > 1 ? "," : "") esc(ARGV[i]); if (ARGV[i] == "--kubeconfig") k = i + 1 }
      line = line "],\\"pid\\":" pid
      if (kc_set == "1") line = line ",\\"kubeconfig\\":" esc(ARGV[k])
      if (mode != "") line = line ",\\"kubeconfigMode\\":\\"" mode "\\""
      line = line ",\\"kubeconfigExists\\":" exists
      if (input != "") {
        # The manifest, its lines joined by newlines (a trailing newline is not kept).
        text = ""; n = 0
        while ((getline l < input) > 0) text = text (n++ ? "\\n" : "") l
        line = line ",\\"input\\":" esc(text)
      }
      append_line(line "}")
    }' "$@" || cat "$FAKE_KUBECTL_LOG.$$" >> "$FAKE_KUBECTL_LOG"
  # A line file is left for the next long line of this pid to overwrite (no rm process); the fake's
  # directory goes with makeFakeBin's remove().
fi
not_found() {
  echo "Error from server (NotFound): the server could not find the requested resource" >&2
  exit 1
}
# The run's own node probe (--node-probe run): DaemonSets kept as files in $FAKE_KUBECTL_STATE.
probe=0
if [ -n "$FAKE_KUBECTL_STATE" ]; then
  case "$verb" in create|delete) probe=1 ;; esac
  case "$sel" in "$RUN"*) probe=1 ;; esac
fi
if [ "$probe" = 1 ]; then
  ds_dir="$FAKE_KUBECTL_STATE/daemonsets"
  [ -d "$ds_dir" ] || mkdir -p "$ds_dir"
  if [ "$verb" = create ]; then
    if [ -n "$FAKE_KUBECTL_CREATE_ERROR" ]; then
      cat "$FAKE_KUBECTL_CREATE_ERROR" >&2
      exit 1
    fi
    # jq prints the name, then the DaemonSet with its creationTimestamp (whole seconds, UTC).
    out=$(jq -r '.metadata.creationTimestamp = (now | floor | todate) | .metadata.name, tojson' "$input") || exit 1
    newline='
'
    ds_name=\${out%%"$newline"*}
    # Written whole, then renamed: a reader never sees half a file.
    printf '%s\\n' "\${out#*"$newline"}" > "$ds_dir/.tmp-$ds_name"
    mv "$ds_dir/.tmp-$ds_name" "$ds_dir/$ds_name.json"
    echo "daemonset.apps/$ds_name"
    exit 0
  fi
  if [ "$verb" = delete ] && [ "$resource" = daemonset ]; then
    if [ -n "$FAKE_KUBECTL_DELETE_ERROR" ]; then
      cat "$FAKE_KUBECTL_DELETE_ERROR" >&2
      exit 1
    fi
    if [ -e "$ds_dir/$name.json" ]; then
      rm -f "$ds_dir/$name.json"
      echo "daemonset.apps \\"$name\\" deleted"
    elif [ "$ignore_not_found" = 0 ]; then
      echo "Error from server (NotFound): daemonsets.apps \\"$name\\" not found" >&2
      exit 1
    fi
    exit 0
  fi
  set -- "$ds_dir"/*.json
  [ -e "$1" ] || set --
  if [ "$verb" = get ] && [ "$resource" = daemonsets ]; then
    exec jq -cs '{apiVersion: "v1", kind: "List", metadata: {resourceVersion: ""}, items: .}' "$@" < /dev/null
  fi
  if [ "$verb" = get ] && [ "$resource" = pods ]; then
    exec jq -cs --arg run "$RUN" --arg sel "$sel" --arg pending "$FAKE_KUBECTL_PROBE_PENDING" \\
      --slurpfile rec "$FAKE_KUBECTL_FIXTURES/pods-node-probe.json" -f "$bin/probe-pods.jq" "$@" < /dev/null
  fi
fi
if [ "$verb" = exec ]; then
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done
  [ $# -gt 0 ] && shift
  # Fail closed: nothing that sends or captures traffic runs on this machine (a check's probe would
  # ping the seed's addresses through the host's real network). grep matches line by line, so every
  # line of a multi-line script is looked at; one grep over the program's name and the script.
  NETWORK='(^|[^A-Za-z0-9_-])(ping|curl|wget|tcpdump|iperf3|nc|ncat|socat|arping|traceroute|conntrack|iptables[a-z-]*|ip|tc|bpftool|cilium|cilium-dbg|kubectl)([^A-Za-z0-9_-]|$)'
  script=""
  case "$1" in sh|/bin/sh|bash) shift_script=1 ;; *) shift_script=0 ;; esac
  if [ "$shift_script" = 1 ]; then
    first=$1
    shift
    script="$*"
    set -- "$first" "$@"
  fi
  if [ "$1" = timeout ] || printf '%s\\n%s\\n' "$1" "$script" | grep -Eq "$NETWORK"; then
    printf 'fake kubectl: refusing to run %s on this machine\\n' "$*" >&2
    exit 126
  fi
  # env runs the program (never a shell builtin such as echo, which would read backslashes) as this
  # shell's child.
  env -- "$@"
  exit $?
fi
if [ -n "$FAKE_KUBECTL_FAIL" ]; then
  echo "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?" >&2
  exit 1
fi
[ "$verb" = get ] || not_found
file=""
has() { for w in $rest; do [ "$w" = "$1" ] && return 0; done; return 1; }
after=0
rest=""
for a in "$@"; do
  [ "$after" = 1 ] && rest="$rest $a"
  [ "$a" = get ] && after=1
done
if has nodes; then file=nodes.json
elif has ciliumnodes.cilium.io; then file=ciliumnodes.json
elif has pod && has net; then file=pod-net.json
elif has app=evescn; then file=pods-evescn.json
elif has k8s-app=cilium; then file=pods-cilium.json
elif has app.kubernetes.io/name=node-probe; then file=pods-node-probe.json
elif has k8s-app=kube-proxy || has component=kube-proxy; then file=pods-kube-proxy.json
elif has service && has serversvc; then file=svc-serversvc.json
elif has configmap && has cilium-config; then file=cm-cilium-config.json
fi
[ -n "$file" ] || not_found
exec cat "$FAKE_KUBECTL_FIXTURES/$file"
`;

/**
 * A fake `kind`: appends its argv to $FAKE_KIND_LOG; `get kubeconfig --name N` prints a kubeconfig
 * for cluster N, or fails like kind does when $FAKE_KIND_FAIL is set.
 */
const FAKE_KIND = `#!/bin/sh
[ -n "$FAKE_KIND_LOG" ] && printf '%s\\n' "$*" >> "$FAKE_KIND_LOG"
if [ -n "$FAKE_KIND_FAIL" ]; then
  echo "ERROR: could not locate any control plane nodes for cluster named '$4'. Use the --name option to select a different cluster" >&2
  exit 1
fi
cat <<KUBECONFIG
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ZmFrZQ==
    server: https://127.0.0.1:40123
  name: kind-$4
contexts:
- context:
    cluster: kind-$4
    user: kind-$4
  name: kind-$4
current-context: kind-$4
kind: Config
preferences: {}
users:
- name: kind-$4
  user:
    client-certificate-data: ZmFrZQ==
    client-key-data: ZmFrZQ==
KUBECONFIG
`;

/** One line of the fake kubectl's log. */
export interface KubectlCall {
  readonly argv: string[];
  /** What a `create -f -` read on stdin. */
  readonly input?: string;
  readonly pid: number;
  readonly kubeconfig?: string;
  readonly kubeconfigMode?: string;
  readonly kubeconfigExists: boolean;
}

/** A DaemonSet the fake kubectl holds (what `create -f -` was given, with its creationTimestamp). */
export interface ProbeDaemonSet {
  readonly metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    creationTimestamp: string;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec: any;
}

/** A temporary directory with fake kubectl and kind, and the env that puts them first on PATH. */
export interface FakeBin {
  readonly dir: string;
  readonly env: Record<string, string>;
  kubectlCalls(): KubectlCall[];
  kindCalls(): string[];
  /** The run probes the fake cluster holds now (created and not deleted). */
  probeDaemonSets(): ProbeDaemonSet[];
  remove(): void;
}

export function makeFakeBin(extraEnv: Record<string, string> = {}): FakeBin {
  if (!(process.env.PATH ?? "").split(":").some((d) => d !== "" && fs.existsSync(path.join(d, "jq")))) {
    throw new Error(
      "the fake kubectl needs jq on PATH: install the Debian package jq (scripts/test.sh does, as root)",
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-bin-"));
  fs.writeFileSync(path.join(dir, "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "probe-pods.jq"), JQ_PROBE_PODS);
  fs.writeFileSync(path.join(dir, "kind"), FAKE_KIND, { mode: 0o755 });
  writeOfflineCurl(dir);
  const kubectlLog = path.join(dir, "kubectl.log");
  const kindLog = path.join(dir, "kind.log");
  const lines = (file: string): string[] =>
    fs.existsSync(file)
      ? fs
          .readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => l !== "")
      : [];
  return {
    dir,
    env: {
      PATH: `${dir}:${process.env.PATH ?? ""}`,
      FAKE_KUBECTL_LOG: kubectlLog,
      FAKE_KIND_LOG: kindLog,
      FAKE_KUBECTL_FIXTURES: path.join(FIXTURES, "kubectl"),
      FAKE_KUBECTL_STATE: path.join(dir, "state"),
      ...extraEnv,
    },
    kubectlCalls: () => lines(kubectlLog).map((l) => JSON.parse(l) as KubectlCall),
    kindCalls: () => lines(kindLog),
    probeDaemonSets: () => {
      const d = path.join(dir, "state", "daemonsets");
      return fs.existsSync(d)
        ? fs
            .readdirSync(d)
            .filter((f) => f.endsWith(".json"))
            .map((f) => JSON.parse(fs.readFileSync(path.join(d, f), "utf8")) as ProbeDaemonSet)
        : [];
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Processes (not zombies) whose process group is pgid, read from /proc. */
export function groupMembers(pgid: number): { pid: number; state: string; comm: string }[] {
  const out: { pid: number; state: string; comm: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") {
      out.push({ pid: Number(entry), state: fields[0], comm });
    }
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until fn returns true or the time is up; returns the last value. */
export async function waitFor(fn: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fn()) return true;
    await sleep(stepMs);
  }
  return fn();
}

/** True when this process may create network namespaces (root, with `ip` and `tcpdump` installed). */
export function canUseNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  const has = (tool: string): boolean =>
    (process.env.PATH ?? "").split(":").some((d) => d !== "" && fs.existsSync(path.join(d, tool)));
  return has("ip") && has("tcpdump") && has("ping");
}

/** A check CLI started by {@link startCheckHarness}: the process, what it printed on stderr so far, its exit. */
export interface CheckHarness {
  readonly child: ChildProcessWithoutNullStreams;
  stderr(): string;
  readonly exited: Promise<number | null>;
}

/**
 * The check CLI's main() in a process of its own (test/helpers/cli-harness.ts, through tsx) with this
 * fake first on PATH, for the tests that need a real process (signals, exit codes). Its one check
 * execs `stepArgv` in the client pod (the harness's default when omitted).
 */
export function startCheckHarness(
  fake: FakeBin,
  args: readonly string[],
  stepArgv?: readonly string[],
): CheckHarness {
  const child = spawn(process.execPath, ["-r", "tsx/cjs", path.join(__dirname, "cli-harness.ts"), ...args], {
    cwd: path.join(__dirname, "..", ".."),
    env: {
      ...process.env,
      ...fake.env,
      ...(stepArgv === undefined ? {} : { HARNESS_ARGV: JSON.stringify(stepArgv) }),
    },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}
