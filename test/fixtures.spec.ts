/**
 * Every fixture has a source (test/fixtures/README.md): each file under test/fixtures is matched by a
 * row of a SOURCES.md table in its folder or a parent folder, each row names files that exist, and
 * each row says what kind of source it is.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

import { FIXTURE_KINDS, globToRegExp, readSourceEntries, type SourceEntry } from "./helpers/fixtureSources";

const ROOT = path.resolve(__dirname, "fixtures");
/** Files that describe fixtures rather than being fixtures. */
const DOCS = new Set(["SOURCES.md", "README.md"]);

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full) : [full];
  });
}

const files = walk(ROOT).map((f) => path.relative(ROOT, f).split(path.sep).join("/"));
const fixtures = files.filter((f) => !DOCS.has(path.posix.basename(f)));
const sourcesFiles = files.filter((f) => path.posix.basename(f) === "SOURCES.md");
const entries: SourceEntry[] = sourcesFiles.flatMap((f) =>
  readSourceEntries(fs.readFileSync(path.join(ROOT, f), "utf8"), path.posix.dirname(f)),
);

/** The pattern of an entry relative to test/fixtures. */
function fullPattern(e: SourceEntry): RegExp {
  return globToRegExp(e.folder === "." ? e.pattern : `${e.folder}/${e.pattern}`);
}

describe("fixture sources (test/fixtures/**/SOURCES.md)", () => {
  it("finds SOURCES.md tables and fixtures to check", () => {
    assert.ok(sourcesFiles.length >= 4, sourcesFiles.join(", "));
    assert.ok(entries.length > 50, `${entries.length} entries`);
    assert.ok(fixtures.length > 300, `${fixtures.length} fixtures`);
  });

  it("gives every fixture file a source entry", () => {
    const patterns = entries.map(fullPattern);
    const orphans = fixtures.filter((f) => !patterns.some((p) => p.test(f)));
    assert.deepEqual(orphans, [], "fixture files without an entry in a SOURCES.md table");
  });

  it("has no entry whose files are missing", () => {
    const dangling = entries.filter((e) => {
      const p = fullPattern(e);
      return !fixtures.some((f) => p.test(f));
    });
    assert.deepEqual(
      dangling.map((e) => `${e.folder}/SOURCES.md: ${e.pattern}`),
      [],
      "entries that match no file",
    );
  });

  it("says for every entry what kind of source it is and where it came from", () => {
    for (const e of entries) {
      assert.ok(
        (FIXTURE_KINDS as readonly string[]).includes(e.kind),
        `${e.folder}/SOURCES.md: ${e.pattern} has kind "${e.kind}" (allowed: ${FIXTURE_KINDS.join(", ")})`,
      );
      assert.ok(
        e.origin.length >= 10,
        `${e.folder}/SOURCES.md: ${e.pattern} says too little about its origin`,
      );
    }
  });

  it("keeps no fixture written by hand under a 'constructed' name", () => {
    assert.deepEqual(
      fixtures.filter((f) => /(^|\/)constructed-/.test(f)),
      [],
    );
  });
});

describe("fixture sources: the table reader", () => {
  it("reads rows whose first cell is a backticked path or glob, under a File | Kind | Origin header", () => {
    const md = [
      "# x",
      "",
      "| File | Kind | Origin |",
      "| --- | --- | --- |",
      "| `a/*.txt` | captured | `ping -c 1 127.0.0.1` on this machine |",
      "| `b.json` | expectation | reviewed parse result of b.txt |",
      "",
      "| Other | table |",
      "| --- | --- |",
      "| `c` | ignored: not a sources table |",
    ].join("\n");
    assert.deepEqual(readSourceEntries(md, "x"), [
      { folder: "x", pattern: "a/*.txt", kind: "captured", origin: "`ping -c 1 127.0.0.1` on this machine" },
      { folder: "x", pattern: "b.json", kind: "expectation", origin: "reviewed parse result of b.txt" },
    ]);
  });

  it("matches globs the way the README says", () => {
    assert.ok(globToRegExp("a/*.txt").test("a/x.txt"));
    assert.ok(!globToRegExp("a/*.txt").test("a/b/x.txt"));
    assert.ok(globToRegExp("a/**").test("a/b/x.txt"));
    assert.ok(globToRegExp("a/{x,y}.json").test("a/y.json"));
    assert.ok(!globToRegExp("a/x.txt").test("a/x.txt.bak"));
  });
});
