import { spawnSync } from "node:child_process";
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { Discovery } from "../../runner/discoveryTypes";
import { LocalExecutor, NetnsExecutor, RecordedExecutor } from "../../runner/localExecutors";
import { summarize, toStackOutputs } from "../../runner/results";
import { planChecks } from "../../runner/plan";
import { runChecks } from "../../runner/runner";
import {
  RUNNER_HOST,
  type CheckDefinition,
  type ExecResult,
  type Judgement,
  type LabContext,
  type ProbeStep,
} from "../../checks/types";
import { canUseNetns, SEED_CONTEXT_FILE } from "../helpers/fakes";
import { ManualClock, ScriptedExecutor, tick } from "../helpers/scheduling";

const ctx: LabContext = JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8"));
const client = { namespace: "default", pod: "net" };

/** A small check definition for the tests. */
function check(
  name: string,
  steps: (c: LabContext) => readonly ProbeStep[],
  judge: (c: LabContext, r: ReadonlyMap<string, ExecResult>) => Judgement,
): CheckDefinition {
  return { name, proves: `${name} proves something`, restsOn: [], steps, judge };
}

/** Passes when every step exited 0. */
const allZero = (_c: LabContext, r: ReadonlyMap<string, ExecResult>): Judgement =>
  [...r.values()].every((x) => x.exitCode === 0)
    ? { verdict: "pass", reason: "every step exited 0" }
    : { verdict: "fail", reason: "a step did not exit 0" };

describe("runChecks", () => {
  it("runs checks in parallel: two real processes that each wait for the other both finish", async () => {
    // A barrier, not a wall-clock bound (issue 21): each step marks itself started, then waits (up to
    // its 10 s timeout) until both have started, then holds 1 s. Run one after the other, the first
    // would time out alone and its check would fail, however fast or loaded the machine.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runner-barrier-"));
    const barrier = (name: string): string =>
      `touch ${dir}/${name}; until [ -e ${dir}/sleep-a ] && [ -e ${dir}/sleep-b ]; do sleep 0.05; done; sleep 1`;
    const sleeper = (name: string): CheckDefinition =>
      check(
        name,
        () => [{ id: "sleep", target: client, argv: ["sh", "-c", barrier(name)], timeoutSeconds: 10 }],
        allZero,
      );
    try {
      const report = await runChecks([sleeper("sleep-a"), sleeper("sleep-b")], ctx, new LocalExecutor());
      assert.deepEqual(
        report.results.map((r) => [r.name, r.verdict, r.evidence[0].timedOut]),
        [
          ["sleep-a", "pass", false],
          ["sleep-b", "pass", false],
        ],
      );
      assert.ok(report.results.every((r) => r.durationMs >= 1000));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts the steps of a check together, each after its delay (the capture before its traffic)", async () => {
    // On the runner's clock (ManualClock), so the order of events is exact on any machine (issue 21).
    const ex = new ScriptedExecutor();
    const clock = new ManualClock();
    const def = check(
      "capture-beside-traffic",
      () => [
        {
          id: "traffic",
          target: client,
          argv: ["ping", "-c", "1", "10.0.0.72"],
          timeoutSeconds: 5,
          delayMs: 300,
        },
        {
          id: "capture",
          target: { namespace: "default", pod: "node-probe-h4c8n" },
          argv: ["tcpdump"],
          timeoutSeconds: 5,
        },
      ],
      allZero,
    );
    const run = runChecks([def], ctx, ex, { clock });
    await tick();
    assert.deepEqual(ex.started, ["tcpdump"], "the capture at once, the traffic not before its delay");
    clock.advance(299);
    await tick();
    assert.deepEqual(ex.started, ["tcpdump"]);
    clock.advance(1);
    await tick();
    // Together, not one after the other: the traffic starts while the capture still runs.
    assert.deepEqual(ex.started, ["tcpdump", "ping"]);
    ex.finish("tcpdump", "1 packet captured\n");
    ex.finish("ping", "1 packets received\n");
    const report = await run;
    assert.equal(report.results[0].verdict, "pass", report.results[0].reason);
    // Evidence in step order, whatever the completion order.
    assert.deepEqual(
      report.results[0].evidence.map((e) => e.command),
      ["ping", "tcpdump"],
    );
  });

  it("makes a check whose judge throws inconclusive, with the error and the evidence", async () => {
    const ex = new RecordedExecutor([{ pod: "net", argv: ["cilium", "status"], stdout: "garbled" }]);
    const def = check(
      "status",
      () => [{ id: "s", target: client, argv: ["cilium", "status"], timeoutSeconds: 5 }],
      () => {
        throw new Error("cannot parse KubeProxyReplacement line");
      },
    );
    const [r] = (await runChecks([def], ctx, ex)).results;
    assert.equal(r.verdict, "inconclusive");
    assert.equal(r.reason, "the judge failed: cannot parse KubeProxyReplacement line");
    assert.deepEqual(r.evidence, [
      {
        command: "kubectl exec -n default net -- cilium status",
        output: "garbled",
        exitCode: 0,
        timedOut: false,
      },
    ]);
  });

  it("makes a check whose steps() throws inconclusive without running anything", async () => {
    const ex = new RecordedExecutor([]);
    const def = check(
      "needs-probe",
      (c) => {
        if (c.probePods.length === 0) throw new Error("no node-probe pod");
        return [];
      },
      allZero,
    );
    const [r] = (await runChecks([def], { ...ctx, probePods: [] }, ex)).results;
    assert.equal(r.verdict, "inconclusive");
    assert.match(r.reason, /could not build its probe: no node-probe pod/);
    assert.equal(ex.calls.length, 0);
  });

  it("keeps the evidence of a failed check: command, stdout then stderr, exit code", async () => {
    const ex = new RecordedExecutor([
      {
        pod: "net",
        argv: ["ping", "-c", "1", "10.0.0.72"],
        stdout: "1 packets transmitted, 0 received\n",
        stderr: "timeout\n",
        exitCode: 1,
      },
    ]);
    const def = check(
      "ping-cross-node",
      () => [{ id: "ping", target: client, argv: ["ping", "-c", "1", "10.0.0.72"], timeoutSeconds: 5 }],
      allZero,
    );
    const [r] = (await runChecks([def], ctx, ex)).results;
    assert.equal(r.verdict, "fail");
    assert.equal(r.reason, "a step did not exit 0");
    assert.deepEqual(r.evidence, [
      {
        command: "kubectl exec -n default net -- ping -c 1 10.0.0.72",
        output: "1 packets transmitted, 0 received\ntimeout\n",
        exitCode: 1,
        timedOut: false,
      },
    ]);
  });

  it("records an executor that rejects as a step result instead of failing the run", async () => {
    const ex = { exec: async (): Promise<ExecResult> => Promise.reject(new Error("socket closed")) };
    const def = check("x", () => [{ id: "a", target: client, argv: ["true"], timeoutSeconds: 1 }], allZero);
    const [r] = (await runChecks([def], ctx, ex)).results;
    assert.equal(r.verdict, "fail");
    assert.equal(r.evidence[0].output, "the executor failed: socket closed\n");
  });

  it("records a hung executor as timed out after the step timeout and a grace period", async () => {
    const ex = { exec: (): Promise<ExecResult> => new Promise(() => undefined) };
    const def = check(
      "hang",
      () => [{ id: "a", target: client, argv: ["true"], timeoutSeconds: 0.2 }],
      allZero,
    );
    const started = Date.now();
    const [r] = (await runChecks([def], ctx, ex, { executorGraceSeconds: 0.2 })).results;
    // 0.4 s expected; the bound only separates it from the default grace (15 s), on a loaded machine too.
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.equal(r.evidence[0].timedOut, true);
    assert.match(r.evidence[0].output, /did not return/);
  });

  it("treats a judgement without a verdict as inconclusive", async () => {
    const def = check(
      "odd",
      () => [],
      () => ({ verdict: "maybe", reason: 3 }) as unknown as Judgement,
    );
    const [r] = (await runChecks([def], ctx, new RecordedExecutor([]))).results;
    assert.equal(r.verdict, "inconclusive");
  });

  it("caps step timeouts at stepTimeoutCap", async () => {
    const ex = new RecordedExecutor([{ pod: "*", argv: () => true }]);
    const def = check(
      "caps",
      () => [
        { id: "long", target: client, argv: ["a"], timeoutSeconds: 60 },
        { id: "short", target: client, argv: ["b"], timeoutSeconds: 3 },
      ],
      allZero,
    );
    await runChecks([def], ctx, ex, { stepTimeoutCap: 10 });
    assert.deepEqual(
      ex.calls.map((c) => c.timeoutSeconds),
      [10, 3],
    );
  });

  it("runs only the selected checks, in definition order, and rejects unknown names", async () => {
    const defs = ["a", "b", "c"].map((n) =>
      check(
        n,
        () => [],
        () => ({ verdict: "pass", reason: "ok" }),
      ),
    );
    const report = await runChecks(defs, ctx, new RecordedExecutor([]), { only: ["c", "a"] });
    assert.deepEqual(
      report.results.map((r) => r.name),
      ["a", "c"],
    );
    await assert.rejects(
      runChecks(defs, ctx, new RecordedExecutor([]), { only: ["d"] }),
      /unknown check\(s\): d/,
    );
  });

  it("summarises passes, failures and inconclusive results in one line", async () => {
    const verdicts: Judgement["verdict"][] = ["pass", "pass", "fail", "inconclusive"];
    const defs = verdicts.map((v, i) =>
      check(
        `c${i}`,
        () => [],
        () => ({ verdict: v, reason: v }),
      ),
    );
    const report = await runChecks(defs, ctx, new RecordedExecutor([]));
    assert.equal(report.summary, "2/4 checks passed, 1 failed, 1 inconclusive");
  });

  it("collects the judgements' facts and the pod CIDRs as the datapath", async () => {
    const defs = [
      check(
        "status",
        () => [],
        () => ({
          verdict: "pass",
          reason: "ok",
          facts: {
            kubeProxyReplacement: "Strict",
            hostRouting: "BPF",
            masquerading: "BPF",
            routingMode: "native",
          },
        }),
      ),
      check(
        "other",
        () => [],
        () => ({ verdict: "pass", reason: "ok", facts: { hostRouting: "Legacy", extra: 1 } }),
      ),
    ];
    const report = await runChecks(defs, ctx, new RecordedExecutor([]));
    assert.deepEqual(report.datapath, {
      kubeProxyReplacement: "Strict",
      hostRouting: "BPF",
      masquerading: "BPF",
      routingMode: "native",
      extra: 1,
      podCidrs: {
        "cilium-kubeproxy-replacement-ebpf-control-plane": ["10.0.1.0/24"],
        "cilium-kubeproxy-replacement-ebpf-worker": ["10.0.0.0/24"],
        "cilium-kubeproxy-replacement-ebpf-worker2": ["10.0.2.0/24"],
      },
      conflictingFacts: { hostRouting: { status: "BPF", other: "Legacy" } },
    });
  });

  it("makes every selected check inconclusive, with the discovery evidence, when discovery failed", async () => {
    const discovery: Discovery = {
      problems: [{ source: "client", fatal: true, message: "client pod: no kubectl data" }],
      evidence: [
        {
          command: "kubectl get pod net -n default -o json",
          output: 'Error from server (NotFound): pods "net" not found\n',
          exitCode: 1,
        },
      ],
    };
    const ex = new RecordedExecutor([]);
    const defs = ["a", "b"].map((n) =>
      check(n, () => [{ id: "x", target: client, argv: ["true"], timeoutSeconds: 1 }], allZero),
    );
    const report = await runChecks(defs, discovery, ex);
    assert.equal(ex.calls.length, 0);
    assert.equal(report.summary, "0/2 checks passed, 2 inconclusive");
    for (const r of report.results) {
      assert.equal(r.verdict, "inconclusive");
      assert.match(r.reason, /could not be discovered: client pod: no kubectl data/);
      assert.deepEqual(r.evidence, discovery.evidence);
    }
    assert.deepEqual(report.problems, ["error: client pod: no kubectl data"]);
  });
});

describe("planChecks", () => {
  it("lists every step with its target, command and timeout, and counts execs per pod per check", () => {
    const defs = [
      check(
        "ping-all",
        (c) =>
          c.testPods.map((p) => ({
            id: p.name,
            target: client,
            argv: ["ping", "-c", "1", p.ip],
            timeoutSeconds: 5,
          })),
        allZero,
      ),
      check(
        "status",
        (c) =>
          c.ciliumPods.map((p) => ({
            id: p.name,
            target: { namespace: p.namespace, pod: p.name, container: "cilium-agent" },
            argv: ["cilium", "status"],
            timeoutSeconds: 60,
            delayMs: 100,
          })),
        allZero,
      ),
    ];
    const plan = planChecks(defs, ctx, undefined, { stepTimeoutCap: 30 });
    assert.equal(plan.counts.totalExecs, 6);
    assert.equal(plan.counts.checks, 2);
    assert.deepEqual(plan.counts.execsPerPodPerCheck, {
      "ping-all": { "default/net": 3 },
      status: { "kube-system/cilium-496vl": 1, "kube-system/cilium-6bt7g": 1, "kube-system/cilium-mfc5w": 1 },
    });
    assert.equal(plan.lines.length, 12, "a comment line and a command line per step");
    assert.equal(plan.lines[0], "# ping-all/evescn-zx9kk on default/net, timeout 5s");
    assert.equal(plan.lines[1], "kubectl exec -n default net -- ping -c 1 10.0.1.63");
    assert.equal(
      plan.lines[6],
      "# status/cilium-496vl on kube-system/cilium-496vl (cilium-agent), timeout 30s, +100ms",
    );
    assert.equal(plan.lines[7], "kubectl exec -n kube-system cilium-496vl -c cilium-agent -- cilium status");
    assert.deepEqual(
      plan.steps.map((s) => [s.check, s.step, s.pod, s.container, s.argv.join(" ")]).slice(2, 4),
      [
        ["ping-all", "evescn-jzms5", "net", null, "ping -c 1 10.0.2.202"],
        ["status", "cilium-496vl", "cilium-496vl", "cilium-agent", "cilium status"],
      ],
    );
  });

  it("keeps a multi-line script as one quoted argv word that a shell reads back exactly", () => {
    const script = "echo 'a'\necho \"$b\" | tr a b";
    const def = check(
      "script",
      () => [{ id: "s", target: client, argv: ["sh", "-c", script], timeoutSeconds: 5 }],
      allZero,
    );
    const plan = planChecks([def], ctx);
    assert.equal(plan.lines[0], "# script/s on default/net, timeout 5s");
    // Paste the plan into sh with a kubectl that prints its arguments NUL-separated.
    const shown = spawnSync(
      "sh",
      ["-c", `kubectl() { for a in "$@"; do printf '%s\\0' "$a"; done; }\n${plan.lines.join("\n")}`],
      { encoding: "utf8" },
    );
    assert.equal(shown.status, 0, shown.stderr);
    assert.deepEqual(shown.stdout.split("\0").slice(0, -1), [
      "exec",
      "-n",
      "default",
      "net",
      "--",
      "sh",
      "-c",
      script,
    ]);
  });

  it("prints a runner's-host step as the command itself, run on the runner's host, and marks it in the plan", () => {
    const def = check(
      "outside",
      () => [
        {
          id: "curl",
          target: RUNNER_HOST,
          argv: ["curl", "-sS", "http://172.18.0.2:32000/"],
          timeoutSeconds: 5,
        },
      ],
      allZero,
    );
    const plan = planChecks([def], ctx);
    assert.deepEqual(plan.lines, [
      "# outside/curl on the runner's host, timeout 5s",
      "curl -sS http://172.18.0.2:32000/",
    ]);
    assert.equal(plan.steps[0].host, true);
  });

  it("reports a check whose steps() throws instead of failing the plan", () => {
    const bad = check(
      "bad",
      () => {
        throw new Error("no probe pods");
      },
      allZero,
    );
    const plan = planChecks([bad], ctx);
    assert.deepEqual(plan.errors, [{ check: "bad", error: "no probe pods" }]);
    assert.equal(plan.counts.totalExecs, 0);
  });
});

describe("summarize and toStackOutputs", () => {
  const cases: [Judgement["verdict"][], string][] = [
    [[], "0/0 checks passed"],
    [["pass", "pass"], "2/2 checks passed"],
    [["pass", "inconclusive"], "1/2 checks passed, 1 inconclusive"],
    [["fail", "pass", "fail"], "1/3 checks passed, 2 failed"],
  ];
  for (const [verdicts, line] of cases) {
    it(`summarises [${verdicts.join(", ")}] as "${line}"`, () => {
      assert.equal(summarize(verdicts.map((verdict) => ({ verdict }))), line);
    });
  }

  it("publishes results with evidence reduced to command and output", () => {
    const outputs = toStackOutputs({
      summary: "0/1 checks passed, 1 failed",
      problems: [],
      datapath: { podCidrs: { n1: ["10.0.0.0/24"] }, hostRouting: "BPF" },
      results: [
        {
          name: "x",
          proves: "p",
          verdict: "fail",
          reason: "r",
          evidence: [
            { command: "kubectl exec -n default net -- true", output: "o", exitCode: 1, timedOut: false },
          ],
          durationMs: 12,
        },
      ],
    });
    assert.deepEqual(outputs, {
      checks: {
        summary: "0/1 checks passed, 1 failed",
        results: [
          {
            name: "x",
            proves: "p",
            verdict: "fail",
            reason: "r",
            evidence: [{ command: "kubectl exec -n default net -- true", output: "o" }],
            durationMs: 12,
          },
        ],
      },
      datapath: { podCidrs: { n1: ["10.0.0.0/24"] }, hostRouting: "BPF" },
    });
  });
});

describe("runChecks with real tools in network namespaces", function () {
  // Two namespaces joined by a veth pair: "node" captures on its veth while "pod" pings it.
  const prefix = `lab-run-${process.pid}-`;
  const pod = `${prefix}pod`;
  const node = `${prefix}node`;

  before(function () {
    if (!canUseNetns()) this.skip();
    try {
      execFileSync("ip", ["netns", "add", pod]);
      execFileSync("ip", ["netns", "add", node]);
      execFileSync("ip", [
        "-n",
        pod,
        "link",
        "add",
        "eth0",
        "type",
        "veth",
        "peer",
        "name",
        "lxc0",
        "netns",
        node,
      ]);
      execFileSync("ip", ["-n", pod, "addr", "add", "198.51.100.2/24", "dev", "eth0"]);
      execFileSync("ip", ["-n", node, "addr", "add", "198.51.100.1/24", "dev", "lxc0"]);
      for (const [ns, dev] of [
        [pod, "eth0"],
        [node, "lxc0"],
        [pod, "lo"],
        [node, "lo"],
      ]) {
        execFileSync("ip", ["-n", ns, "link", "set", dev, "up"]);
      }
    } catch {
      this.skip();
    }
  });

  after(() => {
    for (const ns of [pod, node]) {
      if (fs.existsSync(`/run/netns/${ns}`)) execFileSync("ip", ["netns", "del", ns]);
    }
  });

  /** A capture (delay 0) and its traffic (delayed so the capture is listening). */
  const captureCheck = (filter: string): CheckDefinition =>
    check(
      `capture-${filter.replace(/\W+/g, "-")}`,
      () => [
        {
          id: "capture",
          target: { namespace: "", pod: "node" },
          argv: ["timeout", "4", "tcpdump", "-l", "-n", "-i", "lxc0", "-c", "1", filter],
          timeoutSeconds: 8,
        },
        {
          id: "traffic",
          target: { namespace: "", pod: "pod" },
          argv: ["ping", "-c", "3", "-i", "0.2", "-W", "1", "198.51.100.1"],
          timeoutSeconds: 8,
          delayMs: 1000,
        },
      ],
      (_c, r) => {
        const seen = /ICMP echo request/.test(r.get("capture")?.stdout ?? "");
        if (r.get("traffic")?.exitCode !== 0)
          return { verdict: "inconclusive", reason: "no traffic was sent" };
        return seen
          ? { verdict: "pass", reason: "the capture saw the echo request" }
          : { verdict: "fail", reason: "the capture saw no echo request" };
      },
    );

  it("sees the traffic in a capture started beside it (sanity), and nothing with a filter that cannot match", async () => {
    const ex = new NetnsExecutor({ prefix });
    const report = await runChecks([captureCheck("icmp"), captureCheck("tcp port 9")], ctx, ex);
    const [sanity, assertMode] = report.results;
    assert.equal(sanity.verdict, "pass", JSON.stringify(sanity.evidence, null, 2));
    assert.equal(assertMode.verdict, "fail", JSON.stringify(assertMode.evidence, null, 2));
    assert.equal(assertMode.evidence[0].exitCode, 124); // timeout(1) ended the capture that saw nothing
    assert.equal(
      sanity.evidence[0].command,
      `ip netns exec ${node} timeout 4 tcpdump -l -n -i lxc0 -c 1 icmp`,
    );
  });
});
