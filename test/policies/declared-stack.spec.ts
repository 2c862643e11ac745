/**
 * The policy pack over the stack that index.ts really declares (under mocks), not hand-built
 * fixtures: it passes as declared, and flipping each datapath setting fails the matching policy.
 */
import * as assert from "assert";
import { MockedResource, runLab } from "../helpers/pulumiMocks";
import { FixtureResource, runPoliciesOnResources } from "./helpers";

type Obj = Record<string, unknown>;

/** The engine shows policies the resources' checked inputs; the mocks saw the same inputs. */
function asFixtures(resources: readonly MockedResource[]): FixtureResource[] {
  return resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: JSON.parse(JSON.stringify(r.inputs)) as Record<string, unknown>,
  }));
}

function withValues(resources: FixtureResource[], mutate: (values: Obj) => void): FixtureResource[] {
  return resources.map((r) => {
    if (r.type !== "kubernetes:helm.sh/v3:Release") return r;
    const props = JSON.parse(JSON.stringify(r.props)) as Obj;
    mutate(props.values as Obj);
    return { ...r, props };
  });
}

function withProps(
  resources: FixtureResource[],
  type: string,
  mutate: (props: Obj) => void,
): FixtureResource[] {
  return resources.map((r) => {
    if (r.type !== type) return r;
    const props = JSON.parse(JSON.stringify(r.props)) as Obj;
    mutate(props);
    return { ...r, props };
  });
}

const STACKS = [
  { file: "Pulumi.dev.yaml", v14plus: false },
  { file: "Pulumi.current.yaml", v14plus: true },
];

for (const stack of STACKS) {
  describe(`the policy pack on the stack index.ts declares for ${stack.file}`, () => {
    let declared: FixtureResource[];
    before(async () => {
      declared = asFixtures((await runLab({ stackFile: stack.file })).resources);
    });

    it("reports no violation", async () => {
      assert.deepStrictEqual(await runPoliciesOnResources(declared), []);
    });

    const flips: { name: string; policy: string; flip: (res: FixtureResource[]) => FixtureResource[] }[] = [
      {
        name: "tunnel routing",
        policy: "cilium-native-routing-required",
        flip: (res) =>
          withValues(res, (v) => {
            if (stack.v14plus) v.routingMode = "tunnel";
            else v.tunnel = "vxlan";
          }),
      },
      {
        name: "kube-proxy replacement off",
        policy: "cilium-kube-proxy-replacement-required",
        flip: (res) => withValues(res, (v) => (v.kubeProxyReplacement = stack.v14plus ? false : "disabled")),
      },
      {
        name: "iptables masquerade",
        policy: "cilium-bpf-masquerade-required",
        flip: (res) => withValues(res, (v) => ((v.bpf as Obj).masquerade = false)),
      },
      {
        name: "no auto direct node routes",
        policy: "cilium-direct-node-routes-required",
        flip: (res) => withValues(res, (v) => (v.autoDirectNodeRoutes = false)),
      },
      {
        name: "a native CIDR that misses the pod CIDR",
        policy: "cilium-direct-node-routes-required",
        flip: (res) => withValues(res, (v) => (v.ipv4NativeRoutingCIDR = "192.168.0.0/16")),
      },
      {
        name: "no k8sServiceHost",
        policy: "cilium-k8s-service-host-required",
        flip: (res) => withValues(res, (v) => delete v.k8sServiceHost),
      },
      {
        name: "host legacy routing",
        policy: "cilium-host-legacy-routing-disallowed",
        flip: (res) => withValues(res, (v) => ((v.bpf as Obj).hostLegacyRouting = true)),
      },
      {
        name: "the seed's top-level monitorAggregation",
        policy: "cilium-unknown-values-reported",
        flip: (res) => withValues(res, (v) => (v.monitorAggregation = "none")),
      },
      {
        name: "kind's default CNI",
        policy: "kind-default-cni-disabled",
        flip: (res) => withProps(res, "lab:index:KindCluster", (p) => (p.disableDefaultCNI = false)),
      },
      {
        name: "kind's kube-proxy",
        policy: "kind-kube-proxy-disabled",
        flip: (res) => withProps(res, "lab:index:KindCluster", (p) => (p.kubeProxyMode = "iptables")),
      },
      {
        name: "a NodePort outside the range",
        policy: "nodeport-in-range",
        flip: (res) =>
          withProps(res, "kubernetes:core/v1:Service", (p) => {
            ((p.spec as Obj).ports as Obj[])[0].nodePort = 8080;
          }),
      },
      {
        name: "a node network inside the native CIDR",
        policy: "native-cidr-node-network-disjoint",
        flip: (res) =>
          withProps(res, "docker:index/network:Network", (p) => {
            (p.ipamConfigs as Obj[])[0].subnet = "10.18.0.0/16";
          }),
      },
      {
        name: "a kube-proxy DaemonSet declared",
        policy: "kube-proxy-disallowed",
        flip: (res) => [
          ...res,
          {
            type: "kubernetes:apps/v1:DaemonSet",
            name: "kube-proxy",
            props: {
              metadata: { name: "kube-proxy", namespace: "kube-system", labels: { "k8s-app": "kube-proxy" } },
            },
          },
        ],
      },
      {
        name: "a test DaemonSet that does not tolerate the control-plane taint",
        policy: "control-plane-taint-tolerated",
        flip: (res) =>
          res.map((r) => {
            if (r.name !== "workload-daemonset") return r;
            const props = JSON.parse(JSON.stringify(r.props)) as Obj;
            (((props.spec as Obj).template as Obj).spec as Obj).tolerations = [];
            return { ...r, props };
          }),
      },
    ];

    for (const f of flips) {
      it(`fails ${f.policy} with ${f.name}`, async () => {
        const violations = await runPoliciesOnResources(f.flip(declared));
        assert.ok(
          violations.some((v) => v.policy === f.policy),
          `expected a ${f.policy} violation, got ${JSON.stringify(violations.map((v) => v.policy))}`,
        );
      });
    }
  });
}
