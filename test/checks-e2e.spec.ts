/**
 * End to end under mocks: the real runner judges recorded outputs (the seed's real captures where it
 * has them), its JSON becomes each check Command's stdout, and the stack publishes `checks` and
 * `datapath` from them.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ALL_CHECKS } from "../checks/defs";
import { runChecks } from "../runner/runner";
import type { CheckDefinition, ExecResult, ExecTarget, Executor } from "../checks/types";
import { FIXTURES, SEED_CONTEXT, caseResults } from "./checks/defs/seedContext";
import { runLab } from "./helpers/pulumiMocks";

type Published = {
  summary: string;
  results: {
    name: string;
    verdict: string;
    reason: string;
    evidence: { command: string; output: string }[];
  }[];
};

/** An executor that answers each step of one check with a recorded case. */
function recordedExecutor(def: CheckDefinition, kase: string): Executor {
  const steps = def.steps(SEED_CONTEXT);
  const results = caseResults(def.name, kase, steps);
  const key = (t: ExecTarget, argv: readonly string[]) =>
    JSON.stringify([t.namespace, t.pod, t.container, argv]);
  const byKey = new Map(steps.map((s) => [key(s.target, s.argv), results.get(s.id)]));
  return {
    exec: async (target, argv): Promise<ExecResult> => {
      const r = byKey.get(key(target, argv));
      const command = `kubectl exec -n ${target.namespace} ${target.pod} -- ${argv.join(" ")}`;
      return r
        ? { ...r, command }
        : { stdout: "", stderr: "no recording", exitCode: 1, timedOut: false, command, durationMs: 1 };
    },
  };
}

/**
 * The runner's JSON document for all checks at once, as the stack's one checks Command prints it:
 * each exec is answered by its check's recorded case. The runner's real scheduling applies (traffic
 * once its capture printed "listening on", the exec bound), without any fixed head start to wait.
 */
async function stdoutsFor(cases: Record<string, string>): Promise<Map<string, string>> {
  const byCheck = new Map(
    ALL_CHECKS.map((def) => [def.name, recordedExecutor(def, cases[def.name] ?? "healthy")]),
  );
  const executor: Executor = {
    exec: (target, argv, opts) => {
      const check = opts.step?.check;
      const inner = check === undefined ? undefined : byCheck.get(check);
      if (inner === undefined) throw new Error(`exec without a known check: ${check}`);
      return inner.exec(target, argv, opts);
    },
  };
  const report = await runChecks(ALL_CHECKS, SEED_CONTEXT, executor);
  return new Map([["checks-run", JSON.stringify(report)]]);
}

describe("checks end to end under mocks", () => {
  it("has a healthy recording for every check", () => {
    for (const def of ALL_CHECKS) {
      assert.ok(fs.existsSync(path.join(FIXTURES, def.name, "healthy")), `no healthy case for ${def.name}`);
    }
  });

  it("publishes 14/14 passes with their evidence when the lab is healthy", async () => {
    const stdouts = await stdoutsFor({});
    const r = await runLab({ stackFile: "Pulumi.dev.yaml", commandStdout: (name) => stdouts.get(name) });
    const checks = r.outputs.checks as Published;
    assert.strictEqual(checks.summary, `${ALL_CHECKS.length}/${ALL_CHECKS.length} checks passed`);
    assert.strictEqual(
      r.outputs.summary,
      `checks ${ALL_CHECKS.length} passed, 0 failed, 0 inconclusive (of ${ALL_CHECKS.length}); KPR Strict; host routing BPF; masquerading BPF; routing unknown`,
    );
    assert.deepStrictEqual(
      checks.results.map((x) => x.name),
      ALL_CHECKS.map((d) => d.name),
    );
    for (const res of checks.results) {
      assert.strictEqual(res.verdict, "pass", `${res.name}: ${res.reason}`);
      assert.ok(res.evidence.length > 0 && res.evidence.every((e) => e.command.startsWith("kubectl exec")));
    }
    const status = checks.results.find((x) => x.name === "cilium-agent-status");
    assert.ok(status?.evidence.some((e) => /KubeProxyReplacement|kube-proxy-replacement/.test(e.output)));
    const datapath = r.outputs.datapath as Record<string, unknown>;
    assert.match(String(datapath.kubeProxyReplacement), /strict/i);
    assert.strictEqual(datapath.hostRouting, "BPF");
    assert.deepStrictEqual(datapath.podCidrs, {
      "cilium-kubeproxy-replacement-ebpf-control-plane": ["10.0.1.0/24"],
      "cilium-kubeproxy-replacement-ebpf-worker": ["10.0.0.0/24"],
      "cilium-kubeproxy-replacement-ebpf-worker2": ["10.0.2.0/24"],
    });
  });

  it("publishes a failure with the reason and keeps its evidence", async () => {
    const stdouts = await stdoutsFor({
      "cilium-agent-status": "kpr-disabled",
      "ping-cross-node": "loss-100",
    });
    const r = await runLab({ stackFile: "Pulumi.dev.yaml", commandStdout: (name) => stdouts.get(name) });
    const checks = r.outputs.checks as Published;
    assert.strictEqual(
      checks.summary,
      `${ALL_CHECKS.length - 2}/${ALL_CHECKS.length} checks passed, 2 failed`,
    );
    const status = checks.results.find((x) => x.name === "cilium-agent-status");
    assert.strictEqual(status?.verdict, "fail");
    assert.match(String(status?.reason), /Disabled/);
    assert.ok(status && status.evidence.length === 3, "one evidence per agent");
    const ping = checks.results.find((x) => x.name === "ping-cross-node");
    assert.strictEqual(ping?.verdict, "fail");
    assert.ok(ping?.evidence.some((e) => /100% packet loss/.test(e.output)));
  });

  it("turns a runner that printed nothing usable into inconclusive results, never passes", async () => {
    const r = await runLab({
      stackFile: "Pulumi.dev.yaml",
      commandStdout: (name) => (name === "checks-run" ? "Error: something broke" : undefined),
    });
    const checks = r.outputs.checks as Published;
    assert.strictEqual(
      checks.summary,
      `0/${ALL_CHECKS.length} checks passed, ${ALL_CHECKS.length} inconclusive`,
    );
    for (const res of checks.results) assert.strictEqual(res.evidence[0].output, "Error: something broke");
  });
});
