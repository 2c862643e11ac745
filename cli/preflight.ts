/**
 * `npm run preflight -- --stack <name>`: checks this machine for the lab of stack <name> (Pulumi.yaml
 * defaults overlaid by Pulumi.<name>.yaml, validated like `pulumi up` does) and prints one line per
 * problem with its fix. Exit status 1 when any error was found, 2 on bad usage or config.
 * The stack runs it as its first Command with `--input-json` (the config it already validated).
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "node:util";
import { runCliMain } from "./main";
import { PROJECT, validateConfig } from "../lib/config";
import { projectRoot } from "../lib/projectRoot";
import { readStackConfig } from "../lib/stackFiles";
import { formatItems, runPreflight } from "../preflight";
import { localRunner } from "../preflight/exec";
import { parsePreflightInput, preflightInput } from "../preflight/input";
import type { PreflightInput } from "../preflight/types";

export const USAGE = `Usage: npm run preflight -- --stack NAME [--dir DIR] [--json]

Checks Docker, kind, kubectl, the Pulumi CLI, the Docker host's kernel, cgroup version and inotify
limits, the node subnet against every Docker network, and a kind cluster of the lab's name, for the
stack NAME (Pulumi.yaml defaults + Pulumi.NAME.yaml). Exits 1 when any error was found.
  --stack NAME       the stack whose config is checked
  --dir DIR          the project directory (default: this repository)
  --json             print the items as JSON instead of lines
  --input-json JSON  (used by the stack) the validated input instead of --stack
`;

export async function main(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string" },
        dir: { type: "string" },
        json: { type: "boolean" },
        "input-json": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (e) {
    io.stderr.write(`preflight: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  let input: PreflightInput;
  try {
    if (values["input-json"] !== undefined) {
      input = parsePreflightInput(values["input-json"]);
    } else if (values.stack !== undefined) {
      const dir = path.resolve(values.dir ?? projectRoot(__dirname));
      if (!fs.existsSync(path.join(dir, `Pulumi.${values.stack}.yaml`))) {
        io.stderr.write(`preflight: no Pulumi.${values.stack}.yaml: checking the project defaults\n`);
      }
      input = preflightInput(
        validateConfig(readStackConfig(dir, values.stack)),
        `${PROJECT}/${values.stack}`,
      );
    } else {
      io.stderr.write(`preflight: give --stack NAME\n${USAGE}`);
      return 2;
    }
  } catch (e) {
    io.stderr.write(`preflight: ${(e as Error).message}\n`);
    return 2;
  }
  const items = runPreflight(input, {
    run: localRunner(),
    dockerHost: process.env.DOCKER_HOST,
    procRoot: process.env.LAB_PREFLIGHT_PROC_ROOT,
  });
  if (values.json) io.stdout.write(JSON.stringify({ items }, null, 2) + "\n");
  else io.stdout.write(formatItems(items));
  return items.some((i) => i.level === "error") ? 1 : 0;
}

if (require.main === module) runCliMain(main, "preflight");
