/**
 * The project's root folder (the one holding Pulumi.yaml), found from a module's own folder. Code
 * runs both from its TypeScript source and from the JavaScript compiled into bin/ (cli/run.js), so a
 * fixed number of `..` from `__dirname` would point at bin/ in one of the two.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export function projectRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml in ${from} or any folder above it`);
  }
}
