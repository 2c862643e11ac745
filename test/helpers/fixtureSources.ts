/**
 * Reads the source tables of test/fixtures/**\/SOURCES.md (convention in test/fixtures/README.md).
 * A sources table is a Markdown table whose header row starts with `| File | Kind | Origin |`; each
 * row's first cell is a path or glob in backticks, relative to the folder of the SOURCES.md.
 */

/** What a fixture is. */
export const FIXTURE_KINDS = [
  /** A verbatim slice of the seed write-up (give the line numbers). */
  "seed",
  /** An upstream file (repo, path, commit) or an output quoted in an upstream issue, PR or doc (URL). */
  "upstream",
  /** Captured on a machine by running the tool (give the exact command or the script that ran it). */
  "captured",
  /** No real output exists: built from named upstream code or real outputs, saying how. */
  "derived",
  /** The expected result of a test (a reviewed parse result, a golden rendering), not tool output. */
  "expectation",
  /** Test input that is not a tool's output (exit codes and timeouts of a step, hostile documents). */
  "input",
  /** A script that (re)creates fixtures. */
  "script",
] as const;

export type FixtureKind = (typeof FIXTURE_KINDS)[number];

export interface SourceEntry {
  /** The folder of the SOURCES.md, relative to test/fixtures (`.` for the root). */
  readonly folder: string;
  /** Path or glob relative to that folder. */
  readonly pattern: string;
  readonly kind: string;
  readonly origin: string;
}

function cells(line: string): string[] | undefined {
  const t = line.trim();
  if (!t.startsWith("|") || !t.endsWith("|")) return undefined;
  // A pipe inside backticks or escaped as \| belongs to the cell.
  const out: string[] = [];
  let cur = "";
  let code = false;
  for (let i = 1; i < t.length - 1; i++) {
    const ch = t[i];
    if (ch === "\\" && t[i + 1] === "|") {
      cur += "|";
      i++;
    } else if (ch === "`") {
      code = !code;
      cur += ch;
    } else if (ch === "|" && !code) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** The entries of every sources table in a SOURCES.md text. Other tables are ignored. */
export function readSourceEntries(markdown: string, folder: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  let inTable = false;
  for (const line of markdown.split(/\r?\n/)) {
    const row = cells(line);
    if (row === undefined) {
      inTable = false;
      continue;
    }
    if (/^file$/i.test(row[0]) && /^kind$/i.test(row[1] ?? "") && /^origin$/i.test(row[2] ?? "")) {
      inTable = true;
      continue;
    }
    if (!inTable || row.every((c) => /^:?-+:?$/.test(c))) continue;
    const m = /^`([^`]+)`$/.exec(row[0]);
    if (m === null) continue;
    entries.push({ folder, pattern: m[1], kind: row[1] ?? "", origin: row.slice(2).join(" | ") });
  }
  return entries;
}

/** `*` (within a folder), `**` (across folders), `?`, `{a,b}`; everything else literal; whole path. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "{") {
      const end = glob.indexOf("}", i);
      const alts = glob.slice(i + 1, end).split(",");
      re += `(?:${alts.map((a) => a.replace(/[.+^$()|[\]\\]/g, "\\$&")).join("|")})`;
      i = end;
    } else re += ch.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
