import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { main, PERF_USAGE, splitPerfArgs } from "../../cli/perf";
import type { Performance } from "../../perf/types";
import { validateRecording, type RecordingDocument } from "../../runner/recording";
import { makeFakeBin } from "../helpers/fakes";

const FIXTURES = path.resolve(__dirname, "../fixtures/perf");
const CONTEXT = path.join(FIXTURES, "seed-context.json");

/** Captures what the CLI writes. */
function io(env?: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (t: string) => out.push(t), isTTY: false },
      stderr: { write: (t: string) => err.push(t) },
      env,
      handleSignals: false,
    },
  };
}

describe("perf CLI", () => {
  it("prints its usage with --help", async () => {
    const c = io();
    assert.equal(await main(["--help"], c.io), 0);
    assert.equal(c.out.join(""), PERF_USAGE);
    assert.match(PERF_USAGE, /--duration SECONDS +measured iperf3 run length \(default 10; 1-120\)/);
    assert.match(
      PERF_USAGE,
      /--datapath-profile P +how Cilium is configured: lab \(debug datapath\), measurement, unknown/,
    );
  });

  for (const [args, message] of [
    [["--duration", "0"], /^perf: --duration must be an integer from 1 to 120 \(got 0\)$/m],
    [["--samples", "0"], /^perf: --samples must be an integer/m],
    [["--streams", "two"], /--streams must be a whole number \(got "two"\)/],
    [["--samples"], /--samples needs a value/],
    [["--only", "pod-to-moon"], /--only: unknown pair pod-to-moon; allowed values: pod-to-pod-same-node/],
    [["--timeout", "5"], /--timeout does not apply/],
    [["--bogus"], /unknown flag --bogus/],
    [["--repeats", "2"], /repeats must be an integer from 3 to 50 \(got 2\)/],
    [["--server-delay", "30001"], /^perf: --server-delay must be an integer from 0 to 30000 \(got 30001\)$/m],
    [
      ["--datapath-profile", "fast"],
      /--datapath-profile must be one of lab, measurement, unknown \(got "fast"\)/,
    ],
  ] as const) {
    it(`rejects ${args.join(" ")} as a usage error (exit 2) naming the flag`, async () => {
      const c = io();
      assert.equal(await main([...args], c.io), 2);
      assert.match(c.err.join(""), message);
      assert.equal(c.out.join(""), "");
    });
  }

  it("takes the measurement flags in both spellings and leaves the rest to the check runner's parser", () => {
    assert.deepEqual(
      splitPerfArgs(["--duration=5", "--kind-cluster", "lab", "--samples", "20", "--dry-run"]),
      {
        settings: { durationSeconds: 5, pingSamples: 20 },
        profile: "unknown",
        rest: ["--kind-cluster", "lab", "--dry-run"],
      },
    );
    assert.deepEqual(
      splitPerfArgs(["--datapath-profile=measurement", "--seed", "9", "--repeats=4", "--omit", "2"]),
      { settings: { seed: 9, repeats: 4, omitSeconds: 2 }, profile: "measurement", rest: [] },
    );
  });

  it("prints the plan of a dry run from a recorded context without a cluster", async () => {
    const c = io();
    assert.equal(
      await main(["--context-file", CONTEXT, "--dry-run", "--output", "json", "--duration", "3"], c.io),
      0,
    );
    const plan = JSON.parse(c.out.join("")) as {
      counts: { checks: number; totalExecs: number };
      steps: { command: string }[];
    };
    assert.equal(plan.counts.checks, 14); // the CPU probes, then one round
    assert.equal(plan.counts.totalExecs, 27); // 5 CPU probes (every pod a pair uses) + 13 + 3 × fortio's 3
    // Shown unpinned: the run chooses each pinned pair's CPUs from the pods' allowed lists.
    assert.ok(
      plan.steps.some((s) => /iperf3 -c 10\.0\.0\.72 -p 5201 -O 1 -t 3 -P 1 -i 0 -J/.test(s.command)),
    );
  });

  describe("a run through kubectl (a fake kubectl answering with recorded outputs)", () => {
    let dir: string;

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "perf-cli-"));
      // Answers `kubectl ... exec -n NS POD -- argv...` by what argv runs; records the pods it was asked.
      const script = [
        "#!/bin/sh",
        `printf 'CALL %s\\n' "$(echo "$*" | head -n 1)" >> "${dir}/calls"`,
        'case "$*" in',
        `  *"iperf3 -c"*) cat "${FIXTURES}/iperf3/loopback-single-stream.txt" ;;`,
        `  *"iperf3 -s"*) cat "${FIXTURES}/iperf3-server/one-off.txt" ;;`,
        `  *"fortio server"*) cat "${FIXTURES}/fortio/server-stdout.txt"; exit 124 ;;`,
        `  *"-connection-reuse"*) cat "${FIXTURES}/fortio/http-crr-loopback.json" ;;`,
        `  *"fortio load"*) cat "${FIXTURES}/fortio/tcp-rr-loopback.json" ;;`,
        `  *"nproc; grep"*) cat "${FIXTURES}/cpus/host.txt" ;;`,
        `  *" ping "*"-i 0 "*) cat "${FIXTURES}/ping/iputils-busy-loopback-200.txt" ;;`,
        `  *" ping "*) cat "${FIXTURES}/ping/iputils-loopback-20.txt" ;;`,
        `  *curl*) cat "${FIXTURES}/curl/nodeport-backends-20.txt" ;;`,
        '  *) echo "fake kubectl: unexpected $*" >&2; exit 1 ;;',
        "esac",
      ].join("\n");
      fs.writeFileSync(path.join(dir, "kubectl"), `${script}\n`, { mode: 0o755 });
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("prints one JSON document { performance } with every pair measured", async function () {
      this.timeout(20_000);
      const c = io({ PATH: `${dir}:${process.env.PATH ?? ""}` });
      const code = await main(
        [
          "--context-file",
          CONTEXT,
          "--duration",
          "1",
          "--samples",
          "20",
          "--repeats",
          "3",
          // The client's wait for its server, from the default 2 s: the fake answers at once.
          "--server-delay",
          "20",
          "--seed",
          "3",
          "--only",
          "pod-to-pod-cross-node,pod-to-nodeport",
        ],
        c.io,
      );
      assert.equal(code, 0, c.err.join(""));
      const doc = JSON.parse(c.out.join("")) as { performance: Performance };
      assert.deepEqual(Object.keys(doc), ["performance"]);
      assert.equal(doc.performance.summary, "2/2 pairs measured");
      assert.equal(doc.performance.pairs[0].throughputMbps, 11914.63);
      assert.equal(doc.performance.settings.seed, 3);
      assert.deepEqual(doc.performance.host.cpus, 2);
      assert.match(c.err.join(""), /perf: measuring 2 pairs in 3 rounds \(seed 3;/);
      assert.match(c.err.join(""), /perf: round 1 pod-to-pod-cross-node: throughput pass: 11914\.6 Mbit\/s/);
      const calls = fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
      // The CPU probes of the 5 pods the pairs use; per round iperf3 server and client, fortio server
      // and its two clients, busy and idle ping; curl.
      assert.equal(calls.length, 5 + 3 * 8);
      // The probes run at once (in any order), before any measurement.
      assert.ok(calls.slice(0, 5).every((l) => /-- sh -c nproc; grep/.test(l)));
      assert.ok(calls.some((l) => /exec -n default net -- sh -c nproc; grep/.test(l)));
      assert.ok(
        calls.some((l) => /exec -n default evescn-q7xhn -- timeout \d+ iperf3 -s -1 -p 5201$/.test(l)),
      );
    });
  });
});

describe("perf CLI --record", () => {
  it("writes the recording of a real run (every measurement step) without the kubeconfig", async function () {
    this.timeout(60000);
    const fake = makeFakeBin();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perf-rec-"));
    try {
      const c = io(fake.env);
      const args = ["--kind-cluster", "lab", "--record", dir, "--only", "pod-to-pod-same-node"];
      const code = await main([...args, "--duration", "1", "--samples", "5", "--server-delay", "20"], c.io);
      assert.equal(code, 0, c.err.join(""));
      const text = fs.readFileSync(path.join(dir, "recording.json"), "utf8");
      const doc = JSON.parse(text) as RecordingDocument;
      assert.deepEqual(validateRecording(doc), []);
      assert.ok(doc.steps.length > 0);
      // The fake kubectl refused the network tools: the recording keeps that, as a real run would.
      // The pods' CPUs are read first (iperf3 pinning), then the pair's measurements, per round.
      const cpuSteps = doc.steps.findIndex((s) => s.check !== "host-cpus");
      assert.ok(cpuSteps >= 1);
      assert.ok(
        doc.steps
          .slice(cpuSteps)
          .every((s) => s.check.startsWith("pod-to-pod-same-node") && s.argv.length > 0),
      );
      const kubeconfig = fake.kubectlCalls()[0].kubeconfig!;
      for (const secret of ["client-key-data", "127.0.0.1:40123", kubeconfig])
        assert.ok(!text.includes(secret));
    } finally {
      fake.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("perf CLI --node-probe run", () => {
  it("creates the node probe for the measurement, measures node-to-node in its pods, deletes it after", async function () {
    this.timeout(60000);
    const fake = makeFakeBin();
    try {
      const c = io(fake.env);
      const args = [
        "--kubeconfig",
        "/tmp/lab-fake-kubeconfig",
        "--node-probe",
        "run",
        "--only",
        "node-to-node",
      ];
      const fast = ["--duration", "1", "--samples", "5", "--repeats", "3", "--server-delay", "20"];
      const code = await main([...args, ...fast], c.io);
      assert.equal(code, 0, c.err.join(""));
      const verbs = fake.kubectlCalls().map((k) => {
        const i = k.argv.findIndex((a) => ["get", "exec", "create", "delete"].includes(a));
        return k.argv[i] === "exec" ? `exec ${k.argv[i + 3]}` : `${k.argv[i]} ${k.argv[i + 1]}`;
      });
      const create = verbs.indexOf("create -f");
      const firstExec = verbs.findIndex((v) => v.startsWith("exec node-probe-"));
      const del = verbs.findIndex((v) => v.startsWith("delete daemonset"));
      assert.ok(create >= 0 && create < firstExec && firstExec < del, verbs.join("\n"));
      assert.equal(verbs.slice(del + 1).filter((v) => v.startsWith("exec")).length, 0);
      assert.deepEqual(fake.probeDaemonSets(), []);
      assert.match(c.err.join(""), /perf: node probe node-probe-run-[0-9a-f]{6} deleted/);
    } finally {
      fake.remove();
    }
  });
});
