import { strict as assert } from "node:assert";
import * as fs from "node:fs";

import { NATIVE_CIDR_UNSET } from "../../checks/types";
import { buildLabContext } from "../../runner/contextBuilder";
import { validateLabContext } from "../../runner/contextFile";
import { discoverLabContext, discoveryQueries } from "../../runner/discovery";
import type { KubectlRunner } from "../../runner/discoveryTypes";
import type { ExecResult } from "../../checks/types";
import { SEED_CONTEXT_FILE, seedDocs } from "../helpers/fakes";
import { ConcurrencyLatch } from "../helpers/scheduling";

const CP = "cilium-kubeproxy-replacement-ebpf-control-plane";
const W1 = "cilium-kubeproxy-replacement-ebpf-worker";
const W2 = "cilium-kubeproxy-replacement-ebpf-worker2";

describe("buildLabContext (recorded kubectl JSON of the seed lab)", () => {
  it("reads nodes with their role and InternalIP", () => {
    const { context, problems } = buildLabContext(seedDocs());
    assert.deepEqual(problems, []);
    assert.deepEqual(
      context?.nodes.map((n) => [n.name, n.role, n.internalIp]),
      [
        [CP, "control-plane", "172.18.0.4"],
        [W1, "worker", "172.18.0.3"],
        [W2, "worker", "172.18.0.2"],
      ],
    );
  });

  it("takes pod CIDRs from the CiliumNode objects, not from node.spec.podCIDR", () => {
    const docs = seedDocs();
    assert.equal(docs.nodes.items[0].spec.podCIDR, "10.244.0.0/24"); // kind's allocation, unused by Cilium
    const { context } = buildLabContext(docs);
    assert.deepEqual(
      context?.nodes.map((n) => n.podCidrs),
      [["10.0.1.0/24"], ["10.0.0.0/24"], ["10.0.2.0/24"]],
    );
  });

  it("finds the test pods, the client, the Cilium agents and the node probes, ordered by node", () => {
    const { context } = buildLabContext(seedDocs());
    assert.deepEqual(
      context?.testPods.map((p) => [p.name, p.ip, p.node]),
      [
        ["evescn-zx9kk", "10.0.1.63", CP],
        ["evescn-q7xhn", "10.0.0.72", W1],
        ["evescn-jzms5", "10.0.2.202", W2],
      ],
    );
    assert.deepEqual(context?.client, { name: "net", namespace: "default", node: W2, ip: "10.0.2.40" });
    assert.deepEqual(
      context?.ciliumPods.map((p) => [p.name, p.namespace, p.node]),
      [
        ["cilium-496vl", "kube-system", CP],
        ["cilium-6bt7g", "kube-system", W1],
        ["cilium-mfc5w", "kube-system", W2],
      ],
    );
    assert.deepEqual(
      context?.probePods.map((p) => [p.node, p.ip]),
      [
        [CP, "172.18.0.4"],
        [W1, "172.18.0.3"],
        [W2, "172.18.0.2"],
      ],
    );
  });

  it("reads the service's ClusterIP, port and NodePort, and no kube-proxy pods", () => {
    const { context } = buildLabContext(seedDocs());
    assert.deepEqual(context?.service, {
      name: "serversvc",
      clusterIp: "10.96.93.201",
      port: 8080,
      nodePort: 32000,
    });
    assert.deepEqual(context?.kubeProxyPods, []);
  });

  it("defaults the node device to eth0 and the native-routing CIDR to 10.0.0.0/8, and takes overrides", () => {
    assert.equal(buildLabContext(seedDocs()).context?.nodeDevice, "eth0");
    assert.equal(buildLabContext(seedDocs()).context?.nativeRoutingCidr, "10.0.0.0/8");
    const { context } = buildLabContext(seedDocs(), {
      nodeDevice: "enp1s0",
      nativeRoutingCidr: "10.16.0.0/12",
    });
    assert.equal(context?.nodeDevice, "enp1s0");
    assert.equal(context?.nativeRoutingCidr, "10.16.0.0/12");
  });

  it("gives the context recorded in test/fixtures/context/seed-lab.json", () => {
    const recorded: unknown = JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8"));
    assert.deepEqual(buildLabContext(seedDocs()).context, recorded);
  });

  it("treats a node with only the pre-1.24 master label as the control plane", () => {
    const docs = seedDocs();
    delete docs.nodes.items[0].metadata.labels["node-role.kubernetes.io/control-plane"];
    assert.equal(buildLabContext(docs).context?.nodes[0].role, "control-plane");
    delete docs.nodes.items[0].metadata.labels["node-role.kubernetes.io/master"];
    assert.equal(buildLabContext(docs).context?.nodes[0].role, "worker");
  });

  it("lists kube-proxy pods when there are some", () => {
    const docs = seedDocs();
    docs.kubeProxyPods.items = [{ metadata: { name: "kube-proxy-x2x8d", namespace: "kube-system" } }];
    assert.deepEqual(buildLabContext(docs).context?.kubeProxyPods, ["kube-proxy-x2x8d"]);
  });

  const fatalCases: { name: string; mutate: (d: ReturnType<typeof seedDocs>) => void; message: RegExp }[] = [
    {
      name: "the client pod is missing",
      mutate: (d) => delete d.client,
      message: /client pod: no kubectl data/,
    },
    {
      name: "the client pod is Pending",
      mutate: (d) => (d.client.status.phase = "Pending"),
      message: /client pod net is Pending, not Running/,
    },
    {
      name: "there are no CiliumNode objects",
      mutate: (d) => (d.ciliumNodes.items = []),
      message: /no CiliumNode objects/,
    },
    {
      name: "a node has no CiliumNode",
      mutate: (d) => d.ciliumNodes.items.pop(),
      message: new RegExp(`node ${W2} has no pod CIDR in its CiliumNode`),
    },
    {
      name: "no test pod runs",
      mutate: (d) => (d.testPods.items = []),
      message: /no Running pod with label app=evescn in namespace default/,
    },
    {
      name: "the service has no NodePort",
      mutate: (d) => {
        d.service.spec.type = "ClusterIP";
        delete d.service.spec.ports[0].nodePort;
      },
      message: /service serversvc has no NodePort \(type ClusterIP\)/,
    },
    {
      name: "the kube-proxy get failed (absence cannot be claimed)",
      mutate: (d) => delete d.kubeProxyPods,
      message: /kube-proxy pods: no kubectl data/,
    },
    {
      name: "no Cilium agent runs",
      mutate: (d) => (d.ciliumPods.items = []),
      message: /no Running Cilium agent/,
    },
  ];
  for (const c of fatalCases) {
    it(`gives no context and a fatal problem when ${c.name}`, () => {
      const docs = seedDocs();
      c.mutate(docs);
      const { context, problems } = buildLabContext(docs);
      assert.equal(context, undefined);
      assert.ok(
        problems.some((p) => p.fatal && c.message.test(p.message)),
        JSON.stringify(problems),
      );
    });
  }

  it("leaves out a test pod that is not Running with a warning, and keeps the context", () => {
    const docs = seedDocs();
    docs.testPods.items[1].status.phase = "Pending";
    const { context, problems } = buildLabContext(docs);
    assert.deepEqual(
      context?.testPods.map((p) => p.name),
      ["evescn-zx9kk", "evescn-jzms5"],
    );
    assert.deepEqual(
      problems.map((p) => [p.fatal, p.message]),
      [
        [false, "test pods: pod evescn-q7xhn is Pending, not Running"],
        [false, `node ${W1} has no Running test pod (app=evescn)`],
      ],
    );
  });

  it("warns, without failing, when the node-probe DaemonSet is absent", () => {
    const docs = seedDocs();
    docs.probePods.items = [];
    const { context, problems } = buildLabContext(docs);
    assert.deepEqual(context?.probePods, []);
    assert.deepEqual(
      problems.map((p) => p.fatal),
      [false],
    );
    assert.match(problems[0].message, /no Running node-probe pod/);
  });
});

/** A fake KubectlRunner that answers from the recorded documents after a delay. */
function fakeRunner(
  opts: {
    failing?: Record<string, string>;
    holdUntil?: number;
    mutate?: (d: ReturnType<typeof seedDocs>) => void;
  } = {},
) {
  const docs = seedDocs();
  opts.mutate?.(docs);
  const queries = discoveryQueries();
  const calls: string[][] = [];
  // holdUntil: each call waits until that many have run at once (or 5 s pass), then answers.
  const latch = new ConcurrencyLatch(opts.holdUntil ?? 0);
  const runner: KubectlRunner = {
    kubectl: (args, timeoutSeconds) => latch.run(() => answer(args, timeoutSeconds)),
  };
  const answer = async (args: readonly string[], timeoutSeconds: number): Promise<ExecResult> => {
    calls.push([...args, `timeout=${timeoutSeconds}`]);
    await new Promise((r) => setImmediate(r));
    const key = (Object.keys(queries) as (keyof typeof queries)[]).find(
      (k) => JSON.stringify(queries[k]) === JSON.stringify(args),
    );
    const command = `kubectl ${args.join(" ")}`;
    if (key === undefined || opts.failing?.[key] !== undefined) {
      return {
        stdout: "",
        stderr: opts.failing?.[key ?? ""] ?? "unknown query\n",
        exitCode: 1,
        timedOut: false,
        command,
        durationMs: 1,
      };
    }
    return {
      stdout: JSON.stringify(docs[key]),
      stderr: "",
      exitCode: 0,
      timedOut: false,
      command,
      durationMs: 1,
    };
  };
  return { runner, calls, maxAtOnce: () => latch.mostAtOnce };
}

/** The queries without their output flags (`-o jsonpath-as-json=...`, tested in discoveryProjection.spec.ts). */
function selections(q: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v.slice(0, v.indexOf("-o"))]));
}

describe("discoverLabContext", () => {
  it("leaves a node without a CiliumNode (joining) out of the run, with its pods, and says so", async () => {
    const cp = "cilium-kubeproxy-replacement-ebpf-control-plane";
    const { runner } = fakeRunner({
      mutate: (d) =>
        (d.ciliumNodes.items = d.ciliumNodes.items.filter(
          (i: { metadata: { name: string } }) => i.metadata.name !== cp,
        )),
    });
    const d = await discoverLabContext(runner);
    assert.ok(d.context !== undefined, JSON.stringify(d.problems));
    assert.deepEqual(
      d.context.nodes.map((n) => n.name),
      ["cilium-kubeproxy-replacement-ebpf-worker", "cilium-kubeproxy-replacement-ebpf-worker2"],
    );
    for (const pods of [d.context.testPods, d.context.ciliumPods, d.context.probePods]) {
      assert.ok(pods.length > 0 && pods.every((p) => p.node !== cp), JSON.stringify(pods));
    }
    const warned = d.problems.filter((p) => p.message.includes(cp));
    assert.equal(warned.length, 1, JSON.stringify(d.problems));
    assert.equal(warned[0].fatal, false);
    assert.match(warned[0].message, /has no CiliumNode object \(joining.*left out of the run and its sample/);
  });

  it("is fatal, saying why, when the client's node has no CiliumNode", async () => {
    const w2 = "cilium-kubeproxy-replacement-ebpf-worker2";
    const { runner } = fakeRunner({
      mutate: (d) =>
        (d.ciliumNodes.items = d.ciliumNodes.items.filter(
          (i: { metadata: { name: string } }) => i.metadata.name !== w2,
        )),
    });
    const d = await discoverLabContext(runner);
    assert.equal(d.context, undefined);
    assert.ok(
      d.problems.some(
        (p) => p.fatal && /client pod runs on node .*worker2, which has no CiliumNode/.test(p.message),
      ),
      JSON.stringify(d.problems),
    );
  });

  it("runs the ten kubectl gets in parallel, each with a timeout, and builds the context", async () => {
    // Each get is held until all ten have started (a barrier, up to 5 s), so "in parallel" is shown by
    // how many ran at once, not by a wall-clock bound (issue 21). One after the other: 1 at once.
    const { runner, calls, maxAtOnce } = fakeRunner({ holdUntil: 10 });
    const d = await discoverLabContext(runner, { timeoutSeconds: 12 });
    assert.equal(maxAtOnce(), 10);
    assert.equal(calls.length, 10);
    assert.ok(calls.every((c) => c.at(-1) === "timeout=12"));
    assert.ok(calls.every((c) => c[0] === "get" && c.some((a) => a.startsWith("jsonpath-as-json="))));
    assert.deepEqual(d.problems, []);
    assert.equal(d.context?.client.ip, "10.0.2.40");
  });

  it("asks for the lab's pieces by label and name", () => {
    const q = selections(
      discoveryQueries({ namespace: "lab", appLabel: "echo", client: "c1", service: "svc" }),
    );
    assert.deepEqual(q.testPods, ["get", "pods", "-n", "lab", "-l", "app=echo"]);
    assert.deepEqual(q.client, ["get", "pod", "c1", "-n", "lab"]);
    assert.deepEqual(q.service, ["get", "service", "svc", "-n", "lab"]);
    assert.deepEqual(q.ciliumNodes, ["get", "ciliumnodes.cilium.io"]);
    assert.deepEqual(q.ciliumPods, ["get", "pods", "-n", "kube-system", "-l", "k8s-app=cilium"]);
    assert.deepEqual(q.kubeProxyPods, ["get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-proxy"]);
    assert.deepEqual(q.probePods, ["get", "pods", "-n", "lab", "-l", "app.kubernetes.io/name=node-probe"]);
  });

  it("reports a failed get as a fatal problem with kubectl's stderr as evidence", async () => {
    const notFound = 'Error from server (NotFound): pods "net" not found\n';
    const { runner } = fakeRunner({ failing: { client: notFound } });
    const d = await discoverLabContext(runner);
    assert.equal(d.context, undefined);
    assert.deepEqual(
      d.problems.map((p) => [p.source, p.fatal]),
      [["client", true]],
    );
    assert.match(
      d.problems[0].message,
      /kubectl get pod net -n default -o jsonpath-as-json=\S+ failed \(exit 1\): Error from server \(NotFound\)/,
    );
    assert.deepEqual(d.evidence, [
      {
        command: `kubectl ${discoveryQueries().client.join(" ")}`,
        output: notFound,
        exitCode: 1,
        timedOut: false,
      },
    ]);
  });

  it("reports output that is not JSON as a fatal problem", async () => {
    const runner: KubectlRunner = {
      kubectl: async (args) => ({
        stdout: args.includes("nodes") ? "No resources found\n" : "{}",
        stderr: "",
        exitCode: 0,
        timedOut: false,
        command: `kubectl ${args.join(" ")}`,
        durationMs: 1,
      }),
    };
    const d = await discoverLabContext(runner);
    assert.equal(d.context, undefined);
    assert.ok(
      d.problems.some(
        (p) =>
          p.source === "nodes" &&
          /printed nothing discovery can read \(.*\): No resources found/.test(p.message),
      ),
    );
  });

  it("does not throw when the runner rejects", async () => {
    const runner: KubectlRunner = {
      kubectl: async () => {
        throw new Error("boom");
      },
    };
    const d = await discoverLabContext(runner);
    assert.equal(d.context, undefined);
    assert.equal(d.problems.length, 10);
    assert.ok(d.evidence.every((e) => e.output === "boom"));
  });

  it("reads cilium-config only when no native-routing CIDR is given", async () => {
    const { runner, calls } = fakeRunner();
    const d = await discoverLabContext(runner, { nativeRoutingCidr: "10.16.0.0/12" });
    assert.equal(calls.length, 9);
    assert.ok(!calls.some((c) => c.includes("configmap")));
    assert.equal(d.context?.nativeRoutingCidr, "10.16.0.0/12");
    assert.deepEqual(selections(discoveryQueries()).ciliumConfig, [
      "get",
      "configmap",
      "cilium-config",
      "-n",
      "kube-system",
    ]);
  });

  it("carries 'unset' when cilium-config has no ipv4-native-routing-cidr, not the lab's 10.0.0.0/8", async () => {
    const docs = seedDocs();
    delete docs.ciliumConfig.data["ipv4-native-routing-cidr"];
    assert.equal(buildLabContext(docs).context?.nativeRoutingCidr, NATIVE_CIDR_UNSET);
    // An explicit --native-cidr still wins.
    assert.equal(
      buildLabContext(docs, { nativeRoutingCidr: "10.0.0.0/8" }).context?.nativeRoutingCidr,
      "10.0.0.0/8",
    );
  });

  it("warns, without failing, when cilium-config cannot be read, and says the lab's CIDR is used", async () => {
    const forbidden = 'Error from server (Forbidden): configmaps "cilium-config" is forbidden\n';
    const { runner } = fakeRunner({ failing: { ciliumConfig: forbidden } });
    const d = await discoverLabContext(runner);
    assert.equal(d.context?.nativeRoutingCidr, "10.0.0.0/8");
    assert.deepEqual(
      d.problems.map((p) => [p.source, p.fatal]),
      [["ciliumConfig", false]],
    );
    assert.match(
      d.problems[0].message,
      /Forbidden.*; the native-routing CIDR is taken as the lab's 10\.0\.0\.0\/8/,
    );
  });
});

describe("validateLabContext", () => {
  it("accepts the recorded seed context", () => {
    assert.deepEqual(validateLabContext(JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8"))), []);
  });

  it("names each malformed part", () => {
    const ctx = JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8"));
    delete ctx.client;
    ctx.nodes[0].role = "master";
    ctx.service.nodePort = "32000";
    assert.deepEqual(validateLabContext(ctx), [
      "nodes must be a non-empty list of {name, role: control-plane|worker, internalIp, podCidrs}",
      "client must be {name, namespace, node, ip}",
      "service must be {name, clusterIp, port, nodePort}",
    ]);
    assert.deepEqual(validateLabContext([]), ["the context must be a JSON object"]);
  });
});
