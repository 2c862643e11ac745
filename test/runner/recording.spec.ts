import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ALL_CHECKS } from "../../checks/defs";
import { main, type CliIO } from "../../cli/check";
import {
  assertNoSecrets,
  readRecording,
  ReplayExecutor,
  toRecordedStep,
  validateRecording,
  writeRecording,
  type RecordingDocument,
} from "../../runner/recording";
import type { RunReport } from "../../runner/results";
import { runChecks } from "../../runner/runner";
import { RUNNER_HOST, type CheckDefinition, type LabContext } from "../../checks/types";
import { buildSeedRecording } from "../../scripts/build-seed-recording";
import { makeFakeBin, SEED_CONTEXT_FILE } from "../helpers/fakes";
import { syntheticContext } from "../helpers/syntheticLab";

const RECORDINGS = path.join(__dirname, "..", "fixtures", "recordings");
const SEED = path.resolve(__dirname, "../../../shared/seed/000_aeb09caae6829f2e.txt");
const ctx: LabContext = JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8"));

describe("recordings under test/fixtures/recordings", () => {
  const dirs = fs.readdirSync(RECORDINGS).filter((d) => fs.statSync(path.join(RECORDINGS, d)).isDirectory());

  it("holds the write-up's lab first, and every recording has a SOURCES.md entry", () => {
    assert.ok(dirs.includes("seed-lab"));
    const sources = fs.readFileSync(path.join(RECORDINGS, "SOURCES.md"), "utf8");
    for (const d of dirs) assert.ok(sources.includes(`\`${d}/recording.json\``), `${d} has no source entry`);
  });

  for (const d of dirs) {
    it(`${d}: is a valid version-1 recording that replays without a failure it cannot back`, async () => {
      const doc = readRecording(path.join(RECORDINGS, d));
      const report = await runChecks(ALL_CHECKS, doc.context, new ReplayExecutor(doc.steps));
      assert.equal(report.results.length, ALL_CHECKS.length);
      for (const r of report.results) {
        if (r.verdict === "inconclusive") continue;
        assert.ok(r.evidence.length > 0, `${r.name} judged without evidence`);
      }
    });
  }

  it("seed-lab: reports that the write-up's pings (-c 1) do not answer the planned -c 3 -w 10, and says which steps it lacks", async () => {
    const doc = readRecording(path.join(RECORDINGS, "seed-lab"));
    const report = await runChecks(ALL_CHECKS, doc.context, new ReplayExecutor(doc.steps));
    for (const r of report.results) assert.equal(r.verdict, "inconclusive", `${r.name}: ${r.reason}`);
    // Not judged silently: the reason names the recorded command and the planned one, and keeps
    // what the judge would say of the recorded output.
    const cross = report.results.find((r) => r.name === "ping-cross-node")!;
    assert.match(
      cross.reason,
      /the recording does not answer the plan: step "ping" was recorded running `kubectl exec -n default net -- ping 10\.0\.0\.72 -c 1`, but the plan runs `kubectl exec -n default net -- ping -n -c 3 -w 10 10\.0\.0\.72`/,
    );
    assert.match(cross.reason, /judged from the recorded output it would be pass: .*1\/1 replies.*ttl 62/);
    const routes = report.results.find((r) => r.name === "node-routes")!;
    assert.match(routes.reason, /the recording has no output for step\(s\) "routes:[^"]+-control-plane"/);
    // The evidence shows the command the write-up really ran.
    assert.ok(
      report.results
        .find((r) => r.name === "ping-same-node")!
        .evidence.some((e) => e.command === "kubectl exec -n default net -- ping 10.0.2.202 -c 1"),
    );
  });

  it("seed-lab: every recorded output is a verbatim slice of the write-up, and the builder reproduces the file", function () {
    if (!fs.existsSync(SEED)) this.skip(); // the project stands alone; the check needs ../shared
    const seed = fs.readFileSync(SEED, "utf8");
    const doc = readRecording(path.join(RECORDINGS, "seed-lab"));
    for (const s of doc.steps) assert.ok(seed.includes(s.stdout), `${s.check}/${s.step} is not in the seed`);
    const built = buildSeedRecording(seed, ctx);
    assert.equal(fs.readFileSync(path.join(RECORDINGS, "seed-lab", "recording.json"), "utf8"), built);
  });
});

describe("the recording format", () => {
  const step = {
    check: "c",
    step: "s",
    pod: "p",
    container: null,
    argv: ["true"],
    stdout: "",
    stderr: "",
    exitCode: 0,
    timedOut: false,
    durationMs: 1,
  };

  it("rejects wrong versions and malformed steps", () => {
    assert.deepEqual(validateRecording({ version: 1, context: ctx, steps: [step] }), []);
    assert.match(validateRecording({ version: 2, context: ctx, steps: [] }).join(), /version must be 1/);
    assert.deepEqual(validateRecording({ version: 1, context: ctx, run: { allNodes: true }, steps: [] }), []);
    assert.match(
      validateRecording({ version: 1, context: ctx, run: { allNodes: "yes" }, steps: [] }).join(),
      /run must be an object with a boolean allNodes/,
    );
    assert.match(validateRecording({ version: 1, context: {}, steps: [] }).join(), /context: nodes/);
    assert.match(
      validateRecording({ version: 1, context: ctx, steps: [{ ...step, exitCode: "0" }] }).join(),
      /exitCode must be an integer or null/,
    );
  });

  it("accepts a step recorded once per run (performance rounds) and replays the runs in order, each once", async () => {
    assert.deepEqual(validateRecording({ version: 1, context: ctx, steps: [step, step] }), []);
    const replay = new ReplayExecutor([
      { ...step, stdout: "first\n" },
      { ...step, stdout: "second\n" },
    ]);
    const target = { namespace: "default", pod: step.pod };
    const opts = { timeoutSeconds: 5, step: { check: step.check, step: step.step } };
    assert.equal((await replay.exec(target, step.argv, opts)).stdout, "first\n");
    assert.equal((await replay.exec(target, step.argv, opts)).stdout, "second\n");
    await assert.rejects(replay.exec(target, step.argv, opts), /no \(further\) run of step/);
  });

  it("records a runner's-host step under its name and replays it as the command that ran there, or reports a different one", async () => {
    const argv = ["sh", "-c", "curl -sS http://172.18.0.2:32000/"];
    const rec = toRecordedStep(
      "nodeport-from-outside",
      { id: "curl", target: RUNNER_HOST, argv },
      {
        stdout: "answer\n",
        stderr: "",
        exitCode: 0,
        timedOut: false,
        command: "x",
        durationMs: 5,
      },
    );
    assert.equal(rec.pod, "runner-host");
    assert.deepEqual(validateRecording({ version: 1, context: ctx, steps: [rec] }), []);
    const opts = { timeoutSeconds: 5, step: { check: "nodeport-from-outside", step: "curl" } };
    const r = await new ReplayExecutor([rec]).exec(RUNNER_HOST, argv, opts);
    assert.equal(r.command, "sh -c 'curl -sS http://172.18.0.2:32000/'");
    assert.equal(r.stdout, "answer\n");
    await assert.rejects(
      new ReplayExecutor([rec]).exec(RUNNER_HOST, ["sh", "-c", "true"], opts),
      /was recorded running `sh -c 'curl -sS http:\/\/172\.18\.0\.2:32000\/'`, but the plan runs `sh -c true`/,
    );
  });

  it("refuses to write kubeconfig credentials or the kubeconfig's path", () => {
    assert.throws(() => assertNoSecrets("users:\n- user:\n    client-key-data: AAAA\n"), /credentials/);
    assert.throws(() => assertNoSecrets("current-context: kind-lab\n"), /credentials/);
    assert.throws(() => assertNoSecrets("see /tmp/lab-checks-x/kubeconfig", ["/tmp/lab-checks-x"]), /path/);
    assert.doesNotThrow(() => assertNoSecrets("PING 10.0.0.72 (10.0.0.72): 56 data bytes\n"));
  });
});

describe("check CLI --record / --replay", () => {
  const DEFS: CheckDefinition[] = [
    {
      name: "echo-client",
      proves: "the client answers",
      restsOn: [],
      steps: (c) => [
        {
          id: "echo",
          target: { namespace: "default", pod: c.client.name },
          argv: ["echo", "hi"],
          timeoutSeconds: 5,
        },
      ],
      judge: (_c, r) =>
        r.get("echo")?.stdout === "hi\n"
          ? { verdict: "pass", reason: "the client echoed" }
          : { verdict: "fail", reason: `got ${JSON.stringify(r.get("echo")?.stdout)}` },
    },
  ];

  async function run(
    args: string[],
    env: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const io: CliIO = {
      stdout: { write: (t: string) => (stdout += t), isTTY: false },
      stderr: { write: (t: string) => (stderr += t) },
      env,
      loadDefinitions: () => DEFS,
      handleSignals: false,
    };
    return { code: await main(args, io), stdout, stderr };
  }

  it("records a kind cluster's run without its kubeconfig, then replays it offline with the same verdicts", async () => {
    const fake = makeFakeBin();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rec-"));
    try {
      const live = await run(["--kind-cluster", "lab", "--record", dir], fake.env);
      assert.equal(live.code, 0, live.stderr);
      const text = fs.readFileSync(path.join(dir, "recording.json"), "utf8");
      const doc = JSON.parse(text) as RecordingDocument;
      assert.deepEqual(
        doc.steps.map((s) => [s.check, s.step, s.pod, s.container, s.argv, s.stdout, s.exitCode]),
        [["echo-client", "echo", "net", null, ["echo", "hi"], "hi\n", 0]],
      );
      // The run setting that changes the plan is recorded, for the replay to plan the same.
      assert.deepEqual(doc.run, { allNodes: false });
      // The fake kind's kubeconfig (client-key-data, server, context) and its temp path are nowhere.
      const kubeconfigFile = fake.kubectlCalls()[0].kubeconfig!;
      for (const secret of [
        "client-key-data",
        "ZmFrZQ==",
        "127.0.0.1:40123",
        "kind-lab",
        kubeconfigFile,
        path.dirname(kubeconfigFile),
      ]) {
        assert.ok(!text.includes(secret), `the recording holds ${secret}`);
      }
      const before = fake.kubectlCalls().length;
      const replay = await run(["--replay", dir], { PATH: "/nonexistent" });
      assert.equal(replay.code, 0, replay.stderr);
      assert.equal(fake.kubectlCalls().length, before, "replay runs no kubectl");
      const a = JSON.parse(live.stdout) as RunReport;
      const b = JSON.parse(replay.stdout) as RunReport;
      assert.deepEqual(
        b.results.map((r) => [r.name, r.verdict, r.reason]),
        a.results.map((r) => [r.name, r.verdict, r.reason]),
      );
    } finally {
      fake.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the flag when a replay directory holds no recording, and refuses --replay with cluster flags", async () => {
    const missing = await run(["--replay", "/nonexistent-dir"], {});
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--replay \/nonexistent-dir: .*recording\.json/);
    const mixed = await run(["--replay", RECORDINGS, "--kubeconfig", "/k"], {});
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /--replay judges a recording offline: drop --kubeconfig/);
  });

  it("refuses, with --replay, every flag that would change the verdicts (the recording holds them)", async () => {
    const differences = JSON.stringify([
      { key: "enable-bpf-masquerade", found: "false", lab: "true", checks: ["cilium-agent-status"] },
    ]);
    const cases: [string[], RegExp][] = [
      [["--profile-differences", differences], /drop --profile-differences, which would change the verdicts/],
      [["--native-cidr", "10.16.0.0/12"], /drop --native-cidr/],
      [["--node-device", "ens5"], /drop --node-device/],
      [["--all-nodes"], /drop --all-nodes/],
      [["--namespace", "lab", "--ipam-mode", "eni"], /drop --namespace, --ipam-mode/],
      [["--node-probe", "off"], /drop --node-probe/],
    ];
    for (const [flags, message] of cases) {
      const r = await run(["--replay", RECORDINGS, ...flags], {});
      assert.equal(r.code, 2, flags.join(" "));
      assert.match(r.stderr, /--replay judges from the recording alone/);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "");
    }
    // What changes nothing that is judged stays allowed.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rec-"));
    try {
      writeRecording(dir, ctx, []);
      const ok = await run(
        ["--replay", dir, "--only", "echo-client", "--timeout", "5", "--max-execs", "2"],
        {},
      );
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("replays a step whose recorded command is not the planned one as inconclusive, naming both", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rec-"));
    const recorded = {
      check: "echo-client",
      step: "echo",
      pod: "net",
      container: null,
      argv: ["echo", "-n", "hi"],
      stdout: "hi\n",
      stderr: "",
      exitCode: 0,
      timedOut: false,
      durationMs: 3,
    };
    try {
      writeRecording(dir, ctx, [recorded]);
      const r = await run(["--replay", dir, "--output", "json"], {});
      const result = (JSON.parse(r.stdout) as RunReport).results[0];
      assert.equal(result.verdict, "inconclusive");
      assert.equal(
        result.reason,
        'the recording does not answer the plan: step "echo" was recorded running `kubectl exec -n default net -- echo -n hi`, but the plan runs `kubectl exec -n default net -- echo hi` (judged from the recorded output it would be pass: the client echoed)',
      );
      // The evidence is what really ran.
      assert.deepEqual(
        result.evidence.map((e) => e.command),
        ["kubectl exec -n default net -- echo -n hi"],
      );
      // Another container is another command too.
      writeRecording(dir, ctx, [{ ...recorded, argv: ["echo", "hi"], container: "sidecar" }]);
      const c = await run(["--replay", dir, "--output", "json"], {});
      assert.match(
        (JSON.parse(c.stdout) as RunReport).results[0].reason,
        /-c sidecar -- echo hi`, but the plan runs/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("plans a replay as the recorded run was planned (--all-nodes recorded), not as the flags say", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rec-"));
    const five = syntheticContext(5);
    const probed = async (): Promise<number> => {
      const io: CliIO = {
        stdout: { write: (t: string) => (out += t), isTTY: false },
        stderr: { write: () => true },
        handleSignals: false,
      };
      let out = "";
      assert.equal(await main(["--replay", dir, "--dry-run", "--output", "json"], io), 0);
      return (JSON.parse(out) as { nodes: { probed: string[] } }).nodes.probed.length;
    };
    try {
      writeRecording(dir, five, [], [], { allNodes: true });
      assert.equal(await probed(), 5);
      writeRecording(dir, five, []);
      assert.equal(await probed(), 3); // a recording without run settings: a sampled run
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes the recording it replays from nothing but the file (a round trip through writeRecording)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rec-"));
    try {
      writeRecording(dir, ctx, [
        {
          check: "echo-client",
          step: "echo",
          pod: "net",
          container: null,
          argv: ["echo", "hi"],
          stdout: "hi\n",
          stderr: "",
          exitCode: 0,
          timedOut: false,
          durationMs: 3,
        },
      ]);
      const r = await run(["--replay", dir, "--output", "json"], {});
      assert.equal((JSON.parse(r.stdout) as RunReport).results[0].verdict, "pass");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
