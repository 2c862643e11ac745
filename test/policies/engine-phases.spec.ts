/**
 * Every policy of the pack on the stack index.ts declares, called the way the engine calls it
 * (./engine.ts), at the preview of a new stack, the preview of an existing stack, and up. The table
 * below is what the README's "Policy pack" section states: when each policy can fire.
 */
import * as assert from "node:assert/strict";
import { policies } from "../../policies/policies";
import { calls, loadRecording } from "./replay";
import {
  Diagnostic,
  EngineResource,
  PHASES,
  Phase,
  analyze,
  declare,
  extraResource,
  kubeProxyDaemonSet,
  violations,
} from "./engine";

type Obj = Record<string, unknown>;
type Fires = Readonly<Record<Phase, boolean>>;
const ALWAYS: Fires = { "first-preview": true, "existing-preview": true, up: true };
const ON_OUTPUTS: Fires = { "first-preview": false, "existing-preview": true, up: true };

const STACKS = [
  { file: "Pulumi.dev.yaml", v14plus: false },
  { file: "Pulumi.current.yaml", v14plus: true },
];

function named(rs: EngineResource[], name: string): EngineResource {
  const r = rs.find((x) => x.name === name);
  assert.ok(r, `no resource ${name}`);
  return r;
}

function releaseValues(rs: EngineResource[]): Obj {
  return named(rs, "cilium-release").inputs.values as Obj;
}

interface Case {
  readonly policy: string;
  readonly what: string;
  /** The defect this case proves fixed (it failed on the previous pack). */
  readonly defect?: number;
  readonly fires: Fires;
  readonly breaks: (rs: EngineResource[], v14plus: boolean) => EngineResource[];
}

const CASES: Case[] = [
  {
    policy: "cilium-native-routing-required",
    what: "tunnel routing in the Helm release's values",
    fires: ALWAYS,
    breaks: (rs, v14) => {
      if (v14) releaseValues(rs).routingMode = "tunnel";
      else releaseValues(rs).tunnel = "vxlan";
      return rs;
    },
  },
  {
    policy: "cilium-kube-proxy-replacement-required",
    what: "kube-proxy replacement off",
    fires: ALWAYS,
    breaks: (rs, v14) => ((releaseValues(rs).kubeProxyReplacement = v14 ? false : "disabled"), rs),
  },
  {
    policy: "cilium-bpf-masquerade-required",
    what: "iptables masquerading",
    fires: ALWAYS,
    breaks: (rs) => (((releaseValues(rs).bpf as Obj).masquerade = false), rs),
  },
  {
    policy: "cilium-direct-node-routes-required",
    what: "no auto direct node routes",
    fires: ALWAYS,
    breaks: (rs) => ((releaseValues(rs).autoDirectNodeRoutes = false), rs),
  },
  {
    policy: "cilium-k8s-service-host-required",
    what: "no k8sServiceHost in the values",
    fires: ALWAYS,
    breaks: (rs) => (delete releaseValues(rs).k8sServiceHost, rs),
  },
  {
    policy: "cilium-host-legacy-routing-disallowed",
    what: "legacy host routing",
    fires: ALWAYS,
    breaks: (rs) => (((releaseValues(rs).bpf as Obj).hostLegacyRouting = true), rs),
  },
  {
    policy: "cilium-unknown-values-reported",
    what: "the seed's top-level monitorAggregation",
    fires: ALWAYS,
    breaks: (rs) => ((releaseValues(rs).monitorAggregation = "none"), rs),
  },
  {
    policy: "kind-default-cni-disabled",
    what: "kind's default CNI in the KindCluster's args",
    fires: ALWAYS,
    breaks: (rs) => ((named(rs, "lab").inputs.disableDefaultCNI = false), rs),
  },
  {
    policy: "kind-default-cni-disabled",
    what: "kind's default CNI in the config the kind Command gives kind on stdin",
    defect: 3,
    fires: ALWAYS,
    breaks: (rs) => {
      const cmd = named(rs, "lab-cluster");
      cmd.inputs.stdin = String(cmd.inputs.stdin).replace(
        "disableDefaultCNI: true",
        "disableDefaultCNI: false",
      );
      return rs;
    },
  },
  {
    policy: "kind-kube-proxy-disabled",
    what: "kube-proxy in the KindCluster's args",
    fires: ALWAYS,
    breaks: (rs) => ((named(rs, "lab").inputs.kubeProxyMode = "iptables"), rs),
  },
  {
    policy: "kind-kube-proxy-disabled",
    what: "kube-proxy in the config the kind Command gives kind on stdin",
    defect: 3,
    fires: ALWAYS,
    breaks: (rs) => {
      const cmd = named(rs, "lab-cluster");
      cmd.inputs.stdin = String(cmd.inputs.stdin).replace("kubeProxyMode: none", "kubeProxyMode: iptables");
      return rs;
    },
  },
  {
    policy: "kube-proxy-disallowed",
    what: "a kube-proxy DaemonSet declared",
    defect: 1,
    fires: ALWAYS,
    breaks: (rs) => [...rs, kubeProxyDaemonSet()],
  },
  {
    policy: "cilium-config-datapath-required",
    what: "a chart's rendered cilium-config in tunnel mode (the real render of helm-v4-render)",
    fires: ALWAYS,
    breaks: (rs) => {
      const analyzed = calls(loadRecording("helm-v4-render/analyzer.jsonl"), "Analyze");
      const configMap = analyzed.find((c) => c.request.name === "cilium:default/cilium-config");
      assert.ok(configMap);
      const inputs = configMap.request.properties as Record<string, unknown>;
      return [...rs, extraResource("kubernetes:core/v1:ConfigMap", "cilium-config", inputs)];
    },
  },
  {
    policy: "nodeport-in-range",
    what: "nodePort 8080 on the lab's Service",
    defect: 1,
    fires: ALWAYS,
    breaks: (rs) => {
      (((named(rs, "workload-service").inputs.spec as Obj).ports as Obj[])[0] as Obj).nodePort = 8080;
      return rs;
    },
  },
  {
    policy: "native-cidr-node-network-disjoint",
    what: "a Docker network inside the native-routing CIDR",
    fires: ON_OUTPUTS,
    breaks: (rs) => {
      ((named(rs, "lab-network").inputs.ipamConfigs as Obj[])[0] as Obj).subnet = "10.18.0.0/16";
      return rs;
    },
  },
  {
    policy: "control-plane-taint-tolerated",
    what: "the test server DaemonSet without control-plane tolerations",
    defect: 2,
    fires: ON_OUTPUTS,
    breaks: (rs) => {
      const spec = (((named(rs, "workload-daemonset").inputs.spec as Obj).template as Obj).spec as Obj) ?? {};
      spec.tolerations = [];
      return rs;
    },
  },
];

function ofPolicy(diags: readonly Diagnostic[], policy: string): Diagnostic[] {
  return violations(diags).filter((d) => d.policy === policy);
}

for (const stack of STACKS) {
  describe(`the pack as the engine calls it, on the stack index.ts declares for ${stack.file}`, () => {
    const declared = new Map<Phase, EngineResource[]>();
    before(async () => {
      for (const phase of PHASES) declared.set(phase, await declare(phase, { stackFile: stack.file }));
    });
    const fresh = (phase: Phase) => structuredClone(declared.get(phase) as EngineResource[]);

    it("covers every policy of the pack in the table", () => {
      assert.deepEqual([...new Set(CASES.map((c) => c.policy))].sort(), policies.map((p) => p.name).sort());
    });

    for (const phase of PHASES) {
      it(`reports no violation at ${phase}`, async () => {
        const diags = await analyze(fresh(phase), phase);
        assert.deepEqual(violations(diags), []);
        // The one value the program cannot know before the cluster exists is the API server address:
        // the engine reports that the policy needing it could not run, and judges it later.
        assert.deepEqual(
          diags.filter((d) => !violations(diags).includes(d)).map((d) => [d.policy, d.level, d.from]),
          phase === "first-preview" ? [["cilium-k8s-service-host-required", "advisory", "Analyze"]] : [],
        );
      });
    }

    for (const c of CASES) {
      for (const phase of PHASES) {
        const verb = c.fires[phase] ? "fires" : "cannot fire";
        const tag = c.defect ? ` (defect ${c.defect})` : "";
        it(`${c.policy} ${verb} at ${phase} on ${c.what}${tag}`, async () => {
          const diags = await analyze(c.breaks(fresh(phase), stack.v14plus), phase);
          const found = ofPolicy(diags, c.policy);
          assert.equal(found.length > 0, c.fires[phase], JSON.stringify(diags, null, 1));
          for (const d of found) {
            const policy = policies.find((p) => p.name === c.policy);
            // The engine prints the description, a newline, then the policy's message.
            assert.ok(d.message.startsWith(`${policy?.description}\n`), d.message);
          }
        });
      }
    }
  });
}
