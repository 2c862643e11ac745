/**
 * What the preflight works with: its findings, its input (the part of the lab config it judges) and
 * the way it runs commands (injected, so tests replay recorded outputs through fake binaries on PATH).
 */

/**
 * One finding. Errors stop `pulumi up` (and `npm run preflight` exits 1); warnings do not; info says
 * what was found (the Docker endpoint in use).
 */
export interface PreflightItem {
  readonly level: "error" | "warning" | "info";
  /** docker, kernel, cgroup, kind, tools, subnets, cluster, inotify. */
  readonly area: string;
  /** What was found and the fix, in one line. */
  readonly message: string;
}

/** The part of the validated lab config the preflight judges. */
export interface PreflightInput {
  readonly clusterMode: "kind" | "existing";
  readonly clusterName: string;
  readonly nodeImage: string;
  /** Kubernetes version of the node image, when its tag says it. */
  readonly kubernetesVersion?: string;
  readonly workers: number;
  readonly ciliumVersion: string;
  readonly installCilium: boolean;
  readonly nodeNetwork: string;
  readonly nodeNetworkName: string;
  readonly nativeRoutingCidr: string;
  readonly podCidr: string;
  /** `<project>/<stack>`: the owner label value of this stack's Docker network. */
  readonly stackLabel: string;
  /** The `host` the stack gave its Pulumi Docker provider (absent when run from `--stack`). */
  readonly dockerHost?: string;
}

/** The outcome of one command. `missing`: the program is not on PATH. */
export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly missing?: boolean;
  readonly timedOut?: boolean;
}

/** Runs one program with arguments (no shell), with a timeout. */
export type Runner = (program: string, args: readonly string[]) => RunResult;

/** Where the inotify limits are read (tests point it at a directory of their own). */
export interface PreflightEnv {
  readonly run: Runner;
  /** Root of /proc (default "/proc"). */
  readonly procRoot?: string;
  /** DOCKER_HOST of the environment (the inotify limits only matter for a local daemon). */
  readonly dockerHost?: string;
  /** The host platform (process.platform unless given). */
  readonly platform?: string;
  /** The environment (DOCKER_HOST, DOCKER_CONTEXT); defaults to process.env. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/** A short description of a failed command for a message: its stderr's first line, or its status. */
export function failure(r: RunResult): string {
  if (r.missing) return "not found on PATH";
  if (r.timedOut) return "timed out";
  const line = r.stderr.split("\n").find((l) => l.trim() !== "");
  return line ? line.trim() : `exit status ${String(r.status)}`;
}
