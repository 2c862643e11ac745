/**
 * `--node-probe run` end to end through the check CLI, against the fake kubectl (test/helpers/fakes.ts:
 * it keeps the created DaemonSets as files, answers with the recorded seed probe pods, never reaches a
 * network): create → wait → run → delete, and the delete on failure, on timeout and on SIGTERM, the
 * refusal by RBAC, and a killed run's leftover removed by the next run.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

import { main, type CliIO } from "../../cli/check";
import { RUN_PROBE_LABEL } from "../../lib/nodeProbeSpec";
import type { RunReport } from "../../runner/results";
import type { CheckDefinition, ExecResult, Judgement, LabContext } from "../../checks/types";
import { makeFakeBin, startCheckHarness, waitFor, type FakeBin, type KubectlCall } from "../helpers/fakes";

const CLUSTER_FIXTURES = path.join(__dirname, "..", "fixtures", "cluster");

/** Execs `echo` in each probe pod; inconclusive the way the real checks word it when there is none. */
const PROBE_ECHO: CheckDefinition = {
  name: "probe-echo",
  proves: "each probed node's node-probe pod answers",
  restsOn: [],
  steps: (c) =>
    c.probePods.map((p) => ({
      id: p.name,
      target: { namespace: p.namespace, pod: p.name },
      argv: ["echo", p.node],
      timeoutSeconds: 10,
    })),
  judge: (c: LabContext, r: ReadonlyMap<string, ExecResult>): Judgement =>
    c.probePods.length === 0
      ? { verdict: "inconclusive", reason: `no node-probe pod on ${c.nodes.map((n) => n.name).join(", ")}` }
      : [...r.values()].every((x) => x.exitCode === 0)
        ? { verdict: "pass", reason: `${r.size} probe pods answered` }
        : { verdict: "fail", reason: "a probe pod did not answer" },
};

async function run(
  args: string[],
  env: Record<string, string>,
  stderrWrite?: (t: string) => void,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: {
      write: (t: string) => {
        stderr += t;
        stderrWrite?.(t);
      },
    },
    env,
    loadDefinitions: () => [PROBE_ECHO],
    handleSignals: false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** The verb of a fake kubectl call and its first argument(s), e.g. `create -f -`, `delete daemonset X`. */
function verb(c: KubectlCall): string {
  const i = c.argv.findIndex((a) => ["get", "exec", "create", "delete"].includes(a));
  const rest = c.argv.slice(i);
  if (rest[0] === "get")
    return `get ${rest[1]}${rest.includes("-l") ? ` -l ${rest[rest.indexOf("-l") + 1]}` : ""}`;
  if (rest[0] === "exec") return `exec ${rest[3]}`;
  return rest.slice(0, 3).join(" ");
}

const BASE = ["--kubeconfig", "/tmp/lab-fake-kubeconfig", "--namespace", "default"];

describe("check CLI: --node-probe run (a node probe that exists only while the run needs it)", function () {
  this.timeout(60_000);
  let fake: FakeBin;
  beforeEach(() => {
    fake = makeFakeBin();
  });
  afterEach(() => fake.remove());

  it("creates the probe (same spec, run label, sampled nodes), waits for Ready pods, runs the checks in them, then deletes it", async () => {
    const r = await run(
      [...BASE, "--node-probe", "run", "--node-probe-image", "example.org/probe:1"],
      fake.env,
    );
    assert.equal(r.code, 0, r.stderr);
    const calls = fake.kubectlCalls();
    const verbs = calls.map(verb);
    const at = (pred: (v: string) => boolean): number => verbs.findIndex(pred);
    const create = at((v) => v === "create -f -");
    const list = at((v) => v === `get daemonsets -l ${RUN_PROBE_LABEL}`);
    const wait = verbs.findIndex((v, i) => i > create && v.startsWith(`get pods -l ${RUN_PROBE_LABEL}=`));
    const exec = at((v) => v.startsWith("exec node-probe-"));
    const del = at((v) => v.startsWith("delete daemonset node-probe-run-"));
    assert.ok(list >= 0 && list < create && create < wait && wait < exec && exec < del, verbs.join("\n"));
    // Discovery looked for this run's pods only (none yet), so no warning about missing probes.
    const probeGet = calls[at((v) => v.startsWith("get pods -l cilium-ebpf-lab/node-probe-run="))];
    assert.ok(probeGet);
    assert.doesNotMatch(r.stderr, /no Running node-probe pod/);
    // The manifest: the node probe's pod spec, the run label on object, selector and pods, the image
    // asked for, limited to the run's nodes (the seed has 3 nodes: all of them are the sample).
    const manifest = JSON.parse(calls[create].input ?? "") as {
      metadata: { name: string; namespace: string; labels: Record<string, string> };
      spec: {
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
      };
    };
    const runId = manifest.metadata.labels[RUN_PROBE_LABEL];
    assert.match(runId, /^[0-9a-f]{6}$/);
    assert.equal(manifest.metadata.name, `node-probe-run-${runId}`);
    assert.equal(manifest.metadata.namespace, "default");
    assert.equal(manifest.spec.selector.matchLabels[RUN_PROBE_LABEL], runId);
    assert.equal(manifest.spec.template.metadata.labels[RUN_PROBE_LABEL], runId);
    const podSpec = manifest.spec.template.spec as {
      hostNetwork: boolean;
      containers: { image: string; securityContext: unknown }[];
      affinity: unknown;
    };
    assert.equal(podSpec.hostNetwork, true);
    assert.equal(podSpec.containers[0].image, "example.org/probe:1");
    assert.deepEqual(podSpec.containers[0].securityContext, { privileged: true });
    assert.deepEqual(
      JSON.stringify(podSpec.affinity)
        .match(/cilium-kubeproxy-replacement-ebpf-[a-z0-9-]+/g)
        ?.sort(),
      [
        "cilium-kubeproxy-replacement-ebpf-control-plane",
        "cilium-kubeproxy-replacement-ebpf-worker",
        "cilium-kubeproxy-replacement-ebpf-worker2",
      ],
    );
    // Deleted with its pods (foreground), waited for, bounded; nothing left on the fake cluster.
    const delArgv = calls[del].argv;
    for (const flag of ["--ignore-not-found", "--cascade=foreground", "--wait=true", "--timeout=30s"]) {
      assert.ok(delArgv.includes(flag), delArgv.join(" "));
    }
    assert.ok(
      calls.every((c) => c.argv.some((a) => a.startsWith("--request-timeout="))),
      "every kubectl call is bounded",
    );
    assert.deepEqual(fake.probeDaemonSets(), []);
    // What happened, in the run's log, each line once with the program's tag.
    assert.match(r.stderr, /^check: creating node probe node-probe-run-[0-9a-f]{6} in default on cilium-/m);
    assert.match(r.stderr, /^check: node probe node-probe-run-[0-9a-f]{6} Ready on 3 of 3 nodes$/m);
    assert.match(r.stderr, /^check: node probe node-probe-run-[0-9a-f]{6} deleted$/m);
    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.summary, "1/1 checks passed");
    assert.equal(report.results[0].evidence.length, 3);
  });

  it("deletes the probe when the run fails after creating it", async () => {
    const r = await run([...BASE, "--node-probe", "run"], fake.env, (t) => {
      if (t.includes("running 1 checks")) throw new Error("stderr closed");
    });
    assert.equal(r.code, 1);
    assert.ok(fake.kubectlCalls().some((c) => verb(c) === "create -f -"));
    assert.ok(fake.kubectlCalls().some((c) => verb(c).startsWith("delete daemonset node-probe-run-")));
    assert.deepEqual(fake.probeDaemonSets(), []);
  });

  it("gives up waiting after --node-probe-timeout, deletes the probe and says why the node checks are inconclusive", async () => {
    const r = await run([...BASE, "--node-probe", "run", "--node-probe-timeout", "2"], {
      ...fake.env,
      FAKE_KUBECTL_PROBE_PENDING: "1",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.probeDaemonSets(), []);
    const verbs = fake.kubectlCalls().map(verb);
    assert.ok(verbs.filter((v) => v.startsWith("get pods -l cilium-ebpf-lab/node-probe-run=")).length >= 2);
    assert.ok(
      !verbs.some((v) => v.startsWith("exec node-probe-")),
      "nothing ran in a pod that was not Ready",
    );
    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.results[0].verdict, "inconclusive");
    assert.match(
      report.results[0].reason,
      /no node-probe pod on .*\(the run's node probe: node probe node-probe-run-[0-9a-f]{6} was not Ready within 2s on 3 of 3 nodes \(cilium-kubeproxy-replacement-ebpf-control-plane: pod node-probe-7m2xk Pending \(ContainerCreating\)/,
    );
    assert.ok(
      report.problems.some(
        (p) => /was not Ready within 2s/.test(p) && /kubectl get events -n default/.test(p),
      ),
    );
  });

  for (const [file, shows] of [
    ["forbidden-create-kubectl.txt", /Error from server \(Forbidden\): error when creating/],
    [
      "forbidden-daemonset-rbac.txt",
      /is forbidden: User "system:serviceaccount:rook-ceph-system:rook-ceph-system" cannot create resource "daemonsets"/,
    ],
  ] as const) {
    it(`says what RBAC refused and what to grant (${file}), and runs the checks without a probe`, async () => {
      const r = await run([...BASE, "--node-probe", "run"], {
        ...fake.env,
        FAKE_KUBECTL_CREATE_ERROR: path.join(CLUSTER_FIXTURES, file),
      });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as RunReport;
      const problem = report.problems.find((p) => /creating the run's node probe/.test(p)) ?? "";
      assert.match(problem, /was refused: /);
      assert.match(problem, shows);
      assert.match(
        problem,
        /need create, delete, get and list on daemonsets \(API group apps\) and list on pods in namespace default/,
      );
      assert.match(report.results[0].reason, /no node-probe pod on .*was refused/);
      // Nothing was created, so nothing is deleted (the delete would be refused the same way).
      assert.ok(!fake.kubectlCalls().some((c) => verb(c).startsWith("delete")));
      assert.equal((r.stderr.match(/was refused/g) ?? []).length, 1, "said once");
    });
  }

  it("removes a killed run's probe older than 15 minutes, leaves a younger one (a run still going) alone", async () => {
    const dsDir = path.join(fake.env.FAKE_KUBECTL_STATE, "daemonsets");
    fs.mkdirSync(dsDir, { recursive: true });
    const leftover = (name: string, created: string) =>
      fs.writeFileSync(
        path.join(dsDir, `${name}.json`),
        JSON.stringify({
          metadata: {
            name,
            namespace: "default",
            creationTimestamp: created,
            labels: { [RUN_PROBE_LABEL]: name.slice(-6) },
          },
          spec: {},
        }),
      );
    leftover("node-probe-run-0ld0ld", new Date(Date.now() - 3600_000).toISOString());
    leftover("node-probe-run-y0ung1", new Date(Date.now() - 60_000).toISOString());
    const r = await run([...BASE, "--node-probe", "run"], fake.env);
    assert.equal(r.code, 0, r.stderr);
    const verbs = fake.kubectlCalls().map(verb);
    assert.ok(
      verbs.indexOf("delete daemonset node-probe-run-0ld0ld") < verbs.indexOf("create -f -"),
      verbs.join("\n"),
    );
    assert.ok(!verbs.includes("delete daemonset node-probe-run-y0ung1"));
    assert.match(r.stderr, /deleted node-probe-run-0ld0ld, a node probe left by an earlier run/);
    assert.match(r.stderr, /node probe node-probe-run-y0ung1 of another run still under way is left alone/);
    assert.deepEqual(
      fake.probeDaemonSets().map((d) => d.metadata.name),
      ["node-probe-run-y0ung1"],
    );
  });

  it("with --node-probe off creates nothing, uses no probe pod and says so in the inconclusive reason", async () => {
    const r = await run([...BASE, "--node-probe", "off"], fake.env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fake.kubectlCalls().some((c) => ["create", "delete", "exec"].some((v) => c.argv.includes(v))));
    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.results[0].verdict, "inconclusive");
    assert.match(
      report.results[0].reason,
      /no node-probe pod on .*\(node probe off .*use nodeProbe run or keep/,
    );
  });

  it("rejects a --node-probe value it does not know, naming the flag and the allowed values", async () => {
    const r = await run([...BASE, "--node-probe", "always"], fake.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--node-probe must be one of: present, run, off \(got "always"\)/);
    assert.deepEqual(fake.kubectlCalls(), []);
  });
});

describe("check CLI: --node-probe run, interrupted", function () {
  it("on SIGTERM while it waits for the probe, deletes it at once (no waiting: SIGKILL follows within 10 s)", async function () {
    this.timeout(60_000);
    const fake = makeFakeBin({ FAKE_KUBECTL_PROBE_PENDING: "1" });
    try {
      const h = startCheckHarness(fake, [...BASE, "--node-probe", "run"]);
      assert.ok(
        await waitFor(() => fake.probeDaemonSets().length === 1, 30_000),
        `no probe created; stderr: ${h.stderr()}`,
      );
      h.child.kill("SIGTERM");
      assert.equal(await h.exited, 143, h.stderr());
      const del = fake.kubectlCalls().find((c) => verb(c).startsWith("delete daemonset node-probe-run-"));
      assert.ok(del, h.stderr());
      assert.ok(
        del.argv.includes("--wait=false") && del.argv.includes("--ignore-not-found"),
        del.argv.join(" "),
      );
      assert.deepEqual(fake.probeDaemonSets(), []);
    } finally {
      fake.remove();
    }
  });

  it("on SIGTERM while the checks run, deletes the run's probe before exiting", async function () {
    this.timeout(60_000);
    const fake = makeFakeBin();
    try {
      const h = startCheckHarness(fake, [...BASE, "--node-probe", "run"], ["sleep", "300"]);
      assert.ok(
        await waitFor(() => fake.kubectlCalls().some((c) => c.argv.includes("exec")), 30_000),
        `no exec started; stderr: ${h.stderr()}`,
      );
      assert.equal(fake.probeDaemonSets().length, 1, "the probe exists while the run goes on");
      h.child.kill("SIGTERM");
      assert.equal(await h.exited, 143, h.stderr());
      const del = fake.kubectlCalls().find((c) => verb(c).startsWith("delete daemonset node-probe-run-"));
      assert.ok(del, h.stderr());
      // The signal ends the exec, so the run's own `finally` and the signal hook race to delete; the
      // first one's delete is the one (either way the DELETE is sent before the process exits).
      assert.ok(del.argv.includes("--ignore-not-found"), del.argv.join(" "));
      assert.deepEqual(fake.probeDaemonSets(), []);
      assert.match(h.stderr(), /SIGTERM: stopping/);
    } finally {
      fake.remove();
    }
  });
});
