import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { clusterProfileOf, profileDifferences } from "../../existing/ciliumProfile";
import { applyProfileDifferences, parseProfileDifferences } from "../../runner/profileVerdicts";

const ENI = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, "..", "fixtures", "cluster", "derived", "cilium-config-eni.json"),
    "utf8",
  ),
) as { items: Record<string, unknown>[] };

describe("the cluster's own Cilium (existing/ciliumProfile, runner/profileVerdicts)", () => {
  it("reads cilium-config: namespace, IPAM, routing, kube-proxy replacement", () => {
    const p = clusterProfileOf(ENI);
    assert.deepStrictEqual(p, {
      namespace: "kube-system",
      ipamMode: "eni",
      routingMode: "native",
      kubeProxyReplacement: "false",
      nativeRoutingCidr: undefined,
      bpfMasquerade: undefined,
      autoDirectNodeRoutes: undefined,
      hostLegacyRouting: undefined,
    });
    assert.strictEqual(clusterProfileOf({ ...ENI, items: [] }), undefined);
    // 1.13 spelling: tunnel: disabled is native routing.
    const old = { items: [{ metadata: { namespace: "cilium" }, data: { tunnel: "disabled" } }] };
    assert.strictEqual(clusterProfileOf(old)?.routingMode, "native");
    assert.strictEqual(clusterProfileOf(old)?.namespace, "cilium");
  });

  it("lists what differs from the lab profile, with the checks each difference concerns", () => {
    const d = profileDifferences(clusterProfileOf(ENI)!, { nativeRoutingCidr: "10.0.0.0/8" });
    assert.deepStrictEqual(
      d.map((x) => [x.key, x.found]),
      [
        ["ipam", "eni"],
        ["kube-proxy-replacement", "false"],
        ["auto-direct-node-routes", "not set"],
        ["enable-bpf-masquerade", "not set"],
      ],
    );
    assert.ok(d[1].checks.includes("cilium-agent-status"));
  });

  it("turns a failure the cluster's configuration explains into 'differs', and leaves the rest", () => {
    const d = parseProfileDifferences(
      JSON.stringify(profileDifferences(clusterProfileOf(ENI)!, { nativeRoutingCidr: "10.0.0.0/8" })),
    );
    const report = applyProfileDifferences(
      {
        summary: "",
        results: [
          {
            name: "cilium-agent-status",
            proves: "",
            verdict: "fail",
            reason: "expected KubeProxyReplacement Strict/True on cilium-x, found False",
            evidence: [],
            durationMs: 1,
          },
          {
            name: "ping-cross-node",
            proves: "",
            verdict: "fail",
            reason: "no reply",
            evidence: [],
            durationMs: 1,
          },
          { name: "pod-addressing", proves: "", verdict: "pass", reason: "ok", evidence: [], durationMs: 1 },
        ],
        datapath: { podCidrs: {} },
        problems: [],
      },
      d,
    );
    assert.deepStrictEqual(
      report.results.map((r) => r.verdict),
      ["differs", "fail", "pass"],
    );
    assert.match(
      report.results[0].reason,
      /^differs from the lab profile: cilium-config says kube-proxy-replacement is false \(lab: true \(strict on 1\.13\)\).*found False$/,
    );
    assert.strictEqual(report.summary, "1/3 checks passed, 1 failed, 1 differ from the lab profile");
    assert.throws(() => parseProfileDifferences("[{}]"), /--profile-differences must be a JSON list/);
  });
});
