import * as command from "@pulumi/command";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { inOwnProcessGroup } from "../lib/processGroup";
import { shellJoin } from "../lib/shell";
import type { PreflightInput } from "../preflight/types";

/** Arguments of {@link LabPreflight}. */
export interface LabPreflightArgs {
  /** What the preflight judges (from the validated config). */
  readonly input: PreflightInput;
}

/** The runner is cut after this many seconds (each of its probes has its own 20 s timeout). */
export const PREFLIGHT_TIMEOUT_SECONDS = 180;

/** The shell command of the preflight Command: the CLI with the input as one quoted argument. */
export function preflightCommand(input: PreflightInput): string {
  return shellJoin([
    "timeout",
    "--kill-after=10",
    String(PREFLIGHT_TIMEOUT_SECONDS),
    "node",
    "cli/run.js",
    "preflight",
    "--input-json",
    JSON.stringify(input),
  ]);
}

/**
 * The stack's first Command: checks the machine (Docker, kind, kubectl, Pulumi CLI, kernel, cgroup,
 * subnets, a cluster of the same name, inotify) and fails with one line per problem before anything
 * is created. Everything else depends on it. Its input is a trigger, so it runs again whenever the
 * configuration it judges changes (a Command runs only on create or when its inputs change).
 */
export class LabPreflight extends pulumi.ComponentResource {
  public readonly command: command.local.Command;

  constructor(name: string, args: LabPreflightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lab:index:LabPreflight", name, args, opts);
    this.command = new command.local.Command(
      `${name}-run`,
      {
        // Ended whole (its node and the probes it runs) when Pulumi cancels: lib/processGroup.ts.
        create: inOwnProcessGroup(preflightCommand(args.input), { graceSeconds: 10 }),
        dir: path.resolve(__dirname, ".."),
        // Its lines (errors and warnings) are the point: print them.
        logging: "stdoutAndStderr",
        triggers: [JSON.stringify(args.input)],
        addPreviousOutputInEnv: false,
      },
      { parent: this, customTimeouts: { create: `${PREFLIGHT_TIMEOUT_SECONDS + 30}s` } },
    );
    this.registerOutputs({ command: this.command });
  }
}
