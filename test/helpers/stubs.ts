/**
 * Stub command-line tools on PATH that record their argv (and stdin), for running the scripts the
 * stack generates without Docker or a cluster.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface StubDir {
  readonly dir: string;
  /** Calls as [tool, ...args] in call order (records end with \x1e, args are separated by \x1f). */
  calls(): string[][];
  /** What the stub read on stdin, per call that read it. */
  stdin(tool: string): string[];
  remove(): void;
}

/**
 * Creates stubs. `behaviour` maps a tool name to a POSIX sh snippet run after recording (it sees
 * "$@"; `$STUB_DIR` is the stub directory).
 */
export function makeStubs(behaviour: Record<string, string>): StubDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-stubs-"));
  const log = path.join(dir, "calls.log");
  fs.writeFileSync(log, "");
  for (const [tool, body] of Object.entries(behaviour)) {
    const file = path.join(dir, tool);
    fs.writeFileSync(
      file,
      [
        "#!/bin/sh",
        `STUB_DIR='${dir}'`,
        `{ printf '%s' '${tool}'; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\036'; } >>"$STUB_DIR/calls.log"`,
        `case " $* " in *" --config - "*|*" --config=- "*) cat >>"$STUB_DIR/${tool}.stdin"; printf '\\036' >>"$STUB_DIR/${tool}.stdin";; esac`,
        body,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
  }
  return {
    dir,
    calls: () =>
      fs
        .readFileSync(log, "utf8")
        .split("\x1e")
        .filter((l) => l.length > 0)
        .map((l) => l.split("\x1f")),
    stdin: (tool) => {
      const f = path.join(dir, `${tool}.stdin`);
      return fs.existsSync(f)
        ? fs
            .readFileSync(f, "utf8")
            .split("\x1e")
            .filter((s) => s.length > 0)
        : [];
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs a script with /bin/sh -c (as @pulumi/command does) with the stubs first on PATH. */
export function runScript(
  script: string,
  stubs: StubDir,
  opts: { stdin?: string; env?: Record<string, string> } = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("/bin/sh", ["-c", script], {
    input: opts.stdin ?? "",
    env: { ...process.env, ...opts.env, PATH: `${stubs.dir}:${process.env.PATH}` },
    encoding: "utf8",
    timeout: 20000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs shellcheck over a POSIX sh script; returns its findings (empty when clean). SC1001 (info:
 * "this \\: will be a regular :") is excluded: shell-quote escapes such characters, harmlessly.
 */
export function shellcheck(script: string): { available: boolean; output: string } {
  const r = spawnSync("shellcheck", ["-s", "sh", "-e", "SC1001", "-"], { input: script, encoding: "utf8" });
  if (r.error) return { available: false, output: String(r.error) };
  return { available: true, output: `${r.stdout}${r.stderr}` };
}

/**
 * shellcheck over many POSIX sh scripts in one run (one shellcheck process instead of one per
 * script: its start-up is most of its cost); findings by script index, absent for a clean script.
 */
export function shellcheckAll(scripts: readonly string[], exclude?: string): Map<number, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "labt-sc-"));
  try {
    const files = scripts.map((s, i) => {
      const f = path.join(dir, `s${i}.sh`);
      fs.writeFileSync(f, s);
      return f;
    });
    const excluded = exclude === undefined ? [] : ["-e", exclude];
    const r = spawnSync("shellcheck", ["-s", "sh", ...excluded, "-f", "gcc", ...files], {
      encoding: "utf8",
    });
    if (r.error) throw r.error;
    const findings = new Map<number, string>();
    for (const line of r.stdout.split("\n").filter((l) => l !== "")) {
      const m = /\/s(\d+)\.sh:/.exec(line);
      const i = m ? Number(m[1]) : -1;
      findings.set(i, `${findings.get(i) ?? ""}${line}\n`);
    }
    if (r.status !== 0 && findings.size === 0) throw new Error(`shellcheck failed: ${r.stderr}`);
    return findings;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
