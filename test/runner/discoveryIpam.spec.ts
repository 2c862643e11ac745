import * as assert from "assert";
import { buildLabContext } from "../../runner/contextBuilder";
import { seedDocs } from "../helpers/fakes";

/**
 * CiliumNodes without spec.ipam.podCIDRs: in ENI, Azure and multi-pool IPAM "there either is no
 * PodCIDR to begin with ... or there are multiple PodCIDRs (in the case of MultiPool)" (cilium/cilium
 * commit be672e7f "ipam: Fix invalid PodCIDR in CiliumNode in ENI/Azure/MultiPool mode"). Derivation:
 * the seed's recorded CiliumNodes with spec.ipam.podCIDRs removed (ENI), or moved to
 * spec.ipam.pools.allocated[{pool, cidrs}] as the multi-pool docs describe.
 */
function withoutPodCidrs(multiPool: boolean) {
  const docs = seedDocs();
  for (const cn of docs.ciliumNodes.items) {
    const cidrs = cn.spec.ipam.podCIDRs as string[];
    delete cn.spec.ipam.podCIDRs;
    if (multiPool) cn.spec.ipam.pools = { allocated: [{ pool: "default", cidrs }] };
  }
  return docs;
}

describe("discovery on ENI and multi-pool IPAM nodes (runner/discovery)", () => {
  it("is fatal with the lab's cluster-pool IPAM (old behaviour kept for the lab)", () => {
    const r = buildLabContext(withoutPodCidrs(false));
    assert.strictEqual(r.context, undefined);
  });

  it("keeps the context with ENI nodes: a warning per node, empty pod CIDRs", () => {
    const r = buildLabContext(withoutPodCidrs(false), { ipamMode: "eni" });
    assert.ok(r.context, JSON.stringify(r.problems));
    assert.ok(r.context.nodes.every((n) => n.podCidrs.length === 0));
    assert.ok(r.problems.every((p) => !p.fatal));
    assert.match(r.problems[0].message, /no pod CIDR in its CiliumNode \(IPAM eni/);
  });

  it("reads multi-pool CIDRs from spec.ipam.pools.allocated", () => {
    const seed = seedDocs();
    const r = buildLabContext(withoutPodCidrs(true), { ipamMode: "multi-pool" });
    assert.ok(r.context);
    assert.deepStrictEqual(
      r.context.nodes.map((n) => n.podCidrs),
      seed.ciliumNodes.items.map((cn: { spec: { ipam: { podCIDRs: string[] } } }) => cn.spec.ipam.podCIDRs),
    );
  });
});
