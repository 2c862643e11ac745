/**
 * The seed lab as a {@link LabContext}: kind cluster `cilium-kubeproxy-replacement-ebpf` with three
 * nodes, the `evescn` test DaemonSet, the client `net`, and the `serversvc` NodePort service, with the
 * names, IPs and CIDRs the seed write-up shows. Shared by the check definition specs.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

import type {
  CheckDefinition,
  ExecResult,
  Judgement,
  LabContext,
  LabPod,
  ProbeStep,
  Verdict,
} from "../../../checks/types";

const PREFIX = "cilium-kubeproxy-replacement-ebpf";
export const CP = `${PREFIX}-control-plane`;
export const WORKER = `${PREFIX}-worker`;
export const WORKER2 = `${PREFIX}-worker2`;

const pod = (name: string, namespace: string, node: string, ip: string): LabPod => ({
  name,
  namespace,
  node,
  ip,
});

export const SEED_CONTEXT: LabContext = {
  nodes: [
    { name: CP, role: "control-plane", internalIp: "172.18.0.4", podCidrs: ["10.0.1.0/24"] },
    { name: WORKER, role: "worker", internalIp: "172.18.0.3", podCidrs: ["10.0.0.0/24"] },
    { name: WORKER2, role: "worker", internalIp: "172.18.0.2", podCidrs: ["10.0.2.0/24"] },
  ],
  testPods: [
    pod("evescn-zx9kk", "default", CP, "10.0.1.63"),
    pod("evescn-q7xhn", "default", WORKER, "10.0.0.72"),
    pod("evescn-jzms5", "default", WORKER2, "10.0.2.202"),
  ],
  client: pod("net", "default", WORKER2, "10.0.2.40"),
  ciliumPods: [
    pod("cilium-mfc5w", "kube-system", CP, "172.18.0.4"),
    pod("cilium-6bt7g", "kube-system", WORKER, "172.18.0.3"),
    pod("cilium-496vl", "kube-system", WORKER2, "172.18.0.2"),
  ],
  probePods: [
    pod("node-probe-c8p4x", "default", CP, "172.18.0.4"),
    pod("node-probe-w1k7d", "default", WORKER, "172.18.0.3"),
    pod("node-probe-w2m9q", "default", WORKER2, "172.18.0.2"),
  ],
  kubeProxyPods: [],
  service: { name: "serversvc", clusterIp: "10.96.93.201", port: 8080, nodePort: 32000 },
  nodeDevice: "eth0",
  nativeRoutingCidr: "10.0.0.0/8",
};

export const FIXTURES = path.resolve(__dirname, "..", "..", "fixtures", "checks");

/**
 * The fixture name of a step: its id with the node-name prefix dropped and `:` as `-`
 * (`status:cilium-kubeproxy-replacement-ebpf-worker2` → `status-worker2`).
 */
export function fixtureName(stepId: string): string {
  return stepId.split(`${PREFIX}-`).join("").replace(/:/g, "-");
}

/** How a recorded step ended, when not with exit code 0 (`results.json` of a case). */
interface RecordedEnd {
  readonly exitCode?: number;
  readonly timedOut?: boolean;
  readonly stderr?: string;
}

function readMeta(dir: string): Record<string, RecordedEnd> {
  const file = path.join(dir, "results.json");
  return fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, RecordedEnd>)
    : {};
}

/**
 * The recorded results of a case for the given steps. A case holds only what differs from the
 * `healthy` case of the same check: a step's stdout is `<case>/<name>.txt`, else `healthy/<name>.txt`;
 * `<case>/results.json` sets exit codes, stderr and timeouts by name. A step with neither gets no result.
 */
export function caseResults(
  check: string,
  kase: string,
  steps: readonly ProbeStep[],
): Map<string, ExecResult> {
  const caseDir = path.join(FIXTURES, check, kase);
  const healthyDir = path.join(FIXTURES, check, "healthy");
  if (!fs.existsSync(caseDir)) throw new Error(`no fixture case ${check}/${kase}`);
  const meta = readMeta(caseDir);
  return resultsFor(steps, (step) => {
    const name = fixtureName(step.id);
    const file = [caseDir, healthyDir].map((d) => path.join(d, `${name}.txt`)).find((f) => fs.existsSync(f));
    const end = meta[name];
    if (file === undefined && end === undefined) return undefined;
    const stdout = file === undefined ? "" : fs.readFileSync(file, "utf8");
    if (end?.timedOut) return { ...timedOut(), stdout, stderr: end.stderr ?? "" };
    return ok(stdout, { exitCode: end?.exitCode ?? 0, stderr: end?.stderr ?? "" });
  });
}

/** An ExecResult as an executor returns it. */
export function ok(stdout: string, extra: Partial<ExecResult> = {}): ExecResult {
  return { stdout, stderr: "", exitCode: 0, timedOut: false, command: "recorded", durationMs: 10, ...extra };
}

export function timedOut(): ExecResult {
  return { stdout: "", stderr: "", timedOut: true, command: "recorded", durationMs: 30000 };
}

/** Results keyed by step id, built by a function of each step (undefined: no result for that step). */
export function resultsFor(
  steps: readonly ProbeStep[],
  answer: (step: ProbeStep) => ExecResult | undefined,
): Map<string, ExecResult> {
  const map = new Map<string, ExecResult>();
  for (const step of steps) {
    const r = answer(step);
    if (r !== undefined) map.set(step.id, r);
  }
  return map;
}

/** One recorded case of a check and the judgement it must get. */
export interface JudgeCase {
  /** Behaviour sentence for the test name. */
  readonly title: string;
  /** The fixture case (directory under test/fixtures/checks/<check>/). */
  readonly kase: string;
  readonly verdict: Verdict;
  /** What the reason must say (what was expected and what was seen). */
  readonly reason?: RegExp;
  /** Facts the judgement must carry (deep-equal on these keys). */
  readonly facts?: Readonly<Record<string, unknown>>;
  /** The context; defaults to {@link SEED_CONTEXT}. */
  readonly ctx?: LabContext;
}

/** Judges a recorded case with a check's own steps for the context. */
export function judgeCase(check: CheckDefinition, kase: string, ctx: LabContext = SEED_CONTEXT): Judgement {
  return check.judge(ctx, caseResults(check.name, kase, check.steps(ctx)));
}

/** The recorded cases of a check (directory names). */
export function fixtureCases(check: string): string[] {
  return fs.readdirSync(path.join(FIXTURES, check)).sort();
}

/** A table-driven block: one `it` per case, plus one that every recorded case is in the table. */
export function runCases(check: CheckDefinition, cases: readonly JudgeCase[]): void {
  for (const c of cases) {
    it(c.title, () => {
      const judgement = judgeCase(check, c.kase, c.ctx);
      assert.equal(judgement.verdict, c.verdict, `reason: ${judgement.reason}`);
      if (c.reason !== undefined) assert.match(judgement.reason, c.reason);
      for (const [key, value] of Object.entries(c.facts ?? {})) {
        assert.deepEqual(judgement.facts?.[key], value, `fact ${key}`);
      }
    });
  }
  it(`has a test for every recorded case of ${check.name}`, () => {
    const tested = new Set(cases.map((c) => c.kase));
    assert.deepEqual(
      fixtureCases(check.name).filter((k) => !tested.has(k)),
      [],
    );
  });
}
