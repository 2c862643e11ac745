/**
 * control-plane-taint-tolerated: the lab's DaemonSets run on the control-plane node too.
 *
 * What it checks: every DaemonSet labelled `app.kubernetes.io/part-of: cilium-ebpf-lab` tolerates
 * the NoSchedule taint kubeadm puts on the control-plane of the Kubernetes version in the
 * KindCluster's `nodeImage` tag: `node-role.kubernetes.io/master` below 1.24, both keys on 1.24,
 * `node-role.kubernetes.io/control-plane` from 1.25 (both when the tag is not a version). A
 * toleration with `operator: Exists` and no key tolerates every taint. Clusters without workers
 * (kind then removes the taint) and stacks without a KindCluster are not judged.
 *
 * Why: the lab's checks reach the test server and the node probe on every node, the control-plane
 * included (NodePort on every node IP, per-node BPF evidence); a DaemonSet that skips the
 * control-plane leaves those checks without a target there.
 *
 * Source: https://docs.cilium.io/en/stable/installation/kind/ (multi-node kind clusters) and
 * https://kubernetes.io/docs/reference/labels-annotations-taints/#node-role-kubernetes-io-control-plane-taint
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "../lib/config";
import { KubeMinor, controlPlaneTaintKeys, kubernetesVersionOfImage, tolerates } from "../lib/kubernetes";
import { peek, str } from "../lib/props";
import { describeObject, metadataOf, stackResources } from "../lib/stack";
import { TYPES, isDaemonSetType } from "../lib/types";

const RULE = "The lab's DaemonSets must run on every node, the control-plane included";
const EFFECT = "NoSchedule";

export interface TaintConfig {
  /** The `app.kubernetes.io/part-of` value of the DaemonSets to judge. */
  readonly partOf: string;
}

const DEFAULTS: TaintConfig = { partOf: "cilium-ebpf-lab" };

export const controlPlaneTaintTolerated: StackValidationPolicy = {
  name: "control-plane-taint-tolerated",
  description:
    "Every DaemonSet labelled app.kubernetes.io/part-of=cilium-ebpf-lab must tolerate the control-plane NoSchedule taint of the KindCluster's Kubernetes version (master below 1.24, both on 1.24, control-plane from 1.25).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      partOf: {
        type: "string",
        default: DEFAULTS.partOf,
        description: "The app.kubernetes.io/part-of label value of the DaemonSets to judge.",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configOf(DEFAULTS, args);
    const resources = stackResources(args);
    const clusters: { image: string; version: KubeMinor | undefined }[] = [];
    for (const r of resources) {
      if (r.type !== TYPES.kindCluster) continue;
      const image = str(peek(r.props, "nodeImage"));
      const workers = peek(r.props, "workers");
      if (image === undefined || workers === 0) continue;
      clusters.push({ image, version: kubernetesVersionOfImage(image) });
    }
    if (clusters.length === 0) return;

    for (const ds of resources) {
      if (!isDaemonSetType(ds.type)) continue;
      if (metadataOf(ds.props).labels["app.kubernetes.io/part-of"] !== config.partOf) continue;
      const tolerations = peek(ds.props, "spec.template.spec.tolerations");
      const list: unknown[] = Array.isArray(tolerations) ? tolerations : [];
      for (const cluster of clusters) {
        const missing = controlPlaneTaintKeys(cluster.version).filter(
          (key) => !list.some((t) => tolerates(t, key, EFFECT)),
        );
        if (missing.length === 0) continue;
        const version = cluster.version
          ? `Kubernetes ${cluster.version.major}.${cluster.version.minor} from ${cluster.image}`
          : `${cluster.image}, whose tag names no Kubernetes version`;
        const add = missing
          .map((key) => `{ key: ${key}, operator: Exists, effect: ${EFFECT} }`)
          .join(" and ");
        report(
          `${RULE}: found ${describeObject("DaemonSet", ds)} without a toleration for ${missing.map((k) => `${k}:${EFFECT}`).join(" and ")} (${version}); add ${add} to spec.template.spec.tolerations`,
          ds.urn,
        );
      }
    }
  },
};
