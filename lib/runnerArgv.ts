/**
 * The start of every runner command the stack's Command resources run: `timeout` around a
 * TypeScript script under ts-node (transpile-only: the stack already type-checked it), then the
 * flags that say how to reach the cluster.
 */

/** How a runner reaches the cluster: a kind cluster's kubeconfig, or a file, and a context. */
export interface ClusterAccess {
  readonly kindCluster?: string;
  readonly kubeconfigPath?: string;
  readonly context?: string;
}

/** argv: `timeout --kill-after=10 N node -r ts-node/register/transpile-only SCRIPT [cluster flags]`. */
export function runnerArgv(script: string, timeoutSeconds: number, access: ClusterAccess): string[] {
  return [
    "timeout",
    "--kill-after=10",
    String(timeoutSeconds),
    "node",
    "-r",
    "ts-node/register/transpile-only",
    script,
    ...(access.kindCluster ? ["--kind-cluster", access.kindCluster] : []),
    ...(access.kubeconfigPath ? ["--kubeconfig", access.kubeconfigPath] : []),
    ...(access.context ? ["--context", access.context] : []),
  ];
}
