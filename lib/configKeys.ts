/**
 * Every config key of the lab with its default (the raw string Pulumi holds) and its documentation.
 * Pulumi.yaml documents the same keys (a test compares them); lib/config.ts validates them.
 */
import { SUPPORTED_RANGE } from "./chartIndex";

/** Public, pinned, multi-arch image with ping, curl, tcpdump, ip, iptables, conntrack, iperf3, python3. */
export const DEFAULT_TEST_IMAGE =
  "nicolaka/netshoot:v0.13@sha256:a20c2531bf35436ed3766cd6cfe89d352b050ccc4d7005ce6400adf97503da1b";

/** One config key: its default (as the raw string Pulumi would hold) and its documentation. */
export interface KeySpec {
  readonly default?: string;
  readonly description: string;
  /** Never echoed in errors. */
  readonly secret?: boolean;
}

/** Every config key the stack reads. Pulumi.yaml documents the same keys (a test compares them). */
export const CONFIG_KEYS: Readonly<Record<string, KeySpec>> = {
  clusterName: {
    default: "cilium-kubeproxy-replacement-ebpf",
    description:
      "kind cluster name and Cilium cluster.name (DNS-1123 label, at most 32 chars for Cilium >= 1.16).",
  },
  nodeImage: { default: "kindest/node:v1.23.4", description: "kind node image (the seed's v1.23.4)." },
  workers: { default: "2", description: "Number of kind worker nodes (1-10)." },
  ciliumVersion: { default: "1.13.0-rc5", description: `Cilium chart version (${SUPPORTED_RANGE}).` },
  nativeRoutingCidr: {
    default: "10.0.0.0/8",
    description: "ipv4NativeRoutingCIDR: traffic to it is routed natively and not masqueraded.",
  },
  podCidr: { default: "10.0.0.0/8", description: "Cilium cluster-pool IPv4 pod CIDR." },
  podCidrMaskSize: { default: "24", description: "Per-node pod CIDR mask size (cluster-pool)." },
  nodeNetwork: {
    default: "172.18.0.0/16",
    description: "Subnet of the Docker network the kind nodes live on (the seed's 172.18.0.0/16).",
  },
  nodeNetworkName: {
    default: "",
    description: "Name of the Docker network created for the nodes. Defaults to kind-<clusterName>.",
  },
  registryMirrors: {
    default: "{}",
    description:
      'containerd registry mirrors, {"registry": ["https://endpoint"]} (containerd 1.x node images).',
  },
  testImage: {
    default: DEFAULT_TEST_IMAGE,
    description: "Image of the test DaemonSet, client and node probes.",
  },
  nodePort: { default: "32000", description: "NodePort of the serversvc Service (30000-32767)." },
  namespace: { default: "default", description: "Namespace of the test workload." },
  appLabel: { default: "evescn", description: "Value of the app label of the test DaemonSet." },
  runChecks: { default: "true", description: "Run the datapath checks on pulumi up." },
  failOnCheckFailure: {
    default: "false",
    description: "Make pulumi up fail when a check fails (for CI; the evidence is then not published).",
  },
  checkTimeoutSeconds: { default: "30", description: "Timeout of each probe command, in seconds (5-120)." },
  checksRunId: {
    default: "1",
    description: "Change this value (any string) to re-run the checks without recreating anything.",
  },
  clusterMode: {
    default: "kind",
    description: "kind (create a kind cluster) or existing (use the cluster of kubeconfigPath/kubeconfig).",
  },
  kubeconfigPath: {
    default: "",
    description: "existing mode: path of the kubeconfig file of the cluster.",
  },
  kubeconfig: {
    default: "",
    description:
      "existing mode: the kubeconfig itself, as a secret (pulumi config set --secret kubeconfig ...).",
    secret: true,
  },
  context: {
    default: "",
    description: "existing mode: kubeconfig context to use (default: its current context).",
  },
  installCilium: {
    default: "true",
    description: "existing mode: install Cilium (true) or verify the Cilium already running (false).",
  },
  k8sServiceHost: {
    default: "",
    description:
      "existing mode: API server address for Cilium (default: the control-plane node's InternalIP).",
  },
  runPerformance: {
    default: "false",
    description:
      "Measure throughput (iperf3), CPU and latency (busy and idle ping, NodePort by backend) pod-to-pod, pod-to-NodePort and node-to-node after the checks.",
  },
  perfProfile: {
    default: "lab",
    description:
      "Cilium datapath while measuring: lab (the write-up's debug.verbose=datapath, bpf.monitorAggregation=none, Hubble) or measurement (debug off, monitorAggregation medium, Hubble off; needed for a comparison with published figures).",
  },
  perfRepeats: {
    default: "5",
    description: "Rounds of the performance run: every pair once per round, in a seeded random order (3-50).",
  },
  perfDurationSeconds: {
    default: "5",
    description: "Measured seconds of each iperf3 run, after a 1 s warm-up that is left out (1-120).",
  },
  perfStreams: { default: "1", description: "Parallel iperf3 streams (1-16)." },
  perfPingSamples: {
    default: "20",
    description: "Idle ping and NodePort samples per pair and round (5-1000); pooled over the rounds.",
  },
  nodeDevice: {
    default: "",
    description:
      "Node's main network device for the checks (default: eth0 on kind, detected on existing clusters).",
  },
};
