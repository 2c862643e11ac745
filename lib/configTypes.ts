/**
 * The types of the lab's configuration: the project name, the validated {@link LabConfig}, and the
 * {@link ConfigError} that `validateConfig` (lib/config.ts) throws with every bad key.
 */

/** The Pulumi project name; config keys are `cilium-ebpf-lab:<key>`. */
export const PROJECT = "cilium-ebpf-lab";

export type ClusterMode = "kind" | "existing";

/** The declared datapath variants, the default first (lib/configVariant.ts validates). */
export const DATAPATH_VARIANTS = ["bpf", "legacy-host-routing"] as const;
export type DatapathVariant = (typeof DATAPATH_VARIANTS)[number];

/** How long the node probe exists (lib/configMode.ts nodeProbeMode). */
export type NodeProbeMode = "run" | "keep" | "off";

/** The validated configuration of one lab stack. */
export interface LabConfig {
  readonly clusterName: string;
  readonly nodeImage: string;
  /** Kubernetes version read from the node image tag (`v1.23.4` → `1.23.4`), when the tag is one. */
  readonly kubernetesVersion?: string;
  readonly workers: number;
  readonly ciliumVersion: string;
  /** Helm chart repository of the Cilium chart (lib/configChart.ts). */
  readonly ciliumChartRepo: string;
  /** Absolute path of a local Cilium chart (.tgz or directory); when set, no repository is used. */
  readonly ciliumChart?: string;
  readonly nativeRoutingCidr: string;
  readonly podCidr: string;
  readonly podCidrMaskSize: number;
  readonly nodeNetwork: string;
  readonly nodeNetworkName: string;
  readonly registryMirrors: Readonly<Record<string, readonly string[]>>;
  readonly testImage: string;
  readonly nodePort: number;
  readonly namespace: string;
  readonly appLabel: string;
  readonly runChecks: boolean;
  readonly failOnCheckFailure: boolean;
  readonly checkTimeoutSeconds: number;
  readonly checksRunId: string;
  readonly clusterMode: ClusterMode;
  /** existing mode: kubeconfig file, absolute. */
  readonly kubeconfigPath?: string;
  /** existing mode: the kubeconfig given as a (secret) config value. */
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly installCilium: boolean;
  /** Override of Cilium's k8sServiceHost (existing mode; default: the kubeconfig's server host). */
  readonly k8sServiceHost?: string;
  /** Override of Cilium's k8sServicePort (existing mode; default: the kubeconfig's server port). */
  readonly k8sServicePort?: number;
  /** existing mode: destroy uninstalls the stack's Cilium (else the release is retained). */
  readonly uninstallCiliumOnDestroy: boolean;
  /**
   * The privileged node-probe DaemonSet: created by each check run and deleted after it (`run`, the
   * existing-mode default), deployed by the stack until destroy (`keep`, the kind default) or never (`off`).
   */
  readonly nodeProbe: NodeProbeMode;
  /** The node device the checks use; undefined means "detect" (existing mode). */
  readonly nodeDevice?: string;
  readonly runPerformance: boolean;
  /** lab: the write-up's debug datapath; measurement: debug, per-packet monitor events and Hubble off. */
  readonly perfProfile: "lab" | "measurement";
  readonly perfRepeats: number;
  readonly perfDurationSeconds: number;
  readonly perfStreams: number;
  readonly perfPingSamples: number;
  /** The declared datapath (lib/configVariant.ts): bpf, or legacy-host-routing for the A/B. */
  readonly datapathVariant: DatapathVariant;
}

/** One bad key. */
export interface ConfigProblem {
  readonly key: string;
  readonly value: string;
  readonly allowed: string;
}

/** Thrown by {@link validateConfig}: names every bad key, its value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid lab configuration:\n` +
        problems.map((p) => `  ${PROJECT}:${p.key} = ${JSON.stringify(p.value)}: ${p.allowed}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}
