import * as assert from "node:assert/strict";
import { nodeportInRange as policy } from "../../policies/rules/nodeport-in-range";
import { V13, V18, labStack, nodePortService, runPolicyOver, urnOf, withField } from "./helpers";

const stackWith = (version: string, nodePort: unknown) =>
  labStack(version).map((r) =>
    r.name === "lab-service" ? withField(r, "spec.ports.0.nodePort", nodePort) : r,
  );

describe("nodeport-in-range", () => {
  it("is advisory with a configurable range defaulting to 30000-32767", () => {
    assert.equal(policy.enforcementLevel, "advisory");
    assert.deepEqual(policy.configSchema?.properties.nodePortRange.default, { min: 30000, max: 32767 });
  });

  for (const version of [V13, V18]) {
    it(`passes the stack as declared (Cilium ${version}, nodePort 32000)`, async () => {
      assert.deepEqual(await runPolicyOver(policy, labStack(version)), []);
    });

    for (const nodePort of [29999, 32768, 80]) {
      it(`reports nodePort ${nodePort} on the Service (Cilium ${version})`, async () => {
        const violations = await runPolicyOver(policy, stackWith(version, nodePort));
        assert.equal(violations.length, 1);
        assert.equal(
          violations[0].message,
          `NodePorts must lie in the API server's service-node-port-range 30000-32767: found Service default/serversvc port http nodePort=${nodePort}; choose a nodePort in 30000-32767 (lab config nodePort), or set nodePortRange in the policy config if the API server uses another range`,
        );
        assert.equal(violations[0].urn, urnOf("kubernetes:core/v1:Service", "lab-service"));
      });
    }
  }

  it("uses the configured range", async () => {
    const violations = await runPolicyOver(policy, labStack(V18), {
      nodePortRange: { min: 30000, max: 31000 },
    });
    assert.equal(violations.length, 1);
    assert.match(
      violations[0].message,
      /service-node-port-range 30000-31000: found .* nodePort=32000; choose a nodePort in 30000-31000/,
    );
    assert.deepEqual(
      await runPolicyOver(policy, stackWith(V18, 29000), { nodePortRange: { min: 20000, max: 32767 } }),
      [],
    );
  });

  it("leaves auto-assigned nodePorts and ClusterIP Services alone", async () => {
    const auto = withField(nodePortService(), "spec.ports.0.nodePort", undefined);
    const clusterIp = withField(
      withField(nodePortService(80), "spec.type", "ClusterIP"),
      "metadata.name",
      "internal",
    );
    assert.deepEqual(await runPolicyOver(policy, [auto, clusterIp]), []);
  });

  it("judges LoadBalancer Services too (they allocate nodePorts)", async () => {
    const lb = withField(nodePortService(1000), "spec.type", "LoadBalancer");
    assert.equal((await runPolicyOver(policy, [lb])).length, 1);
  });
});
