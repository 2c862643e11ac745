/**
 * The contract between probes, verdicts, the check runner and the stack outputs.
 *
 * A check has a name, one sentence saying what it proves about the datapath, a probe that collects
 * evidence through an {@link Executor}, and an expectation that turns the parsed evidence into a
 * verdict. Results are immutable values; the runner never mutates a result after it is built.
 */
import type { CiliumConfigKey, SettingDifference } from "./ciliumConfig";

/**
 * The verdicts. `inconclusive` means "the evidence does not allow a judgement", never "pass".
 * `differs`: on a cluster whose own Cilium is configured otherwise than the lab (existing mode,
 * installCilium false), what the check found is what the cluster's own cilium-config implies, not
 * the lab's datapath. A check gives it only through `differsFrom` (checks/defs/common.ts), naming the
 * keys that explain it; the runner keeps it only when the check declares those keys in
 * {@link CheckDefinition.restsOn} and the cluster's value of each differs from the lab's
 * (runner/profileVerdicts.ts), and makes it a `fail` otherwise.
 */
export type Verdict = "pass" | "fail" | "inconclusive" | "differs";

/** One command the probe ran and what it printed (stdout, then stderr when non-empty). */
export interface Evidence {
  /** The command as a person would type it (argv quoted for a POSIX shell). */
  readonly command: string;
  /** Raw output, kept verbatim (truncated to a bounded size by the executor). */
  readonly output: string;
  /** The process exit code, when it ran to completion. */
  readonly exitCode?: number;
  /** Set when the executor killed the command at its timeout. */
  readonly timedOut?: boolean;
}

/** The published result of one check. */
export interface CheckResult {
  readonly name: string;
  readonly proves: string;
  readonly verdict: Verdict;
  /** What was expected and what was seen, in words a person can act on. */
  readonly reason: string;
  readonly evidence: readonly Evidence[];
  readonly durationMs: number;
}

/**
 * Where a command runs: inside a pod (optionally a container of it) in a namespace, or, with `host`,
 * on the machine the check runner runs on (outside every node: a client the nodes' cgroup hooks never
 * see). A host target's `namespace` and `pod` only name it in the evidence and the recordings
 * ({@link RUNNER_HOST}).
 */
export interface ExecTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container?: string;
  readonly host?: boolean;
}

/** The runner's own machine as a target (the check runner runs `argv` there with a bound, no kubectl). */
export const RUNNER_HOST: ExecTarget = { namespace: "", pod: "runner-host", host: true };

/** What an executor returns for one command. Never throws for a failing command. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; undefined when the process was killed (timeout) or could not start. */
  readonly exitCode?: number;
  readonly timedOut: boolean;
  /** The command as a person would type it, for the evidence. */
  readonly command: string;
  readonly durationMs: number;
}

/** Which step of which check an exec belongs to (recording and replay key on it). */
export interface StepRef {
  readonly check: string;
  readonly step: string;
}

/** What the runner passes with every exec. */
export interface ExecOptions {
  readonly timeoutSeconds: number;
  /**
   * Called with output (stdout or stderr text) as it arrives, so the runner can see a capture
   * announce that it listens. Executors that cannot stream may ignore it: the runner then reads the
   * output once the exec is done.
   */
  readonly onOutput?: (text: string) => void;
  /** The check and step this exec runs for. */
  readonly step?: StepRef;
}

/**
 * Runs argv in a target. Implementations: `kubectl exec` (runner/executor.ts), `ip netns exec`
 * (tests), recorded fixtures (tests), a recording (runner/recording.ts). Every call carries a
 * timeout in seconds.
 */
export interface Executor {
  exec(target: ExecTarget, argv: readonly string[], opts: ExecOptions): Promise<ExecResult>;
}

/** A node of the lab as the checks see it. */
export interface LabNode {
  readonly name: string;
  readonly role: "control-plane" | "worker";
  readonly internalIp: string;
  /** Pod CIDRs Cilium allocated to this node, from its CiliumNode object (spec.ipam.podCIDRs). */
  readonly podCidrs: readonly string[];
}

/** A pod the checks use. */
export interface LabPod {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
  readonly ip: string;
}

/** {@link LabContext.nativeRoutingCidr} when cilium-config has no `ipv4-native-routing-cidr`. */
export const NATIVE_CIDR_UNSET = "unset";

/**
 * Everything the probes need to know about the running lab, discovered once per run with
 * `kubectl get` (no exec; only the fields needed: runner/discoveryProjection.ts). Probes are pure
 * functions of this context.
 */
export interface LabContext {
  readonly nodes: readonly LabNode[];
  /** The pods of the test DaemonSet (HTTP on :80 answering with pod name and IP). */
  readonly testPods: readonly LabPod[];
  /** The client pod (`net` in the seed). */
  readonly client: LabPod;
  /** One Cilium agent pod per node (namespace kube-system, container cilium-agent). */
  readonly ciliumPods: readonly LabPod[];
  /** One node-probe pod per node (hostNetwork, privileged): a node's view. */
  readonly probePods: readonly LabPod[];
  /** kube-proxy pods found in kube-system (there must be none): `k8s-app=kube-proxy` and static `component=kube-proxy`. */
  readonly kubeProxyPods: readonly string[];
  /**
   * Signs of a kube-proxy that runs without a pod (k3s's built-in proxy), one sentence each naming
   * the node and what was read. Optional so recorded contexts without it stay valid.
   */
  readonly kubeProxySignals?: readonly string[];
  /**
   * Where the node-probe pods see the node's root filesystem (their hostPath mount of `/`), for
   * running the node's own binaries with chroot. Defaults to `/host`; `/` in the network-namespace
   * miniature, whose "nodes" share this machine's filesystem.
   */
  readonly nodeRoot?: string;
  readonly service: {
    readonly name: string;
    readonly clusterIp: string;
    readonly port: number;
    readonly nodePort: number;
  };
  /** The node's main device as Cilium reports it; `eth0` on kind. Used where nodeDevices has no entry. */
  readonly nodeDevice: string;
  /**
   * Per node (by node name): each Cilium agent's own direct-routing device, read from its
   * `cilium status` (runner/nodeDevices.ts). Absent in recorded contexts and on kind (all eth0).
   */
  readonly nodeDevices?: Readonly<Record<string, string>>;
  /**
   * The native-routing CIDR the lab was installed with (Cilium's `ipv4NativeRoutingCIDR`, `10.0.0.0/8`
   * in the seed): traffic to it is not masqueraded. {@link NATIVE_CIDR_UNSET} when the cluster's
   * cilium-config sets none (Cilium then excludes each node's own allocation CIDR from masquerading).
   * Optional so recorded contexts without it stay valid; the check runner always sets it: `--native-cidr`,
   * else cilium-config's `ipv4-native-routing-cidr` (or unset), else `10.0.0.0/8` when cilium-config
   * cannot be read.
   */
  readonly nativeRoutingCidr?: string;
  /**
   * Set when `nodes` (and the pods) are a sample of the cluster (runner/sample.ts): the cluster's
   * node count, for checks that read an all-node signal (cilium-health's `Cluster health: N/M`).
   */
  readonly sampledFrom?: number;
  /**
   * Existing mode with the cluster's own Cilium (installCilium false): every cilium-config key whose
   * value is not the lab's, with what the cluster has. Absent or empty: the lab's profile applies.
   */
  readonly clusterDifferences?: readonly SettingDifference[];
}

/**
 * A step that another waits for: `ready` once the step's {@link ProbeStep.readyWhen} text appeared in
 * its output (a capture listening), `done` once it finished.
 */
export interface StepGate {
  readonly step: string;
  readonly when: "ready" | "done";
}

/** One command of a probe: where it runs, its argv, its timeout, and when it may start. */
export interface ProbeStep {
  /** Unique within a check; the judge looks results up by it. */
  readonly id: string;
  readonly target: ExecTarget;
  readonly argv: readonly string[];
  readonly timeoutSeconds: number;
  /**
   * Milliseconds to wait before starting (after any {@link startAfter} gate). For fixed pauses only
   * (a server's start-up in the performance runs); captures use `readyWhen`/`startAfter` instead.
   */
  readonly delayMs?: number;
  /**
   * Text that, once it appears in the step's stdout or stderr, says the step is ready: tcpdump's
   * `listening on` line for a capture. Steps gated on it (`startAfter … when: "ready"`) start then.
   */
  readonly readyWhen?: string;
  /**
   * Steps of the same check this one waits for. A `ready` gate that does not open within the
   * runner's bound (or whose step ends first) leaves this step unrun and the check inconclusive.
   */
  readonly startAfter?: readonly StepGate[];
}

/** What a check decides from its evidence (the runner adds name, proves, evidence, duration). */
export interface Judgement {
  readonly verdict: Verdict;
  readonly reason: string;
  /** Facts read on the way (datapath facts published as the `datapath` output). */
  readonly facts?: Readonly<Record<string, unknown>>;
  /** With verdict `differs`: the cilium-config keys whose cluster value explains the result. */
  readonly explainedBy?: readonly CiliumConfigKey[];
}

/**
 * A check: expectations are data kept apart from the probe. `steps` only says what to run;
 * `judge` only reads what came back. Both are pure, so tests feed recorded outputs to `judge`.
 */
export interface CheckDefinition {
  /** kebab-case, unique per run, e.g. `ping-cross-node`. */
  readonly name: string;
  /** One sentence: what a pass proves about the datapath. */
  readonly proves: string;
  /**
   * The cilium-config keys whose lab value this check's expectation rests on; `[]` says explicitly
   * that it rests on none (a test holds every check to declaring). The table of which checks a
   * difference concerns (existing/ciliumProfile.ts) is derived from these, and only these keys may
   * explain a `differs` verdict of this check.
   */
  readonly restsOn: readonly CiliumConfigKey[];
  steps(ctx: LabContext): readonly ProbeStep[];
  judge(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement;
}
