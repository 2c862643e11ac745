/**
 * `node cli/run.js abStack STACK`: writes Pulumi.STACK-legacy.yaml, the A/B's second stack
 * (lib/abStack.ts), in the project directory, and prints its name. Used by `bash scripts/lab.sh ab`.
 */
import * as fs from "fs";
import * as path from "path";
import { legacyStackName, legacyStackYaml } from "../lib/abStack";
import { projectRoot } from "../lib/projectRoot";

export async function main(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const [stack, ...rest] = argv;
  if (stack === undefined || rest.length > 0) {
    io.stderr.write("usage: node cli/run.js abStack STACK\n");
    return 2;
  }
  const dir = projectRoot(__dirname);
  try {
    const yaml = legacyStackYaml(dir, stack);
    const name = legacyStackName(stack);
    fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), yaml);
    io.stdout.write(`${name}\n`);
    return 0;
  } catch (e) {
    io.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
