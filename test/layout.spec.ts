/**
 * The layout rules of the repository (issue 10): no import cycles between modules, no spec imported
 * by another spec, a README in every source folder.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");
const SOURCE_DIRS = [
  "checks",
  "cli",
  "components",
  "existing",
  "lib",
  "perf",
  "policies",
  "preflight",
  "report",
  "runner",
];
const SKIP = new Set(["node_modules", "bin", "fixtures"]);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Relative imports of a file (static imports, `export … from`, require), resolved to files. */
export function relativeImports(file: string, text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*|^import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const m of text.matchAll(pattern)) {
    const base = path.resolve(path.dirname(file), m[1]);
    const hit = [`${base}.ts`, path.join(base, "index.ts"), base].find(
      (c) => fs.existsSync(c) && fs.statSync(c).isFile(),
    );
    if (hit !== undefined && hit.endsWith(".ts")) found.push(hit);
  }
  return found;
}

/** Every cycle of the import graph, each as the list of files around it (relative to the root). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, "active");
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === "active")
        cycles.push(stack.slice(stack.indexOf(g)).map((x) => path.relative(ROOT, x)));
      else if (state.get(g) === undefined) visit(g);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of graph.keys()) if (state.get(f) === undefined) visit(f);
  return cycles;
}

describe("repository layout", () => {
  const files = [
    ...fs
      .readdirSync(ROOT)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => path.join(ROOT, f)),
    ...SOURCE_DIRS.flatMap((d) => tsFiles(path.join(ROOT, d))),
    ...tsFiles(path.join(ROOT, "test")),
  ];
  const graph = new Map(files.map((f) => [f, relativeImports(f, fs.readFileSync(f, "utf8"))]));

  it("reads the import graph (a sanity check of the reader)", () => {
    assert.ok(files.length > 100);
    assert.ok(graph.get(path.join(ROOT, "index.ts"))?.includes(path.join(ROOT, "lib", "config.ts")));
  });

  it("has no import cycle", () => {
    assert.deepEqual(importCycles(graph), []);
  });

  it("finds a cycle when there is one (the detector can fail)", () => {
    const g = new Map([
      ["/a.ts", ["/b.ts"]],
      ["/b.ts", ["/c.ts"]],
      ["/c.ts", ["/a.ts"]],
    ]);
    assert.equal(importCycles(g).length, 1);
  });

  it("imports no spec file from another file (mocha would not run its tests as its own)", () => {
    const offenders = [...graph].flatMap(([f, deps]) =>
      deps
        .filter((d) => d.endsWith(".spec.ts"))
        .map((d) => `${path.relative(ROOT, f)} -> ${path.relative(ROOT, d)}`),
    );
    assert.deepEqual(offenders, []);
  });

  it("has a README.md in every source folder, saying what lives there", () => {
    const missing = SOURCE_DIRS.filter((d) => !fs.existsSync(path.join(ROOT, d, "README.md")));
    assert.deepEqual(missing, []);
  });
});
