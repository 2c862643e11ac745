/**
 * {@link KubectlExecutor}: runs the checks' commands with `kubectl exec` into a pod (the lab's real
 * executor) and discovery's `kubectl get`s, through {@link runProcess} (runner/runProcess.ts).
 * Executors that run on this machine (LocalExecutor, NetnsExecutor) or replay recordings
 * (RecordedExecutor) live in runner/localExecutors.ts.
 */
import { shellJoin } from "../lib/shell";
import type { ExecOptions, ExecResult, ExecTarget, Executor } from "../checks/types";
import { execArgs, kubectlExecDisplay, toExecResult } from "./execResult";
import { runProcess } from "./runProcess";

/** Options of {@link KubectlExecutor}. */
export interface KubectlExecutorOptions {
  /** Kubeconfig file passed as `--kubeconfig`. Defaults to kubectl's own (KUBECONFIG, ~/.kube/config). */
  readonly kubeconfig?: string;
  /** Context passed as `--context`. Defaults to the kubeconfig's current context. */
  readonly context?: string;
  /** The kubectl binary. Defaults to `kubectl` on PATH. */
  readonly kubectl?: string;
  /**
   * Seconds added to a step's timeout for kubectl itself (client start, API round trips). The API
   * request timeout is the step timeout plus this margin, and the process is killed 2 s after that.
   * Defaults to 5.
   */
  readonly marginSeconds?: number;
  /** Bytes of output kept per stream. Defaults to 256 KiB. */
  readonly maxOutputBytes?: number;
  /** Variables merged over `process.env` for kubectl. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs probe commands with `kubectl exec` (and those of the runner's host, {@link ExecTarget.host},
 * on this machine). The command in the evidence is the `kubectl exec ...`
 * part only: the kubeconfig path (a temporary file, or a user's home) and the context stay out of the
 * published results.
 *
 * Disconnecting `kubectl exec` does not always end the command in the pod, so probes bound their own
 * run time inside the pod (`timeout N tcpdump ...`, `ping -w N`); the step timeout bounds kubectl.
 */
export class KubectlExecutor implements Executor {
  private readonly margin: number;

  constructor(private readonly opts: KubectlExecutorOptions = {}) {
    this.margin = opts.marginSeconds ?? 5;
  }

  /** The global flags (`--kubeconfig`, `--context`) every invocation carries. */
  globalArgs(): string[] {
    const args: string[] = [];
    if (this.opts.kubeconfig !== undefined) args.push("--kubeconfig", this.opts.kubeconfig);
    if (this.opts.context !== undefined) args.push("--context", this.opts.context);
    return args;
  }

  /** The full argv of an exec, kubeconfig included: what is spawned, never what is shown. */
  execArgv(target: ExecTarget, argv: readonly string[], timeoutSeconds: number): string[] {
    return [
      this.opts.kubectl ?? "kubectl",
      ...this.globalArgs(),
      `--request-timeout=${Math.ceil(timeoutSeconds + this.margin)}s`,
      ...execArgs(target, argv),
    ];
  }

  /**
   * `onOutput` sees the remote command's output as kubectl relays it: kubectl copies the exec's
   * stdout and stderr streams to its own as data arrives (kubernetes/kubernetes
   * `staging/src/k8s.io/client-go/tools/remotecommand/v2.go` copyStdout/copyStderr, io.Copy per
   * stream, commit 030880a5; the newer protocol versions build on it: not checked line by line).
   */
  exec(target: ExecTarget, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    // The runner's host: argv runs here, bounded by the step timeout (+2 s to reap), without kubectl;
    // no kubeconfig or context reaches it.
    if (target.host === true)
      return this.run([...argv], kubectlExecDisplay(target, argv), opts.timeoutSeconds + 2, opts.onOutput);
    return this.run(
      this.execArgv(target, argv, opts.timeoutSeconds),
      kubectlExecDisplay(target, argv),
      opts.timeoutSeconds + this.margin + 2,
      opts.onOutput,
    );
  }

  /**
   * Runs any other kubectl command (`get ... -o json` for context discovery, the run's node probe
   * `create -f -` with the manifest as `input` on stdin) with the same global flags. The displayed
   * command is `kubectl ARGS` without them.
   */
  kubectl(args: readonly string[], timeoutSeconds: number, input?: string): Promise<ExecResult> {
    const argv = [
      this.opts.kubectl ?? "kubectl",
      ...this.globalArgs(),
      `--request-timeout=${Math.ceil(timeoutSeconds)}s`,
      ...args,
    ];
    // No cap here: discovery reads whole lists (a 256 KiB cap turned a 32-node EKS node list into
    // "printed no JSON"); its size grows with the cluster, not with a probe's chatter.
    return this.run(argv, shellJoin(["kubectl", ...args]), timeoutSeconds + 2, undefined, Infinity, input);
  }

  private async run(
    argv: string[],
    display: string,
    timeoutSeconds: number,
    onOutput?: (text: string) => void,
    maxOutputBytes?: number,
    input?: string,
  ): Promise<ExecResult> {
    const result = await runProcess(argv, {
      timeoutSeconds,
      input,
      env: this.opts.env,
      maxOutputBytes: maxOutputBytes ?? this.opts.maxOutputBytes ?? 256 * 1024,
      onOutput,
    });
    return toExecResult(result, display);
  }
}
