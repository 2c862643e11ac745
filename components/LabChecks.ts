import * as command from "@pulumi/command";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RunnerOptions, checkCommand, mergeRunOutput, CheckOutputs } from "./checkCommands";
import { inOwnProcessGroup } from "../lib/processGroup";

/** Arguments of {@link LabChecks}. */
export interface LabChecksArgs extends RunnerOptions {
  /** Names of the checks to run (one runner process runs them all). */
  readonly checks: readonly string[];
  /** The kind cluster the runner reads its kubeconfig from (`kind get kubeconfig`). */
  readonly kindCluster?: pulumi.Input<string>;
  /** A kubeconfig value (existing mode without a file): passed to the runner in the environment. */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Changing it re-runs every check (a trigger), without recreating anything else. */
  readonly runId: string;
  /**
   * What the verdicts describe, each a trigger too: the cluster instance's identity and the Cilium
   * release (version and a hash of its values). A change replaces the Command, which re-runs it:
   * @pulumi/command's triggers are replaceOnChanges (v1.2.1 provider/pkg/provider/common/inputs.go
   * line 10), and nothing else re-runs a Command whose own inputs did not change (`dependsOn` never does).
   */
  readonly rerunOn?: pulumi.Input<string>[];
  /** Make `pulumi up` fail when a check fails. Defaults to false, so evidence is always published. */
  readonly failOnFailure?: boolean;
  /** What must be ready first: the workload and the Cilium release. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * One Command resource runs the standalone check runner once for every check
 * (`cli/check.ts --only a,b,...`), which prints one JSON document; its per-check results become
 * the `checks` and `datapath` outputs. One runner, not one per check: the lab is discovered once,
 * one Node process (~200 MB) runs instead of 14, and the runner's global exec bound holds for the
 * whole run (issue 15: 14 runners took 160-220 MB each and 36 kubectl processes at once on the
 * 3-node lab). A check that fails does not fail `pulumi up` unless asked, so the evidence of a
 * failure is always published; a run that reaches no cluster fails `up` with one line.
 */
export class LabChecks extends pulumi.ComponentResource {
  /** The one Command (an array so callers and tests read it as before). */
  public readonly commands: command.local.Command[];
  public readonly checks: pulumi.Output<CheckOutputs["checks"]>;
  public readonly datapath: pulumi.Output<CheckOutputs["datapath"]>;

  constructor(name: string, args: LabChecksArgs, opts?: pulumi.ComponentResourceOptions) {
    const { dependsOn, kindCluster, kubeconfig, rerunOn, ...rest } = args;
    super("lab:index:LabChecks", name, rest, opts);
    const repoRoot = path.resolve(__dirname, "..");

    this.commands = [args.checks].map(
      (checks) =>
        new command.local.Command(
          `${name}-run`,
          {
            // Ended whole (the runner and its kubectl probes) when Pulumi cancels: lib/processGroup.ts.
            create: pulumi.output(kindCluster).apply((cluster) =>
              inOwnProcessGroup(
                checkCommand(checks, {
                  ...rest,
                  kindCluster: cluster,
                  failOnFailure: args.failOnFailure ?? false,
                  kubeconfigFromEnv: kubeconfig !== undefined,
                }),
                { graceSeconds: 15 },
              ),
            ),
            environment: kubeconfig === undefined ? undefined : { LAB_KUBECONFIG: pulumi.secret(kubeconfig) },
            dir: repoRoot,
            // The runner never prints the kubeconfig; its stdout is the result document.
            logging: "stderr",
            triggers: [args.runId, ...(rerunOn ?? [])],
            addPreviousOutputInEnv: false,
          },
          { parent: this, dependsOn, customTimeouts: { create: "15m" } },
        ),
    );

    const merged = this.commands[0].stdout.apply((stdout) => mergeRunOutput(args.checks, stdout));
    // A kubeconfig in the environment makes stdout secret; the runner never prints it, so the
    // results are published readable (a test asserts no kubeconfig text reaches them).
    this.checks = pulumi.unsecret(merged.apply((m) => m.checks));
    this.datapath = pulumi.unsecret(merged.apply((m) => m.datapath));

    this.registerOutputs({ commands: this.commands, checks: this.checks, datapath: this.datapath });
  }
}
