/**
 * Discovers the {@link LabContext} of a running lab with `kubectl get ... -o json` (never exec).
 *
 * Split in two: {@link discoverLabContext} runs the gets (in parallel, each with a timeout) and
 * {@link buildLabContext} is a pure function of their JSON, tested with recorded kubectl output.
 * Nothing throws for a missing piece: problems come back as a list, and a fatal one leaves the
 * context undefined so the runner publishes every check as inconclusive with the kubectl evidence.
 */
import * as ipaddr from "ipaddr.js";

import type { Evidence, ExecResult, LabContext, LabNode, LabPod } from "../checks/types";
import { inProcessKubeProxySignals, kubeProxyPodNames, kubeProxyStaticPodQuery } from "./kubeProxyDiscovery";

/** Where the lab's pieces are and how they are named. */
export interface ContextOptions {
  /** Namespace of the test DaemonSet, the client pod, the service and the node-probe pods. Defaults to "default". */
  readonly namespace?: string;
  /** The test DaemonSet's `app` label. Defaults to "evescn". */
  readonly appLabel?: string;
  /** The client pod's name. Defaults to "net". */
  readonly client?: string;
  /** The NodePort service's name. Defaults to "serversvc". */
  readonly service?: string;
  /** The node's main device. Defaults to "eth0" (kind). */
  readonly nodeDevice?: string;
  /** Cilium's native-routing CIDR. Defaults to "10.0.0.0/8" (the seed's). */
  readonly nativeRoutingCidr?: string;
  /** Namespace of the Cilium agents and of kube-proxy. Defaults to "kube-system". */
  readonly systemNamespace?: string;
  /** Label selector of the node-probe DaemonSet's pods. Defaults to "app.kubernetes.io/name=node-probe". */
  readonly probeSelector?: string;
  /** Seconds each `kubectl get` may take. Defaults to 20. */
  readonly timeoutSeconds?: number;
  /**
   * The cluster's IPAM mode (cilium-config `ipam`, existing mode). Only cluster-pool and kubernetes
   * CiliumNodes carry spec.ipam.podCIDRs; with another mode a node without them is a warning, and
   * multi-pool CIDRs are read from spec.ipam.pools.allocated[].cidrs. Undefined: the lab's cluster-pool.
   */
  readonly ipamMode?: string;
}

/** The nine documents discovery reads, one `kubectl get` each. */
export type DocKey =
  | "nodes"
  | "ciliumNodes"
  | "testPods"
  | "client"
  | "ciliumPods"
  | "probePods"
  | "kubeProxyPods"
  | "kubeProxyStaticPods"
  | "service";

export const DOC_KEYS: readonly DocKey[] = [
  "nodes",
  "ciliumNodes",
  "testPods",
  "client",
  "ciliumPods",
  "probePods",
  "kubeProxyPods",
  "kubeProxyStaticPods",
  "service",
];

/** Parsed `kubectl get -o json` output per document; undefined when the get failed. */
export type KubectlDocs = Partial<Record<DocKey, unknown>>;

/** A piece of the lab that is missing or odd. A fatal problem leaves the context undefined. */
export interface ContextProblem {
  readonly source: DocKey | "kind" | "context-file";
  readonly fatal: boolean;
  readonly message: string;
}

/** What discovery found: the context (when nothing fatal is missing), the problems, the evidence. */
export interface Discovery {
  readonly context?: LabContext;
  readonly problems: readonly ContextProblem[];
  /** The commands behind the problems and their output, kept for inconclusive results. */
  readonly evidence: readonly Evidence[];
  /**
   * Set when no cluster was reached at all (every get failed, or kind had no kubeconfig): one line
   * saying why, from kubectl's own message. The CLI prints it once and exits non-zero.
   */
  readonly noCluster?: string;
}

/** Runs `kubectl ARGS` (KubectlExecutor.kubectl satisfies it). */
export interface KubectlRunner {
  kubectl(args: readonly string[], timeoutSeconds: number): Promise<ExecResult>;
}

/** The kubectl arguments of each get (`-o json`, never exec). */
export function discoveryQueries(options: ContextOptions = {}): Record<DocKey, string[]> {
  const ns = options.namespace ?? "default";
  const sys = options.systemNamespace ?? "kube-system";
  return {
    nodes: ["get", "nodes", "-o", "json"],
    // Cilium's cluster-pool IPAM allocates its own CIDRs: node.spec.podCIDR is kind's, not Cilium's.
    ciliumNodes: ["get", "ciliumnodes.cilium.io", "-o", "json"],
    testPods: ["get", "pods", "-n", ns, "-l", `app=${options.appLabel ?? "evescn"}`, "-o", "json"],
    client: ["get", "pod", options.client ?? "net", "-n", ns, "-o", "json"],
    ciliumPods: ["get", "pods", "-n", sys, "-l", "k8s-app=cilium", "-o", "json"],
    probePods: [
      "get",
      "pods",
      "-n",
      ns,
      "-l",
      options.probeSelector ?? "app.kubernetes.io/name=node-probe",
      "-o",
      "json",
    ],
    // kubeadm's DaemonSet (cmd/kubeadm/app/phases/addons/proxy/manifests.go: `k8s-app: kube-proxy`).
    kubeProxyPods: ["get", "pods", "-n", sys, "-l", "k8s-app=kube-proxy", "-o", "json"],
    kubeProxyStaticPods: kubeProxyStaticPodQuery(sys),
    service: ["get", "service", options.service ?? "serversvc", "-n", ns, "-o", "json"],
  };
}

/** Bytes of a get's output kept as evidence (a pod's JSON is a few KiB; a node list can be large). */
const EVIDENCE_LIMIT = 16 * 1024;

/**
 * Runs the gets in parallel and builds the context. A get that fails, times out or prints something
 * that is not JSON becomes a fatal problem with its command and output as evidence.
 */
export async function discoverLabContext(
  runner: KubectlRunner,
  options: ContextOptions = {},
): Promise<Discovery> {
  const queries = discoveryQueries(options);
  const timeout = options.timeoutSeconds ?? 20;
  const results = await Promise.all(
    DOC_KEYS.map(async (key) => {
      try {
        return await runner.kubectl(queries[key], timeout);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return {
          stdout: "",
          stderr: message,
          timedOut: false,
          command: `kubectl ${queries[key].join(" ")}`,
          durationMs: 0,
        };
      }
    }),
  );

  const docs: KubectlDocs = {};
  const byKey = new Map<DocKey, ExecResult>();
  const problems: ContextProblem[] = [];
  DOC_KEYS.forEach((key, i) => {
    const r = results[i];
    byKey.set(key, r);
    if (r.timedOut || r.exitCode !== 0) {
      const why = r.timedOut ? "timed out" : `failed (exit ${r.exitCode ?? "none"})`;
      problems.push({
        source: key,
        fatal: true,
        message: `${r.command} ${why}: ${firstLine(r.stderr || r.stdout)}`,
      });
      return;
    }
    try {
      docs[key] = JSON.parse(r.stdout);
    } catch {
      problems.push({
        source: key,
        fatal: true,
        message: `${r.command} printed no JSON: ${firstLine(r.stdout)}`,
      });
    }
  });

  // Every get failed: kubectl reached no API server (a bad kubeconfig, an unknown context, a server
  // that refuses or times out). One line says so instead of eight.
  const failures = results.filter((r) => r.timedOut || r.exitCode !== 0);
  if (failures.length === results.length) {
    const first = failures[0];
    const why = first.timedOut ? "timed out" : firstLine(first.stderr || first.stdout);
    return {
      problems,
      evidence: [toEvidence(first)],
      noCluster: `kubectl reached no cluster (${DOC_KEYS.length} of ${DOC_KEYS.length} reads failed): ${why}`,
    };
  }

  const built = buildLabContext(docs, options);
  const failed = new Set(problems.map((p) => p.source));
  problems.push(...built.problems.filter((p) => !failed.has(p.source)));

  // Evidence: the get behind each problem, once, in discovery order.
  const sources = new Set(problems.map((p) => p.source));
  const evidence = DOC_KEYS.filter((key) => sources.has(key)).map((key) => toEvidence(byKey.get(key)!));
  return { context: problems.some((p) => p.fatal) ? undefined : built.context, problems, evidence };
}

function toEvidence(r: ExecResult): Evidence {
  let output = r.stdout;
  if (r.stderr !== "") output += (output === "" || output.endsWith("\n") ? "" : "\n") + r.stderr;
  if (output.length > EVIDENCE_LIMIT) {
    output = `${output.slice(0, EVIDENCE_LIMIT)}\n[output truncated: kept ${EVIDENCE_LIMIT} of ${output.length} characters]\n`;
  }
  return { command: r.command, output, exitCode: r.exitCode, timedOut: r.timedOut };
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "(no output)";
  return line.length > 300 ? `${line.slice(0, 300)}...` : line.trim();
}

// ---------------------------------------------------------------------------------------------
// Pure building from JSON
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function path(v: unknown, ...keys: string[]): unknown {
  let cur: unknown = v;
  for (const k of keys) cur = obj(cur)?.[k];
  return cur;
}

/** The items of a List (or a single object as a one-item list); undefined when it is neither. */
function items(doc: unknown): Json[] | undefined {
  const o = obj(doc);
  if (o === undefined) return undefined;
  if (Array.isArray(o.items)) return o.items.map(obj).filter((x): x is Json => x !== undefined);
  return o.metadata !== undefined ? [o] : undefined;
}

function isIPv4(ip: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(ip);
}

/** A pod as the checks see it, or why it cannot be used. */
function readPod(item: Json): { pod?: LabPod; why?: string } {
  const name = str(path(item, "metadata", "name")) ?? "(unnamed)";
  const namespace = str(path(item, "metadata", "namespace")) ?? "";
  const node = str(path(item, "spec", "nodeName"));
  const phase = str(path(item, "status", "phase"));
  const ip = str(path(item, "status", "podIP"));
  if (path(item, "metadata", "deletionTimestamp") !== undefined)
    return { why: `pod ${name} is being deleted` };
  if (phase !== "Running") return { why: `pod ${name} is ${phase ?? "in no phase"}, not Running` };
  if (node === undefined) return { why: `pod ${name} is not scheduled on a node` };
  if (ip === undefined) return { why: `pod ${name} has no pod IP yet` };
  return { pod: { name, namespace, node, ip } };
}

/**
 * Builds the context from parsed `kubectl get -o json` documents. Pure: the same documents give the
 * same context and problems. A document that is undefined (its get failed) is a fatal problem.
 *
 * Fatal (the context is undefined): no nodes, a node without an InternalIP or without a CiliumNode
 * pod CIDR, no Running test pod, no Running client pod, no Cilium agent, a service without a
 * ClusterIP, port or NodePort, and any document that is missing (absence of kube-proxy cannot be
 * claimed from a failed get). Warnings: a node without a test pod, Cilium agent or node probe; pods
 * that are not Running (left out).
 */
export function buildLabContext(
  docs: KubectlDocs,
  options: ContextOptions = {},
): { context?: LabContext; problems: ContextProblem[] } {
  const problems: ContextProblem[] = [];
  const fatal = (source: DocKey, message: string): void =>
    void problems.push({ source, fatal: true, message });
  const warn = (source: DocKey, message: string): void =>
    void problems.push({ source, fatal: false, message });
  const list = (key: DocKey, what: string): Json[] => {
    const found = items(docs[key]);
    if (found === undefined) fatal(key, `${what}: no kubectl data`);
    return found ?? [];
  };

  // Nodes, with Cilium's pod CIDRs from the CiliumNode objects.
  const cidrsByNode = new Map<string, string[]>();
  const ciliumNodes = list("ciliumNodes", "CiliumNode objects");
  if (docs.ciliumNodes !== undefined && ciliumNodes.length === 0) {
    fatal("ciliumNodes", "no CiliumNode objects: is Cilium installed, with cluster-pool IPAM?");
  }
  for (const cn of ciliumNodes) {
    const name = str(path(cn, "metadata", "name"));
    const cidrs = path(cn, "spec", "ipam", "podCIDRs");
    if (name !== undefined && Array.isArray(cidrs)) {
      cidrsByNode.set(
        name,
        cidrs.filter((c): c is string => typeof c === "string"),
      );
    } else if (name !== undefined) {
      const pooled = multiPoolCidrs(cn);
      if (pooled.length > 0) cidrsByNode.set(name, pooled);
    }
  }

  const nodes: LabNode[] = [];
  const nodeItems = list("nodes", "nodes");
  if (docs.nodes !== undefined && nodeItems.length === 0) fatal("nodes", "the cluster has no nodes");
  for (const item of nodeItems) {
    const name = str(path(item, "metadata", "name"));
    if (name === undefined) continue;
    const labels = obj(path(item, "metadata", "labels")) ?? {};
    const controlPlane =
      "node-role.kubernetes.io/control-plane" in labels || "node-role.kubernetes.io/master" in labels;
    const addresses = path(item, "status", "addresses");
    const internal = (Array.isArray(addresses) ? addresses : [])
      .map(obj)
      .filter((a) => a !== undefined && a.type === "InternalIP")
      .map((a) => str(a?.address))
      .filter((a): a is string => a !== undefined);
    const internalIp = internal.find(isIPv4) ?? internal[0];
    if (internalIp === undefined) fatal("nodes", `node ${name} has no InternalIP address`);
    const podCidrs = cidrsByNode.get(name) ?? [];
    if (docs.ciliumNodes !== undefined && ciliumNodes.length > 0 && podCidrs.length === 0) {
      if (podCidrsExpected(options.ipamMode)) {
        fatal("ciliumNodes", `node ${name} has no pod CIDR in its CiliumNode (spec.ipam.podCIDRs)`);
      } else {
        warn(
          "ciliumNodes",
          `node ${name} has no pod CIDR in its CiliumNode (IPAM ${options.ipamMode}: pod IPs are not carved from per-node CIDRs); checks that need one are inconclusive for it`,
        );
      }
    }
    nodes.push({
      name,
      role: controlPlane ? "control-plane" : "worker",
      internalIp: internalIp ?? "",
      podCidrs,
    });
  }
  const nodeOrder = new Map(nodes.map((n, i) => [n.name, i]));
  const byNodeThenName = (a: LabPod, b: LabPod): number =>
    (nodeOrder.get(a.node) ?? nodes.length) - (nodeOrder.get(b.node) ?? nodes.length) ||
    a.name.localeCompare(b.name);

  /** Running pods of a list, sorted by node; the others become warnings. */
  const pods = (key: DocKey, what: string): LabPod[] => {
    const out: LabPod[] = [];
    for (const item of list(key, what)) {
      const { pod, why } = readPod(item);
      if (pod !== undefined) out.push(pod);
      else warn(key, `${what}: ${why}`);
    }
    return out.sort(byNodeThenName);
  };
  /** Warns about nodes without one of these pods. */
  const perNode = (key: DocKey, what: string, found: readonly LabPod[]): void => {
    if (found.length === 0) return;
    for (const n of nodes) {
      if (!found.some((p) => p.node === n.name)) warn(key, `node ${n.name} has no Running ${what}`);
    }
  };

  const appLabel = options.appLabel ?? "evescn";
  const testPods = pods("testPods", "test pods");
  if (docs.testPods !== undefined && testPods.length === 0) {
    fatal(
      "testPods",
      `no Running pod with label app=${appLabel} in namespace ${options.namespace ?? "default"}`,
    );
  }
  perNode("testPods", `test pod (app=${appLabel})`, testPods);

  const ciliumPods = pods("ciliumPods", "Cilium agents");
  if (docs.ciliumPods !== undefined && ciliumPods.length === 0) {
    fatal("ciliumPods", "no Running Cilium agent pod (k8s-app=cilium) in kube-system");
  }
  perNode("ciliumPods", "Cilium agent", ciliumPods);

  const probePods = pods("probePods", "node-probe pods");
  if (docs.probePods !== undefined && probePods.length === 0) {
    warn("probePods", "no Running node-probe pod: checks that need a node's view will be inconclusive");
  }
  perNode("probePods", "node-probe pod", probePods);

  const kubeProxyPods = kubeProxyPodNames([
    ...list("kubeProxyPods", "kube-proxy pods"),
    ...list("kubeProxyStaticPods", "static kube-proxy pods"),
  ]);
  const kubeProxySignals = inProcessKubeProxySignals(nodeItems);

  let client: LabPod | undefined;
  const clientItems = list("client", "client pod");
  if (clientItems.length > 0) {
    const { pod, why } = readPod(clientItems[0]);
    if (pod === undefined) fatal("client", `client ${why}`);
    client = pod;
  }

  let service: LabContext["service"] | undefined;
  const svc = list("service", "service")[0];
  if (svc !== undefined) {
    const name = str(path(svc, "metadata", "name")) ?? options.service ?? "serversvc";
    const clusterIp = str(path(svc, "spec", "clusterIP"));
    const ports = path(svc, "spec", "ports");
    const first = Array.isArray(ports)
      ? (ports.map(obj).find((p) => p?.nodePort !== undefined) ?? obj(ports[0]))
      : undefined;
    const port = first?.port;
    const nodePort = first?.nodePort;
    if (clusterIp === undefined || clusterIp === "None") fatal("service", `service ${name} has no ClusterIP`);
    else if (typeof port !== "number") fatal("service", `service ${name} has no port`);
    else if (typeof nodePort !== "number") {
      fatal("service", `service ${name} has no NodePort (type ${String(path(svc, "spec", "type"))})`);
    } else service = { name, clusterIp, port, nodePort };
  }

  if (problems.some((p) => p.fatal) || client === undefined || service === undefined) {
    return { problems };
  }
  return {
    problems,
    context: {
      nodes,
      testPods,
      client,
      ciliumPods,
      probePods,
      kubeProxyPods,
      ...(kubeProxySignals.length > 0 ? { kubeProxySignals } : {}),
      service,
      nodeDevice: options.nodeDevice ?? "eth0",
      nativeRoutingCidr: options.nativeRoutingCidr ?? "10.0.0.0/8",
    },
  };
}

/** Whether CiliumNodes carry spec.ipam.podCIDRs in this IPAM mode (cluster-pool, kubernetes). */
function podCidrsExpected(ipamMode: string | undefined): boolean {
  return ipamMode === undefined || ipamMode === "cluster-pool" || ipamMode === "kubernetes";
}

/**
 * Multi-pool IPAM: "spec.ipam.pools.allocated: List of CIDRs allocated to this node and the pool they
 * were allocated from" (https://docs.cilium.io/en/stable/network/concepts/ipam/multi-pool/).
 */
function multiPoolCidrs(cn: Json): string[] {
  const allocated = path(cn, "spec", "ipam", "pools", "allocated");
  return (Array.isArray(allocated) ? allocated : []).flatMap((a) => {
    const cidrs = obj(a)?.cidrs;
    return Array.isArray(cidrs) ? cidrs.filter((c): c is string => typeof c === "string") : [];
  });
}

// ---------------------------------------------------------------------------------------------
// A recorded context (--context-file)
// ---------------------------------------------------------------------------------------------

/**
 * Checks that a parsed JSON value has the shape of a {@link LabContext} (a recorded context for an
 * offline dry run). Returns the errors found, empty when it is usable.
 */
export function validateLabContext(value: unknown): string[] {
  const errors: string[] = [];
  const o = obj(value);
  if (o === undefined) return ["the context must be a JSON object"];
  const isPod = (p: unknown): boolean => {
    const q = obj(p);
    return q !== undefined && ["name", "namespace", "node", "ip"].every((k) => typeof q[k] === "string");
  };
  const podList = (key: string): void => {
    const v = o[key];
    if (!Array.isArray(v) || !v.every(isPod))
      errors.push(`${key} must be a list of {name, namespace, node, ip}`);
  };
  const nodes = o.nodes;
  if (
    !Array.isArray(nodes) ||
    nodes.length === 0 ||
    !nodes.every((n) => {
      const m = obj(n);
      return (
        m !== undefined &&
        typeof m.name === "string" &&
        (m.role === "control-plane" || m.role === "worker") &&
        typeof m.internalIp === "string" &&
        Array.isArray(m.podCidrs)
      );
    })
  ) {
    errors.push("nodes must be a non-empty list of {name, role: control-plane|worker, internalIp, podCidrs}");
  }
  podList("testPods");
  podList("ciliumPods");
  podList("probePods");
  if (!isPod(o.client)) errors.push("client must be {name, namespace, node, ip}");
  if (!Array.isArray(o.kubeProxyPods) || !o.kubeProxyPods.every((n) => typeof n === "string")) {
    errors.push("kubeProxyPods must be a list of names");
  }
  const s = obj(o.service);
  if (
    s === undefined ||
    typeof s.name !== "string" ||
    typeof s.clusterIp !== "string" ||
    typeof s.port !== "number" ||
    typeof s.nodePort !== "number"
  ) {
    errors.push("service must be {name, clusterIp, port, nodePort}");
  }
  if (typeof o.nodeDevice !== "string") errors.push("nodeDevice must be a string");
  if (
    o.kubeProxySignals !== undefined &&
    (!Array.isArray(o.kubeProxySignals) || !o.kubeProxySignals.every((n) => typeof n === "string"))
  ) {
    errors.push("kubeProxySignals must be a list of sentences when set");
  }
  if (o.nodeRoot !== undefined && (typeof o.nodeRoot !== "string" || !o.nodeRoot.startsWith("/"))) {
    errors.push("nodeRoot must be an absolute path when set");
  }
  if (o.sampledFrom !== undefined && !(Number.isInteger(o.sampledFrom) && (o.sampledFrom as number) > 0)) {
    errors.push("sampledFrom must be a positive integer when set");
  }
  if (o.nativeRoutingCidr !== undefined && typeof o.nativeRoutingCidr !== "string") {
    errors.push("nativeRoutingCidr must be a string when set");
  }
  return errors;
}
