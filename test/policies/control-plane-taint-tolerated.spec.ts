import * as assert from "node:assert/strict";
import { controlPlaneTaintTolerated as policy } from "../../policies/rules/control-plane-taint-tolerated";
import {
  FixtureResource,
  TYPE,
  V13,
  V18,
  kindCluster,
  kindCommand,
  labStack,
  runStackPolicy,
  testServerDaemonSet,
  urnOf,
  withField,
} from "./helpers";

const RULE = "The lab's DaemonSets must run on every node, the control-plane included";
const MASTER = { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" };
const CONTROL_PLANE = {
  key: "node-role.kubernetes.io/control-plane",
  operator: "Exists",
  effect: "NoSchedule",
};

/** The lab stack on `image` with the test server's tolerations replaced. */
function stack(version: string, image: string, tolerations: unknown[] | undefined): FixtureResource[] {
  return labStack(version, image).map((r) =>
    r.name === "lab-daemonset" ? withField(r, "spec.template.spec.tolerations", tolerations) : r,
  );
}

describe("control-plane-taint-tolerated", () => {
  it("is advisory", () => {
    assert.equal(policy.enforcementLevel, "advisory");
  });

  for (const [version, image] of [
    [V13, "kindest/node:v1.23.4"],
    [V18, "kindest/node:v1.33.1@sha256:0123456789abcdef"],
  ]) {
    it(`passes the stack as declared (Cilium ${version}, ${image})`, async () => {
      assert.deepEqual(await runStackPolicy(policy, labStack(version, image)), []);
    });
  }

  it("reports the master taint missing below 1.24", async () => {
    const violations = await runStackPolicy(policy, stack(V13, "kindest/node:v1.23.4", [CONTROL_PLANE]));
    assert.deepEqual(violations, [
      {
        message: `${RULE}: found DaemonSet default/evescn without a toleration for node-role.kubernetes.io/master:NoSchedule (Kubernetes 1.23 from kindest/node:v1.23.4); add { key: node-role.kubernetes.io/master, operator: Exists, effect: NoSchedule } to spec.template.spec.tolerations`,
        urn: urnOf(TYPE.daemonSet, "lab-daemonset"),
      },
    ]);
  });

  it("reports the control-plane taint missing from 1.25", async () => {
    const image = "kindest/node:v1.33.1@sha256:0123456789abcdef";
    const violations = await runStackPolicy(policy, stack(V18, image, [MASTER]));
    assert.equal(violations.length, 1);
    assert.ok(
      violations[0].message.includes(
        `found DaemonSet default/evescn without a toleration for node-role.kubernetes.io/control-plane:NoSchedule (Kubernetes 1.33 from ${image}); add { key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule }`,
      ),
      violations[0].message,
    );
  });

  it("needs both keys on 1.24", async () => {
    const image = "kindest/node:v1.24.17";
    assert.equal((await runStackPolicy(policy, stack(V18, image, [MASTER]))).length, 1);
    assert.equal((await runStackPolicy(policy, stack(V18, image, [CONTROL_PLANE]))).length, 1);
    assert.deepEqual(await runStackPolicy(policy, stack(V18, image, [MASTER, CONTROL_PLANE])), []);
  });

  it("reports a DaemonSet without tolerations", async () => {
    const violations = await runStackPolicy(policy, stack(V13, "kindest/node:v1.23.4", undefined));
    assert.equal(violations.length, 1);
    assert.match(
      violations[0].message,
      /found DaemonSet default\/evescn without a toleration for node-role\.kubernetes\.io\/master:NoSchedule/,
    );
  });

  it("accepts operator Exists without a key (tolerates every taint)", async () => {
    assert.deepEqual(
      await runStackPolicy(policy, stack(V18, "kindest/node:v1.33.1", [{ operator: "Exists" }])),
      [],
    );
  });

  it("does not accept a toleration for another effect", async () => {
    const noExecute = { ...CONTROL_PLANE, effect: "NoExecute" };
    assert.equal((await runStackPolicy(policy, stack(V18, "kindest/node:v1.33.1", [noExecute]))).length, 1);
  });

  it("requires both keys when the node image tag names no version", async () => {
    const violations = await runStackPolicy(policy, stack(V18, "kindest/node:latest", [CONTROL_PLANE]));
    assert.equal(violations.length, 1);
    assert.match(
      violations[0].message,
      /master:NoSchedule \(kindest\/node:latest, whose tag names no Kubernetes version\)/,
    );
  });

  it("judges only DaemonSets part of the lab", async () => {
    const foreign = withField(
      testServerDaemonSet(),
      ["metadata", "labels", "app.kubernetes.io/part-of"],
      "other",
    );
    const bare = withField(foreign, "spec.template.spec.tolerations", undefined);
    assert.deepEqual(await runStackPolicy(policy, [kindCluster(), bare]), []);
  });

  it("skips clusters without workers (kind removes the taint) and stacks without a kind Command", async () => {
    const noWorkers = labStack(V13).map((r) =>
      r.type === TYPE.command
        ? kindCommand("kindest/node:v1.23.4", 0)
        : r.name === "lab-daemonset"
          ? withField(r, "spec.template.spec.tolerations", undefined)
          : r,
    );
    assert.deepEqual(await runStackPolicy(policy, noWorkers), []);
    const existing = stack(V13, "kindest/node:v1.23.4", undefined).filter((r) => r.type !== TYPE.command);
    assert.deepEqual(await runStackPolicy(policy, existing), []);
  });

  it("never reads the KindCluster component: its stack props are its registered outputs, without the image", async () => {
    const onlyComponent = stack(V13, "kindest/node:v1.23.4", []).filter((r) => r.type !== TYPE.command);
    assert.deepEqual(await runStackPolicy(policy, onlyComponent), []);
  });
});
