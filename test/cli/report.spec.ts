import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { main, parseReportArgs, REPORT_USAGE, svgPathFor } from "../../cli/report";

const FIXTURES = path.resolve(__dirname, "../fixtures/report");
const SEED = path.join(FIXTURES, "seed-stack-output.json");

function io(cwd: string, stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      cwd,
      stdinIsTTY: stdin === undefined,
      readStdin: () => stdin ?? "",
    },
  };
}

describe("report CLI reading a slow pipe", () => {
  it("reads stdin to its end when the writer is slower than the reader (no EAGAIN)", function () {
    this.timeout(30000);
    // `slow | npm run report`: npm (a Node process) holds the pipe as a stream, which makes the
    // shared read end non-blocking; the report CLI inherits it while the writer has not written yet.
    // Reading fd 0 with readFileSync then failed with EAGAIN; reading it as a stream waits.
    const report = path.resolve(__dirname, "../../cli/report.ts");
    const parent = [
      "process.stdin.pause();",
      "const r = require('child_process').spawnSync(process.execPath,",
      `  ['-r', 'tsx/cjs', ${JSON.stringify(report)}, '--no-write'], { stdio: 'inherit' });`,
      "process.exit(r.status === null ? 1 : r.status);",
    ].join("\n");
    const r = spawnSync(
      "sh",
      ["-c", `(sleep 4; cat "$1") | "$2" -e "$3"`, "sh", SEED, process.execPath, parent],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EAGAIN/);
    assert.match(r.stdout, /13\/14 checks passed, 1 inconclusive/);
  });
});

describe("report CLI", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-report-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("prints the table and writes report.md with the chart next to it", async () => {
    const c = io(dir);
    assert.equal(await main(["--stack-output", SEED], c.io), 0, c.err.join(""));
    assert.match(c.out.join(""), /^CHECK +VERDICT +REASON$/m);
    assert.match(c.out.join(""), /\n13\/14 checks passed, 1 inconclusive\n4\/4 pairs measured\n$/);
    const md = fs.readFileSync(path.join(dir, "report.md"), "utf8");
    assert.match(md, /^!\[Throughput and round-trip time per pair\]\(report-performance\.svg\)$/m);
    assert.match(fs.readFileSync(path.join(dir, "report-performance.svg"), "utf8"), /^<svg xmlns=/);
    assert.match(c.err.join(""), /report: wrote report-performance\.svg\nreport: wrote report\.md\n/);
  });

  it("reads the runner's JSON from stdin and writes where --out says, without a chart when there are no figures", async () => {
    const runner = fs.readFileSync(path.join(FIXTURES, "adversarial-runner-output.json"), "utf8");
    const c = io(dir, runner);
    assert.equal(await main(["--out", "sub.md", "--generated-at", "run 7"], c.io), 0, c.err.join(""));
    const md = fs.readFileSync(path.join(dir, "sub.md"), "utf8");
    assert.match(md, /^generated run 7 · from the check runner's output\.$/m);
    assert.equal(fs.existsSync(path.join(dir, "sub-performance.svg")), false);
    assert.match(c.err.join(""), /report: warning: check result 4 has no name/);
  });

  it("writes nothing with --no-write", async () => {
    const c = io(dir);
    assert.equal(await main(["--runner-output", SEED, "--no-write"], c.io), 0);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.match(c.err.join(""), /expected runner-output but the document is stack-output/);
  });

  it("fails with exit 1 on input that is not JSON, and 2 when there is no input at all", async () => {
    fs.writeFileSync(path.join(dir, "bad.json"), "checks: yes");
    const bad = io(dir);
    assert.equal(await main(["--stack-output", "bad.json"], bad.io), 1);
    assert.match(bad.err.join(""), /bad\.json is not JSON/);
    const none = io(dir);
    assert.equal(await main([], none.io), 2);
    assert.match(
      none.err.join(""),
      /no input: give --stack-output FILE or --runner-output FILE, or pipe the JSON in/,
    );
    const missing = io(dir);
    assert.equal(await main(["--stack-output", "nope.json"], missing.io), 1);
  });

  for (const [args, message] of [
    [["--stack-output", "a", "--runner-output", "b"], /exclude each other/],
    [["--out", "report.html"], /--out must name a \.md file/],
    [["--max-evidence-lines", "0"], /--max-evidence-lines must be a positive whole number/],
    [["--format", "x"], /unknown flag --format/],
  ] as const) {
    it(`rejects ${args.join(" ")} as a usage error`, async () => {
      const c = io(dir);
      assert.equal(await main([...args], c.io), 2);
      assert.match(c.err.join(""), message);
    });
  }

  it("prints its usage with --help", async () => {
    const c = io(dir);
    assert.equal(await main(["--help"], c.io), 0);
    assert.equal(c.out.join(""), REPORT_USAGE);
  });

  it("names the chart after the report", () => {
    assert.equal(svgPathFor("/x/report.md"), "/x/report-performance.svg");
    assert.equal(parseReportArgs(["--stack-output", "-"]).input, "-");
  });
});
