/**
 * The dry run: what a run would execute, without executing anything. `steps` lists every planned
 * exec with its check, step id, pod, container and argv (the ids a recording is keyed on); `lines`
 * are the same as commands a person can paste into a shell.
 */
import { shellJoin } from "../lib/shell";
import { kubectlExecDisplay } from "./execResult";
import { selectChecks } from "./runner";
import { effectiveTimeout, stepsOf } from "./steps";
import { sampleContext } from "./sample";
import { DEVICE_DETECTION, deviceDetectionPlan } from "./nodeDevices";
import type { CheckDefinition, ExecTarget, LabContext, ProbeStep, StepGate } from "../checks/types";

/** One exec of the plan. */
export interface PlannedStep {
  readonly check: string;
  readonly step: string;
  readonly namespace: string;
  readonly pod: string;
  /** null: the pod's default container. */
  readonly container: string | null;
  /** The runner's own machine ({@link ExecTarget.host}): the command runs there, not in a pod. */
  readonly host: boolean;
  readonly argv: readonly string[];
  /** The exact command (kubectl exec …, shell-quoted). */
  readonly command: string;
  readonly timeoutSeconds: number;
  readonly delayMs: number;
  /** Steps this one waits for (a capture to listen, or another step to finish). */
  readonly startAfter: readonly StepGate[];
  /** What the step prints once it is ready (a capture's `listening on`). */
  readonly readyWhen: string | null;
}

/** What a run would execute, without executing anything. */
export interface ExecPlan {
  readonly steps: readonly PlannedStep[];
  /** Checks whose steps() threw, with the error. */
  readonly errors: readonly { readonly check: string; readonly error: string }[];
  /** Nodes probed (a sample unless all nodes were asked for) and the cluster's node count. */
  readonly nodes: { readonly probed: readonly string[]; readonly total: number };
  readonly counts: {
    readonly checks: number;
    readonly totalExecs: number;
    /**
     * `--node-device auto`: the detection's status execs (in `totalExecs` and `steps`, check
     * `node-device`) and the most fallback execs it may add (`ip -o route get`, only for a node whose
     * agent shows no device; not in `totalExecs`). Absent when the device was given.
     */
    readonly deviceDetection?: { readonly execs: number; readonly fallbackAtMost: number };
    /** check -> "namespace/pod" -> number of execs. */
    readonly execsPerPodPerCheck: Readonly<Record<string, Readonly<Record<string, number>>>>;
  };
  /**
   * The plan as shell text: per step a comment (`# check/step on namespace/pod, timeout, gates`)
   * then the command, quoted so that it can be pasted as it is.
   */
  readonly lines: readonly string[];
}

function gateText(gates: readonly StepGate[]): string {
  return gates
    .map((g) => (g.when === "ready" ? `after ${g.step} listens` : `after ${g.step} ends`))
    .join(", ");
}

/**
 * The dry-run plan: every step of every selected check, rendered as the command that would run.
 * `render` defaults to the `kubectl exec` display.
 */
export function planChecks(
  defs: readonly CheckDefinition[],
  ctx: LabContext,
  only?: readonly string[],
  opts: {
    stepTimeoutCap?: number;
    allNodes?: boolean;
    /** `--node-device auto`: plan the detection's execs too (runner/nodeDevices.ts). */
    detectDevices?: boolean;
    render?: (target: ExecTarget, argv: readonly string[]) => string;
  } = {},
): ExecPlan {
  const render = opts.render ?? kubectlExecDisplay;
  const selected = selectChecks(defs, only);
  const sampled = sampleContext(ctx, { allNodes: opts.allNodes });
  const steps: PlannedStep[] = [];
  const errors: { check: string; error: string }[] = [];
  const perCheck: Record<string, Record<string, number>> = {};
  const detection =
    opts.detectDevices === true ? deviceDetectionPlan(ctx, { allNodes: opts.allNodes }) : undefined;
  const planned: { name: string; steps: () => readonly ProbeStep[] }[] = [
    ...(detection !== undefined ? [{ name: DEVICE_DETECTION, steps: () => detection.steps }] : []),
    ...selected.map((def) => ({ name: def.name, steps: () => stepsOf(def, sampled) })),
  ];
  for (const def of planned) {
    let defSteps: readonly ProbeStep[];
    try {
      defSteps = def.steps();
    } catch (err) {
      errors.push({ check: def.name, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const pods: Record<string, number> = {};
    for (const s of defSteps) {
      const pod = `${s.target.namespace}/${s.target.pod}`;
      pods[pod] = (pods[pod] ?? 0) + 1;
      steps.push({
        check: def.name,
        step: s.id,
        namespace: s.target.namespace,
        pod: s.target.pod,
        container: s.target.container ?? null,
        host: s.target.host === true,
        argv: [...s.argv],
        command: render(s.target, s.argv),
        timeoutSeconds: effectiveTimeout(s, opts.stepTimeoutCap),
        delayMs: s.delayMs ?? 0,
        startAfter: [...(s.startAfter ?? [])],
        readyWhen: s.readyWhen ?? null,
      });
    }
    perCheck[def.name] = pods;
  }
  const lines = steps.flatMap((s) => {
    const where = s.host
      ? "the runner's host"
      : `${s.namespace}/${s.pod}${s.container === null ? "" : ` (${s.container})`}`;
    const extra = [
      `timeout ${s.timeoutSeconds}s`,
      ...(s.delayMs > 0 ? [`+${s.delayMs}ms`] : []),
      ...(s.startAfter.length > 0 ? [gateText(s.startAfter)] : []),
    ].join(", ");
    // The comment is one line whatever the ids hold; the command is exact shell text.
    return [`# ${shellJoin([`${s.check}/${s.step}`])} on ${where}, ${extra}`.replace(/\n/g, " "), s.command];
  });
  return {
    steps,
    errors,
    nodes: { probed: sampled.nodes.map((n) => n.name), total: ctx.sampledFrom ?? ctx.nodes.length },
    counts: {
      checks: selected.length,
      totalExecs: steps.length,
      ...(detection !== undefined
        ? { deviceDetection: { execs: detection.steps.length, fallbackAtMost: detection.fallbackAtMost } }
        : {}),
      execsPerPodPerCheck: perCheck,
    },
    lines,
  };
}
