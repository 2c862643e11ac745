/**
 * The flags of the check runner (`npm run check -- --help`), parsed and validated; the performance
 * runner shares the cluster and lab flags.
 */
import { parseArgs } from "node:util";
import * as ipaddr from "ipaddr.js";

import { DEFAULT_TEST_IMAGE } from "../lib/configKeys";
import { UsageError, type LabAccessOptions } from "../runner/labAccess";
import type { SettingDifference } from "../checks/ciliumConfig";
import { NATIVE_CIDR_UNSET } from "../checks/types";
import { parseProfileDifferences } from "../runner/profileVerdicts";
import { DEFAULT_READY_TIMEOUT_SECONDS } from "../runner/runNodeProbe";

export const USAGE = `Usage: npm run check -- [flags]

Runs the datapath checks of the Cilium lab against a cluster and prints the results.

Cluster (at most one of --kubeconfig and --kind-cluster; default: kubectl's own configuration):
  --kubeconfig FILE        kubeconfig file for kubectl
  --kind-cluster NAME      use the kubeconfig of kind cluster NAME (kind get kubeconfig --name NAME),
                           kept in a private temporary file (mode 0600) removed on exit
  --context NAME           kubeconfig context
  --context-file FILE      a recorded lab context (JSON) instead of discovering it; with --dry-run
                           no cluster is needed
  --replay DIR             judge the recording DIR/recording.json offline (no cluster), from the
                           recording alone: each step is answered by the recorded step of the same
                           check, step and pod; a step the recording lacks, or whose recorded command
                           is not the planned one, makes its check inconclusive. The lab and node
                           probe flags and --all-nodes are refused with it (the recording holds them)

The lab (defaults reproduce the seed):
  --namespace NS           namespace of the test pods, client pod, service, node probes (default: default)
  --app-label VALUE        app label of the test DaemonSet (default: evescn)
  --client NAME            client pod (default: net)
  --service NAME           NodePort service (default: serversvc)
  --node-device DEV|auto   node's main device (default: eth0); auto asks each node's Cilium agent
                           (ip route get <another node's IP>), for clusters other than kind
  --native-cidr CIDR|unset Cilium's IPv4 native-routing CIDR; unset: cilium-config sets none (Cilium
                           then excludes each node's own pod CIDR from masquerading). Default: the
                           cluster's cilium-config ipv4-native-routing-cidr (unset when it has none),
                           10.0.0.0/8 when cilium-config cannot be read
  --cilium-namespace NS    namespace of the Cilium agents and cilium-config (default: kube-system)
  --ipam-mode MODE         the cluster's IPAM mode (cilium-config ipam; default: cluster-pool)
  --profile-differences J  JSON list of {key, found, lab, checks}: the cilium-config keys where the
                           cluster's own Cilium differs from the lab; checks resting on a key judge
                           against the cluster's value and report "differs" where it explains the result

Node probe (the privileged host-network pods node-level checks run in):
  --node-probe MODE        present (default): use the node-probe pods already there; run: create a
                           node-probe DaemonSet for this run (on the sampled nodes), wait until its
                           pods are Ready, delete it when the run ends (also on failure, timeout,
                           SIGINT/SIGTERM; a killed run's probe is deleted by the next run after
                           15 minutes); needs create/delete/list on daemonsets in --namespace;
                           off: use none (node-level checks are inconclusive and say so)
  --node-probe-image IMAGE image of the run's node probe (default: the lab's netshoot image)
  --node-probe-timeout S   seconds to wait for the run's probe pods to be Ready (default 180)

Run:
  --only NAME              run only this check; repeat the flag or separate names with commas
  --dry-run                print the plan and execute nothing: text = commands you can paste into
                           a shell, each after a comment naming check/step; json = every step with
                           its check, step id, pod, container and argv
  --record DIR             also write DIR/recording.json: the lab context and every step's output
                           (no kubeconfig, context name or secret); attach it to a bug report
  --all-nodes              probe every node (default: a fixed sample of 3 nodes, the client's, the
                           cross-node peer's and one more; cilium-health still reports every node)
  --max-execs N            execs running at once across the run (default 8)
  --timeout SECONDS        upper bound for every step's timeout
  --fail-on-failure        exit 1 when a check fails (inconclusive does not count)
  --output json|text       json (one RunReport document; default when stdout is not a terminal)
                           or text (a table; default on a terminal)
  -h, --help               print this help

Exit status: 0; 1 with --fail-on-failure and a failed check; 3 when no cluster was reached (bad
kubeconfig, unknown context, API unreachable: one line on stderr says which) or a dry run has no
context; 2 for a usage error.
`;

/** The check CLI's flags, parsed and validated. */
export interface CliOptions extends LabAccessOptions {
  /** How the cluster's own Cilium differs from the lab (existing mode, installCilium false). */
  readonly profileDifferences?: readonly SettingDifference[];
  readonly only?: string[];
  readonly failOnFailure: boolean;
  readonly record?: string;
  readonly replay?: string;
  readonly allNodes: boolean;
  readonly maxExecs?: number;
  readonly timeout?: number;
  readonly output: "json" | "text";
  readonly help: boolean;
  /** Where node-level checks get their probe pods (see USAGE). */
  readonly nodeProbe: "present" | "run" | "off";
  readonly nodeProbeImage: string;
  readonly nodeProbeTimeout: number;
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
  "cilium-namespace": { type: "string" },
  "ipam-mode": { type: "string" },
  "profile-differences": { type: "string" },
  "node-probe": { type: "string" },
  "node-probe-image": { type: "string" },
  "node-probe-timeout": { type: "string" },
  only: { type: "string", multiple: true },
  record: { type: "string" },
  replay: { type: "string" },
  "all-nodes": { type: "boolean" },
  "max-execs": { type: "string" },
  "dry-run": { type: "boolean" },
  "fail-on-failure": { type: "boolean" },
  timeout: { type: "string" },
  output: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function parseFlags(args: readonly string[]) {
  return parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false });
}

type FlagValues = ReturnType<typeof parseFlags>["values"];

/** The flags as node:util parsed them; its errors become usage errors naming the flag. */
function readFlags(args: readonly string[]): FlagValues {
  try {
    return parseFlags(args).values;
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
}

/** A string flag's value; a flag given with an empty value is a usage error. */
function nonEmpty(values: FlagValues, flag: keyof typeof FLAGS): string | undefined {
  const v = values[flag];
  if (typeof v === "string" && v.trim() === "") throw new UsageError(`--${flag} needs a non-empty value`);
  return typeof v === "string" ? v : undefined;
}

/** How the run runs and reports: output, --timeout, --max-execs. */
function runFlags(values: FlagValues, stdoutIsTTY: boolean) {
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

  let maxExecs: number | undefined;
  if (values["max-execs"] !== undefined) {
    maxExecs = Number(values["max-execs"]);
    if (!Number.isInteger(maxExecs) || maxExecs < 1 || maxExecs > 64) {
      throw new UsageError(
        `--max-execs must be a whole number from 1 to 64 (got ${JSON.stringify(values["max-execs"])})`,
      );
    }
  }
  return { output, timeout, maxExecs } as const;
}

/** The cluster flags: a replay reaches no cluster. */
const CLUSTER_FLAGS = ["kubeconfig", "kind-cluster", "context", "context-file", "record"] as const;

/**
 * The flags that change what is judged: the lab's context (its pods, device, native-routing CIDR,
 * the cluster's differences from the lab profile), the node probe, which nodes are probed. A replay
 * judges from the recording alone (its context and recorded run settings), so they are refused
 * there rather than silently applied or silently ignored.
 */
const JUDGEMENT_FLAGS = [
  "namespace",
  "app-label",
  "client",
  "service",
  "node-device",
  "native-cidr",
  "cilium-namespace",
  "ipam-mode",
  "profile-differences",
  "node-probe",
  "node-probe-image",
  "node-probe-timeout",
  "all-nodes",
] as const;

/** --record and --replay, and the flags each excludes. */
function recordingFlags(values: FlagValues) {
  const record = nonEmpty(values, "record");
  const replay = nonEmpty(values, "replay");
  if (replay !== undefined) {
    const given = (flags: readonly (keyof typeof FLAGS)[]) =>
      flags.filter((f) => values[f] !== undefined).map((f) => `--${f}`);
    const cluster = given(CLUSTER_FLAGS);
    if (cluster.length > 0) {
      throw new UsageError(`--replay judges a recording offline: drop ${cluster.join(", ")}`);
    }
    const judgement = given(JUDGEMENT_FLAGS);
    if (judgement.length > 0) {
      throw new UsageError(
        `--replay judges from the recording alone (its context and run settings): drop ${judgement.join(", ")}, which would change the verdicts`,
      );
    }
  }
  if (record !== undefined && values["dry-run"] === true) {
    throw new UsageError("--record needs a real run: drop --dry-run");
  }
  return { record, replay };
}

/** What the checks judge against: --native-cidr, --ipam-mode, --profile-differences. */
function judgementFlags(values: FlagValues) {
  const nativeCidr = nonEmpty(values, "native-cidr");
  if (nativeCidr !== undefined && nativeCidr !== NATIVE_CIDR_UNSET) {
    let ok = false;
    try {
      ok = ipaddr.parseCIDR(nativeCidr)[0].kind() === "ipv4";
    } catch {
      ok = false;
    }
    if (!ok)
      throw new UsageError(
        `--native-cidr must be an IPv4 CIDR such as 10.0.0.0/8, or unset (got ${JSON.stringify(nativeCidr)})`,
      );
  }

  const ipamMode = nonEmpty(values, "ipam-mode");
  if (ipamMode !== undefined && !/^[a-z0-9-]{1,40}$/.test(ipamMode)) {
    throw new UsageError(
      `--ipam-mode must be an IPAM mode such as cluster-pool or eni (got ${JSON.stringify(ipamMode)})`,
    );
  }
  let profileDifferences: SettingDifference[] | undefined;
  const differencesJson = nonEmpty(values, "profile-differences");
  if (differencesJson !== undefined) {
    try {
      profileDifferences = parseProfileDifferences(differencesJson);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return { nativeCidr, ipamMode, profileDifferences };
}

/** --node-probe and its image and timeout. */
function nodeProbeFlags(values: FlagValues) {
  const nodeProbe = values["node-probe"] ?? "present";
  if (nodeProbe !== "present" && nodeProbe !== "run" && nodeProbe !== "off") {
    throw new UsageError(`--node-probe must be one of: present, run, off (got ${JSON.stringify(nodeProbe)})`);
  }
  let nodeProbeTimeout = DEFAULT_READY_TIMEOUT_SECONDS;
  if (values["node-probe-timeout"] !== undefined) {
    nodeProbeTimeout = Number(values["node-probe-timeout"]);
    if (!Number.isInteger(nodeProbeTimeout) || nodeProbeTimeout < 1 || nodeProbeTimeout > 900) {
      throw new UsageError(
        `--node-probe-timeout must be a whole number of seconds from 1 to 900 (got ${JSON.stringify(values["node-probe-timeout"])})`,
      );
    }
  }
  const nodeProbeImage = nonEmpty(values, "node-probe-image") ?? DEFAULT_TEST_IMAGE;
  if (/\s/.test(nodeProbeImage)) {
    throw new UsageError(
      `--node-probe-image must be an image reference without spaces (got ${JSON.stringify(nodeProbeImage)})`,
    );
  }
  return { nodeProbe, nodeProbeImage, nodeProbeTimeout } as const;
}

/** --only, repeated or comma-separated. */
function onlyFlag(values: FlagValues): string[] | undefined {
  const only = values.only
    ?.flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
  if (values.only !== undefined && (only === undefined || only.length === 0)) {
    throw new UsageError("--only needs a check name");
  }
  return only;
}

/**
 * Parses and validates the flags; throws {@link UsageError} with a message naming the flag. The
 * groups are validated in this order: the cluster, the run, record/replay, what the checks judge
 * against, the node probe, --only.
 */
export function parseCliArgs(args: readonly string[], stdoutIsTTY: boolean): CliOptions {
  const values = readFlags(args);
  if (values.kubeconfig !== undefined && values["kind-cluster"] !== undefined) {
    throw new UsageError("--kubeconfig and --kind-cluster exclude each other: give one");
  }
  const run = runFlags(values, stdoutIsTTY);
  const recording = recordingFlags(values);
  const judgement = judgementFlags(values);
  const probe = nodeProbeFlags(values);
  const only = onlyFlag(values);

  return {
    kubeconfig: nonEmpty(values, "kubeconfig"),
    kindCluster: nonEmpty(values, "kind-cluster"),
    context: nonEmpty(values, "context"),
    contextFile: nonEmpty(values, "context-file"),
    contextOptions: {
      namespace: nonEmpty(values, "namespace"),
      appLabel: nonEmpty(values, "app-label"),
      client: nonEmpty(values, "client"),
      service: nonEmpty(values, "service"),
      nodeDevice: nonEmpty(values, "node-device"),
      nativeRoutingCidr: judgement.nativeCidr,
      systemNamespace: nonEmpty(values, "cilium-namespace"),
      ipamMode: judgement.ipamMode,
    },
    nodeDeviceSet: values["node-device"] !== undefined,
    nativeCidrSet: judgement.nativeCidr !== undefined,
    only,
    dryRun: values["dry-run"] ?? false,
    failOnFailure: values["fail-on-failure"] ?? false,
    record: recording.record,
    replay: recording.replay,
    allNodes: values["all-nodes"] ?? false,
    maxExecs: run.maxExecs,
    timeout: run.timeout,
    output: run.output,
    profileDifferences: judgement.profileDifferences,
    help: values.help ?? false,
    ...probe,
  };
}
