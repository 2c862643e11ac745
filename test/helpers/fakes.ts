/**
 * Test doubles shared by the check-runner specs: fake `kubectl` and `kind` executables written to a
 * temporary directory (put it first on PATH), the recorded kubectl JSON of the seed lab, and a look
 * at process groups through /proc.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { DocKey, KubectlDocs } from "../../runner/discoveryTypes";

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
 * A fake `kubectl` (Node script). Every call appends one JSON line to $FAKE_KUBECTL_LOG:
 * `{ argv, pid, kubeconfig, kubeconfigMode, kubeconfigExists }`. `get` answers from the recorded
 * fixtures (exit 1 with a NotFound message for anything else, or a refused connection for everything
 * when $FAKE_KUBECTL_FAIL is set); `exec ... -- CMD` runs CMD on this machine as its child, unless CMD
 * (or its `sh -c` script) would touch the network: those are refused (exit 126). A run's own node
 * probe (`--node-probe run`): `create -f -` keeps the DaemonSet as a file in $FAKE_KUBECTL_STATE
 * (or prints $FAKE_KUBECTL_CREATE_ERROR's file and fails), `get daemonsets -l <run label>` lists
 * them, `get pods -l <run label>=<id>` answers with the recorded probe pods on the DaemonSet's nodes,
 * `delete daemonset NAME` removes the file (`--ignore-not-found` as kubectl); every call is logged,
 * with the manifest a create read on stdin.
 */
const FAKE_KUBECTL = `#!/usr/bin/env node
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const argv = process.argv.slice(2);
const i = argv.indexOf("--kubeconfig");
const kubeconfig = i >= 0 ? argv[i + 1] : undefined;
let kubeconfigMode;
let kubeconfigExists = false;
if (kubeconfig !== undefined && fs.existsSync(kubeconfig)) {
  kubeconfigExists = true;
  kubeconfigMode = (fs.statSync(kubeconfig).mode & 0o777).toString(8);
}
// create -f - reads its manifest from stdin: logged with the call.
const input = argv.includes("create") && argv.includes("-") ? fs.readFileSync(0, "utf8") : undefined;
if (process.env.FAKE_KUBECTL_LOG) {
  fs.appendFileSync(
    process.env.FAKE_KUBECTL_LOG,
    JSON.stringify({ argv, pid: process.pid, kubeconfig, kubeconfigMode, kubeconfigExists, input }) + "\\n",
  );
}
// The run's own node probe (--node-probe run): DaemonSets kept as files in $FAKE_KUBECTL_STATE.
const RUN = "cilium-ebpf-lab/node-probe-run";
const probeVerb = argv.findIndex((a) => a === "create" || a === "delete" || a === "get" || a === "exec");
const pv = argv[probeVerb];
const pr = argv.slice(probeVerb + 1);
const sel = pr.includes("-l") ? pr[pr.indexOf("-l") + 1] : "";
if (process.env.FAKE_KUBECTL_STATE && (pv === "create" || pv === "delete" || sel.startsWith(RUN))) {
  const dsDir = path.join(process.env.FAKE_KUBECTL_STATE, "daemonsets");
  fs.mkdirSync(dsDir, { recursive: true });
  const all = () => fs.readdirSync(dsDir).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(fs.readFileSync(path.join(dsDir, f), "utf8")));
  const list = (items) => JSON.stringify({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items });
  if (pv === "create") {
    if (process.env.FAKE_KUBECTL_CREATE_ERROR) {
      process.stderr.write(fs.readFileSync(process.env.FAKE_KUBECTL_CREATE_ERROR, "utf8"));
      process.exit(1);
    }
    const ds = JSON.parse(input);
    ds.metadata.creationTimestamp = new Date().toISOString().replace(/\\.\\d+Z$/, "Z");
    // Written whole, then renamed: a reader never sees half a file.
    fs.writeFileSync(path.join(dsDir, ".tmp-" + ds.metadata.name), JSON.stringify(ds));
    fs.renameSync(path.join(dsDir, ".tmp-" + ds.metadata.name), path.join(dsDir, ds.metadata.name + ".json"));
    process.stdout.write("daemonset.apps/" + ds.metadata.name + "\\n");
    process.exit(0);
  }
  if (pv === "delete" && pr[0] === "daemonset") {
    if (process.env.FAKE_KUBECTL_DELETE_ERROR) {
      process.stderr.write(fs.readFileSync(process.env.FAKE_KUBECTL_DELETE_ERROR, "utf8"));
      process.exit(1);
    }
    const file = path.join(dsDir, pr[1] + ".json");
    if (fs.existsSync(file)) {
      fs.unlinkSync(file);
      process.stdout.write('daemonset.apps "' + pr[1] + '" deleted\\n');
    } else if (!pr.includes("--ignore-not-found")) {
      process.stderr.write('Error from server (NotFound): daemonsets.apps "' + pr[1] + '" not found\\n');
      process.exit(1);
    }
    process.exit(0);
  }
  if (pv === "get" && pr[0] === "daemonsets") {
    process.stdout.write(list(all()));
    process.exit(0);
  }
  if (pv === "get" && pr[0] === "pods") {
    // The recorded probe pods (the seed's), as the run's DaemonSet would have them: its labels, on
    // the nodes of its node affinity; Pending (ContainerCreating) with $FAKE_KUBECTL_PROBE_PENDING.
    const ds = all().find((d) => RUN + "=" + d.metadata.labels[RUN] === sel);
    const recorded = JSON.parse(fs.readFileSync(path.join(process.env.FAKE_KUBECTL_FIXTURES, "pods-node-probe.json"), "utf8"));
    const terms = ds ? (ds.spec.template.spec.affinity || {}).nodeAffinity : undefined;
    const nodes = terms ? terms.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values : undefined;
    const items = !ds ? [] : recorded.items
      .filter((p) => nodes === undefined || nodes.includes(p.spec.nodeName))
      .map((p) => {
        p.metadata.labels = { ...ds.spec.template.metadata.labels };
        p.metadata.namespace = ds.metadata.namespace;
        if (process.env.FAKE_KUBECTL_PROBE_PENDING) {
          p.status = {
            phase: "Pending",
            conditions: [{ type: "Ready", status: "False" }],
            containerStatuses: [{ name: "probe", ready: false, state: { waiting: { reason: "ContainerCreating" } } }],
          };
        }
        return p;
      });
    process.stdout.write(list(items));
    process.exit(0);
  }
}
const verbAt = argv.findIndex((a) => a === "get" || a === "exec");
const verb = argv[verbAt];
if (verb === "exec") {
  const cmd = argv.slice(argv.indexOf("--") + 1);
  // Fail closed: the command runs on THIS machine, so nothing that sends or captures traffic may
  // run (a check's probe would ping the seed's addresses through the host's real network).
  const NETWORK = /(^|[^A-Za-z0-9_-])(ping|curl|wget|tcpdump|iperf3|nc|ncat|socat|arping|traceroute|conntrack|iptables[a-z-]*|ip|tc|bpftool|cilium|cilium-dbg|kubectl)([^A-Za-z0-9_-]|$)/;
  const script = cmd[0] === "sh" || cmd[0] === "/bin/sh" || cmd[0] === "bash" ? cmd.slice(1).join(" ") : "";
  if (NETWORK.test(cmd[0] || "") || NETWORK.test(script) || cmd[0] === "timeout") {
    process.stderr.write("fake kubectl: refusing to run " + JSON.stringify(cmd) + " on this machine\\n");
    process.exit(126);
  }
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: "inherit" });
  process.exit(r.status === null ? 1 : r.status);
}
if (verb === "get" && !process.env.FAKE_KUBECTL_FAIL) {
  const rest = argv.slice(verbAt + 1);
  const has = (w) => rest.includes(w);
  let file;
  if (has("nodes")) file = "nodes.json";
  else if (has("ciliumnodes.cilium.io")) file = "ciliumnodes.json";
  else if (has("pod") && has("net")) file = "pod-net.json";
  else if (has("app=evescn")) file = "pods-evescn.json";
  else if (has("k8s-app=cilium")) file = "pods-cilium.json";
  else if (has("app.kubernetes.io/name=node-probe")) file = "pods-node-probe.json";
  else if (has("k8s-app=kube-proxy") || has("component=kube-proxy")) file = "pods-kube-proxy.json";
  else if (has("service") && has("serversvc")) file = "svc-serversvc.json";
  if (file !== undefined) {
    process.stdout.write(fs.readFileSync(path.join(process.env.FAKE_KUBECTL_FIXTURES, file), "utf8"));
    process.exit(0);
  }
}
process.stderr.write(
  process.env.FAKE_KUBECTL_FAIL
    ? "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\\n"
    : "Error from server (NotFound): the server could not find the requested resource\\n",
);
process.exit(1);
`;

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
 * The fake kubectl's front, in POSIX sh: the calls the specs make by the hundred (`get` of a recorded
 * document, `exec`) are answered here, at about a fifth of the CPU a Node start costs (20 `get nodes`:
 * 0.46 s against 2.08 s of CPU, /usr/bin/time on this 2-core machine); every other call is handed,
 * argv unchanged, to the Node script above (`exec node`, so its pid is the one logged). Both write the
 * same log line, here built by awk (argv from ARGV, so no shell or awk escape processing touches it;
 * JSON-escaped: backslash, quote and every control character) into a file of its own, then appended
 * with one `cat` (one write(2) under O_APPEND, so concurrent calls never interleave a line).
 */
const FAKE_KUBECTL_FRONT = `#!/bin/sh
# Found through PATH, so $0 is this file's path: its directory by expansion, not by a dirname process.
node_script="\${0%/*}/kubectl-node.js"
verb=""
for a in "$@"; do
  case "$a" in get|exec) verb=$a; break ;; create|delete|apply|wait|rollout|config|debug) break ;; esac
done
[ -n "$verb" ] || exec node "$node_script" "$@"
# A run's own node probe (selector on its run label) is the Node script's business too.
for a in "$@"; do
  case "$a" in cilium-ebpf-lab/node-probe-run*) exec node "$node_script" "$@" ;; esac
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
if [ -n "$FAKE_KUBECTL_LOG" ]; then
  awk -v pid="$$" -v kc_set="\${kubeconfig:+1}" -v mode="$mode" -v exists="$exists" '
${AWK_JSON_ESCAPE}    BEGIN {
      line = "{\\"argv\\":["
      for (i = 1; i < ARGC; i++) { line = line (i > 1 ? "," : "") esc(ARGV[i]); if (ARGV[i] == "--kubeconfig") k = i + 1 }
      line = line "],\\"pid\\":" pid
      if (kc_set == "1") line = line ",\\"kubeconfig\\":" esc(ARGV[k])
      if (mode != "") line = line ",\\"kubeconfigMode\\":\\"" mode "\\""
      print line ",\\"kubeconfigExists\\":" exists "}"
      exit
    }' "$@" > "$FAKE_KUBECTL_LOG.$$"
  # The line file is left for the next call of this pid to overwrite (no rm process a call); the
  # fake's directory goes with makeFakeBin's remove().
  cat "$FAKE_KUBECTL_LOG.$$" >> "$FAKE_KUBECTL_LOG"
fi
if [ "$verb" = exec ]; then
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done
  [ $# -gt 0 ] && shift
  # Fail closed, as the Node script: nothing that sends or captures traffic runs on this machine.
  # grep matches line by line, so a multi-line script is refused where the Node regex would (and more).
  NETWORK='(^|[^A-Za-z0-9_-])(ping|curl|wget|tcpdump|iperf3|nc|ncat|socat|arping|traceroute|conntrack|iptables[a-z-]*|ip|tc|bpftool|cilium|cilium-dbg|kubectl)([^A-Za-z0-9_-]|$)'
  script=""
  case "$1" in sh|/bin/sh|bash) shift_script=1 ;; *) shift_script=0 ;; esac
  if [ "$shift_script" = 1 ]; then
    first=$1
    shift
    script="$*"
    set -- "$first" "$@"
  fi
  # One grep over the program's name and the script, each on lines of its own.
  if [ "$1" = timeout ] || printf '%s\\n%s\\n' "$1" "$script" | grep -Eq "$NETWORK"; then
    printf 'fake kubectl: refusing to run %s on this machine\\n' "$*" >&2
    exit 126
  fi
  # env runs the program (never a shell builtin such as echo, which would read backslashes) as this
  # shell's child, as the Node script's spawnSync does.
  env -- "$@"
  exit $?
fi
if [ -z "$FAKE_KUBECTL_FAIL" ]; then
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
  fi
  if [ -n "$file" ]; then
    exec cat "$FAKE_KUBECTL_FIXTURES/$file"
  fi
  echo "Error from server (NotFound): the server could not find the requested resource" >&2
  exit 1
fi
echo "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?" >&2
exit 1
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-bin-"));
  fs.writeFileSync(path.join(dir, "kubectl"), FAKE_KUBECTL_FRONT, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "kubectl-node.js"), FAKE_KUBECTL, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "kind"), FAKE_KIND, { mode: 0o755 });
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
