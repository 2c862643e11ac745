/**
 * Labels shared by the stack's components and the preflight (which runs before any component exists,
 * so it must not import them).
 */

/** The label the stack puts on its Docker network, valued `<project>/<stack>`. */
export const NETWORK_OWNER_LABEL = "cilium-ebpf-lab.stack";

/**
 * kind labels every node container `io.x-k8s.kind.cluster=<name>` and finds a cluster's nodes by
 * that label, stopped ones included (kind pkg/cluster/internal/providers/docker/constants.go line 21,
 * provider.go lines 114-121: `docker ps -a --filter label=...`).
 */
export const KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster";
