import * as command from "@pulumi/command";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { perfCommand, perfWorstCaseSeconds, readPerformanceOutput } from "../perf/stack";
import { DEFAULT_READY_TIMEOUT_SECONDS } from "../runner/runNodeProbe";
import type { DatapathProfile, Performance, PerfSettings } from "../perf/types";
import { withKubeconfigFromEnv } from "./checkCommands";
import { inOwnProcessGroup } from "../lib/processGroup";

/** Arguments of {@link LabPerformance}. */
export interface LabPerformanceArgs {
  readonly settings: Pick<PerfSettings, "durationSeconds" | "streams" | "pingSamples" | "repeats">;
  /** How the stack configured Cilium (perfProfile), or `unknown` when it did not install it. */
  readonly datapathProfile: DatapathProfile;
  readonly namespace: string;
  readonly appLabel: string;
  /** The kind cluster the runner reads its kubeconfig from. */
  readonly kindCluster?: pulumi.Input<string>;
  /** existing mode: a kubeconfig file, or the kubeconfig value (passed in the environment). */
  readonly kubeconfigPath?: string;
  readonly kubeconfig?: pulumi.Input<string>;
  readonly context?: string;
  /** Changing it re-runs the measurement. */
  readonly runId: string;
  /** The runner's `--node-probe` and the run probe's image (nodeProbe run: it creates its own). */
  readonly nodeProbe?: "present" | "run" | "off";
  readonly nodeProbeImage?: string;
  /**
   * What the verdicts describe, each a trigger too: the cluster instance's identity and the Cilium
   * release (version and a hash of its values). A change replaces the Command, which re-runs it:
   * @pulumi/command's triggers are replaceOnChanges (v1.2.1 provider/pkg/provider/common/inputs.go
   * line 10), and nothing else re-runs a Command whose own inputs did not change (`dependsOn` never does).
   */
  readonly rerunOn?: pulumi.Input<string>[];
  /** The checks: the measurement runs after them, alone, so nothing distorts it. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * One Command that measures the datapath in rounds (pod↔pod same node, across nodes, pod→NodePort,
 * node↔node, each once per round in a seeded order) after the checks, published as the `performance`
 * output with medians, spreads, CPU and the datapath profile.
 */
export class LabPerformance extends pulumi.ComponentResource {
  public readonly command: command.local.Command;
  public readonly performance: pulumi.Output<Performance>;

  constructor(name: string, args: LabPerformanceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { dependsOn, kindCluster, kubeconfig, rerunOn, ...rest } = args;
    super("lab:index:LabPerformance", name, rest, opts);
    const perfSettings = { ...args.settings };
    // The whole run is bounded: the Command's own timeout is above the runner's `timeout`.
    const probeWait = args.nodeProbe === "run" ? DEFAULT_READY_TIMEOUT_SECONDS : 0;
    const minutes = Math.ceil((perfWorstCaseSeconds(perfSettings) + 180 + probeWait) / 60);
    this.command = new command.local.Command(
      `${name}-run`,
      {
        create: pulumi.output(kindCluster).apply((cluster) => {
          const runner = perfCommand({
            ...perfSettings,
            kindCluster: cluster,
            kubeconfigPath: args.kubeconfigPath,
            context: args.context,
            namespace: args.namespace,
            appLabel: args.appLabel,
            datapathProfile: args.datapathProfile,
            nodeProbe: args.nodeProbe,
            nodeProbeImage: args.nodeProbeImage,
          });
          // Ended whole (the runner and its probes) when Pulumi cancels: lib/processGroup.ts.
          return inOwnProcessGroup(kubeconfig === undefined ? runner : withKubeconfigFromEnv(runner), {
            graceSeconds: 15,
          });
        }),
        environment: kubeconfig === undefined ? undefined : { LAB_KUBECONFIG: pulumi.secret(kubeconfig) },
        dir: path.resolve(__dirname, ".."),
        logging: "stderr",
        triggers: [args.runId, ...(rerunOn ?? [])],
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn, customTimeouts: { create: `${minutes}m` } },
    );
    // The runner never prints the kubeconfig: the figures stay readable.
    this.performance = pulumi.unsecret(
      this.command.stdout.apply((out) => readPerformanceOutput(out, perfSettings)),
    );
    this.registerOutputs({ command: this.command, performance: this.performance });
  }
}
