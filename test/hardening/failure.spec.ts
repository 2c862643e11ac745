/**
 * When probes go wrong: a probe that never exits, a pod that is not there, a kubectl that fails.
 *
 * The real runner (runChecks) and executors (LocalExecutor, NetnsExecutor, KubectlExecutor through
 * the CLI with a fake kubectl on PATH) run real processes. Each hang is a `sh` that forks a `sleep`
 * and sleeps itself; the test reads the shell's pid and process group from /proc and checks that
 * nothing of the group is left once the check is reported.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main, type CliIO } from "../../cli/check";
import { pingCrossNode, pingSameNode } from "../../checks/defs";
import { podTarget, sameNodePeer } from "../../checks/defs/common";
import { liveProcessGroupCount } from "../../runner/processGroups";
import { LocalExecutor, NetnsExecutor, RecordedExecutor } from "../../runner/localExecutors";
import type { RunReport } from "../../runner/results";
import { runChecks } from "../../runner/runner";
import type { CheckDefinition, ExecResult, Executor, LabContext } from "../../checks/types";
import { pass, usableStep } from "../../checks/verdict";
import { groupMembers, makeFakeBin, type FakeBin } from "../helpers/fakes";
import { SEED_CONTEXT, WORKER2 } from "../checks/defs/seedContext";

const HANG_TIMEOUT_SECONDS = 2;
const FIXTURES = path.resolve(__dirname, "../fixtures/checks");

/**
 * A shell that records its pid and process group, forks a sleep and sleeps: it never exits on its
 * own, and neither does its child.
 */
function hangScript(dir: string): string {
  return [
    `echo $$ >${dir}/pid`,
    `cut -d' ' -f5 /proc/$$/stat >${dir}/pgid`,
    "sleep 1000 &",
    `echo $! >${dir}/child`,
    "sleep 1000",
  ].join("\n");
}

/** The shell's pid, its group and its background child, as the hang recorded them. */
function hangIds(dir: string): { pid: number; pgid: number; child: number } {
  const read = (f: string) => Number(fs.readFileSync(path.join(dir, f), "utf8").trim());
  return { pid: read("pid"), pgid: read("pgid"), child: read("child") };
}

/** True when the process is gone (or a zombie nobody reaped yet, which runs nothing). */
function gone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state === "Z" || state === "X";
  } catch {
    return true;
  }
}

/** A small real definition: one step running the hang; judged by the checks' own usability gate. */
function hangingCheck(dir: string, target = { namespace: "default", pod: "net" }): CheckDefinition {
  return {
    name: "hanging-probe",
    proves: "Nothing: its probe never ends.",
    restsOn: [],
    steps: () => [
      { id: "hang", target, argv: ["sh", "-c", hangScript(dir)], timeoutSeconds: HANG_TIMEOUT_SECONDS },
    ],
    judge: (_ctx, results) => {
      const out = usableStep({ id: "hang", target, argv: [], timeoutSeconds: HANG_TIMEOUT_SECONDS }, results);
      return out.ok ? pass("the probe ended") : out.judgement;
    },
  };
}

/** Runs the hanging check through the real runner; asserts verdict, timing and the group's end. */
async function assertHangEnds(executor: Executor, dir: string): Promise<void> {
  const started = Date.now();
  const report = await runChecks([hangingCheck(dir)], SEED_CONTEXT, executor);
  const elapsed = Date.now() - started;
  const [result] = report.results;
  assert.equal(result.verdict, "inconclusive", result.reason);
  assert.match(result.reason, new RegExp(`timed out after ${HANG_TIMEOUT_SECONDS} s`));
  assert.equal(result.evidence[0]?.timedOut, true);
  assert.ok(elapsed < (HANG_TIMEOUT_SECONDS + 5) * 1000, `the run took ${elapsed} ms`);
  assert.ok(result.durationMs < (HANG_TIMEOUT_SECONDS + 5) * 1000, `the check took ${result.durationMs} ms`);
  const ids = hangIds(dir);
  assert.equal(ids.pgid, ids.pid, "the probe's shell leads its own process group");
  assert.deepEqual(groupMembers(ids.pgid), [], "processes of the probe's group are still running");
  assert.ok(gone(ids.pid) && gone(ids.child), "the shell or its background sleep survived");
  assert.equal(liveProcessGroupCount(), 0, "runProcess still watches a group");
}

function canUseNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  const name = `labt${process.pid}-probe`;
  const ok = spawnSync("ip", ["netns", "add", name]).status === 0;
  if (ok) spawnSync("ip", ["netns", "del", name]);
  return ok;
}

describe("a probe that hangs", function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "labt-hang-"));
  });
  afterEach(() => {
    // Last resort if an assertion failed before the group was checked: end what the hang started.
    for (const f of ["child", "pid"]) {
      const file = path.join(dir, f);
      if (fs.existsSync(file)) {
        try {
          process.kill(Number(fs.readFileSync(file, "utf8")), "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`is inconclusive "timed out after ${HANG_TIMEOUT_SECONDS} s" within the timeout + 5 s, and leaves no process of its group (LocalExecutor)`, async () => {
    await assertHangEnds(new LocalExecutor(), dir);
  });

  it("is ended the same way inside a network namespace (NetnsExecutor)", async function () {
    if (!canUseNetns()) {
      if (process.env.CI && process.getuid?.() === 0) assert.fail("root in CI but ip netns does not work");
      this.skip();
    }
    const prefix = `labt${process.pid}-hang-`;
    const ns = `${prefix}net`; // the executor maps pod "net" to <prefix>net
    assert.equal(spawnSync("ip", ["netns", "add", ns]).status, 0);
    try {
      await assertHangEnds(new NetnsExecutor({ prefix }), dir);
    } finally {
      spawnSync("ip", ["netns", "del", ns]);
    }
  });
});

describe("a check whose pod is missing", () => {
  it("is inconclusive with the missing pod as reason while the other checks of the run pass", async () => {
    // The client's node keeps its test pod; no test pod runs anywhere else.
    const ctx: LabContext = {
      ...SEED_CONTEXT,
      testPods: SEED_CONTEXT.testPods.filter((p) => p.node === WORKER2),
    };
    const peer = sameNodePeer(ctx);
    assert.ok(peer);
    const ping = fs.readFileSync(path.join(FIXTURES, "ping-same-node/healthy/ping.txt"), "utf8");
    const executor = new RecordedExecutor([
      { pod: ctx.client.name, argv: (argv) => argv[0] === "ping" && argv.includes(peer.ip), stdout: ping },
    ]);
    const report = await runChecks([pingSameNode, pingCrossNode], ctx, executor);
    const byName = new Map(report.results.map((r) => [r.name, r]));
    assert.equal(byName.get("ping-same-node")?.verdict, "pass", byName.get("ping-same-node")?.reason);
    const cross = byName.get("ping-cross-node");
    assert.equal(cross?.verdict, "inconclusive");
    assert.match(cross?.reason ?? "", /no test pod on a node other than .*worker2, the client's node/);
    assert.deepEqual(cross?.evidence, [], "nothing ran for the missing pod");
    assert.equal(executor.calls.length, 1, "only the same-node ping ran");
    assert.match(report.summary, /1\/2 checks passed/);
  });
});

describe("the CLI end to end with a kubectl that fails for one pod", function () {
  this.timeout(60000);
  let fake: FakeBin;
  let wrapper: string;
  let hangDir: string;

  before(() => {
    fake = makeFakeBin();
    hangDir = fs.mkdtempSync(path.join(os.tmpdir(), "labt-hang-"));
    wrapper = fs.mkdtempSync(path.join(os.tmpdir(), "labt-kubectl-"));
    // Fail closed: only gets and execs into the one test pod reach the shared fake (gets answer from
    // the seed's recorded JSON, execs run on this machine); an exec into any other pod fails as
    // kubectl does when the pod is gone, so no probe of the seed (a ping to a seed IP) runs here.
    fs.writeFileSync(
      path.join(wrapper, "kubectl"),
      [
        "#!/bin/sh",
        "verb=''; pod=''",
        'for a in "$@"; do',
        '  [ "$a" = -- ] && break',
        '  case "$a" in get|exec) [ -z "$verb" ] && verb=$a;; esac',
        "  pod=$a",
        "done",
        'if [ "$verb" = exec ] && [ "$pod" != "$LABT_EXEC_POD" ]; then',
        '  echo "error: pods \\"$pod\\" not found" >&2',
        "  exit 1",
        "fi",
        `exec ${fake.dir}/kubectl "$@"`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
  });
  after(() => {
    for (const f of ["child", "pid"]) {
      const file = path.join(hangDir, f);
      if (fs.existsSync(file)) {
        try {
          process.kill(Number(fs.readFileSync(file, "utf8")), "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    fake?.remove();
    fs.rmSync(wrapper, { recursive: true, force: true });
    fs.rmSync(hangDir, { recursive: true, force: true });
  });

  it("reports the failing pod's checks inconclusive with kubectl's stderr, ends the hang, and passes the rest", async () => {
    const testPod = SEED_CONTEXT.testPods.find((p) => p.node === WORKER2);
    assert.ok(testPod);
    const echo: CheckDefinition = {
      name: "test-pod-echo",
      proves: "The test pod answers an exec.",
      restsOn: [],
      steps: () => [{ id: "echo", target: podTarget(testPod), argv: ["echo", "ok"], timeoutSeconds: 10 }],
      judge: (_ctx, results: ReadonlyMap<string, ExecResult>) =>
        results.get("echo")?.stdout.trim() === "ok"
          ? { verdict: "pass", reason: "the test pod answered" }
          : { verdict: "fail", reason: "no answer" },
    };
    let stdout = "";
    let stderr = "";
    const io: CliIO = {
      stdout: { write: (t: string) => (stdout += t), isTTY: false },
      stderr: { write: (t: string) => (stderr += t) },
      env: { ...fake.env, PATH: `${wrapper}:${fake.env.PATH}`, LABT_EXEC_POD: testPod.name },
      loadDefinitions: () => [hangingCheck(hangDir, podTarget(testPod)), echo, pingSameNode],
      handleSignals: false,
    };
    const started = Date.now();
    const code = await main(["--kind-cluster", "cilium-kubeproxy-replacement-ebpf", "--output", "json"], io);
    const elapsed = Date.now() - started;
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as RunReport;
    const byName = new Map(report.results.map((r) => [r.name, r]));

    assert.equal(byName.get("test-pod-echo")?.verdict, "pass", byName.get("test-pod-echo")?.reason);

    const ping = byName.get("ping-same-node");
    assert.equal(ping?.verdict, "inconclusive", ping?.reason);
    // ping's own exit 1 ("no reply") is accepted as evidence, so kubectl's exit 1 shows as a ping that
    // printed nothing usable, with kubectl's stderr in the reason: inconclusive either way
    assert.match(ping?.reason ?? "", /"ping" on net .*error: pods "net" not found/);
    assert.ok(
      ping?.evidence.some((e) => e.exitCode === 1 && e.output.includes('error: pods "net" not found')),
      JSON.stringify(ping?.evidence),
    );
    assert.match(ping?.evidence[0]?.command ?? "", /^kubectl exec -n default net -- ping /);

    const hang = byName.get("hanging-probe");
    assert.equal(hang?.verdict, "inconclusive", hang?.reason);
    assert.match(hang?.reason ?? "", new RegExp(`timed out after ${HANG_TIMEOUT_SECONDS} s`));
    // kubectl gets the step timeout plus its own margin (5 s) and 2 s more before it is killed
    assert.ok(elapsed < (HANG_TIMEOUT_SECONDS + 5 + 2 + 5) * 1000, `the run took ${elapsed} ms`);
    const ids = hangIds(hangDir);
    assert.deepEqual(groupMembers(ids.pgid), [], "processes of the hung exec's group are still running");
    assert.ok(gone(ids.pid) && gone(ids.child), "the hung shell or its background sleep survived");
    assert.equal(liveProcessGroupCount(), 0);
    assert.match(report.summary, /1\/3 checks passed/);
  });
});
