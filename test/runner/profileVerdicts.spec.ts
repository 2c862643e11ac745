/**
 * Checks judged against the cluster's own cilium-config (existing mode, installCilium false): what
 * each check declares it rests on, and the verdicts on real outputs of clusters that are not the lab
 * (test/fixtures/differs/SOURCES.md), through the check CLI as the stack runs it (`--replay` of a
 * recording, `--profile-differences` as index.ts passes it).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { main, type CliIO } from "../../cli/check";
import { CILIUM_CONFIG_KEYS, isCiliumConfigKey, type SettingDifference } from "../../checks/ciliumConfig";
import { ALL_CHECKS, ciliumAgentStatus } from "../../checks/defs";
import { explainedRoutes, judgeRouteTable } from "../../checks/defs/addressing";
import type { CheckDefinition, Judgement, LabContext } from "../../checks/types";
import { combine } from "../../checks/verdict";
import {
  checksRestingOn,
  clusterProfileOf,
  PROFILE_FIELDS,
  profileDifferences,
} from "../../existing/ciliumProfile";
import { readReportDocument, renderMarkdown } from "../../report";
import { guardDiffers, withClusterDifferences } from "../../runner/profileVerdicts";
import type { RunReport } from "../../runner/results";
import { SEED_CONTEXT, WORKER2, caseResults } from "../checks/defs/seedContext";

const FIX = path.join(__dirname, "..", "fixtures", "differs");
const read = (name: string): string => fs.readFileSync(path.join(FIX, name), "utf8");

/** The lab's cilium-config (as the stack's chart values write it), with these values instead. */
const LAB_CONFIG: Record<string, string> = {
  ipam: "cluster-pool",
  "routing-mode": "native",
  "kube-proxy-replacement": "true",
  "auto-direct-node-routes": "true",
  "enable-bpf-masquerade": "true",
  "enable-ipv4-masquerade": "true",
  "enable-host-legacy-routing": "false",
  "ipv4-native-routing-cidr": "10.0.0.0/8",
};

/** What index.ts passes as --profile-differences for a cluster whose cilium-config has `data`. */
function differences(data: Record<string, string>): SettingDifference[] {
  const list = { items: [{ metadata: { namespace: "kube-system" }, data: { ...LAB_CONFIG, ...data } }] };
  return profileDifferences(clusterProfileOf(list)!, { nativeRoutingCidr: "10.0.0.0/8" });
}

/**
 * Runs the check CLI in this process on a recording; the JSON report it prints. The differences are
 * in the recorded context, as a recorded existing-mode run holds them (--replay refuses
 * --profile-differences: a replay judges from the recording alone).
 */
async function replay(
  context: LabContext,
  steps: { check: string; step: string; stdout: string; exitCode: number }[],
  only: string,
  diffs: readonly SettingDifference[] | undefined,
): Promise<RunReport> {
  const defs = ALL_CHECKS.find((c) => c.name === only)!;
  const planned = defs.steps(context);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "differs-"));
  const file = path.join(dir, "recording.json");
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      context: withClusterDifferences(context, diffs),
      steps: steps.map((s) => {
        const p = planned.find((x) => x.id === s.step)!;
        return {
          check: s.check,
          step: s.step,
          pod: p.target.pod,
          namespace: p.target.namespace,
          container: p.target.container ?? null,
          argv: p.argv,
          stdout: s.stdout,
          stderr: "",
          exitCode: s.exitCode,
          timedOut: false,
          durationMs: 5,
        };
      }),
    }),
  );
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t) },
    handleSignals: false,
  };
  const args = ["--replay", dir, "--only", only, "--output", "json"];
  try {
    const code = await main(args, io);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout) as RunReport;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One agent's status exec as the runner reads it: the JSON form printed nothing, the text the quote. */
const statusExec = (text: string): string =>
  ["=== status-json", "=== exit 1", "=== status", text, "=== exit 0"].join("\n");

/** A one-node lab context around a quoted agent (names and IPs are test input, the seed's worker2). */
const ONE_NODE: LabContext = {
  ...SEED_CONTEXT,
  nodes: SEED_CONTEXT.nodes.filter((n) => n.name === WORKER2),
  testPods: SEED_CONTEXT.testPods.filter((p) => p.node === WORKER2),
  ciliumPods: SEED_CONTEXT.ciliumPods.filter((p) => p.node === WORKER2),
  probePods: SEED_CONTEXT.probePods.filter((p) => p.node === WORKER2),
};
const AGENT = ONE_NODE.ciliumPods[0].name;

describe("checks judged against the cluster's own cilium-config", () => {
  it("every check declares the cilium-config keys it rests on ([] explicitly), each a key the profile reads", () => {
    for (const def of ALL_CHECKS) {
      assert.ok(Object.prototype.hasOwnProperty.call(def, "restsOn"), `${def.name} declares no restsOn`);
      assert.ok(Array.isArray(def.restsOn), `${def.name}: restsOn is not a list`);
      for (const key of def.restsOn) assert.ok(isCiliumConfigKey(key), `${def.name}: unknown key ${key}`);
      assert.equal(new Set(def.restsOn).size, def.restsOn.length, `${def.name} repeats a key`);
    }
    // Every key the checks may declare is read from cilium-config into its own profile field.
    for (const key of CILIUM_CONFIG_KEYS) {
      const p = clusterProfileOf({
        items: [{ metadata: { namespace: "ns" }, data: { [key]: "probe-value" } }],
      });
      assert.equal(p?.[PROFILE_FIELDS[key]], "probe-value", `cilium-config ${key} is not read`);
    }
    assert.equal(new Set(Object.values(PROFILE_FIELDS)).size, CILIUM_CONFIG_KEYS.length);
  });

  it("derives which checks a difference concerns from the declarations, a new check included", () => {
    const all = profileDifferences(
      clusterProfileOf({
        items: [{ data: Object.fromEntries(CILIUM_CONFIG_KEYS.map((k) => [k, "something-else"])) }],
      })!,
      { nativeRoutingCidr: "10.0.0.0/8" },
    );
    assert.deepEqual(
      all.map((d) => d.key),
      CILIUM_CONFIG_KEYS.filter((k) => k !== "enable-ipv4-masquerade" && k !== "enable-host-legacy-routing"),
    );
    for (const d of all) {
      assert.deepEqual(
        d.checks,
        ALL_CHECKS.filter((c) => c.restsOn.includes(d.key)).map((c) => c.name),
      );
    }
    const renamed: CheckDefinition = { ...ciliumAgentStatus, name: "agent-status-renamed" };
    assert.deepEqual(checksRestingOn("routing-mode", [renamed]), ["agent-status-renamed"]);
  });

  it("keeps a check's differs only for keys it declares and the cluster differs on", () => {
    const ctx: LabContext = {
      ...SEED_CONTEXT,
      clusterDifferences: [{ key: "routing-mode", found: "tunnel", lab: "native" }],
    };
    const claim = (explainedBy: Judgement["explainedBy"]): Judgement => ({
      verdict: "differs",
      reason: "r",
      explainedBy,
    });
    assert.equal(guardDiffers(ALL_CHECKS[2], ctx, claim(["routing-mode"])).verdict, "differs");
    const undeclared = guardDiffers(ciliumAgentStatus, ctx, claim(["ipam"]));
    assert.equal(undeclared.verdict, "fail");
    assert.match(undeclared.reason, /does not declare ipam/);
    const notDiffering = guardDiffers(ciliumAgentStatus, ctx, claim(["kube-proxy-replacement"]));
    assert.match(notDiffering.reason, /does not differ from the lab on kube-proxy-replacement/);
    assert.equal(guardDiffers(ciliumAgentStatus, ctx, claim([])).verdict, "fail");
  });
});

describe("node-routes on a tunnel-mode node's real route table (cilium/cilium#10092)", () => {
  const node = "ip-10-250-222-34";
  const ctx = (diffs: SettingDifference[], peerCidr2 = "10.233.65.0/24"): LabContext => ({
    ...SEED_CONTEXT,
    nodes: [
      { name: node, role: "worker", internalIp: "10.250.222.34", podCidrs: ["10.233.72.0/24"] },
      { name: "peer-a", role: "worker", internalIp: "10.250.208.10", podCidrs: ["10.233.64.0/24"] },
      { name: "peer-b", role: "worker", internalIp: "10.250.208.11", podCidrs: [peerCidr2] },
    ],
    clusterDifferences: diffs,
  });
  const judge = (c: LabContext): Judgement => {
    const t = judgeRouteTable(c, node, read("routes-tunnel-issue10092.txt"));
    return combine([...t.parts, ...(t.explained.length > 0 ? [explainedRoutes(c, t.explained)] : [])]);
  };

  it("differs under routing-mode tunnel, with the routes found as evidence", () => {
    const j = judge(ctx(differences({ "routing-mode": "tunnel", "auto-direct-node-routes": "false" })));
    assert.equal(j.verdict, "differs");
    assert.deepEqual(j.explainedBy, ["routing-mode"]);
    assert.match(
      j.reason,
      /^differs from the lab profile as cilium-config routing-mode tunnel \(lab: native\) implies: each peer's pod CIDR is routed to cilium_host for encapsulation, not via the peer's IP: ip-10-250-222-34: 10\.233\.64\.0\/24 via 10\.233\.72\.96 dev cilium_host; ip-10-250-222-34: 10\.233\.65\.0\/24 via 10\.233\.72\.96 dev cilium_host$/,
    );
  });

  it("fails under the lab's routing (native), naming the route found", () => {
    const j = judge(ctx([]));
    assert.equal(j.verdict, "fail");
    assert.match(
      j.reason,
      /expected 10\.233\.64\.0\/24 via 10\.250\.208\.10 dev eth0 on ip-10-250-222-34, found 10\.233\.64\.0\/24 via 10\.233\.72\.96 dev cilium_host/,
    );
  });

  it("fails under tunnel too when a peer's pod CIDR is not routed to cilium_host at all", () => {
    const j = judge(ctx(differences({ "routing-mode": "tunnel" }), "10.233.99.0/24"));
    assert.equal(j.verdict, "fail");
    assert.match(
      j.reason,
      /routing-mode tunnel: expected 10\.233\.99\.0\/24 routed to cilium_host .* found no route for 10\.233\.99\.0\/24/,
    );
  });
});

describe("cilium-agent-status on real agents whose configuration is not the lab's", () => {
  const run = (file: string, diffs: SettingDifference[] | undefined) =>
    replay(
      ONE_NODE,
      [
        {
          check: "cilium-agent-status",
          step: `status:${WORKER2}`,
          stdout: statusExec(read(file)),
          exitCode: 0,
        },
      ],
      "cilium-agent-status",
      diffs,
    ).then((r) => r.results[0]);

  it("keeps a real failure (27/28 controllers) a failure while KPR-off and iptables masquerading differ (cilium/cilium#15509)", async () => {
    const r = await run(
      "status-kpr-disabled-issue15509.txt",
      differences({ "kube-proxy-replacement": "disabled", "enable-bpf-masquerade": "false" }),
    );
    // The old runner turned every failure of a concerned check into "differs".
    assert.equal(r.verdict, "fail");
    assert.match(r.reason, new RegExp(`expected all controllers healthy on ${AGENT}, found 27/28`));
    assert.match(
      r.reason,
      new RegExp(
        `differs from the lab profile as cilium-config kube-proxy-replacement disabled \\(lab: true \\(strict on 1\\.13\\)\\) implies: expected KubeProxyReplacement Strict/True on ${AGENT}, found Disabled`,
      ),
    );
    assert.match(
      r.reason,
      /cilium-config enable-bpf-masquerade false \(lab: true\) implies: expected masquerading BPF on .*, found IPTables/,
    );
  });

  it("says differs for Legacy host routing and iptables masquerading only when cilium-config explains them (cilium/cilium#18347)", async () => {
    const own = await run(
      "status-legacy-iptables-issue18347.txt",
      differences({ "enable-bpf-masquerade": "false" }),
    );
    // The quote ends before "Cluster health", so the check stays inconclusive, with what differs.
    assert.equal(own.verdict, "inconclusive");
    assert.match(own.reason, /cluster health not shown/);
    assert.match(
      own.reason,
      /enable-bpf-masquerade false \(lab: true\) implies: expected host routing BPF on .*, found Legacy/,
    );
    assert.match(
      own.reason,
      /enable-bpf-masquerade false \(lab: true\) implies: expected masquerading BPF on .*, found IPTables/,
    );

    const lab = await run("status-legacy-iptables-issue18347.txt", undefined);
    assert.equal(lab.verdict, "fail");
    assert.match(
      lab.reason,
      /^expected host routing BPF on .*, found Legacy; expected masquerading BPF on .*, found IPTables/,
    );
  });

  it("puts where the agent disagrees with cilium-config into the reason (agent Strict, config false)", async () => {
    const r = await run(
      "status-legacy-iptables-issue18347.txt",
      differences({ "kube-proxy-replacement": "false", "enable-bpf-masquerade": "false" }),
    );
    assert.match(
      r.reason,
      new RegExp(
        `the agent shows KubeProxyReplacement Strict on ${AGENT} although cilium-config has kube-proxy-replacement false`,
      ),
    );
  });

  it("reports differs on every agent of a KPR-off cluster, and the report shows it with what was found", async () => {
    const steps = ciliumAgentStatus.steps(SEED_CONTEXT);
    const results = caseResults("cilium-agent-status", "kpr-disabled", steps);
    const recorded = [...results].map(([step, res]) => ({
      check: "cilium-agent-status",
      step,
      stdout: res.stdout,
      exitCode: res.exitCode ?? 0,
    }));
    const diffs = differences({ "kube-proxy-replacement": "disabled" });
    const report = await replay(SEED_CONTEXT, recorded, "cilium-agent-status", diffs);
    const r = report.results[0];
    assert.equal(r.verdict, "differs");
    assert.match(
      r.reason,
      /kube-proxy-replacement disabled \(lab: true \(strict on 1\.13\)\) implies: expected KubeProxyReplacement Strict\/True on cilium-496vl, found Disabled/,
    );
    assert.match(report.summary, /1 differ from the lab profile/);
    const md = renderMarkdown(readReportDocument(report, { expected: "runner-output" }));
    assert.match(md, /🔷 differs from the lab profile/);
    assert.match(md, /kube-proxy-replacement disabled/);

    // The same outputs under the lab's own configuration: a failure.
    const labReport = await replay(SEED_CONTEXT, recorded, "cilium-agent-status", undefined);
    assert.equal(labReport.results[0].verdict, "fail");
  });
});
