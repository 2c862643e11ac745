/**
 * The directory of the Pulumi program the pack judges, where relative paths in its resources' inputs
 * (a FileAsset of Helm values, `kind create cluster --config kind.yaml`) are resolved.
 *
 * A Node policy pack does not run there: the Node.js language host starts it with its working
 * directory set to the pack's own directory (pulumi/pulumi v3.248.0
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go lines 1684-1689: "node policy packs used to always run
 * with the working directory set to the policy pack directory"), and the engine's handshake names the
 * pack's directory as both root and program directory (sdk/go/common/resource/plugin/analyzer_plugin.go
 * lines 118-125). The language host itself runs in the program's directory (the CLI starts every
 * plugin with the plugin context's pwd: analyzer_plugin.go line 204 passes `ctx.Pwd`), and it is the
 * pack's parent process. So the program's directory is the first directory up the pack's process
 * chain (Linux /proc) that holds the project's Pulumi.yaml; `PWD` (the shell's directory when the
 * user ran `pulumi` there) is the second guess. Undefined when neither holds it: the caller then
 * says it could not read the file rather than guess.
 */
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** The project name in `dir`'s Pulumi.yaml (or Pulumi.yml), undefined when there is none. */
function projectIn(dir: string): string | undefined {
  for (const file of ["Pulumi.yaml", "Pulumi.yml"]) {
    const p = path.join(dir, file);
    if (!existsSync(p)) continue;
    try {
      const doc = parse(readFileSync(p, "utf8")) as { name?: unknown } | null;
      return typeof doc?.name === "string" ? doc.name : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The working directories of this process's ancestors, nearest first (Linux /proc; [] elsewhere). */
export function ancestorDirs(maxDepth = 4): string[] {
  const out: string[] = [];
  let pid = process.ppid;
  for (let i = 0; i < maxDepth && pid > 1; i++) {
    try {
      out.push(readlinkSync(`/proc/${pid}/cwd`));
      // /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * The program's directory: the first candidate holding a Pulumi.yaml of `project` (any project when
 * it is undefined). Candidates default to the ancestors' working directories, then `PWD`.
 */
export function programDir(
  project: string | undefined,
  candidates: readonly string[] = [...ancestorDirs(), ...(process.env.PWD ? [process.env.PWD] : [])],
): string | undefined {
  for (const dir of candidates) {
    const name = projectIn(dir);
    if (name !== undefined && (project === undefined || name === project)) return dir;
  }
  return undefined;
}

/** The project of a URN (`urn:pulumi:stack::project::type::name`). */
export function projectOfUrn(urn: string): string | undefined {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts[1] : undefined;
}
