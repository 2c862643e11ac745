/**
 * A recorded context (`--context-file`): {@link validateLabContext} checks that a parsed JSON value
 * has the shape of a `LabContext` (checks/types.ts) before an offline dry run or a replay uses it.
 */
import { obj } from "./jsonRead";

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
