import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { main, type CliIO } from "../../cli/check";
import { parseCliArgs, USAGE } from "../../cli/checkArgs";
import type { RunReport } from "../../runner/results";
import type { ExecPlan } from "../../runner/plan";
import type { CheckDefinition, ExecResult, Judgement, LabContext } from "../../checks/types";
import {
  groupMembers,
  makeFakeBin,
  SEED_CONTEXT_FILE,
  startCheckHarness,
  waitFor,
  type FakeBin,
} from "../helpers/fakes";

const ROOT = path.join(__dirname, "..", "..");

/** Passes when every step exited 0. */
const allZero = (_c: LabContext, r: ReadonlyMap<string, ExecResult>): Judgement =>
  [...r.values()].every((x) => x.exitCode === 0)
    ? { verdict: "pass", reason: "every step exited 0" }
    : { verdict: "fail", reason: "a step did not exit 0" };

/** Small definitions: ping every test pod from the client, and echo in every Cilium agent. */
const DEFS: CheckDefinition[] = [
  {
    name: "ping-test-pods",
    proves: "the client reaches every test pod",
    restsOn: [],
    steps: (c) =>
      c.testPods.map((p) => ({
        id: p.name,
        target: { namespace: c.client.namespace, pod: c.client.name },
        argv: ["echo", `ping ${p.ip}`],
        timeoutSeconds: 10,
      })),
    judge: allZero,
  },
  {
    name: "agent-echo",
    proves: "every agent answers",
    restsOn: [],
    steps: (c) =>
      c.ciliumPods.map((p) => ({
        id: p.name,
        target: { namespace: p.namespace, pod: p.name, container: "cilium-agent" },
        argv: ["echo", "ok"],
        timeoutSeconds: 30,
        delayMs: 10,
      })),
    judge: allZero,
  },
];

const FAILING: CheckDefinition = {
  name: "always-fails",
  proves: "nothing",
  restsOn: [],
  steps: (c) => [
    { id: "f", target: { namespace: "default", pod: c.client.name }, argv: ["false"], timeoutSeconds: 5 },
  ],
  judge: allZero,
};

/** Runs main() in this process and collects what it prints. */
async function run(
  args: string[],
  opts: { env?: Record<string, string>; defs?: CheckDefinition[]; tty?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: opts.tty ?? false },
    stderr: { write: (t: string) => (stderr += t) },
    env: opts.env,
    loadDefinitions: () => opts.defs ?? DEFS,
    handleSignals: false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe("check CLI: dry run", () => {
  it("prints the exec plan and its counts from a recorded context, without a cluster", async () => {
    const r = await run(["--dry-run", "--context-file", SEED_CONTEXT_FILE, "--output", "text"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "# ping-test-pods/evescn-zx9kk on default/net, timeout 10s");
    assert.equal(lines[1], "kubectl exec -n default net -- echo 'ping 10.0.1.63'");
    assert.ok(
      lines.includes("kubectl exec -n kube-system cilium-mfc5w -c cilium-agent -- echo ok") &&
        lines.includes(
          "# agent-echo/cilium-mfc5w on kube-system/cilium-mfc5w (cilium-agent), timeout 30s, +10ms",
        ),
      r.stdout,
    );
    assert.ok(lines.includes("# 6 execs in 2 checks on 3 of 3 nodes"), r.stdout);
    assert.ok(lines.includes("#   ping-test-pods: default/net=3"), r.stdout);
    assert.ok(
      lines.includes(
        "#   agent-echo: kube-system/cilium-496vl=1 kube-system/cilium-6bt7g=1 kube-system/cilium-mfc5w=1",
      ),
      r.stdout,
    );
    // Pasteable: a shell reads every line (comments included) and runs kubectl with the exact argv.
    const pasted = spawnSync("sh", ["-c", `kubectl() { printf '%s\\0' "$@"; printf '\\n'; }\n${r.stdout}`], {
      encoding: "utf8",
    });
    assert.equal(pasted.status, 0, pasted.stderr);
    assert.deepEqual(pasted.stdout.split("\n")[0].split("\0").slice(0, -1), [
      "exec",
      "-n",
      "default",
      "net",
      "--",
      "echo",
      "ping 10.0.1.63",
    ]);
  });

  it("prints the plan as one JSON document, honouring --only and --timeout", async () => {
    const r = await run([
      "--dry-run",
      "--context-file",
      SEED_CONTEXT_FILE,
      "--only",
      "agent-echo",
      "--timeout",
      "5",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as ExecPlan;
    assert.equal(plan.counts.totalExecs, 3);
    assert.deepEqual(Object.keys(plan.counts.execsPerPodPerCheck), ["agent-echo"]);
    assert.ok(plan.steps.every((s) => s.timeoutSeconds === 5));
  });

  it("does not ask kind for a kubeconfig when the context is recorded", async () => {
    const fake = makeFakeBin();
    try {
      const r = await run(["--dry-run", "--kind-cluster", "lab", "--context-file", SEED_CONTEXT_FILE], {
        env: fake.env,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(fake.kindCalls(), []);
      assert.deepEqual(fake.kubectlCalls(), []);
    } finally {
      fake.remove();
    }
  });

  it("exits 3 with one line saying no cluster was reached", async () => {
    const fake = makeFakeBin({ FAKE_KUBECTL_FAIL: "1" });
    try {
      const r = await run(["--dry-run"], { env: fake.env });
      assert.equal(r.code, 3);
      assert.equal(r.stdout, "");
      const lines = r.stderr.split("\n").filter((l) => /refused/.test(l));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^check: kubectl reached no cluster \(10 of 10 reads failed\): The connection/);
    } finally {
      fake.remove();
    }
  });
});

describe("check CLI: usage", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /unknown flag --bogus/],
    [["--output", "xml"], /--output must be one of: json, text \(got "xml"\)/],
    [["--timeout", "0"], /--timeout must be a positive number of seconds/],
    [["--timeout", "soon"], /--timeout must be a positive number of seconds \(got "soon"\)/],
    [["--kubeconfig", "a", "--kind-cluster", "b"], /--kubeconfig and --kind-cluster exclude each other/],
    [["--only", "nope"], /--only: unknown check nope; allowed values: ping-test-pods, agent-echo/],
    [["--native-cidr", "10.0.0.0"], /--native-cidr must be an IPv4 CIDR/],
    [["--only", "agent-echo", "ping-test-pods"], /unexpected argument "ping-test-pods"/],
    [["--namespace"], /--namespace <value>' argument missing/],
    [
      ["--context-file", "/nonexistent/ctx.json", "--dry-run"],
      /--context-file \/nonexistent\/ctx\.json: ENOENT/,
    ],
  ];
  for (const [args, message] of cases) {
    it(`exits 2 naming the flag for ${args.join(" ")}`, async () => {
      const r = await run(args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "");
    });
  }

  it("prints the usage for --help", async () => {
    const r = await run(["--help"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, USAGE);
  });

  it("accepts --only repeated or comma-separated", () => {
    assert.deepEqual(parseCliArgs(["--only", "a,b", "--only", "c"], false).only, ["a", "b", "c"]);
  });

  it("takes --native-cidr unset (existing mode: cilium-config sets none) into the context options", () => {
    const opts = parseCliArgs(["--native-cidr", "unset"], false);
    assert.equal(opts.contextOptions.nativeRoutingCidr, "unset");
    assert.equal(opts.nativeCidrSet, true);
  });

  it("defaults the output to json when stdout is not a terminal, text when it is", () => {
    assert.equal(parseCliArgs([], false).output, "json");
    assert.equal(parseCliArgs([], true).output, "text");
  });

  it("plans every check of ALL_CHECKS offline as a real process", function () {
    this.timeout(90000); // a fresh process compiles the definitions
    const r = spawnSync(
      process.execPath,
      ["cli/run.js", "check", "--dry-run", "--context-file", SEED_CONTEXT_FILE],
      { cwd: ROOT, encoding: "utf8", timeout: 60000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as ExecPlan;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ALL_CHECKS } = require("../../checks/defs") as { ALL_CHECKS: readonly CheckDefinition[] };
    assert.equal(plan.counts.checks, ALL_CHECKS.length);
    assert.deepEqual(
      Object.keys(plan.counts.execsPerPodPerCheck),
      ALL_CHECKS.map((d) => d.name),
    );
    assert.equal(plan.counts.totalExecs, plan.steps.length);
    assert.ok(plan.steps.every((s) => s.host || s.command.startsWith("kubectl exec -n ")));
    // nodeport-from-outside's curl runs on the runner's own host: the plan prints the command itself.
    assert.deepEqual(
      plan.steps.filter((s) => s.host).map((s) => [s.check, s.step, s.command.slice(0, 6)]),
      [["nodeport-from-outside", "curl", "sh -c "]],
    );
  });

  it("rejects an unknown flag with exit 2 as a real process (npm run check)", function () {
    this.timeout(60000);
    const r = spawnSync(process.execPath, ["cli/run.js", "check", "--frobnicate"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /check: unknown flag --frobnicate/);
  });
});

describe("check CLI: a run", () => {
  let fake: FakeBin;
  beforeEach(() => {
    fake = makeFakeBin();
  });
  afterEach(() => fake.remove());

  it("with --kind-cluster, hands kubectl a 0600 temporary kubeconfig and removes it afterwards", async () => {
    const r = await run(["--kind-cluster", "lab"], { env: fake.env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.kindCalls(), ["get kubeconfig --name lab"]);

    const calls = fake.kubectlCalls();
    // nine gets of the lab, and cilium-config for its native-routing CIDR (no --native-cidr given)
    assert.equal(calls.filter((c) => c.argv.includes("get")).length, 10);
    assert.equal(calls.filter((c) => c.argv.includes("exec")).length, 6);
    const files = new Set(calls.map((c) => c.kubeconfig));
    assert.equal(files.size, 1);
    const file = [...files][0];
    assert.ok(file !== undefined && file.startsWith(path.join(os.tmpdir(), "lab-checks-")), file);
    assert.ok(calls.every((c) => c.kubeconfigExists && c.kubeconfigMode === "600"));
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.existsSync(path.dirname(file)), false);

    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.summary, "2/2 checks passed");
    const commands = report.results.flatMap((x) => x.evidence.map((e) => e.command));
    assert.ok(
      commands.every((c) => c.startsWith("kubectl exec -n ") && !c.includes(file)),
      commands.join("\n"),
    );
    assert.deepEqual(report.datapath.podCidrs, {
      "cilium-kubeproxy-replacement-ebpf-control-plane": ["10.0.1.0/24"],
      "cilium-kubeproxy-replacement-ebpf-worker": ["10.0.0.0/24"],
      "cilium-kubeproxy-replacement-ebpf-worker2": ["10.0.2.0/24"],
    });
    assert.doesNotMatch(r.stderr, /certificate-authority-data|client-key-data/);
  });

  it("says once that kind has no such cluster and exits 3, without per-check results", async () => {
    const r = await run(["--kind-cluster", "gone"], { env: { ...fake.env, FAKE_KIND_FAIL: "1" } });
    assert.equal(r.code, 3);
    assert.equal(fake.kubectlCalls().length, 0);
    assert.equal(r.stdout, "");
    const lines = r.stderr.split("\n").filter((l) => /could not locate/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^check: kind get kubeconfig --name gone failed \(exit 1\): ERROR: could not locate/,
    );
  });

  it("says once that the cluster cannot be reached and exits 3, even without --fail-on-failure", async () => {
    const r = await run(["--kubeconfig", "/tmp/none"], { env: { ...fake.env, FAKE_KUBECTL_FAIL: "1" } });
    assert.equal(r.code, 3);
    assert.equal(r.stdout, "");
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    assert.equal(lines.filter((l) => /was refused/.test(l)).length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /inconclusive|running \d+ checks/);
  });

  it("exits 1 with --fail-on-failure when a check fails, 0 without it", async () => {
    const defs = [...DEFS, FAILING];
    const strict = await run(["--fail-on-failure", "--kubeconfig", "/tmp/k"], { env: fake.env, defs });
    assert.equal(strict.code, 1);
    assert.equal((JSON.parse(strict.stdout) as RunReport).summary, "2/3 checks passed, 1 failed");
    const lenient = await run(["--kubeconfig", "/tmp/k"], { env: fake.env, defs });
    assert.equal(lenient.code, 0);
  });

  it("prints a table with the evidence of what did not pass and the summary line on a terminal", async () => {
    const r = await run(["--kubeconfig", "/tmp/k"], { env: fake.env, defs: [DEFS[0], FAILING], tty: true });
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^CHECK +VERDICT +TIME +REASON$/);
    assert.match(lines[1], /^ping-test-pods +PASS +\d+(ms|\.\ds) +every step exited 0$/);
    assert.match(lines[2], /^always-fails +FAIL +\d+(ms|\.\ds) +a step did not exit 0$/);
    assert.ok(lines.includes("--- always-fails (fail) evidence"));
    assert.ok(lines.includes("  $ kubectl exec -n default net -- false   [exit 1]"));
    assert.equal(lines.at(-1), "1/2 checks passed, 1 failed");
    assert.match(r.stderr, /check: 1\/2 checks passed, 1 failed/);
  });
});

describe("check CLI: interrupted", function () {
  it("on SIGTERM ends the kubectl process group and removes the temporary kubeconfig", async function () {
    this.timeout(60000);
    const fake = makeFakeBin();
    try {
      const h = startCheckHarness(fake, ["--kind-cluster", "lab"], ["sleep", "300"]);

      const execCall = () => fake.kubectlCalls().find((c) => c.argv.includes("exec"));
      assert.ok(
        await waitFor(() => execCall() !== undefined, 30000),
        `no exec started; stderr: ${h.stderr()}`,
      );
      const call = execCall()!;
      assert.ok(call.kubeconfig !== undefined && fs.existsSync(call.kubeconfig));
      assert.equal(call.kubeconfigMode, "600");
      // kubectl (fake) is the leader of its own group, with `sleep 300` as its child.
      assert.ok(await waitFor(() => groupMembers(call.pid).some((p) => p.comm === "sleep"), 5000));

      h.child.kill("SIGTERM");
      assert.equal(await h.exited, 143, h.stderr());
      assert.equal(fs.existsSync(call.kubeconfig), false);
      assert.equal(fs.existsSync(path.dirname(call.kubeconfig)), false);
      assert.deepEqual(groupMembers(call.pid), []);
      assert.match(h.stderr(), /SIGTERM: stopping/);
    } finally {
      fake.remove();
    }
  });
});
