import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ExecResult, Executor, ExecTarget, LabContext } from "../../checks/types";
import { deviceOn } from "../../checks/defs/common";
import { nodeRoutes } from "../../checks/defs/addressing";
import { commonDevice, detectNodeDevices, withNodeDevices } from "../../runner/nodeDevices";
import { planChecks } from "../../runner/plan";
import { sampleNodeNames } from "../../runner/sample";
import { ALL_CHECKS } from "../../checks/defs";
import { syntheticContext } from "../helpers/syntheticLab";
import { SEED_CONTEXT, judgeCase } from "../checks/defs/seedContext";

const FIX = path.join(__dirname, "..", "fixtures");
/** The seed agents' recorded status exec (sections status-json and status), by node suffix. */
const recordedStatus = (node: string): string =>
  fs.readFileSync(
    path.join(
      FIX,
      "checks",
      "cilium-agent-status",
      "healthy",
      `status-${node.replace(/^.*-(control-plane|worker2?)$/, "$1")}.txt`,
    ),
    "utf8",
  );
/**
 * The text of a real agent whose direct-routing device is enp0s8 (cilium/cilium#15457, see
 * test/fixtures/parse/SOURCES.md), arranged in the status script's sections: the JSON form printed
 * nothing (exit 1), the text form printed the recorded lines.
 */
const enp0s8Status = (): string =>
  [
    "=== status-json",
    "=== exit 1",
    "=== status",
    fs.readFileSync(
      path.join(FIX, "parse", "cilium-status", "upstream-1.9.90-issue15457-tab-prefixed.txt"),
      "utf8",
    ),
    "=== exit 0",
  ].join("\n");

function replay(
  answer: (target: ExecTarget, argv: readonly string[]) => Partial<ExecResult>,
  seen: string[] = [],
): Executor {
  return {
    exec: async (target, argv) => {
      seen.push(`${target.pod}${target.container ? `/${target.container}` : ""}: ${argv[0]}`);
      return {
        stdout: "",
        stderr: "",
        exitCode: 0,
        timedOut: false,
        command: `kubectl exec ${target.pod}`,
        durationMs: 1,
        ...answer(target, argv),
      };
    },
  };
}
const nodeOf = (pod: string): string =>
  [...SEED_CONTEXT.ciliumPods, ...SEED_CONTEXT.probePods].find((p) => p.name === pod)?.node ?? "";

describe("node device per node (runner/nodeDevices)", () => {
  it("asks every node's own agent and reads its Direct Routing device (the seed's agents: eth0)", async () => {
    const seen: string[] = [];
    const d = await detectNodeDevices(
      SEED_CONTEXT,
      replay((t) => ({ stdout: recordedStatus(nodeOf(t.pod)) }), seen),
    );
    assert.deepStrictEqual(Object.values(d.devices), ["eth0", "eth0", "eth0"]);
    assert.deepStrictEqual(d.problems, []);
    assert.deepStrictEqual(d.evidence, []);
    assert.strictEqual(seen.length, 3);
    assert.ok(
      seen.every((s) => /\/cilium-agent: sh$/.test(s)),
      seen.join("\n"),
    );
  });

  it("keeps each node's own device when nodes differ, and the checks use it per node", async () => {
    const worker2 = SEED_CONTEXT.nodes[2].name;
    const d = await detectNodeDevices(
      SEED_CONTEXT,
      replay((t) => ({ stdout: nodeOf(t.pod) === worker2 ? enp0s8Status() : recordedStatus(nodeOf(t.pod)) })),
    );
    assert.strictEqual(d.devices[worker2], "enp0s8");
    assert.strictEqual(d.devices[SEED_CONTEXT.nodes[0].name], "eth0");
    assert.strictEqual(commonDevice(d.devices), "eth0");
    const ctx: LabContext = { ...SEED_CONTEXT, nodeDevice: commonDevice(d.devices), nodeDevices: d.devices };
    assert.strictEqual(deviceOn(ctx, worker2), "enp0s8");
    // node-routes now expects worker2's routes on worker2's own device: the seed's recorded routes
    // (all on eth0) fail there and only there; with one device for all nodes they passed.
    const judgement = judgeCase(nodeRoutes, "healthy", ctx);
    assert.strictEqual(judgement.verdict, "fail");
    assert.match(judgement.reason, new RegExp(`dev enp0s8 on ${worker2}, found .* dev eth0`));
    assert.doesNotMatch(judgement.reason, /control-plane, found/);
    assert.strictEqual(judgeCase(nodeRoutes, "healthy", SEED_CONTEXT).verdict, "pass");
  });

  it("falls back per node, and puts the fallback in the evidence and the problems, not only stderr", async () => {
    const cp = SEED_CONTEXT.nodes[0].name;
    const d = await detectNodeDevices(
      SEED_CONTEXT,
      replay((t) =>
        nodeOf(t.pod) === cp
          ? { exitCode: undefined, timedOut: true }
          : { stdout: recordedStatus(nodeOf(t.pod)) },
      ),
    );
    assert.strictEqual(d.sources[cp].source, "default eth0 (fallback)");
    assert.match(
      String(d.sources[cp].problem),
      /cilium-mfc5w: .*timed out.*; the node probe's ip -o route get .* showed no device/,
    );
    assert.strictEqual(d.problems.length, 1);
    // The agent's and the probe's commands (both timed out here) are the evidence.
    assert.deepStrictEqual(
      d.evidence.map((e) => [e.command, e.timedOut]),
      [
        ["kubectl exec cilium-mfc5w", true],
        [`kubectl exec ${SEED_CONTEXT.probePods.find((p) => p.node === cp)?.name}`, true],
      ],
    );
    const report = withNodeDevices(
      {
        summary: "",
        results: [
          { name: "node-routes", proves: "", verdict: "pass", reason: "", evidence: [], durationMs: 1 },
          { name: "ping-cross-node", proves: "", verdict: "pass", reason: "", evidence: [], durationMs: 1 },
        ],
        datapath: { podCidrs: {} },
        problems: [],
      },
      d,
    );
    assert.strictEqual(report.results[0].evidence.length, d.evidence.length);
    assert.strictEqual(report.results[1].evidence.length, 0);
    assert.match(
      report.problems[0],
      /^warning: node device of .*control-plane: eth0 from default eth0 \(fallback\)/,
    );
    assert.deepStrictEqual(
      (report.datapath.nodeDevices as Record<string, { device: string }>)[cp].device,
      "eth0",
    );
  });

  it("at 200 nodes detects only on the sampled nodes, through the limiter", async () => {
    const ctx = syntheticContext(200);
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const executor: Executor = {
      exec: async (target) => {
        seen.push(target.pod);
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        // No device in the status: every sampled node also falls back to its probe's route.
        return {
          stdout: "",
          stderr: "",
          exitCode: 1,
          timedOut: false,
          command: "kubectl exec",
          durationMs: 5,
        };
      },
    };
    const d = await detectNodeDevices(ctx, executor, { maxConcurrentExecs: 2 });
    assert.deepStrictEqual(Object.keys(d.devices).sort(), [...sampleNodeNames(ctx)].sort());
    assert.strictEqual(seen.length, 6);
    assert.strictEqual(peak, 2);
    const all = await detectNodeDevices(syntheticContext(12), executor, {
      allNodes: true,
      maxConcurrentExecs: 3,
    });
    assert.strictEqual(Object.keys(all.devices).length, 12);
    assert.strictEqual(peak, 3);
  });

  it("is in the dry-run plan: one status exec per sampled node, counted in totalExecs", () => {
    const ctx = syntheticContext(200);
    const without = planChecks(ALL_CHECKS, ctx);
    const plan = planChecks(ALL_CHECKS, ctx, undefined, { detectDevices: true });
    assert.deepStrictEqual(plan.counts.deviceDetection, { execs: 3, fallbackAtMost: 3 });
    assert.strictEqual(plan.counts.totalExecs, without.counts.totalExecs + 3);
    const steps = plan.steps.filter((s) => s.check === "node-device");
    assert.deepStrictEqual(
      steps.map((s) => s.step),
      sampleNodeNames(ctx).map((n) => `device:${n}`),
    );
    assert.ok(steps.every((s) => s.container === "cilium-agent"));
    assert.strictEqual(without.counts.deviceDetection, undefined);
  });
});
