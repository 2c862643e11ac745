/**
 * control-plane-taint-tolerated: the lab's DaemonSets run on the control-plane node too.
 *
 * What it checks: every DaemonSet labelled `app.kubernetes.io/part-of: cilium-ebpf-lab` tolerates
 * the NoSchedule taint kubeadm puts on the control-plane of the Kubernetes version of the kind
 * cluster the stack creates: `node-role.kubernetes.io/master` below 1.24, both keys on 1.24,
 * `node-role.kubernetes.io/control-plane` from 1.25 (both when the image tag is not a version, or
 * kind's default image is used). The cluster is any `command:local:Command` that runs `kind create
 * cluster` (this lab's KindCluster runs one): the image comes from its `--image` flag or the
 * per-node `image` of the kind config it reads. A toleration with `operator: Exists` and no key
 * tolerates every taint. Clusters without worker nodes (kind then removes the taint) and stacks
 * without a kind Command are not judged.
 *
 * Why a stack policy: it relates the cluster to the DaemonSets. It reads OUTPUTS (pulumi/pulumi
 * pkg/resource/deploy/step_generator.go `AnalyzeResources`, lines 3518-3520): a Command's outputs
 * carry its inputs (`create`, `stdin`) at every phase, but the KindCluster component's outputs are
 * only what it registers (pkg/resource/deploy/step_executor.go lines 251-283: the component's
 * outputs are set to the RegisterResourceOutputs payload), which holds no node image, so the
 * previous version read nothing and never fired. When it can fire:
 * - preview of a new stack: never. The DaemonSets sit on a Kubernetes provider whose kubeconfig is
 *   unknown, which hands back EMPTY outputs at preview (pkg/resource/plugin/provider_plugin.go lines
 *   1424-1440);
 * - preview of an existing stack: yes (recorded outputs; changed objects previewed by a configured
 *   provider);
 * - up: yes, after every step ran (deployment_executor.go lines 407-417); it is advisory.
 *
 * Why: the lab's checks reach the test server and the node probe on every node, the control-plane
 * included (NodePort on every node IP, per-node BPF evidence); a DaemonSet that skips the
 * control-plane leaves those checks without a target there.
 *
 * Source: https://docs.cilium.io/en/stable/installation/kind/ (multi-node kind clusters) and
 * https://kubernetes.io/docs/reference/labels-annotations-taints/#node-role-kubernetes-io-control-plane-taint
 */
import { StackValidationPolicy, UnknownValueError } from "@pulumi/policy";
import { configOf } from "../lib/config";
import { KubeMinor, controlPlaneTaintKeys, kubernetesVersionOfImage, tolerates } from "../lib/kubernetes";
import { readKindConfig } from "../lib/kind";
import { kindCreateOf } from "../lib/kindCommand";
import { field, isRecord, peek } from "../lib/props";
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
    "Every DaemonSet labelled app.kubernetes.io/part-of=cilium-ebpf-lab must tolerate the control-plane NoSchedule taint of the kind cluster's Kubernetes version (master below 1.24, both on 1.24, control-plane from 1.25); judged on outputs: at a preview of an existing stack and at up.",
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
    const config = configOf("control-plane-taint-tolerated", DEFAULTS, args);
    const resources = stackResources(args);
    const clusters = resources.flatMap((r) => kindClusterOf(r.type, r.props));
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

/** A kind cluster a Command creates (from its outputs), when it has worker nodes. */
function kindClusterOf(type: string, props: unknown): { image: string; version: KubeMinor | undefined }[] {
  if (type !== TYPES.command) return [];
  let create;
  try {
    create = kindCreateOf(props);
  } catch (err) {
    if (err instanceof UnknownValueError) return []; // not known yet: judged once it is
    throw err;
  }
  if (create === undefined) return [];
  let nodes: unknown[] | undefined;
  let nodeImage: string | undefined;
  if (create.config.kind === "text") {
    const reading = readKindConfig(create.config.text);
    const list = reading.ok ? peek(reading.config, "nodes") : undefined;
    if (Array.isArray(list)) {
      nodes = list;
      const images = list.map((n) => field(n, "image")).filter((i): i is string => typeof i === "string");
      nodeImage = images[0];
    }
  }
  // kind's default config is one control-plane node, whose taint kind removes.
  if (create.config.kind === "none") return [];
  if (nodes !== undefined && !nodes.some((n) => isRecord(n) && field(n, "role") === "worker")) return [];
  const image = nodeImage ?? create.image ?? "kind's default node image";
  return [{ image, version: kubernetesVersionOfImage(image) }];
}
