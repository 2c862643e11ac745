/**
 * Pure helpers of {@link LabChecks}: the runner command line of one check, and the merge of the
 * runners' JSON documents into the `checks` and `datapath` stack outputs.
 */
import { runnerArgv } from "../lib/runnerArgv";
import { shellJoin } from "../lib/shell";
import { PublishedResult, RunReport, summarize } from "../runner/results";

/** Options passed to the standalone runner. */
export interface RunnerOptions {
  readonly namespace: string;
  readonly appLabel: string;
  readonly nativeCidr: string;
  /** Per-probe timeout in seconds. */
  readonly stepTimeoutSeconds: number;
  /** kubeconfig file (existing-cluster mode) instead of a kind cluster. */
  readonly kubeconfigPath?: string;
  readonly context?: string;
  /** The node's main device; omitted: the runner's default (eth0) or its detection. */
  readonly nodeDevice?: string;
  /** Existing mode, installCilium false: where the cluster's Cilium runs and its IPAM mode. */
  readonly ciliumNamespace?: string;
  readonly ipamMode?: string;
  /** JSON of existing/ciliumProfile.ts ProfileDifference[]: failures they explain become "differs". */
  readonly profileDifferences?: string;
  /**
   * The runner's `--node-probe`: present (the stack's kept probe; the default), run (the runner
   * creates its own and deletes it when it ends) or off.
   */
  readonly nodeProbe?: "present" | "run" | "off";
  /** Image of the run's node probe (nodeProbe run): the config's testImage. */
  readonly nodeProbeImage?: string;
}

/** The whole runner is cut after this many seconds, whatever its probes do. */
export const RUNNER_TIMEOUT_SECONDS = 600;

/**
 * The shell command of the checks' Command resource: `timeout` around the runner
 * (`node cli/run.js check`) running the given checks, every value quoted. With `kubeconfigFromEnv`
 * the kubeconfig arrives in LAB_KUBECONFIG and is written to a mode-0600 temp file that the trap
 * removes.
 */
export function checkCommand(
  checks: string | readonly string[],
  opts: RunnerOptions & { kindCluster?: string; failOnFailure: boolean; kubeconfigFromEnv?: boolean },
): string {
  const names = typeof checks === "string" ? [checks] : checks;
  const runner = shellJoin([
    ...runnerArgv("check", RUNNER_TIMEOUT_SECONDS, opts),
    ...(opts.nodeDevice ? ["--node-device", opts.nodeDevice] : []),
    ...(opts.ciliumNamespace ? ["--cilium-namespace", opts.ciliumNamespace] : []),
    ...(opts.ipamMode ? ["--ipam-mode", opts.ipamMode] : []),
    ...(opts.profileDifferences ? ["--profile-differences", opts.profileDifferences] : []),
    ...(opts.nodeProbe !== undefined && opts.nodeProbe !== "present" ? ["--node-probe", opts.nodeProbe] : []),
    ...(opts.nodeProbe === "run" && opts.nodeProbeImage ? ["--node-probe-image", opts.nodeProbeImage] : []),
    "--namespace",
    opts.namespace,
    "--app-label",
    opts.appLabel,
    "--native-cidr",
    opts.nativeCidr,
    "--timeout",
    String(opts.stepTimeoutSeconds),
    "--only",
    names.join(","),
    "--output",
    "json",
    ...(opts.failOnFailure ? ["--fail-on-failure"] : []),
  ]);
  return opts.kubeconfigFromEnv ? withKubeconfigFromEnv(runner) : runner;
}

/**
 * Wraps a runner command line so that the kubeconfig in LAB_KUBECONFIG reaches it as a mode-0600
 * temp file (`--kubeconfig "$kc"` appended) that the trap removes.
 */
export function withKubeconfigFromEnv(runner: string): string {
  return [
    "set -eu",
    "umask 077",
    "kc=$(mktemp)",
    "trap 'rm -f \"$kc\"' EXIT",
    'printf \'%s\\n\' "$LAB_KUBECONFIG" >"$kc"',
    `${runner} --kubeconfig "$kc"`,
    "",
  ].join("\n");
}

/** The outputs of one runner that ran every check: its document answers for each name. */
export function mergeRunOutput(names: readonly string[], stdout: string): CheckOutputs {
  return mergeCheckOutputs(
    names,
    names.map(() => stdout),
  );
}

export interface CheckOutputs {
  readonly checks: { summary: string; results: PublishedResult[] };
  readonly datapath: Record<string, unknown>;
}

/**
 * Merges the runners' documents. A runner that printed no usable JSON yields an inconclusive
 * result for its check with what it printed as evidence, never a pass.
 */
export function mergeCheckOutputs(names: readonly string[], stdouts: readonly string[]): CheckOutputs {
  const results: PublishedResult[] = [];
  const datapath: Record<string, unknown> = {};
  names.forEach((name, i) => {
    const raw = stdouts[i] ?? "";
    let doc: Partial<RunReport> | undefined;
    try {
      doc = JSON.parse(raw) as Partial<RunReport>;
    } catch {
      doc = undefined;
    }
    const found = doc?.results?.filter((r) => r && r.name === name) ?? [];
    if (found.length === 0) {
      results.push({
        name,
        proves: "",
        verdict: "inconclusive",
        reason: `the check runner printed no result for ${name}${raw.trim() === "" ? " (empty output)" : ""}`,
        evidence: [{ command: `cli/check.ts --only ${name}`, output: raw.slice(0, 4000) }],
        durationMs: 0,
      });
      return;
    }
    for (const r of found) {
      results.push({
        name: r.name,
        proves: r.proves,
        verdict: r.verdict,
        reason: r.reason,
        evidence: (r.evidence ?? []).map((e) => ({ command: e.command, output: e.output })),
        durationMs: r.durationMs,
      });
    }
    mergeFacts(datapath, doc?.datapath ?? {});
  });
  return { checks: { summary: summarize(results), results }, datapath };
}

function mergeFacts(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    if (v === undefined || v === null) continue;
    const prev = into[k];
    if (
      prev &&
      typeof prev === "object" &&
      !Array.isArray(prev) &&
      typeof v === "object" &&
      !Array.isArray(v)
    ) {
      mergeFacts(prev as Record<string, unknown>, v as Record<string, unknown>);
    } else if (prev === undefined) {
      into[k] = v;
    }
  }
}
