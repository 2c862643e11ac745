import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { clusterProfileOf, profileDifferences } from "../../existing/ciliumProfile";
import { parseProfileDifferences } from "../../runner/profileVerdicts";

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
      ipv4Masquerade: "false",
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
        ["enable-ipv4-masquerade", "false"],
      ],
    );
    // The checks of each difference are the ones that declare its key (CheckDefinition.restsOn).
    assert.deepStrictEqual(d[0].checks, ["node-routes"]);
    assert.deepStrictEqual(d[1].checks, [
      "cilium-agent-status",
      "nodeport-from-pod",
      "nodeport-from-outside",
      "no-kube-proxy",
      "service-table",
      "bpf-attach-points",
      "redirect-peer-same-node",
      "redirect-peer-cross-node",
      "redirect-neigh",
    ]);
  });

  it("rejects a --profile-differences key that no check knows", () => {
    assert.throws(() => parseProfileDifferences("[{}]"), /--profile-differences must be a JSON list/);
    assert.throws(
      () => parseProfileDifferences('[{"key":"tunnel","found":"vxlan","lab":"disabled","checks":[]}]'),
      /key "tunnel" is not a cilium-config key the checks know/,
    );
  });
});
