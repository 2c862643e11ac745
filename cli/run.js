#!/usr/bin/env node
/**
 * Starts one of the command-line programs (`node cli/run.js check|perf|report|preflight [flags]`),
 * the way the stack's Command resources and `npm run <name>` do.
 *
 * Fast path: the JavaScript that `npm ci` compiled into bin/ (the `prepare` script runs
 * `npm run build`; npm runs `prepare` after installing on `npm ci` and on a plain `npm install`:
 * https://docs.npmjs.com/cli/v11/using-npm/scripts, "Life Cycle Operation Order"). A runner then
 * starts in about a tenth of the time ts-node takes, which matters when the stack starts one per check
 * at once.
 *
 * Safe path: when bin/ is missing or any source it was built from is newer than the build stamp
 * (someone edited the TypeScript), the TypeScript runs through tsx instead (esbuild's transpiler, no
 * type check: the same as ts-node's transpile-only, about a fifth of its start-up CPU here; its
 * CommonJS hook is `register()` from `tsx/cjs/api`, node_modules/tsx/package.json "exports" and
 * dist/cjs/api/index.d.cts), with one line on stderr saying so and how to rebuild. The result is the
 * same program either way.
 *
 * Plain JavaScript on purpose: it must run before anything is compiled.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
/** Folders the compiled programs are built from (tsconfig.build.json's include, and data/). */
const SOURCE_DIRS = ["cli", "checks", "runner", "perf", "report", "preflight", "lib", "data"];
/** The programs, each cli/<name>.ts exporting `main(args, io)`. */
const PROGRAMS = ["check", "perf", "report", "preflight", "e2eReport", "abStack"];

/** The newest modification time of a .ts or .json file below dir (0 when there is none). */
function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|json)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * True when root/bin holds the program (`bin/cli/<name>.js`) and was built (`bin/.built`, written
 * last by `npm run build`) after the last change to any of its sources.
 */
function compiledIsFresh(root, name) {
  const compiled = path.join(root, "bin", "cli", `${name}.js`);
  let built;
  try {
    built = fs.statSync(path.join(root, "bin", ".built")).mtimeMs;
  } catch {
    return false;
  }
  if (!fs.existsSync(compiled)) return false;
  return SOURCE_DIRS.every((d) => newestSource(path.join(root, d)) <= built);
}

function main() {
  const name = process.argv[2];
  if (!PROGRAMS.includes(name) || !fs.existsSync(path.join(ROOT, "cli", `${name}.ts`))) {
    process.stderr.write(
      `usage: node cli/run.js ${PROGRAMS.join("|")} [flags] (got ${JSON.stringify(name)})\n`,
    );
    process.exitCode = 2;
    return;
  }
  // The program reads its own flags from process.argv.slice(2).
  process.argv.splice(2, 1);
  const fresh = compiledIsFresh(ROOT, name);
  const dir = fresh ? path.join(ROOT, "bin", "cli") : path.join(ROOT, "cli");
  if (!fresh) {
    process.stderr.write(
      `${name}: bin/ is missing or older than the TypeScript sources: running them through tsx (slower). ` +
        "Rebuild with: npm run build\n",
    );
    require("tsx/cjs/api").register();
  }
  const program = require(path.join(dir, name));
  const { runCliMain } = require(path.join(dir, "main"));
  if (typeof program.main !== "function") throw new Error(`cli/${name}.ts does not export main()`);
  runCliMain(program.main, name);
}

if (require.main === module) main();

module.exports = { compiledIsFresh, newestSource };
