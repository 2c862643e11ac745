/** Tolerant readers of the report's JSON input, shared by report/model.ts and report/perfModel.ts. */
import type { Verdict } from "../checks/types";

export interface ReportEvidence {
  readonly command: string;
  readonly output: string;
  readonly exitCode?: number;
  readonly timedOut?: boolean;
}

export const VERDICTS: readonly Verdict[] = ["pass", "fail", "inconclusive", "differs"];

/** `pulumi stack output --json` without --show-secrets prints secrets as this string. */
export const SECRET = "[secret]";

export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A stack output may arrive as a JSON string (an output exported as text): parse it then. */
export function unwrap(value: unknown): unknown {
  if (typeof value !== "string" || value === SECRET) return value;
  const t = value.trim();
  if (!t.startsWith("{") && !t.startsWith("[")) return value;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return value;
  }
}

export function readEvidence(value: unknown): ReportEvidence[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e) => {
    const r = record(e);
    if (r === undefined) return [];
    const exitCode = finite(r.exitCode);
    return [
      {
        command: str(r.command) ?? "",
        output: str(r.output) ?? "",
        ...(exitCode === undefined ? {} : { exitCode }),
        ...(r.timedOut === true ? { timedOut: true } : {}),
      },
    ];
  });
}
