/**
 * The start of every runner command the stack's Command resources run: `timeout` around
 * `node cli/run.js <program>` (the JavaScript `npm ci` compiled into bin/, or the TypeScript through
 * ts-node when bin/ is stale: see cli/run.js), then the flags that say how to reach the cluster.
 */

/** How a runner reaches the cluster: a kind cluster's kubeconfig, or a file, and a context. */
export interface ClusterAccess {
  readonly kindCluster?: string;
  readonly kubeconfigPath?: string;
  readonly context?: string;
}

/** The command-line programs cli/run.js starts. */
export type RunnerProgram = "check" | "perf";

/** argv: `timeout --kill-after=10 N node cli/run.js PROGRAM [cluster flags]`. */
export function runnerArgv(program: RunnerProgram, timeoutSeconds: number, access: ClusterAccess): string[] {
  return [
    "timeout",
    "--kill-after=10",
    String(timeoutSeconds),
    "node",
    "cli/run.js",
    program,
    ...(access.kindCluster ? ["--kind-cluster", access.kindCluster] : []),
    ...(access.kubeconfigPath ? ["--kubeconfig", access.kubeconfigPath] : []),
    ...(access.context ? ["--context", access.context] : []),
  ];
}
