/**
 * Recordings of real runs (`--record DIR`) and their offline replay (`--replay DIR`).
 *
 * `DIR/recording.json`:
 * `{ "version": 1, "context": <LabContext, what --context-file accepts>, "run": { "allNodes" },
 * "steps": [ { "check", "step", "pod", "container", "argv", "stdout", "stderr", "exitCode", "timedOut",
 * "durationMs" } ] }`.
 * `check` and `step` are the stable ids that `--dry-run --output json` lists; `container` is null for
 * a pod's default container, `exitCode` null when the process was killed or never started.
 *
 * Replay answers each planned step with the recorded step of the same (check, step, pod); a step the
 * recording lacks makes its check inconclusive, saying so. The recorded argv is what really ran and is
 * what the evidence shows; where it is not the plan's (a recording from an older version, a
 * hand-built one) the check is inconclusive, naming both commands: the recording does not answer the
 * plan. A replay judges from the recording alone: its context, and the run settings it records
 * (`run`, {@link RecordedRun}); the check CLI refuses flags that would change them.
 *
 * A recording holds what the probes printed inside pods and the lab context: never the kubeconfig,
 * its path or the kubectl context (they are kubectl's global flags, outside the step's argv).
 * {@link assertNoSecrets} refuses to write text that looks like kubeconfig credentials.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";

import { validateLabContext } from "./contextFile";
import { kubectlExecDisplay } from "./execResult";
import type { ExecOptions, ExecResult, ExecTarget, Executor, LabContext } from "../checks/types";

export const RECORDING_VERSION = 1;
export const RECORDING_FILE = "recording.json";

/** One exec of a recording. */
export interface RecordedStep {
  readonly check: string;
  readonly step: string;
  readonly pod: string;
  /** null: the pod's default container. */
  readonly container: string | null;
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  /** null: killed at its timeout, or never started. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/**
 * The run's settings that change what is planned, hence judged: recorded so that a replay plans what
 * the run planned (`--all-nodes`). The context already holds the rest (the native-routing CIDR, the
 * node devices, the cluster's differences from the lab profile).
 */
export interface RecordedRun {
  readonly allNodes: boolean;
}

/** The document in `DIR/recording.json`. */
export interface RecordingDocument {
  readonly version: 1;
  readonly context: LabContext;
  /** Absent in recordings made before it was recorded: a sampled run. */
  readonly run?: RecordedRun;
  readonly steps: readonly RecordedStep[];
}

/** Thrown by {@link ReplayExecutor} for a step the recording lacks; the runner makes the check inconclusive. */
export class StepMissing extends Error {}

/**
 * Thrown by {@link ReplayExecutor} when the recorded step ran another command than the one planned
 * (another argv or container): the recording does not answer the plan. It carries the recorded
 * result, which the runner keeps as evidence; the check is inconclusive, naming both commands.
 */
export class StepMismatch extends Error {
  constructor(
    message: string,
    readonly recorded: ExecResult,
  ) {
    super(message);
  }
}

/** A recorded step from what the runner saw. */
export function toRecordedStep(
  check: string,
  step: { id: string; target: ExecTarget; argv: readonly string[] },
  result: ExecResult,
): RecordedStep {
  return {
    check,
    step: step.id,
    pod: step.target.pod,
    container: step.target.container ?? null,
    argv: [...step.argv],
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode: result.exitCode ?? null,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
  };
}

/** Text that must never reach a recording: kubeconfig credentials and private keys. */
const SECRET_MARKERS: readonly RegExp[] = [
  /client-key-data\s*:/,
  /client-certificate-data\s*:/,
  /certificate-authority-data\s*:/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bcurrent-context\s*:/,
];

/** Throws when the text holds kubeconfig-like credentials or one of the given values (paths, tokens). */
export function assertNoSecrets(text: string, forbidden: readonly string[] = []): void {
  for (const re of SECRET_MARKERS) {
    if (re.test(text)) throw new Error(`refusing to write a recording that holds credentials (${re.source})`);
  }
  for (const value of forbidden) {
    if (value !== "" && text.includes(value)) {
      throw new Error("refusing to write a recording that holds the kubeconfig path or context");
    }
  }
}

/** Serializes a recording (stable key order, steps sorted by check, step, pod). */
export function renderRecording(
  context: LabContext,
  steps: readonly RecordedStep[],
  run?: RecordedRun,
): string {
  const sorted = [...steps].sort(
    (a, b) => a.check.localeCompare(b.check) || a.step.localeCompare(b.step) || a.pod.localeCompare(b.pod),
  );
  const doc: RecordingDocument = {
    version: RECORDING_VERSION,
    context,
    ...(run === undefined ? {} : { run }),
    steps: sorted,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Writes `DIR/recording.json` (creating DIR); returns the file's path. */
export function writeRecording(
  dir: string,
  context: LabContext,
  steps: readonly RecordedStep[],
  forbidden: readonly string[] = [],
  run?: RecordedRun,
): string {
  const text = renderRecording(context, steps, run);
  assertNoSecrets(text, forbidden);
  fs.mkdirSync(dir, { recursive: true });
  const file = nodePath.join(dir, RECORDING_FILE);
  fs.writeFileSync(file, text);
  return file;
}

function isStep(v: unknown): string | undefined {
  if (typeof v !== "object" || v === null) return "a step must be an object";
  const s = v as Record<string, unknown>;
  for (const k of ["check", "step", "pod", "stdout", "stderr"]) {
    if (typeof s[k] !== "string") return `${k} must be a string`;
  }
  if (!(s.container === null || typeof s.container === "string")) return "container must be a string or null";
  if (!Array.isArray(s.argv) || s.argv.length === 0 || !s.argv.every((a) => typeof a === "string")) {
    return "argv must be a non-empty list of strings";
  }
  if (!(s.exitCode === null || Number.isInteger(s.exitCode))) return "exitCode must be an integer or null";
  if (typeof s.timedOut !== "boolean") return "timedOut must be a boolean";
  if (typeof s.durationMs !== "number" || !(s.durationMs >= 0)) return "durationMs must be a number >= 0";
  return undefined;
}

/** Checks a parsed recording; returns the errors (empty when usable). */
export function validateRecording(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return ["the recording must be a JSON object"];
  const o = value as Record<string, unknown>;
  const errors: string[] = [];
  if (o.version !== RECORDING_VERSION) {
    errors.push(`version must be ${RECORDING_VERSION} (got ${JSON.stringify(o.version)})`);
  }
  errors.push(...validateLabContext(o.context).map((e) => `context: ${e}`));
  if (o.run !== undefined) {
    const run = o.run as Record<string, unknown> | null;
    if (typeof run !== "object" || run === null || typeof run.allNodes !== "boolean") {
      errors.push("run must be an object with a boolean allNodes when present");
    }
  }
  if (!Array.isArray(o.steps)) errors.push("steps must be a list");
  else {
    o.steps.forEach((s, i) => {
      const why = isStep(s);
      if (why !== undefined) errors.push(`steps[${i}]: ${why}`);
    });
  }
  return errors;
}

/** Reads `DIR/recording.json`; throws with what is wrong. */
export function readRecording(dir: string): RecordingDocument {
  const file = nodePath.join(dir, RECORDING_FILE);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const errors = validateRecording(value);
  if (errors.length > 0) throw new Error(`${file} is not a recording: ${errors.join("; ")}`);
  return value as RecordingDocument;
}

/** Answers each exec with the recorded step of the same (check, step, pod). */
export class ReplayExecutor implements Executor {
  /** Per (check, step, pod), the recorded runs not answered yet, in recorded order. */
  private readonly byKey = new Map<string, RecordedStep[]>();

  /**
   * A step that ran several times (the performance runner's rounds) is recorded once per run; replay
   * answers its runs in recorded order, each once.
   */
  constructor(steps: readonly RecordedStep[]) {
    for (const s of steps) {
      const key = JSON.stringify([s.check, s.step, s.pod]);
      this.byKey.set(key, [...(this.byKey.get(key) ?? []), s]);
    }
  }

  /**
   * The recorded run of the step; a {@link StepMismatch} (carrying it) when the recorded command is
   * not the planned one, compared word for word with the container.
   */
  async exec(target: ExecTarget, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const ref = opts.step;
    if (ref === undefined) throw new Error("replay needs the check and step of every exec");
    const rec = this.byKey.get(JSON.stringify([ref.check, ref.step, target.pod]))?.shift();
    if (rec === undefined) {
      throw new StepMissing(
        `the recording has no (further) run of step "${ref.step}" of ${ref.check} on pod ${target.pod}`,
      );
    }
    for (const text of [rec.stdout, rec.stderr]) if (text !== "") opts.onOutput?.(text);
    const recorded: ExecResult = {
      stdout: rec.stdout,
      stderr: rec.stderr,
      exitCode: rec.exitCode ?? undefined,
      timedOut: rec.timedOut,
      command: kubectlExecDisplay({ ...target, container: rec.container ?? undefined }, rec.argv),
      durationMs: rec.durationMs,
    };
    const planned = kubectlExecDisplay(target, argv);
    if (planned !== recorded.command) {
      throw new StepMismatch(
        `step "${ref.step}" was recorded running \`${recorded.command}\`, but the plan runs \`${planned}\``,
        recorded,
      );
    }
    return recorded;
  }
}
