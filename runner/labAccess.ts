/**
 * Reaching the lab from a runner CLI (checks and performance): a kind cluster's kubeconfig in a
 * private temporary file, discovery with `kubectl get` or a recorded context, and the signal guard
 * that removes the kubeconfig and ends kubectl's process groups when the run is interrupted.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";

import { shellJoin } from "../lib/shell";
import { validateLabContext } from "./contextFile";
import { discoverLabContext } from "./discovery";
import type { ContextOptions, Discovery } from "./discoveryTypes";
import { KubectlExecutor } from "./executor";
import { terminateAllProcesses } from "./processGroups";
import { runProcess } from "./runProcess";
import type { LabContext } from "../checks/types";

/** How a run reaches the lab: the cluster and lab flags shared by the check and performance CLIs. */
export interface LabAccessOptions {
  readonly kubeconfig?: string;
  readonly kindCluster?: string;
  readonly context?: string;
  readonly contextFile?: string;
  readonly contextOptions: ContextOptions;
  readonly nodeDeviceSet: boolean;
  readonly nativeCidrSet: boolean;
  readonly dryRun: boolean;
}

/** What a run needs of its process: the environment for kind and kubectl, and signal handling. */
export interface LabAccessIO {
  /** Variables merged over process.env for kind and kubectl (PATH included). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Handle SIGINT/SIGTERM (clean up, end child process groups, exit). Defaults to true. */
  readonly handleSignals?: boolean;
}

/** A usage error: the CLI exits 2 with its message. */
export class UsageError extends Error {}

/** Reads a recorded LabContext; usage error (naming the flag) when unreadable or malformed. */
export function readContextFile(file: string, opts: LabAccessOptions): LabContext {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--context-file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const errors = validateLabContext(value);
  if (errors.length > 0)
    throw new UsageError(`--context-file ${file} is not a lab context: ${errors.join("; ")}`);
  const ctx = value as LabContext;
  // Flags given explicitly override the recorded values.
  return {
    ...ctx,
    nodeDevice: opts.nodeDeviceSet ? (opts.contextOptions.nodeDevice ?? ctx.nodeDevice) : ctx.nodeDevice,
    nativeRoutingCidr: opts.nativeCidrSet
      ? opts.contextOptions.nativeRoutingCidr
      : (ctx.nativeRoutingCidr ?? "10.0.0.0/8"),
  };
}

/**
 * A private temporary kubeconfig: a fresh directory from mkdtemp (mode 0700) holding one file created
 * with mode 0600. Removed by {@link remove}, which is safe to call more than once and is also hooked
 * to process exit as a last resort.
 */
export class TempKubeconfig {
  readonly dir: string;
  readonly file: string;
  private readonly onExit = (): void => this.remove();

  constructor(content: string) {
    this.dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "lab-checks-"));
    this.file = nodePath.join(this.dir, "kubeconfig");
    try {
      // "wx": never follow or reuse an existing file; 0600 before any byte is written.
      fs.writeFileSync(this.file, content, { mode: 0o600, flag: "wx" });
    } catch (err) {
      this.remove();
      throw err;
    }
    process.on("exit", this.onExit);
  }

  remove(): void {
    process.removeListener("exit", this.onExit);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A discovery that failed before kubectl could run (kind had no kubeconfig to give). */
function failedDiscovery(
  source: "kind",
  message: string,
  command: string,
  output: string,
  exitCode?: number,
): Discovery {
  return {
    problems: [{ source, fatal: true, message }],
    evidence: [{ command, output, exitCode, timedOut: false }],
    noCluster: `${message}: ${
      output
        .split("\n")
        .find((l) => l.trim() !== "")
        ?.trim() ?? "no output"
    }`,
  };
}

/**
 * While a run holds a private kubeconfig or a node probe of its own: on SIGINT/SIGTERM end every
 * kubectl process group, run the stop hooks (deleting the run's node probe: before the kubeconfig
 * goes), remove the kubeconfig and exit (130/143). `release()` uninstalls the handlers and removes
 * the kubeconfig.
 */
export function guardRun(
  io: Pick<LabAccessIO, "handleSignals">,
  log: (text: string) => void,
  tag: string,
): {
  hold(temp: TempKubeconfig | undefined): void;
  onStop(hook: () => Promise<unknown>): void;
  /** True once a signal arrived: nothing new (a node probe) may be created any more. */
  stopping(): boolean;
  release(): void;
} {
  let temp: TempKubeconfig | undefined;
  let stopping = false;
  const hooks: (() => Promise<unknown>)[] = [];
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping = true;
    log(`${tag}: ${signal}: stopping`);
    void terminateAllProcesses()
      .then(() => Promise.allSettled(hooks.map((h) => h())))
      .finally(() => {
        temp?.remove();
        process.exit(signal === "SIGINT" ? 130 : 143);
      });
  };
  if (io.handleSignals ?? true) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  return {
    hold: (t) => {
      temp = t;
    },
    onStop: (hook) => void hooks.push(hook),
    stopping: () => stopping,
    release: () => {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      temp?.remove();
    },
  };
}

/** What {@link openLab} found: the executor to use and the discovered (or recorded) lab. */
export interface OpenedLab {
  readonly executor: KubectlExecutor;
  readonly discovery: Discovery;
  /** The private kubeconfig of a kind cluster; the caller removes it. */
  readonly temp?: TempKubeconfig;
}

/**
 * Reaches the lab as the flags say: a kind cluster's kubeconfig goes to a private temporary file,
 * then the lab is discovered with `kubectl get` (or read from --context-file). Shared by the check
 * and performance CLIs. Never echoes the kubeconfig.
 */
export async function openLab(
  opts: LabAccessOptions,
  io: Pick<LabAccessIO, "env">,
  log: (text: string) => void,
  tag: string,
): Promise<OpenedLab> {
  let kubeconfig = opts.kubeconfig;
  let discovery: Discovery | undefined;
  let temp: TempKubeconfig | undefined;
  // A dry run from a recorded context needs no cluster at all.
  const offline = opts.dryRun && opts.contextFile !== undefined;
  if (opts.kindCluster !== undefined && !offline) {
    const argv = ["kind", "get", "kubeconfig", "--name", opts.kindCluster];
    log(`${tag}: reading the kubeconfig of kind cluster ${opts.kindCluster}`);
    const r = await runProcess(argv, { timeoutSeconds: 60, env: io.env });
    if (r.exitCode === 0 && r.stdout.trim() !== "") {
      temp = new TempKubeconfig(r.stdout);
      kubeconfig = temp.file;
    } else {
      const why = r.timedOut ? "timed out" : `failed (exit ${r.exitCode ?? "none"})`;
      // Never echo stdout here: it would be the kubeconfig.
      discovery = failedDiscovery("kind", `${shellJoin(argv)} ${why}`, shellJoin(argv), r.stderr, r.exitCode);
    }
  }
  const executor = new KubectlExecutor({ kubeconfig, context: opts.context, env: io.env });
  if (opts.contextFile !== undefined) {
    discovery = { context: readContextFile(opts.contextFile, opts), problems: [], evidence: [] };
  } else if (discovery === undefined) {
    log(`${tag}: discovering the lab (kubectl get)`);
    discovery = await discoverLabContext(executor, opts.contextOptions);
  }
  return { executor, discovery, temp };
}
