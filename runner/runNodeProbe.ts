/**
 * `nodeProbe: run` (`--node-probe run`): the check run creates the node-probe DaemonSet itself, waits
 * until its pods on the nodes the run samples are Ready, and deletes it when the run ends, so the
 * privileged host-network pods (root on those nodes) exist only while a run needs them.
 *
 * Lifetime: {@link startRunProbe} hands its `remove` to the caller before `kubectl create` starts
 * (a create cut short by a signal may still have reached the API server); the caller removes it in
 * `finally` and in its SIGINT/SIGTERM handler (cli/check.ts, runner/labAccess.ts guardRun). A run
 * killed outright (SIGKILL, a lost machine) cannot clean up: the next run deletes every run probe of
 * the namespace older than {@link STALE_AFTER_SECONDS} by {@link RUN_PROBE_LABEL} before creating its
 * own ({@link removeStaleProbes}), and `pulumi destroy` deletes the lab's namespace with everything in
 * it (existing mode always uses a namespace of its own). The next run, not a delete hook of the
 * checks' Command, because the next run is what a user does after a failed run, and it needs no
 * state: the label says what is a run probe, its age says whether its run can still be going.
 *
 * kubectl semantics relied on (kubernetes/kubectl at dee3483a):
 * - `kubectl wait --for=condition=Ready -l SEL` is not used: it resolves the selector once and fails
 *   with "no matching resources found" when no pod exists yet (pkg/cmd/wait/wait.go lines 95 and
 *   402-403), which is the normal state right after the create; and `kubectl rollout status
 *   daemonset` waits for every scheduled pod (`NumberAvailable < DesiredNumberScheduled`,
 *   pkg/polymorphichelpers/rollout_status.go line 111), not only the sampled nodes'. The run polls
 *   `kubectl get pods -l` instead, each get bounded, the whole wait bounded.
 * - `kubectl delete --ignore-not-found` treats "not found" as success (pkg/cmd/delete/delete_flags.go
 *   line 152): removing twice, or removing what a cut-short create never made, is harmless.
 * - `--cascade=foreground --wait`: the DaemonSet is gone only after its pods (foreground cascading,
 *   delete_flags.go line 139), and `--wait` returns when it is gone (line 155). `--timeout` must be
 *   set: 0, its default, waits up to a week (pkg/cmd/delete/delete.go line 458).
 */
import { randomBytes } from "node:crypto";

import { RUN_PROBE_LABEL, runNodeProbeDaemonSet } from "../lib/nodeProbeSpec";
import type { ExecResult, LabPod } from "../checks/types";
import { obj, path, str, type Json } from "./jsonRead";
import { forbiddingLevel, podSecurityFix, podSecurityViolation } from "./podSecurity";

/** Runs `kubectl ARGS` with optional stdin (KubectlExecutor.kubectl satisfies it). */
export interface ProbeKubectl {
  kubectl(args: readonly string[], timeoutSeconds: number, input?: string): Promise<ExecResult>;
}

/**
 * A run probe older than this is a leftover: the stack's runner is cut at 600 s (+10 s kill-after,
 * components/checkCommands.ts RUNNER_TIMEOUT_SECONDS), and a 3-node run takes about a minute. Ages are
 * the API server's creationTimestamp against this machine's clock: a clock skew moves the cut by as much.
 */
export const STALE_AFTER_SECONDS = 900;
/** Default bound of the wait for Ready pods (an image pull on a fresh node included). */
export const DEFAULT_READY_TIMEOUT_SECONDS = 180;
/** Bound of each create, get and delete. */
const CALL_TIMEOUT_SECONDS = 30;
/** Bound of the delete in a signal handler: `timeout --kill-after=10` sends SIGKILL 10 s after SIGTERM. */
const QUICK_DELETE_SECONDS = 6;

/** What {@link startRunProbe} needs. */
export interface RunProbeOptions {
  readonly namespace: string;
  readonly image: string;
  /** The nodes whose probe pods the run needs (the sample, or every node with --all-nodes). */
  readonly nodes: readonly string[];
  /** Limit the DaemonSet to `nodes` (false with --all-nodes: then it is on every node). */
  readonly limitToNodes: boolean;
  readonly readyTimeoutSeconds?: number;
  readonly staleAfterSeconds?: number;
  /** The run's id (default: 6 random hex digits). */
  readonly runId?: string;
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly log: (text: string) => void;
  /** Prefix of the log lines (default: check). */
  readonly tag?: string;
  /** True once the run is being stopped (a signal): then nothing is created. */
  readonly stopping?: () => boolean;
  /** Called with `remove` before the create starts, so a signal handler can remove the probe. */
  readonly onCreating?: (remove: (quick?: boolean) => Promise<string | undefined>) => void;
}

/** The run's probe: its Ready pods, what is missing and why, and how to remove it. */
export interface RunProbe {
  readonly name: string;
  /** Ready probe pods on the wanted nodes, in the order of `nodes`. */
  readonly pods: readonly LabPod[];
  /** Why node-level evidence is missing (one line each); empty when every wanted node has a pod. */
  readonly problems: readonly string[];
  /** Deletes the DaemonSet (once; later calls return the first result). Resolves to a problem or undefined. */
  remove(quick?: boolean): Promise<string | undefined>;
}

const firstLine = (r: ExecResult): string =>
  (r.stderr || r.stdout)
    .split("\n")
    .find((l) => l.trim() !== "")
    ?.trim() ?? "(no output)";

const failed = (r: ExecResult): boolean => r.timedOut || r.exitCode !== 0;

/** What the run's credentials need, said once wherever the API server refuses them. */
export function rbacAdvice(namespace: string): string {
  return `the credentials of the run need create, delete, get and list on daemonsets (API group apps) and list on pods in namespace ${namespace} (a Role and RoleBinding there); or use nodeProbe keep (the stack deploys the probe) or off (node-level checks inconclusive)`;
}

/** A kubectl failure as one line: a refusal (RBAC) says what to grant. */
export function describeFailure(what: string, r: ExecResult, namespace: string): string {
  if (r.timedOut) return `${what} timed out (${r.command})`;
  const line = firstLine(r);
  const refused = /\(Forbidden\)|is forbidden: User/.test(r.stderr) && !/violates PodSecurity/.test(r.stderr);
  return refused ? `${what} was refused: ${line}; ${rbacAdvice(namespace)}` : `${what} failed: ${line}`;
}

/**
 * Deletes the run probes of the namespace older than `staleAfterSeconds` (a killed run's leftovers);
 * younger ones belong to a run that may still be going and are left alone (named in the result).
 */
export async function removeStaleProbes(
  k: ProbeKubectl,
  namespace: string,
  opts: { staleAfterSeconds?: number; now?: () => number } = {},
): Promise<{ removed: string[]; left: string[]; problems: string[] }> {
  const out = { removed: [] as string[], left: [] as string[], problems: [] as string[] };
  const r = await k.kubectl(
    ["get", "daemonsets", "-n", namespace, "-l", RUN_PROBE_LABEL, "-o", "json"],
    CALL_TIMEOUT_SECONDS,
  );
  if (failed(r)) {
    out.problems.push(describeFailure("listing earlier runs' node probes", r, namespace));
    return out;
  }
  let items: unknown[] = [];
  try {
    items = (obj(JSON.parse(r.stdout))?.items as unknown[] | undefined) ?? [];
  } catch {
    out.problems.push(`listing earlier runs' node probes printed no JSON (${r.command})`);
    return out;
  }
  const now = (opts.now ?? Date.now)();
  const limit = (opts.staleAfterSeconds ?? STALE_AFTER_SECONDS) * 1000;
  for (const item of items) {
    const name = str(path(item, "metadata", "name"));
    const created = Date.parse(str(path(item, "metadata", "creationTimestamp")) ?? "");
    if (name === undefined) continue;
    if (Number.isFinite(created) && now - created < limit) {
      out.left.push(name);
      continue;
    }
    const d = await k.kubectl(
      ["delete", "daemonset", name, "-n", namespace, "--ignore-not-found", "--wait=false"],
      CALL_TIMEOUT_SECONDS,
    );
    if (failed(d)) out.problems.push(describeFailure(`deleting the stale node probe ${name}`, d, namespace));
    else out.removed.push(name);
  }
  return out;
}

/** Reads the probe pods of a `get pods -o json`: Ready pods by node, and why a node has none. */
export function readProbePods(doc: unknown): { ready: Map<string, LabPod>; waiting: Map<string, string> } {
  const ready = new Map<string, LabPod>();
  const waiting = new Map<string, string>();
  const items = obj(doc)?.items;
  for (const item of Array.isArray(items) ? items : []) {
    const p = obj(item) as Json;
    const name = str(path(p, "metadata", "name")) ?? "(unnamed)";
    const node = str(path(p, "spec", "nodeName"));
    if (node === undefined || path(p, "metadata", "deletionTimestamp") !== undefined) continue;
    const conditions = path(p, "status", "conditions");
    const isReady = (Array.isArray(conditions) ? conditions : []).some(
      (c) => obj(c)?.type === "Ready" && obj(c)?.status === "True",
    );
    const ip = str(path(p, "status", "podIP"));
    if (isReady && ip !== undefined) {
      ready.set(node, { name, namespace: str(path(p, "metadata", "namespace")) ?? "", node, ip });
      continue;
    }
    const statuses = path(p, "status", "containerStatuses");
    const w = (Array.isArray(statuses) ? statuses : [])
      .map((s) => obj(path(s, "state", "waiting")))
      .find((x) => x !== undefined);
    const reason = [str(w?.reason), str(w?.message)].filter((x) => x !== undefined).join(": ");
    waiting.set(
      node,
      `pod ${name} ${str(path(p, "status", "phase")) ?? "in no phase"}${reason ? ` (${reason})` : ""}`,
    );
  }
  return { ready, waiting };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the run's probe, waits (bounded) for Ready pods on `nodes`, and returns them with a
 * `remove` the caller must call when the run ends. Never throws for a cluster's answer: what goes
 * wrong is in `problems`, and the checks that need a missing probe are inconclusive.
 */
export async function startRunProbe(k: ProbeKubectl, opts: RunProbeOptions): Promise<RunProbe> {
  const { namespace } = opts;
  const tag = opts.tag ?? "check";
  const log = (text: string): void => opts.log(`${tag}: ${text}`);
  const runId = opts.runId ?? randomBytes(3).toString("hex");
  const manifest = runNodeProbeDaemonSet(
    { namespace, image: opts.image },
    runId,
    opts.limitToNodes ? opts.nodes : undefined,
  );
  const name = manifest.metadata.name;
  const problems: string[] = [];
  let removal: Promise<string | undefined> | undefined;
  let created = true;
  const remove = (quick = false): Promise<string | undefined> => {
    removal ??= (async () => {
      if (!created) return undefined;
      const wait = quick
        ? ["--wait=false"]
        : ["--cascade=foreground", "--wait=true", `--timeout=${CALL_TIMEOUT_SECONDS}s`];
      const secs = quick ? QUICK_DELETE_SECONDS : CALL_TIMEOUT_SECONDS + 10;
      const r = await k.kubectl(
        ["delete", "daemonset", name, "-n", namespace, "--ignore-not-found", ...wait],
        secs,
      );
      if (!failed(r)) {
        log(`node probe ${name} deleted`);
        return undefined;
      }
      const problem = `${describeFailure(`deleting the run's node probe ${name}`, r, namespace)}; delete it by hand: kubectl delete daemonset ${name} -n ${namespace}`;
      log(`error: ${problem}`);
      return problem;
    })();
    return removal;
  };

  const stale = await removeStaleProbes(k, namespace, opts);
  for (const n of stale.removed) log(`deleted ${n}, a node probe left by an earlier run`);
  for (const n of stale.left) log(`warning: node probe ${n} of another run still under way is left alone`);
  problems.push(...stale.problems);

  if (opts.stopping?.() === true) {
    created = false;
    problems.push(`node probe ${name} not created: the run is being stopped`);
    return { name, pods: [], problems, remove };
  }
  // Pod Security: a namespace enforcing baseline/restricted takes the DaemonSet and refuses its pods.
  const ns = await k.kubectl(["get", "namespace", namespace, "-o", "json"], CALL_TIMEOUT_SECONDS);
  let level: string | undefined;
  try {
    level = failed(ns) ? undefined : forbiddingLevel(path(JSON.parse(ns.stdout), "metadata", "labels"));
  } catch {
    level = undefined; // unreadable (or not allowed to read): the create's warning and the events tell
  }
  if (level !== undefined) {
    created = false;
    problems.push(
      `node probe ${name} not created: namespace ${namespace} enforces Pod Security "${level}" (label pod-security.kubernetes.io/enforce=${level}), which accepts the DaemonSet and refuses its privileged host-network pods; ${podSecurityFix(namespace)}; node-level checks are inconclusive`,
    );
    return { name, pods: [], problems, remove };
  }
  opts.onCreating?.(remove);
  log(
    `creating node probe ${name} in ${namespace} on ${opts.limitToNodes ? opts.nodes.join(", ") : "every node"}`,
  );
  const c = await k.kubectl(
    ["create", "-f", "-", "-o", "name"],
    CALL_TIMEOUT_SECONDS,
    JSON.stringify(manifest),
  );
  if (failed(c)) {
    // A create that timed out may still have reached the API server: remove() then deletes it.
    created = c.timedOut;
    problems.push(
      `${describeFailure(`creating the run's node probe ${name}`, c, namespace)}; node-level checks are inconclusive`,
    );
    if (created) await remove();
    return { name, pods: [], problems, remove };
  }

  const refused = async (violation: string): Promise<RunProbe> => {
    problems.push(
      `node probe ${name}: Pod Security refuses its pods in namespace ${namespace} (${violation}); ${podSecurityFix(namespace)}; node-level checks are inconclusive`,
    );
    const p = await remove();
    if (p !== undefined) problems.push(p);
    return { name, pods: [], problems, remove };
  };
  const warned = podSecurityViolation(c.stderr);
  if (warned !== undefined) return refused(warned);

  const timeout = opts.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
  const clock = opts.now ?? Date.now;
  const deadline = clock() + timeout * 1000;
  let seen = readProbePods(undefined);
  let lastError = "";
  for (;;) {
    const left = Math.max(1, Math.ceil((deadline - clock()) / 1000));
    const g = await k.kubectl(
      ["get", "pods", "-n", namespace, "-l", `${RUN_PROBE_LABEL}=${runId}`, "-o", "json"],
      Math.min(CALL_TIMEOUT_SECONDS, left),
    );
    if (failed(g)) lastError = describeFailure("reading the node probe's pods", g, namespace);
    else {
      try {
        seen = readProbePods(JSON.parse(g.stdout));
        lastError = "";
      } catch {
        lastError = `reading the node probe's pods printed no JSON (${g.command})`;
      }
    }
    if (opts.nodes.every((n) => seen.ready.has(n)) || clock() >= deadline) break;
    if (seen.ready.size === 0 && seen.waiting.size === 0) {
      // No pod yet: did admission refuse them? (the DaemonSet controller's FailedCreate events)
      const e = await k.kubectl(
        [
          "get",
          "events",
          "-n",
          namespace,
          "--field-selector",
          `involvedObject.name=${name},reason=FailedCreate`,
          "-o",
          'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
        ],
        Math.min(CALL_TIMEOUT_SECONDS, left),
      );
      const violation = failed(e) ? undefined : podSecurityViolation(e.stdout);
      if (violation !== undefined) return refused(violation);
    }
    await sleep(opts.pollMs ?? 2000);
  }
  const missing = opts.nodes.filter((n) => !seen.ready.has(n));
  if (missing.length > 0) {
    const why = missing.map((n) => `${n}: ${seen.waiting.get(n) ?? "no pod"}`).join("; ");
    problems.push(
      `node probe ${name} was not Ready within ${timeout}s on ${missing.length} of ${opts.nodes.length} nodes (${why})${lastError ? `; ${lastError}` : ""}: node-level checks there are inconclusive; the DaemonSet's events say why (kubectl get events -n ${namespace} --field-selector involvedObject.name=${name})`,
    );
  }
  const pods = opts.nodes.flatMap((n) => (seen.ready.has(n) ? [seen.ready.get(n)!] : []));
  log(`node probe ${name} Ready on ${pods.length} of ${opts.nodes.length} nodes`);
  // Nothing to use: delete it now rather than keep root pods around while the checks run.
  if (pods.length === 0) {
    const p = await remove();
    if (p !== undefined) problems.push(p);
  }
  return { name, pods, problems, remove };
}
