/**
 * The node-probe DaemonSet: a privileged host-network pod per node that gives the checks a node's
 * view. One spec for both lifetimes: deployed by the stack (`nodeProbe: keep`, components/
 * LabWorkload.ts) or created by a check run for its own duration (`nodeProbe: run`,
 * runner/runNodeProbe.ts). Pure; lives in lib/ because both the stack and the compiled runner use it.
 */

export const PART_OF = "cilium-ebpf-lab";
export const NODE_PROBE_NAME = "node-probe";

/** Where the node-probe container sees the node's root filesystem (read-only). */
export const NODE_ROOT_MOUNT = "/host";

/**
 * Label of a DaemonSet a check run created for itself (value: the run's id). The run's own pods are
 * selected by it, and the next run finds a killed run's leftovers by it (runner/runNodeProbe.ts).
 */
export const RUN_PROBE_LABEL = "cilium-ebpf-lab/node-probe-run";

/** What the probe is built from. */
export interface NodeProbeInput {
  readonly namespace: string;
  readonly image: string;
}

/**
 * A privileged host-network pod on every node: the node's routes, iptables in both backends,
 * conntrack and captures on lxc devices, without `docker exec` into the kind node.
 *
 * The node's root filesystem is mounted read-only at {@link NODE_ROOT_MOUNT}, so checks run the
 * node's own binaries with `chroot` (the probe image has no `iptables-legacy*`; checks/defs/
 * kubeProxyNode.ts). containerd's CRI bind-mounts hostPath volumes with `rbind` (containerd
 * pkg/cri container_create_linux.go `options := []string{"rbind"}`), so the node's /proc, /sys and
 * /run are there as well.
 */
export function nodeProbeDaemonSet(input: NodeProbeInput) {
  const podLabels = {
    "app.kubernetes.io/name": NODE_PROBE_NAME,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/component": "node-probe",
  };
  return {
    metadata: { name: NODE_PROBE_NAME, namespace: input.namespace, labels: podLabels },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": NODE_PROBE_NAME } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          hostNetwork: true,
          dnsPolicy: "ClusterFirstWithHostNet",
          // Every node, whatever its taints: a node without a probe has no node-level evidence.
          tolerations: [{ operator: "Exists" }],
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: "probe",
              image: input.image,
              command: ["sleep", "infinity"],
              securityContext: { privileged: true },
              volumeMounts: [{ name: "node-root", mountPath: NODE_ROOT_MOUNT, readOnly: true }],
            },
          ],
          volumes: [{ name: "node-root", hostPath: { path: "/", type: "Directory" } }],
        },
      },
    },
  };
}

/**
 * The DaemonSet a check run creates for itself (`nodeProbe: run`): {@link nodeProbeDaemonSet} with
 * its own name and the {@link RUN_PROBE_LABEL} on the object, its selector and its pods, so its pods
 * are told from a kept probe's or another run's (two DaemonSets must not select the same pods), and
 * limited to `nodes` when given (the nodes the run samples: no root pod on a node the run does not
 * probe). A template's node affinity is honoured by the DaemonSet controller when it picks the
 * eligible nodes ("taken into consideration by the DaemonSet controller when evaluating the eligible
 * nodes, but is replaced on the created Pod with the node affinity that matches the name of the
 * eligible node": https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/, kubernetes/
 * website content/en/docs/concepts/workloads/controllers/daemonset.md); `matchFields` on
 * `metadata.name` is the form the controller itself writes there.
 */
export function runNodeProbeDaemonSet(input: NodeProbeInput, runId: string, nodes?: readonly string[]) {
  const base = nodeProbeDaemonSet(input);
  const labels = { ...base.metadata.labels, [RUN_PROBE_LABEL]: runId };
  const affinity =
    nodes === undefined
      ? {}
      : {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: [{ key: "metadata.name", operator: "In", values: [...nodes] }] },
                ],
              },
            },
          },
        };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { ...base.metadata, name: `${NODE_PROBE_NAME}-run-${runId}`, labels },
    spec: {
      selector: { matchLabels: { ...base.spec.selector.matchLabels, [RUN_PROBE_LABEL]: runId } },
      template: {
        metadata: { labels },
        spec: { ...base.spec.template.spec, ...affinity },
      },
    },
  };
}
