/**
 * `npm run report -- [--stack-output FILE | --runner-output FILE] [--out report.md]`
 *
 * Reads the lab's JSON (the stack outputs from `pulumi stack output --json`, the check runner's
 * output, or the performance runner's `{ performance }`; stdin when no file is given), prints a
 * compact table, and writes the Markdown report and, when there are performance figures, the SVG
 * chart next to it (`report-performance.svg` for `report.md`).
 */
import { runCliMain } from "./main";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { parseArgs } from "node:util";

import { renderComparison } from "../report/compare";
import { renderMarkdown } from "../report/markdown";
import { readReportDocument, type ExpectedSource } from "../report/model";
import { renderSvg } from "../report/svg";
import { renderTable } from "../report/table";

export const REPORT_USAGE = `Usage: npm run report -- [--stack-output FILE | --runner-output FILE] [--out report.md]

Turns the lab's results into a terminal table and a Markdown report with the evidence, the packet
paths (Mermaid) and the performance figures (an SVG chart written next to the report).

Input (one of; stdin when neither is given; "-" also means stdin):
  --stack-output FILE      pulumi stack output --json (checks, datapath, performance, nodes, ...)
  --runner-output FILE     npm run check -- --output json (or npm run perf's { performance })

Output:
  --out FILE               the Markdown report (default: report.md); the chart goes to
                           <FILE without .md>-performance.svg
  --no-write               print the table only; write no file
  --generated-at TEXT      a timestamp or label for the report header (none by default, so the
                           same input gives the same bytes)
  --max-evidence-lines N   lines of each command's output in the report (default 200)
  --compare FILE           a second run (stack or runner output) to set beside the first: --out then
                           gets the side-by-side report (verdicts that differ with each side's
                           reason, each side's figures and ratios), not the single report
  --labels A,B             the two runs' names in the side-by-side report (default: A,B)
  -h, --help               print this help

Exit status: 0; 1 when the input cannot be read or a file cannot be written; 2 for a usage error.
`;

export interface ReportCliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Reads all of stdin. Defaults to reading process.stdin as a stream, to its end. */
  readonly readStdin?: () => string | Promise<string>;
  /** Whether stdin is a terminal (then there is nothing to read). Defaults to process.stdin.isTTY. */
  readonly stdinIsTTY?: boolean;
  /** Directory relative paths resolve against. Defaults to $INIT_CWD (set by npm run), else process.cwd(). */
  readonly cwd?: string;
}

class ReportUsageError extends Error {}

const FLAGS = {
  "stack-output": { type: "string" },
  "runner-output": { type: "string" },
  out: { type: "string" },
  "no-write": { type: "boolean" },
  "generated-at": { type: "string" },
  "max-evidence-lines": { type: "string" },
  compare: { type: "string" },
  labels: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface ReportCliOptions {
  readonly input?: string;
  readonly expected?: ExpectedSource;
  readonly out: string;
  readonly write: boolean;
  readonly generatedAt?: string;
  readonly maxEvidenceLines: number;
  /** A second run to set beside the first (the side-by-side report), and the two names. */
  readonly compare?: string;
  readonly labels: { readonly a: string; readonly b: string };
  readonly help: boolean;
}

export function parseReportArgs(args: readonly string[]): ReportCliOptions {
  let values: ReturnType<typeof parseArgs<{ options: typeof FLAGS; allowPositionals: false }>>["values"];
  try {
    ({ values } = parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']+)'/.exec(text);
    throw new ReportUsageError(unknown === null ? text : `unknown flag ${unknown[1]}`);
  }
  const stack = values["stack-output"];
  const runner = values["runner-output"];
  if (stack !== undefined && runner !== undefined) {
    throw new ReportUsageError("--stack-output and --runner-output exclude each other: give one");
  }
  for (const flag of ["stack-output", "runner-output", "out"] as const) {
    if (values[flag] !== undefined && values[flag]?.trim() === "")
      throw new ReportUsageError(`--${flag} needs a file`);
  }
  let maxEvidenceLines = 200;
  if (values["max-evidence-lines"] !== undefined) {
    maxEvidenceLines = Number(values["max-evidence-lines"]);
    if (!Number.isInteger(maxEvidenceLines) || maxEvidenceLines < 1) {
      throw new ReportUsageError(
        `--max-evidence-lines must be a positive whole number (got ${JSON.stringify(values["max-evidence-lines"])})`,
      );
    }
  }
  const labels = (values.labels ?? "A,B").split(",");
  if (labels.length !== 2 || labels.some((l) => l.trim() === "" || l.length > 40)) {
    throw new ReportUsageError(
      `--labels must be two names separated by a comma, each 1-40 characters (got ${JSON.stringify(values.labels)})`,
    );
  }
  if (values.compare !== undefined && values.compare.trim() === "")
    throw new ReportUsageError("--compare needs a file");
  const out = values.out ?? "report.md";
  if (!/\.md$/i.test(out))
    throw new ReportUsageError(`--out must name a .md file (got ${JSON.stringify(out)})`);
  return {
    input: stack ?? runner,
    expected: stack !== undefined ? "stack-output" : runner !== undefined ? "runner-output" : undefined,
    out,
    write: !(values["no-write"] ?? false),
    generatedAt: values["generated-at"],
    maxEvidenceLines,
    ...(values.compare !== undefined ? { compare: values.compare } : {}),
    labels: { a: labels[0].trim(), b: labels[1].trim() },
    help: values.help ?? false,
  };
}

/** `report.md` → `report-performance.svg` (same directory). */
export function svgPathFor(markdownPath: string): string {
  return markdownPath.replace(/\.md$/i, "-performance.svg");
}

/**
 * All of process.stdin, read as a stream. `fs.readFileSync(0)` fails with EAGAIN when stdin is a
 * non-blocking pipe whose writer is slower than the reader (`npm run check … | npm run report`).
 */
export async function readStream(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

export async function main(args: readonly string[], io: ReportCliIO): Promise<number> {
  const log = (text: string): void => void io.stderr.write(`${text}\n`);
  let opts: ReportCliOptions;
  try {
    opts = parseReportArgs(args);
  } catch (err) {
    log(`report: ${err instanceof Error ? err.message : String(err)}`);
    log("Run with --help for the flags.");
    return 2;
  }
  if (opts.help) {
    io.stdout.write(REPORT_USAGE);
    return 0;
  }
  // npm run starts scripts in the package root; INIT_CWD is where the user typed the command.
  const cwd = io.cwd ?? process.env.INIT_CWD ?? process.cwd();

  let text: string;
  const fromStdin = opts.input === undefined || opts.input === "-";
  try {
    if (fromStdin) {
      if (io.stdinIsTTY ?? process.stdin.isTTY === true) {
        log("report: no input: give --stack-output FILE or --runner-output FILE, or pipe the JSON in");
        return 2;
      }
      text = await (io.readStdin ?? readStream)();
    } else {
      text = fs.readFileSync(nodePath.resolve(cwd, opts.input as string), "utf8");
    }
  } catch (err) {
    log(
      `report: cannot read ${fromStdin ? "stdin" : opts.input}: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    log(
      `report: ${fromStdin ? "stdin" : opts.input} is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }

  const doc = readReportDocument(json, { expected: opts.expected, generatedAt: opts.generatedAt });
  for (const issue of doc.issues) log(`report: warning: ${issue}`);
  io.stdout.write(renderTable(doc));
  if (!opts.write) return 0;

  const mdPath = nodePath.resolve(cwd, opts.out);
  if (opts.compare !== undefined) {
    let other: unknown;
    try {
      other = JSON.parse(fs.readFileSync(nodePath.resolve(cwd, opts.compare), "utf8"));
    } catch (err) {
      log(
        `report: cannot read --compare ${opts.compare}: ${err instanceof Error ? err.message : String(err)}`,
      );
      return 1;
    }
    const b = readReportDocument(other, { generatedAt: opts.generatedAt });
    for (const issue of b.issues) log(`report: warning: ${opts.labels.b}: ${issue}`);
    try {
      fs.writeFileSync(mdPath, renderComparison(doc, b, opts.labels));
    } catch (err) {
      log(`report: cannot write the report: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    log(
      `report: wrote ${nodePath.relative(cwd, mdPath) || mdPath} (${opts.labels.a} beside ${opts.labels.b})`,
    );
    return 0;
  }
  const svgPath = svgPathFor(mdPath);
  const perf = doc.performance;
  const chart =
    perf !== undefined && perf.pairs.some((p) => p.throughputMbps !== undefined || p.rttP50Ms !== undefined);
  try {
    if (chart && perf !== undefined) {
      fs.writeFileSync(svgPath, renderSvg(perf));
      log(`report: wrote ${nodePath.relative(cwd, svgPath) || svgPath}`);
    }
    const markdown = renderMarkdown(doc, {
      svgFile: chart ? nodePath.basename(svgPath) : undefined,
      maxEvidenceLines: opts.maxEvidenceLines,
    });
    fs.writeFileSync(mdPath, markdown);
    log(`report: wrote ${nodePath.relative(cwd, mdPath) || mdPath}`);
  } catch (err) {
    log(`report: cannot write the report: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  return 0;
}

if (require.main === module) runCliMain(main, "report");
