/**
 * The programs the stack's Commands run besides docker, kind, kubectl and pulumi (checked in their own
 * files): GNU `timeout` (every long Command is `timeout --kill-after=N ...`; `--kill-after` is GNU
 * coreutils', and stock macOS has no `timeout` at all), `setsid` from util-linux (a long Command runs
 * its work in a process group of its own, ended whole when Pulumi cancels: lib/processGroup.ts),
 * `node` (the preflight, check and measurement runners), and `mktemp` and `grep` (the kind scripts).
 * The host platform: the scripts are written for Linux only.
 */
import { PreflightItem, Runner, failure } from "./types";

interface Tool {
  readonly name: string;
  /** What its `--version` must print, when the flavour matters. */
  readonly expect?: RegExp;
  readonly why: string;
  readonly fix: string;
}

const TOOLS: readonly Tool[] = [
  {
    name: "timeout",
    // "timeout (GNU coreutils) 9.1" (captured here: test/fixtures/preflight/SOURCES.md).
    expect: /^timeout \(GNU coreutils\)/,
    why: "every long Command of the stack runs under `timeout --kill-after=N` (GNU coreutils)",
    fix: "install GNU coreutils (Debian/Ubuntu: coreutils) so that `timeout` on PATH is GNU's",
  },
  {
    name: "setsid",
    // "setsid from util-linux 2.38.1" (captured here).
    expect: /util-linux/,
    why: "the long Commands run their work in a process group of their own with util-linux `setsid`",
    fix: "install util-linux (Debian/Ubuntu: util-linux)",
  },
  { name: "node", why: "the preflight and the check runners run on Node.js", fix: "install Node.js 20" },
  { name: "mktemp", why: "the kind scripts keep kubeconfigs in mktemp files", fix: "install coreutils" },
  { name: "grep", why: "the kind scripts match cluster names with grep -x", fix: "install grep" },
];

export function hostToolItems(run: Runner, platform: string = process.platform): PreflightItem[] {
  const items: PreflightItem[] = [];
  if (platform !== "linux") {
    items.push({
      level: "warning",
      area: "tools",
      message: `this host is ${platform}: the lab supports Linux hosts only (its Commands need GNU timeout and util-linux setsid, which stock ${platform} lacks); the tools below say what is missing`,
    });
  }
  for (const tool of TOOLS) {
    const r = run(tool.name, ["--version"]);
    const first = r.stdout.split("\n")[0] ?? "";
    if (r.missing || (tool.expect && !tool.expect.test(first))) {
      const found = r.missing ? "not found on PATH" : `found ${JSON.stringify(first || failure(r))}`;
      items.push({
        level: "error",
        area: "tools",
        message: `${tool.name}: ${found}, but ${tool.why}: ${tool.fix}`,
      });
    }
  }
  return items;
}
