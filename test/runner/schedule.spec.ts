import { strict as assert } from "node:assert";
import * as fs from "node:fs";

import { ALL_CHECKS } from "../../checks/defs";
import { LocalExecutor } from "../../runner/localExecutors";
import { planChecks } from "../../runner/plan";
import { runChecks } from "../../runner/runner";
import { sampleContext } from "../../runner/sample";
import { ExecLimiter, SYSTEM_CLOCK } from "../../runner/schedule";
import type {
  CheckDefinition,
  ExecResult,
  Executor,
  Judgement,
  LabContext,
  ProbeStep,
} from "../../checks/types";
import { SEED_CONTEXT_FILE } from "../helpers/fakes";
import { ManualClock, ScriptedExecutor, tick } from "../helpers/scheduling";
import { syntheticContext } from "../helpers/syntheticLab";
import { SEED_CONTEXT, judgeCase } from "../checks/defs/seedContext";

const ctx: LabContext = JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8"));
const client = { namespace: "default", pod: "net" };

const judgeAll = (_c: LabContext, r: ReadonlyMap<string, ExecResult>): Judgement => ({
  verdict: "pass",
  reason: [...r.keys()].sort().join(","),
});

function captureCheck(): CheckDefinition {
  return {
    name: "capture-check",
    proves: "p",
    restsOn: [],
    steps: (): ProbeStep[] => [
      { id: "capture", target: client, argv: ["capture"], timeoutSeconds: 30, readyWhen: "listening on" },
      {
        id: "traffic",
        target: client,
        argv: ["traffic"],
        timeoutSeconds: 30,
        startAfter: [{ step: "capture", when: "ready" }],
      },
    ],
    judge: judgeAll,
  };
}

describe("the runner's scheduling", () => {
  it("starts the traffic the moment its capture prints 'listening on', not before", async () => {
    const exec = new ScriptedExecutor();
    const clock = new ManualClock();
    const run = runChecks([captureCheck()], ctx, exec, { clock });
    await tick();
    assert.deepEqual(exec.started, ["capture"]);
    exec.emit("capture", "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlisten");
    await tick();
    assert.deepEqual(exec.started, ["capture"], "half a marker is not a marker");
    exec.emit("capture", "ing on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n");
    await tick();
    assert.deepEqual(exec.started, ["capture", "traffic"]);
    exec.finish("traffic");
    exec.finish("capture");
    const report = await run;
    assert.equal(report.results[0].verdict, "pass", report.results[0].reason);
    assert.equal(report.results[0].reason, "capture,traffic");
  });

  it("leaves the traffic unrun and the check inconclusive when the capture does not listen in time", async () => {
    const exec = new ScriptedExecutor();
    const clock = new ManualClock();
    const run = runChecks([captureCheck()], ctx, exec, { clock, readyTimeoutMs: 20_000 });
    await tick();
    clock.advance(19_999);
    await tick();
    assert.deepEqual(exec.started, ["capture"]);
    clock.advance(1);
    await tick();
    exec.finish("capture", "tcpdump: eth0: You don't have permission to capture on that device\n");
    const report = await run;
    assert.deepEqual(exec.started, ["capture"], "the traffic never started");
    const r = report.results[0];
    assert.equal(r.verdict, "inconclusive");
    assert.match(
      r.reason,
      /"traffic" was not started because "capture" did not print "listening on" within 20 s/,
    );
    assert.equal(r.evidence.length, 1, "the capture's output is the evidence");
  });

  it("does not start the traffic when the capture ends without listening", async () => {
    const exec = new ScriptedExecutor();
    const run = runChecks([captureCheck()], ctx, exec, { clock: new ManualClock() });
    await tick();
    exec.finish("capture", "tcpdump: eth9: No such device exists\n");
    const report = await run;
    assert.deepEqual(exec.started, ["capture"]);
    assert.match(report.results[0].reason, /"capture" ended without printing "listening on"/);
  });

  it("reads the marker from the finished output of an executor that does not stream", async () => {
    const report = await runChecks(
      [
        {
          ...captureCheck(),
          steps: () => [
            {
              id: "capture",
              target: client,
              argv: ["echo", "listening on lo"],
              timeoutSeconds: 5,
              readyWhen: "listening on",
            },
            {
              id: "traffic",
              target: client,
              argv: ["true"],
              timeoutSeconds: 5,
              startAfter: [{ step: "capture", when: "ready" }],
            },
          ],
        },
      ],
      ctx,
      { exec: (t, argv, o) => new LocalExecutor().exec(t, argv, { timeoutSeconds: o.timeoutSeconds }) },
    );
    assert.equal(report.results[0].verdict, "pass", report.results[0].reason);
  });

  it("runs a `done` gate after its step, and rejects gates on unknown steps and cycles", async () => {
    const exec = new ScriptedExecutor();
    const def: CheckDefinition = {
      name: "ordered",
      proves: "p",
      restsOn: [],
      steps: () => [
        { id: "curl", target: client, argv: ["curl"], timeoutSeconds: 5 },
        {
          id: "dump",
          target: client,
          argv: ["dump"],
          timeoutSeconds: 5,
          startAfter: [{ step: "curl", when: "done" }],
        },
      ],
      judge: judgeAll,
    };
    const run = runChecks([def], ctx, exec, { clock: new ManualClock() });
    await tick();
    assert.deepEqual(exec.started, ["curl"]);
    exec.finish("curl");
    await tick();
    await tick();
    assert.deepEqual(exec.started, ["curl", "dump"]);
    exec.finish("dump");
    assert.equal((await run).results[0].verdict, "pass");

    const bad = (steps: ProbeStep[]): CheckDefinition => ({ ...def, steps: () => steps });
    const cyc = await runChecks(
      [
        bad([
          {
            id: "a",
            target: client,
            argv: ["a"],
            timeoutSeconds: 5,
            startAfter: [{ step: "b", when: "done" }],
          },
          {
            id: "b",
            target: client,
            argv: ["b"],
            timeoutSeconds: 5,
            startAfter: [{ step: "a", when: "done" }],
          },
        ]),
      ],
      ctx,
      exec,
    );
    assert.match(cyc.results[0].reason, /cycle/);
    const unknown = await runChecks(
      [
        bad([
          {
            id: "a",
            target: client,
            argv: ["a"],
            timeoutSeconds: 5,
            startAfter: [{ step: "x", when: "ready" }],
          },
        ]),
      ],
      ctx,
      exec,
    );
    assert.match(unknown.results[0].reason, /waits for unknown step x/);
  });

  it("bounds concurrent execs across checks and admits a capture with its traffic", async () => {
    let running = 0;
    let peak = 0;
    const exec: Executor = {
      exec: async (_t, argv, o) => {
        running++;
        peak = Math.max(peak, running);
        if (argv[0] === "capture") o.onOutput?.("listening on x\n");
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return {
          stdout: "listening on x\n",
          stderr: "",
          exitCode: 0,
          timedOut: false,
          command: "",
          durationMs: 5,
        };
      },
    };
    const many = Array.from({ length: 12 }, (_, i) => ({ ...captureCheck(), name: `c${i}` }));
    let stats = { maxConcurrentExecs: 0, execs: 0 };
    const report = await runChecks(many, ctx, exec, {
      maxConcurrentExecs: 3,
      onFinished: (s) => (stats = s),
    });
    assert.ok(report.results.every((r) => r.verdict === "pass"));
    assert.equal(stats.execs, 24);
    assert.ok(peak <= 3 && stats.maxConcurrentExecs <= 3, `peak ${peak}`);
    assert.ok(peak >= 2, "a capture and its traffic ran together");
  });

  it("a FIFO limiter never lets a later small request overtake a waiting larger one", async () => {
    const l = new ExecLimiter(2);
    const order: string[] = [];
    const r1 = await l.acquire(1);
    const big = l.acquire(2).then((rel) => (order.push("big"), rel));
    const small = l.acquire(1).then((rel) => (order.push("small"), rel));
    await tick();
    assert.deepEqual(order, []);
    r1();
    (await big)();
    (await small)();
    assert.deepEqual(order, ["big", "small"]);
    assert.equal(l.maxInUse, 2);
  });

  it("the system clock's sleep holds no timer once aborted", async () => {
    const stop = new AbortController();
    const slept = SYSTEM_CLOCK.sleep(60_000, stop.signal);
    stop.abort();
    const winner = await Promise.race([
      slept.then(() => "slept"),
      new Promise((r) => setTimeout(() => r("free"), 10)),
    ]);
    assert.equal(winner, "free");
  });
});

describe("node sampling", () => {
  it("probes the client's node, the cross-node peer's and a control plane by default", () => {
    const big = syntheticContext(200);
    const s = sampleContext(big);
    assert.equal(s.nodes.length, 3);
    assert.equal(s.sampledFrom, 200);
    assert.ok(s.nodes.some((n) => n.name === big.client.node));
    assert.ok(s.nodes.some((n) => n.role === "control-plane"));
    assert.ok(s.ciliumPods.every((p) => s.nodes.some((n) => n.name === p.node)));
    assert.deepEqual(sampleContext(big, { allNodes: true }), big);
    assert.deepEqual(sampleContext(ctx), ctx, "the 3-node lab is its own sample");
  });

  for (const n of [3, 10, 50, 200]) {
    it(`plans a constant number of execs for ${n} nodes (≤ 60), and more with --all-nodes`, () => {
      const plan = planChecks(ALL_CHECKS, syntheticContext(n));
      assert.equal(plan.errors.length, 0, JSON.stringify(plan.errors));
      assert.equal(plan.counts.totalExecs, planChecks(ALL_CHECKS, syntheticContext(3)).counts.totalExecs);
      assert.ok(plan.counts.totalExecs <= 60, `${plan.counts.totalExecs} execs`);
      if (n > 3)
        assert.ok(
          planChecks(ALL_CHECKS, syntheticContext(n), undefined, { allNodes: true }).counts.totalExecs >
            plan.counts.totalExecs,
        );
    });
  }

  it("judges cilium-health's all-node count against the cluster, not the sample", () => {
    const status = ALL_CHECKS.find((d) => d.name === "cilium-agent-status")!;
    assert.equal(judgeCase(status, "healthy").verdict, "pass");
    // The same agents, sampled from a 10-node cluster: "Cluster health: 3/3" misses 7 nodes.
    const sampled = judgeCase(status, "healthy", { ...SEED_CONTEXT, sampledFrom: 10 });
    assert.equal(sampled.verdict, "fail");
    assert.match(sampled.reason, /expected cluster health 10\/10 reachable/);
  });
});
