/**
 * The standalone check runner: `npm run check -- [flags]`.
 *
 * Discovers the lab with `kubectl get`, runs the checks with `kubectl exec`, and prints one JSON
 * document (a RunReport) on stdout, or a text table on a terminal. Logs and progress go to stderr.
 * The same program runs inside the stack's Command resources and by hand against any cluster.
 */
import { parseArgs } from "node:util";
import * as ipaddr from "ipaddr.js";

import { runCliMain } from "../lib/cliMain";
import type { ContextOptions } from "./context";
import { detectNodeDevice } from "./device";
import { UsageError, guardRun, openLab } from "./labAccess";
import { planChecks, runChecks, selectChecks, type ExecPlan } from "./runner";
import type { RunReport } from "./report";
import type { CheckDefinition, CheckResult } from "./types";

export const USAGE = `Usage: npm run check -- [flags]

Runs the datapath checks of the Cilium lab against a cluster and prints the results.

Cluster (at most one of --kubeconfig and --kind-cluster; default: kubectl's own configuration):
  --kubeconfig FILE        kubeconfig file for kubectl
  --kind-cluster NAME      use the kubeconfig of kind cluster NAME (kind get kubeconfig --name NAME),
                           kept in a private temporary file (mode 0600) removed on exit
  --context NAME           kubeconfig context
  --context-file FILE      a recorded lab context (JSON) instead of discovering it; with --dry-run
                           no cluster is needed

The lab (defaults reproduce the seed):
  --namespace NS           namespace of the test pods, client pod, service, node probes (default: default)
  --app-label VALUE        app label of the test DaemonSet (default: evescn)
  --client NAME            client pod (default: net)
  --service NAME           NodePort service (default: serversvc)
  --node-device DEV|auto   node's main device (default: eth0); auto reads it from a node-probe pod
                           (ip route get <another node's IP>), for clusters other than kind
  --native-cidr CIDR       Cilium's IPv4 native-routing CIDR (default: 10.0.0.0/8)

Run:
  --only NAME              run only this check; repeat the flag or separate names with commas
  --dry-run                print the exec plan and counts; execute nothing
  --timeout SECONDS        upper bound for every step's timeout
  --fail-on-failure        exit 1 when a check fails (inconclusive does not count)
  --output json|text       json (one RunReport document; default when stdout is not a terminal)
                           or text (a table; default on a terminal)
  -h, --help               print this help

Exit status: 0; 1 with --fail-on-failure and a failed check, or when nothing could be run (a dry
run without a context); 2 for a usage error.
`;

/** What the CLI talks to; tests pass their own. */
export interface CliIO {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  /** Variables merged over process.env for kind and kubectl (PATH included). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The check definitions. Defaults to `ALL_CHECKS` of checks/defs. */
  readonly loadDefinitions?: () => readonly CheckDefinition[];
  /** Handle SIGINT/SIGTERM (clean up, end child process groups, exit). Defaults to true. */
  readonly handleSignals?: boolean;
}

export interface CliOptions {
  readonly kubeconfig?: string;
  readonly kindCluster?: string;
  readonly context?: string;
  readonly contextFile?: string;
  readonly contextOptions: ContextOptions;
  readonly nodeDeviceSet: boolean;
  readonly nativeCidrSet: boolean;
  readonly only?: string[];
  readonly dryRun: boolean;
  readonly failOnFailure: boolean;
  readonly timeout?: number;
  readonly output: "json" | "text";
  readonly help: boolean;
}

const FLAGS = {
  kubeconfig: { type: "string" },
  "kind-cluster": { type: "string" },
  context: { type: "string" },
  "context-file": { type: "string" },
  namespace: { type: "string" },
  "app-label": { type: "string" },
  client: { type: "string" },
  service: { type: "string" },
  "node-device": { type: "string" },
  "native-cidr": { type: "string" },
  only: { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  "fail-on-failure": { type: "boolean" },
  timeout: { type: "string" },
  output: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function parseFlags(args: readonly string[]) {
  return parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false });
}

/** Parses and validates the flags; throws {@link UsageError} with a message naming the flag. */
export function parseCliArgs(args: readonly string[], stdoutIsTTY: boolean): CliOptions {
  let values: ReturnType<typeof parseFlags>["values"];
  try {
    ({ values } = parseFlags(args));
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']+)'/.exec(text);
    if (unknown !== null) throw new UsageError(`unknown flag ${unknown[1]}`);
    const positional = /^Unexpected argument '([^']*)'/.exec(text);
    if (positional !== null) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(positional[1])}: flags only (repeat --only for each check name)`,
      );
    }
    throw new UsageError(text);
  }

  const nonEmpty = (flag: keyof typeof FLAGS): string | undefined => {
    const v = values[flag];
    if (typeof v === "string" && v.trim() === "") throw new UsageError(`--${flag} needs a non-empty value`);
    return typeof v === "string" ? v : undefined;
  };

  if (values.kubeconfig !== undefined && values["kind-cluster"] !== undefined) {
    throw new UsageError("--kubeconfig and --kind-cluster exclude each other: give one");
  }

  const output = values.output ?? (stdoutIsTTY ? "text" : "json");
  if (output !== "json" && output !== "text") {
    throw new UsageError(`--output must be one of: json, text (got ${JSON.stringify(output)})`);
  }

  let timeout: number | undefined;
  if (values.timeout !== undefined) {
    timeout = Number(values.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new UsageError(
        `--timeout must be a positive number of seconds (got ${JSON.stringify(values.timeout)})`,
      );
    }
  }

  const nativeCidr = nonEmpty("native-cidr");
  if (nativeCidr !== undefined) {
    let ok = false;
    try {
      ok = ipaddr.parseCIDR(nativeCidr)[0].kind() === "ipv4";
    } catch {
      ok = false;
    }
    if (!ok)
      throw new UsageError(
        `--native-cidr must be an IPv4 CIDR such as 10.0.0.0/8 (got ${JSON.stringify(nativeCidr)})`,
      );
  }

  const only = values.only
    ?.flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
  if (values.only !== undefined && (only === undefined || only.length === 0)) {
    throw new UsageError("--only needs a check name");
  }

  return {
    kubeconfig: nonEmpty("kubeconfig"),
    kindCluster: nonEmpty("kind-cluster"),
    context: nonEmpty("context"),
    contextFile: nonEmpty("context-file"),
    contextOptions: {
      namespace: nonEmpty("namespace"),
      appLabel: nonEmpty("app-label"),
      client: nonEmpty("client"),
      service: nonEmpty("service"),
      nodeDevice: nonEmpty("node-device"),
      nativeRoutingCidr: nativeCidr,
    },
    nodeDeviceSet: values["node-device"] !== undefined,
    nativeCidrSet: nativeCidr !== undefined,
    only,
    dryRun: values["dry-run"] ?? false,
    failOnFailure: values["fail-on-failure"] ?? false,
    timeout,
    output,
    help: values.help ?? false,
  };
}

/** ALL_CHECKS from checks/defs, loaded when needed so that --help and usage errors work without it. */
function defaultDefinitions(): readonly CheckDefinition[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("./defs") as { ALL_CHECKS?: unknown };
  if (!Array.isArray(mod.ALL_CHECKS)) throw new Error("checks/defs does not export ALL_CHECKS");
  return mod.ALL_CHECKS as readonly CheckDefinition[];
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** A compact table; evidence is shown for checks that did not pass. */
export function renderText(report: RunReport): string {
  const rows = report.results.map((r) => [
    r.verdict.toUpperCase(),
    r.name,
    formatDuration(r.durationMs),
    r.reason,
  ]);
  const width = (i: number): number =>
    Math.max(...rows.map((r) => r[i].length), ["VERDICT", "CHECK", "TIME"][i].length);
  const line = (cols: string[]): string =>
    [cols[0].padEnd(width(0)), cols[1].padEnd(width(1)), cols[2].padStart(width(2)), cols[3]]
      .join("  ")
      .trimEnd();
  const out: string[] = [];
  if (rows.length > 0) out.push(line(["VERDICT", "CHECK", "TIME", "REASON"]), ...rows.map(line));
  for (const p of report.problems) out.push(`! ${p}`);
  const shown = report.results.filter((r) => r.verdict !== "pass");
  for (const r of shown) {
    out.push("", `--- ${r.name} (${r.verdict}) evidence`);
    if (r.evidence.length === 0) out.push("  (no commands ran)");
    for (const e of r.evidence) {
      const status = e.timedOut === true ? "timed out" : `exit ${e.exitCode ?? "none"}`;
      out.push(`  $ ${e.command}   [${status}]`);
      const lines = e.output.replace(/\n$/, "").split("\n");
      const kept = lines.slice(0, 20);
      out.push(...kept.map((l) => `    ${l}`));
      if (lines.length > kept.length) out.push(`    ... ${lines.length - kept.length} more lines`);
    }
  }
  out.push("", report.summary);
  return `${out.join("\n")}\n`;
}

function renderPlanText(plan: ExecPlan): string {
  const out = [...plan.lines];
  for (const e of plan.errors) out.push(`! ${e.check}: could not build its probe: ${e.error}`);
  out.push("", `${plan.counts.totalExecs} execs in ${plan.counts.checks} checks`);
  for (const [check, pods] of Object.entries(plan.counts.execsPerPodPerCheck)) {
    const parts = Object.entries(pods).map(([pod, n]) => `${pod}=${n}`);
    out.push(`  ${check}: ${parts.join(" ") || "no execs"}`);
  }
  return `${out.join("\n")}\n`;
}

/** Runs the CLI; resolves to the exit status. Never calls process.exit (except on a signal). */
export async function main(args: readonly string[], io: CliIO): Promise<number> {
  const log = (text: string): void => void io.stderr.write(`${text}\n`);
  let opts: CliOptions;
  let defs: readonly CheckDefinition[] = [];
  try {
    opts = parseCliArgs(args, io.stdout.isTTY === true);
    if (opts.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    defs = (io.loadDefinitions ?? defaultDefinitions)();
    if (opts.only !== undefined) {
      const known = new Set(defs.map((d) => d.name));
      const unknown = opts.only.filter((n) => !known.has(n));
      if (unknown.length > 0) {
        throw new UsageError(
          `--only: unknown check ${unknown.join(", ")}; allowed values: ${[...known].join(", ")}`,
        );
      }
    }
    selectChecks(defs, opts.only); // duplicate names are a bug in the definitions: fail before running
  } catch (err) {
    if (err instanceof UsageError) {
      log(`check: ${err.message}`);
      log("Run with --help for the flags.");
      return 2;
    }
    log(`check: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }

  const guard = guardRun(io, log, "check");
  try {
    const lab = await openLab(opts, io, log, "check");
    guard.hold(lab.temp);
    const executor = lab.executor;
    let discovery = lab.discovery;
    for (const p of discovery.problems) log(`check: ${p.fatal ? "error" : "warning"}: ${p.message}`);

    // `--node-device auto`: clusters other than kind name their node device differently.
    if (discovery.context !== undefined && discovery.context.nodeDevice === "auto") {
      const found = opts.dryRun
        ? { device: "eth0", problem: "dry run: not detected, eth0 shown" }
        : await detectNodeDevice(discovery.context, executor);
      if (found.problem) log(`check: warning: ${found.problem}${found.output ? `\n${found.output}` : ""}`);
      discovery = { ...discovery, context: { ...discovery.context, nodeDevice: found.device ?? "eth0" } };
      log(`check: node device ${found.device ?? "eth0 (default)"}`);
    }

    if (opts.dryRun) {
      if (discovery.context === undefined) {
        log("check: no lab context, so no plan: reach a cluster or give --context-file FILE");
        for (const e of discovery.evidence) log(`  $ ${e.command}\n${e.output.replace(/^/gm, "    ")}`);
        return 1;
      }
      const plan = planChecks(defs, discovery.context, opts.only, { stepTimeoutCap: opts.timeout });
      io.stdout.write(opts.output === "json" ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan));
      return 0;
    }

    const selected = selectChecks(defs, opts.only);
    log(`check: running ${selected.length} checks`);
    const report = await runChecks(defs, discovery, executor, {
      only: opts.only,
      stepTimeoutCap: opts.timeout,
      onResult: (r: CheckResult) =>
        log(`check: ${r.verdict.padEnd(12)} ${r.name} (${formatDuration(r.durationMs)})`),
    });
    log(`check: ${report.summary}`);
    io.stdout.write(opts.output === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
    return opts.failOnFailure && report.results.some((r) => r.verdict === "fail") ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      log(`check: ${err.message}`);
      return 2;
    }
    log(`check: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    guard.release();
  }
}

if (require.main === module) runCliMain(main, "check");
