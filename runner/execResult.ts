/**
 * How an exec is shown and reported: {@link toExecResult} turns a process result into an executor
 * result, {@link kubectlExecDisplay} is the `kubectl exec ...` command as evidence shows it (no
 * kubeconfig, no context), built from the same arguments as the exec itself ({@link execArgs}).
 */
import { shellJoin } from "../lib/shell";
import type { ExecResult, ExecTarget } from "../checks/types";
import type { ProcessResult } from "./runProcess";

/** Turns a process result into an executor result with its display command. */
export function toExecResult(result: ProcessResult, command: string): ExecResult {
  let stderr = result.stderr;
  if (result.signal !== undefined && !result.timedOut) {
    const sep = stderr === "" || stderr.endsWith("\n") ? "" : "\n";
    stderr += `${sep}[ended by ${result.signal}]\n`;
  }
  return {
    stdout: result.stdout,
    stderr,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    command,
    durationMs: result.durationMs,
  };
}

/**
 * `kubectl exec -n NS POD [-c C] -- argv...` as a person would type it (no kubeconfig, no context);
 * for the runner's host (`target.host`) the argv itself, which runs there.
 */
export function kubectlExecDisplay(target: ExecTarget, argv: readonly string[]): string {
  if (target.host === true) return shellJoin(argv);
  return shellJoin(["kubectl", ...execArgs(target, argv)]);
}

export function execArgs(target: ExecTarget, argv: readonly string[]): string[] {
  const container = target.container === undefined ? [] : ["-c", target.container];
  return ["exec", "-n", target.namespace, target.pod, ...container, "--", ...argv];
}
