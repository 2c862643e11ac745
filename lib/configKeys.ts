/**
 * Every config key of the lab with its default (the raw string Pulumi holds) and its documentation.
 * Pulumi.yaml documents the same keys (a test compares them); lib/config.ts validates them.
 */
import { SUPPORTED_RANGE } from "./chartIndex";

/** Public, pinned, multi-arch image with ping, curl, tcpdump, ip, iptables, conntrack, iperf3, python3. */
export const DEFAULT_TEST_IMAGE =
  "nicolaka/netshoot:v0.13@sha256:a20c2531bf35436ed3766cd6cfe89d352b050ccc4d7005ce6400adf97503da1b";

/**
 * kind v0.18.0's (the write-up's kind) own Kubernetes 1.23 node image, pinned by digest as kind asks
 * ("please use these exact images ... including the digest"): release notes of
 * https://github.com/kubernetes-sigs/kind/releases/tag/v0.18.0. The write-up's `v1.23.4` tag was
 * built for kind v0.12.0 (kind pkg/apis/config/defaults/image.go at tag v0.12.0, line 21).
 */
export const DEFAULT_NODE_IMAGE =
  "kindest/node:v1.23.17@sha256:e5fd1d9cd7a9a50939f9c005684df5a6d145e8d695e78463637b79464292e66c";

/**
 * 172.16.0.0/16 is the one /16 of RFC 1918's 172.16.0.0/12 that Docker never hands out by default:
 * its local pools are 172.17.0.0/16 … 172.28.0.0/14 and 192.168.0.0/16 in /20s, its global pool
 * 10.0.0.0/8 in /24s (moby daemon/libnetwork/ipamutils/utils.go, lines 10-21). kind's own `kind`
 * network and docker0 therefore never take it, and it stays clear of the pod CIDR 10.0.0.0/8. A /24
 * holds the gateway and up to 253 nodes and leaves the rest of 172.16.0.0/16 to other stacks.
 */
export const DEFAULT_NODE_NETWORK = "172.16.10.0/24";

/** The chart repository of the Cilium chart unless `ciliumChartRepo` says otherwise (lib/configChart.ts). */
export const DEFAULT_CILIUM_CHART_REPO = "https://helm.cilium.io";

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
  nodeImage: {
    default: DEFAULT_NODE_IMAGE,
    description: "kind node image, pinned by digest (default: kind v0.18.0's Kubernetes 1.23 image).",
  },
  workers: { default: "2", description: "Number of kind worker nodes (1-10)." },
  ciliumVersion: { default: "1.13.0-rc5", description: `Cilium chart version (${SUPPORTED_RANGE}).` },
  ciliumChartRepo: {
    default: DEFAULT_CILIUM_CHART_REPO,
    description:
      "http(s) URL of the Helm chart repository the Cilium chart is downloaded from (a mirror, or one inside an air-gapped lab).",
  },
  ciliumChart: {
    default: "",
    description:
      "Absolute path of a local Cilium chart instead of a repository: a packaged cilium-<ciliumVersion>.tgz or an unpacked directory named cilium whose Chart.yaml has version ciliumVersion.",
  },
  nativeRoutingCidr: {
    default: "10.0.0.0/8",
    description: "ipv4NativeRoutingCIDR: traffic to it is routed natively and not masqueraded.",
  },
  podCidr: { default: "10.0.0.0/8", description: "Cilium cluster-pool IPv4 pod CIDR." },
  podCidrMaskSize: { default: "24", description: "Per-node pod CIDR mask size (cluster-pool)." },
  nodeNetwork: {
    default: DEFAULT_NODE_NETWORK,
    description:
      "Subnet of the Docker network the stack creates for the kind nodes (outside Docker's default address pools).",
  },
  nodeNetworkName: {
    default: "",
    description: "Name of the Docker network created for the nodes. Defaults to kind-<clusterName>.",
  },
  registryMirrors: {
    default: "{}",
    description:
      'containerd registry mirrors as a JSON string, {"registry": ["https://endpoint"]} (containerd 1.x node images).',
  },
  testImage: {
    default: DEFAULT_TEST_IMAGE,
    description: "Image of the test DaemonSet, client and node probes.",
  },
  nodePort: { default: "32000", description: "NodePort of the serversvc Service (30000-32767)." },
  namespace: {
    default: "",
    description:
      "Namespace of the test workload (default: default on kind; cilium-ebpf-lab, created with Pod Security privileged, in existing mode).",
  },
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
      "existing mode: API server address for Cilium (default: the host of the kubeconfig context's cluster server).",
  },
  k8sServicePort: {
    default: "",
    description:
      "existing mode: API server port for Cilium (default: the port of the kubeconfig context's cluster server, 443 when it has none).",
  },
  uninstallCiliumOnDestroy: {
    default: "false",
    description:
      "existing mode: pulumi destroy uninstalls the Cilium this stack installed (true, with cni.uninstall so nodes are left clean) or leaves it running (false).",
  },
  nodeProbe: {
    default: "",
    description:
      "How long the privileged host-network node-probe DaemonSet the node-level checks use exists: run (each check run creates it, waits for it on the nodes it samples and deletes it when it ends; the run's credentials need create/delete/list on daemonsets in the namespace), keep or true (deployed by the stack until destroy), off or false (never; node-level checks are inconclusive). Default: keep on kind, run in existing mode.",
  },
  runPerformance: {
    default: "false",
    description:
      "Measure throughput (iperf3), CPU and latency (busy and idle ping, NodePort by backend) pod-to-pod, pod-to-NodePort and node-to-node after the checks.",
  },
  datapathVariant: {
    default: "bpf",
    description:
      "Declared datapath: bpf (BPF host routing, the lab) or legacy-host-routing (bpf.hostLegacyRouting=true, the A/B's second lab: checks say differs, the policy pack accepts it).",
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
    default: "10",
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
