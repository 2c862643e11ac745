/**
 * Discovers the `LabContext` of a running lab with `kubectl get` (never exec), each printing only the
 * fields the context needs (runner/discoveryProjection.ts).
 *
 * Split in two: {@link discoverLabContext} (here) runs the gets (in parallel, each with a timeout) and
 * `buildLabContext` (runner/contextBuilder.ts) is a pure function of their JSON, tested with
 * recorded kubectl output. Nothing throws for a missing piece: problems come back as a list, and a
 * fatal one leaves the context undefined so the runner publishes every check as inconclusive with the
 * kubectl evidence. The shapes are in runner/discoveryTypes.ts.
 */
import type { Evidence, ExecResult } from "../checks/types";
import { buildLabContext } from "./contextBuilder";
import {
  DOC_KEYS,
  OPTIONAL_DOCS,
  type ContextOptions,
  type ContextProblem,
  type Discovery,
  type DocKey,
  type KubectlDocs,
  type KubectlRunner,
} from "./discoveryTypes";
import { parseDiscoveryOutput, projectionArgs } from "./discoveryProjection";
import { setAsideNodesWithoutCiliumNode } from "./joiningNodes";
import { kubeProxyStaticPodQuery } from "./kubeProxyDiscovery";

/**
 * The kubectl arguments of each get (never exec): the selection, then `-o jsonpath-as-json=...`
 * printing only the fields the context needs (runner/discoveryProjection.ts).
 */
export function discoveryQueries(options: ContextOptions = {}): Record<DocKey, string[]> {
  const ns = options.namespace ?? "default";
  const sys = options.systemNamespace ?? "kube-system";
  const selections: Record<DocKey, string[]> = {
    nodes: ["get", "nodes"],
    // Cilium's cluster-pool IPAM allocates its own CIDRs: node.spec.podCIDR is kind's, not Cilium's.
    ciliumNodes: ["get", "ciliumnodes.cilium.io"],
    testPods: ["get", "pods", "-n", ns, "-l", `app=${options.appLabel ?? "evescn"}`],
    client: ["get", "pod", options.client ?? "net", "-n", ns],
    ciliumPods: ["get", "pods", "-n", sys, "-l", "k8s-app=cilium"],
    probePods: ["get", "pods", "-n", ns, "-l", options.probeSelector ?? "app.kubernetes.io/name=node-probe"],
    // kubeadm's DaemonSet (cmd/kubeadm/app/phases/addons/proxy/manifests.go: `k8s-app: kube-proxy`).
    kubeProxyPods: ["get", "pods", "-n", sys, "-l", "k8s-app=kube-proxy"],
    kubeProxyStaticPods: kubeProxyStaticPodQuery(sys),
    service: ["get", "service", options.service ?? "serversvc", "-n", ns],
    // The agents' configuration (the chart's cilium-configmap.yaml), for ipv4-native-routing-cidr.
    ciliumConfig: ["get", "configmap", "cilium-config", "-n", sys],
  };
  return Object.fromEntries(
    DOC_KEYS.map((key) => [key, [...selections[key], ...projectionArgs(key)]]),
  ) as Record<DocKey, string[]>;
}

/** What replaces an optional document that could not be read (said in its warning). */
const OPTIONAL_FALLBACK: Partial<Record<DocKey, string>> = {
  ciliumConfig: "the native-routing CIDR is taken as the lab's 10.0.0.0/8 (give --native-cidr CIDR or unset)",
};

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
  // cilium-config is read only for what no flag gave: the native-routing CIDR.
  const keys = DOC_KEYS.filter((k) => k !== "ciliumConfig" || options.nativeRoutingCidr === undefined);
  const results = await Promise.all(
    keys.map(async (key) => {
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
  keys.forEach((key, i) => {
    const r = results[i];
    byKey.set(key, r);
    const fatal = !OPTIONAL_DOCS.has(key);
    // An optional document's failure says what replaces it.
    const instead = fatal ? "" : `; ${OPTIONAL_FALLBACK[key] ?? "left out"}`;
    if (r.timedOut || r.exitCode !== 0) {
      const why = r.timedOut ? "timed out" : `failed (exit ${r.exitCode ?? "none"})`;
      problems.push({
        source: key,
        fatal,
        message: `${r.command} ${why}: ${firstLine(r.stderr || r.stdout)}${instead}`,
      });
      return;
    }
    try {
      docs[key] = parseDiscoveryOutput(key, r.stdout);
    } catch (err) {
      problems.push({
        source: key,
        fatal,
        message: `${r.command} printed nothing discovery can read (${err instanceof Error ? err.message : String(err)}): ${firstLine(r.stdout)}${instead}`,
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
      noCluster: `kubectl reached no cluster (${keys.length} of ${keys.length} reads failed): ${why}`,
    };
  }

  // A node without a CiliumNode (joining, autoscaling) is left out with a warning, not fatal.
  const aside = setAsideNodesWithoutCiliumNode(docs);
  const built = buildLabContext(aside.docs, options);
  const failed = new Set(problems.map((p) => p.source));
  problems.push(...aside.problems, ...built.problems.filter((p) => !failed.has(p.source)));

  // Evidence: the get behind each problem, once, in discovery order.
  const sources = new Set(problems.map((p) => p.source));
  const evidence = keys.filter((key) => sources.has(key)).map((key) => toEvidence(byKey.get(key)!));
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
