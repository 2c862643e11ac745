/**
 * runner/runNodeProbe.ts with an in-process kubectl stand-in (no process, no network): what a create
 * that timed out, a refused delete and a failed listing leave behind, and how probe pods are read.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

import { RUN_PROBE_LABEL, nodeProbeDaemonSet, runNodeProbeDaemonSet } from "../../lib/nodeProbeSpec";
import {
  readProbePods,
  removeStaleProbes,
  startRunProbe,
  type ProbeKubectl,
} from "../../runner/runNodeProbe";
import type { ExecResult } from "../../checks/types";
import { setUpNodeProbe } from "../../runner/nodeProbeSetup";
import { syntheticContext } from "../helpers/syntheticLab";

const FIXTURES = path.join(__dirname, "..", "fixtures");
const RECORDED_PROBES = JSON.parse(
  fs.readFileSync(path.join(FIXTURES, "context", "kubectl", "pods-node-probe.json"), "utf8"),
) as { items: { spec: { nodeName: string } }[] };
const FORBIDDEN = fs.readFileSync(path.join(FIXTURES, "cluster", "forbidden-daemonset-rbac.txt"), "utf8");
const NODES = RECORDED_PROBES.items.map((p) => p.spec.nodeName);

/** A kubectl call that exited 0 printing stdout. */
function answered(stdout: string, args: readonly string[] = []): Promise<ExecResult> {
  return Promise.resolve({
    stdout,
    stderr: "",
    exitCode: 0,
    timedOut: false,
    command: `kubectl ${args.join(" ")}`,
    durationMs: 1,
  });
}

/** Answers by verb; records every call. */
function stand(answers: Partial<Record<string, Partial<ExecResult>>>): ProbeKubectl & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    kubectl: (args) => {
      calls.push([...args]);
      const key = args[0] === "get" ? `get ${args[1]}` : args[0];
      return answered("", args).then((r) => ({ ...r, ...answers[key] }));
    },
  };
}
const EMPTY = JSON.stringify({ items: [] });
/** The run most tests start: the recorded probe pods' nodes, limited to them, run id abc123. */
const RUN = { namespace: "lab", image: "img", nodes: NODES, limitToNodes: true, runId: "abc123" } as const;

describe("run node probe (runner/runNodeProbe.ts)", () => {
  it("is the kept probe's spec with a name, selector and pod label of its own, limited to the given nodes", () => {
    const base = nodeProbeDaemonSet({ namespace: "lab", image: "img" });
    const run = runNodeProbeDaemonSet({ namespace: "lab", image: "img" }, "abc123", ["n1", "n2"]);
    const { affinity, ...rest } = run.spec.template.spec as typeof run.spec.template.spec & {
      affinity: unknown;
    };
    assert.deepEqual(rest, base.spec.template.spec);
    assert.equal(run.metadata.name, "node-probe-run-abc123");
    assert.equal(run.spec.selector.matchLabels[RUN_PROBE_LABEL], "abc123");
    assert.deepEqual(affinity, {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: "metadata.name", operator: "In", values: ["n1", "n2"] }] },
          ],
        },
      },
    });
    assert.equal(
      "affinity" in runNodeProbeDaemonSet({ namespace: "lab", image: "img" }, "abc123").spec.template.spec,
      false,
    );
  });

  it("reads Ready pods by node from the recorded probe pods, and why a pod is not Ready", () => {
    const ready = readProbePods(RECORDED_PROBES);
    assert.deepEqual([...ready.ready.keys()].sort(), [...NODES].sort());
    const pending = JSON.parse(JSON.stringify(RECORDED_PROBES)) as { items: { status: unknown }[] };
    pending.items[0].status = {
      phase: "Pending",
      conditions: [{ type: "Ready", status: "False" }],
      containerStatuses: [
        { state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } } },
      ],
    };
    const r = readProbePods(pending);
    assert.equal(r.ready.size, NODES.length - 1);
    assert.match([...r.waiting.values()][0], /Pending \(ImagePullBackOff: Back-off pulling image\)/);
  });

  describe("Pod Security (runner/podSecurity.ts): stops at once with the fix instead of waiting 180 s", () => {
    const PSA = path.join(FIXTURES, "podsecurity");
    const WARNING = fs.readFileSync(path.join(PSA, "create-warning-k8s-netperf-31.txt"), "utf8");
    const EVENT = fs.readFileSync(path.join(PSA, "failedcreate-event-certsuite-547.txt"), "utf8");
    /** The run with the default 180 s wait on a clock that never moves: only an early stop ends it. */
    const opts = { ...RUN, readyTimeoutSeconds: 180, pollMs: 1, log: () => {} };

    it("creates nothing in a namespace that enforces baseline or restricted (its label)", async () => {
      for (const level of ["baseline", "restricted"]) {
        // Not a tool's output: a namespace object with the label `kubectl label ns lab pod-security.kubernetes.io/enforce=<level>` sets.
        const nsDoc = { metadata: { name: "lab", labels: { "pod-security.kubernetes.io/enforce": level } } };
        const k = stand({
          "get daemonsets": { stdout: EMPTY },
          "get namespace": { stdout: JSON.stringify(nsDoc) },
        });
        const p = await startRunProbe(k, opts);
        assert.deepEqual(p.pods, []);
        assert.equal(k.calls.filter((c) => c[0] === "create").length, 0);
        assert.match(p.problems[0], new RegExp(`enforces Pod Security "${level}"`));
        assert.match(
          p.problems[0],
          /kubectl label --overwrite namespace lab pod-security\.kubernetes\.io\/enforce=privileged/,
        );
      }
      const privileged = { metadata: { labels: { "pod-security.kubernetes.io/enforce": "privileged" } } };
      const k = stand({
        "get daemonsets": { stdout: EMPTY },
        "get namespace": { stdout: JSON.stringify(privileged) },
        "get pods": { stdout: JSON.stringify(RECORDED_PROBES) },
      });
      assert.equal((await startRunProbe(k, opts)).pods.length, 3);
    });

    it("deletes the DaemonSet when kubectl's create warns that its pods would violate PodSecurity", async () => {
      const k = stand({
        "get daemonsets": { stdout: EMPTY },
        create: { stdout: "daemonset.apps/x\n", stderr: WARNING },
      });
      const p = await startRunProbe(k, opts);
      assert.deepEqual(p.pods, []);
      assert.match(
        p.problems[0],
        /Pod Security refuses its pods in namespace lab \(would violate PodSecurity "restricted:latest": host namespaces/,
      );
      assert.equal(k.calls.filter((c) => c[0] === "get" && c[1] === "pods").length, 0, "no wait");
      assert.deepEqual(k.calls.at(-1)?.slice(0, 3), ["delete", "daemonset", "node-probe-run-abc123"]);
    });

    it("stops at the first poll when the DaemonSet's FailedCreate events say violates PodSecurity", async () => {
      const k = stand({
        "get daemonsets": { stdout: EMPTY },
        "get pods": { stdout: EMPTY },
        "get events": { stdout: EVENT },
      });
      const p = await startRunProbe(k, { ...opts, now: () => 0 });
      assert.match(p.problems[0], /violates PodSecurity "restricted:latest"/);
      assert.match(p.problems[0], /nodeProbe keep .* or off/);
      assert.equal(k.calls.filter((c) => c[0] === "get" && c[1] === "pods").length, 1);
      const events = k.calls.find((c) => c[1] === "events") ?? [];
      assert.ok(
        events.includes("involvedObject.name=node-probe-run-abc123,reason=FailedCreate"),
        events.join(" "),
      );
      assert.deepEqual(k.calls.at(-1)?.slice(0, 3), ["delete", "daemonset", "node-probe-run-abc123"]);
    });
  });

  it("deletes a DaemonSet whose create timed out (it may have reached the API server)", async () => {
    const k = stand({ "get daemonsets": { stdout: EMPTY }, create: { timedOut: true, exitCode: undefined } });
    const p = await startRunProbe(k, { ...RUN, log: () => {} });
    assert.deepEqual(p.pods, []);
    assert.match(p.problems[0], /creating the run's node probe node-probe-run-abc123 timed out/);
    assert.deepEqual(k.calls.at(-1)?.slice(0, 3), ["delete", "daemonset", "node-probe-run-abc123"]);
    assert.equal(await p.remove(), undefined);
    assert.equal(k.calls.filter((c) => c[0] === "delete").length, 1, "removed once");
  });

  it("a refused delete says what happened and the command that removes the probe by hand", async () => {
    const k = stand({
      "get daemonsets": { stdout: EMPTY },
      "get pods": { stdout: JSON.stringify(RECORDED_PROBES) },
      delete: { exitCode: 1, stderr: FORBIDDEN },
    });
    const lines: string[] = [];
    const p = await startRunProbe(k, { ...RUN, log: (l) => lines.push(l) });
    assert.equal(p.pods.length, 3);
    const problem = (await p.remove()) ?? "";
    assert.match(
      problem,
      /deleting the run's node probe node-probe-run-abc123 was refused: daemonsets\.extensions is forbidden/,
    );
    assert.match(problem, /delete it by hand: kubectl delete daemonset node-probe-run-abc123 -n lab$/);
    assert.equal(lines.filter((l) => l.includes("was refused")).length, 1);
  });

  it("a listing of earlier probes that fails is a problem, and nothing is deleted on its account", async () => {
    const k = stand({ "get daemonsets": { exitCode: 1, stderr: FORBIDDEN } });
    const r = await removeStaleProbes(k, "lab");
    assert.deepEqual(r.removed, []);
    assert.match(
      r.problems[0],
      /listing earlier runs' node probes was refused: .*need create, delete, get and list on daemonsets/,
    );
    assert.equal(k.calls.length, 1);
  });

  it("creates nothing once the run is being stopped (a signal arrived during the stale cleanup)", async () => {
    const k = stand({ "get daemonsets": { stdout: EMPTY } });
    const p = await startRunProbe(k, { ...RUN, log: () => {}, stopping: () => true });
    assert.deepEqual(
      k.calls.map((c) => c[0]),
      ["get"],
    );
    assert.match(p.problems[0], /not created: the run is being stopped/);
    assert.equal(await p.remove(), undefined);
    assert.equal(k.calls.length, 1);
  });

  it("every call it makes is bounded", async () => {
    const seen: number[] = [];
    const k: ProbeKubectl = {
      kubectl: (args, timeout) => {
        seen.push(timeout);
        return answered(args[1] === "pods" ? JSON.stringify(RECORDED_PROBES) : EMPTY);
      },
    };
    const p = await startRunProbe(k, { ...RUN, log: () => {} });
    await p.remove();
    await p.remove(true);
    assert.ok(seen.length >= 4 && seen.every((t) => t > 0 && t <= 40), String(seen));
  });

  it("puts root pods on the run's sampled nodes only: 3 of 200 (every node with --all-nodes)", async () => {
    type Affinity = ReturnType<typeof runNodeProbeDaemonSet>["spec"]["template"]["spec"]["affinity"];
    type Sent = { spec: { template: { spec: { affinity?: Affinity } } } };
    const nodesOf = (ds: Sent): string[] | undefined =>
      ds.spec.template.spec.affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms[0].matchFields[0].values;
    for (const [allNodes, expected] of [
      [false, 3],
      [true, 200],
    ] as const) {
      const ctx = syntheticContext(200);
      let sent: Sent | undefined;
      const k: ProbeKubectl = {
        kubectl: (args, _t, input) => {
          if (input !== undefined) sent = JSON.parse(input) as Sent;
          // Ready pods on the nodes the DaemonSet asks for (all without affinity), as its controller would make.
          const wanted = sent === undefined ? [] : (nodesOf(sent) ?? ctx.nodes.map((n) => n.name));
          const items = (args[1] === "pods" ? wanted : []).map((node, i) => ({
            metadata: { name: `p${i}`, namespace: "lab" },
            spec: { nodeName: node },
            status: { podIP: "192.0.2.1", conditions: [{ type: "Ready", status: "True" }] },
          }));
          return answered(JSON.stringify({ items }));
        },
      };
      const setup = await setUpNodeProbe(ctx, k, {
        mode: "run",
        namespace: "lab",
        image: "img",
        readyTimeoutSeconds: 5,
        allNodes,
        runId: "abc123",
        log: () => {},
      });
      assert.equal(setup.context.probePods.length, expected);
      assert.deepEqual(setup.problems, []);
      assert.equal(nodesOf(sent!) === undefined, allNodes);
    }
  });
});
