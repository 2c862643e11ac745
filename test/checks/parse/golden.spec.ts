import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { PARSERS_BY_FIXTURE_FOLDER } from "../../helpers/parsers";

/**
 * Golden fixtures: test/fixtures/parse/<parser>/<case>.txt is real tool output (see SOURCES.md),
 * <case>.json the reviewed expected result without `raw` (undefined fields are absent, as in JSON),
 * and an optional <case>.args.json the second argument (the tc context).
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures/parse");
const SEED = path.resolve(__dirname, "../../../../shared/seed/000_aeb09caae6829f2e.txt");

const PARSERS = PARSERS_BY_FIXTURE_FOLDER;

/** The result as JSON sees it: keys holding undefined disappear; `raw` is checked on its own. */
function comparable(result: { readonly raw: string }): unknown {
  const { raw: _raw, ...rest } = result;
  return JSON.parse(JSON.stringify(rest)) as unknown;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
}

function casesOf(dir: string): string[] {
  return fs
    .readdirSync(path.join(FIXTURES, dir))
    .filter((f) => f.endsWith(".txt"))
    .map((f) => f.slice(0, -".txt".length))
    .sort();
}

describe("parser golden fixtures", () => {
  it("has a parser for every fixture folder", () => {
    const folders = fs.readdirSync(FIXTURES).filter((f) => fs.statSync(path.join(FIXTURES, f)).isDirectory());
    assert.deepEqual(folders.sort(), Object.keys(PARSERS).sort());
  });

  for (const [dir, parse] of Object.entries(PARSERS)) {
    describe(dir, () => {
      it("pairs every output with an expected result and nothing else", () => {
        const files = fs.readdirSync(path.join(FIXTURES, dir));
        const cases = casesOf(dir);
        assert.ok(cases.length > 0, `no fixtures in ${dir}`);
        for (const file of files) {
          const base = file.replace(/(\.args)?\.json$|\.txt$/, "");
          assert.ok(cases.includes(base), `${dir}/${file} has no ${base}.txt`);
        }
        for (const c of cases) assert.ok(files.includes(`${c}.json`), `${dir}/${c}.txt has no ${c}.json`);
      });

      for (const name of casesOf(dir)) {
        it(`parses ${name} into its reviewed expected result`, () => {
          const base = path.join(FIXTURES, dir, name);
          const raw = fs.readFileSync(`${base}.txt`, "utf8");
          const args = fs.existsSync(`${base}.args.json`) ? readJson(`${base}.args.json`) : undefined;
          const result = parse(raw, args);
          assert.equal(result.raw, raw);
          assert.deepEqual(comparable(result), readJson(`${base}.json`));
        });
      }
    });
  }

  describe("seed fixtures", () => {
    it("are byte-for-byte slices of the seed write-up", function () {
      if (!fs.existsSync(SEED)) this.skip();
      const seed = fs.readFileSync(SEED, "utf8");
      const seedFixtures = Object.keys(PARSERS).flatMap((dir) =>
        casesOf(dir)
          .filter((c) => c.startsWith("seed-") || c.includes("-seed-"))
          .map((c) => path.join(dir, `${c}.txt`)),
      );
      assert.ok(seedFixtures.length >= 20, `only ${seedFixtures.length} seed fixtures`);
      for (const f of seedFixtures) {
        const text = fs.readFileSync(path.join(FIXTURES, f), "utf8");
        assert.ok(seed.includes(text), `${f} is not a verbatim slice of the seed`);
      }
    });
  });
});
