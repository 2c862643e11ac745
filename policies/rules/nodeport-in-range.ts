/**
 * nodeport-in-range: every NodePort the stack asks for lies in the API server's NodePort range.
 *
 * What it checks, on each Service's inputs: every port of a NodePort or LoadBalancer Service that
 * sets `nodePort` has it inside the configured range (default 30000-32767, kube-apiserver's default
 * `--service-node-port-range`, which kind keeps).
 *
 * When it can fire: `validateResource` sees the Service's inputs at every preview and at up before
 * the Service is created (pulumi/pulumi pkg/resource/deploy/step_generator.go `analyzeAll`, lines
 * 3450-3465). A nodePort unknown at preview is judged at up.
 *
 * Why: the API server rejects a nodePort outside its range, so the Service (and the lab's
 * NodePort-on-every-node checks through Cilium's eBPF NodePort) would fail only at `pulumi up`.
 *
 * Source: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/ (eBPF NodePort) and
 * https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport (the range)
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "../lib/config";
import { field, peek, str } from "../lib/props";
import { describeObject } from "../lib/stack";
import { TYPES, validateResourceOfToken } from "../lib/types";

export interface NodePortRangeConfig {
  /** The API server's service-node-port-range. */
  readonly nodePortRange: { readonly min: number; readonly max: number };
}

const DEFAULTS: NodePortRangeConfig = { nodePortRange: { min: 30000, max: 32767 } };

export const nodeportInRange: ResourceValidationPolicy = {
  name: "nodeport-in-range",
  description:
    "Every nodePort of a NodePort or LoadBalancer Service must lie in the API server's service-node-port-range (default 30000-32767).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      nodePortRange: {
        type: "object",
        properties: {
          min: { type: "integer", minimum: 1, maximum: 65535 },
          max: { type: "integer", minimum: 1, maximum: 65535 },
        },
        required: ["min", "max"],
        // Nested schemas reach the engine inside `properties`, so this one refuses unknown keys there.
        additionalProperties: false,
        default: DEFAULTS.nodePortRange,
        description: "The API server's service-node-port-range (inclusive).",
      },
    },
  },
  validateResource: validateResourceOfToken(TYPES.service, (props, args, report) => {
    const { min, max } = configOf("nodeport-in-range", DEFAULTS, args).nodePortRange;
    const rule = `NodePorts must lie in the API server's service-node-port-range ${min}-${max}`;
    const type = str(peek(props, "spec.type"));
    if (type !== "NodePort" && type !== "LoadBalancer") return;
    const ports = peek(props, "spec.ports");
    if (!Array.isArray(ports)) return;
    const resource = { type: args.type, name: args.name, urn: args.urn, props };
    ports.forEach((port: unknown, i: number) => {
      const nodePort = field(port, "nodePort");
      if (nodePort === undefined || nodePort === null || typeof nodePort === "object") return; // auto-assigned or unknown
      const n = typeof nodePort === "number" ? nodePort : Number(nodePort);
      if (Number.isInteger(n) && n >= min && n <= max) return;
      const portName = str(field(port, "name")) ?? `#${i}`;
      report(
        `${rule}: found ${describeObject("Service", resource)} port ${portName} nodePort=${String(nodePort)}; choose a nodePort in ${min}-${max} (lab config nodePort), or set nodePortRange in the policy config if the API server uses another range`,
      );
    });
  }),
};
