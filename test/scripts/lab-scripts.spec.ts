/**
 * The lab command (scripts/lab.sh), the end-to-end script (scripts/e2e.sh) and the e2e workflow,
 * none of which can run here (no Docker, kind or Pulumi CLI): shellcheck over every script, the
 * workflow through action-validator (pinned devDependency), lab.sh's passphrase and ordering rules
 * with stub binaries, and e2e's report helpers.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { failedChecks, milestoneTimes, phaseTable } from "../../cli/e2eReport";
import { makeStubs } from "../helpers/stubs";

const REPO = path.resolve(__dirname, "..", "..");
const SCRIPTS = ["scripts/lab.sh", "scripts/e2e.sh", "scripts/test.sh", ".ci/run"];

describe("scripts", function () {
  this.timeout(60000);

  for (const script of SCRIPTS) {
    it(`${script} passes shellcheck`, function () {
      const r = spawnSync("shellcheck", ["-x", path.join(REPO, script)], { encoding: "utf8" });
      if (r.error) {
        if (process.env.CI) assert.fail("shellcheck is not installed");
        this.skip();
      }
      assert.strictEqual(`${r.stdout}${r.stderr}`, "");
      assert.strictEqual(r.status, 0);
    });
  }

  const validator = path.join(REPO, "node_modules", ".bin", "action-validator");
  it("the e2e workflow passes action-validator (and the validator rejects a broken one)", () => {
    const ok = spawnSync(validator, [path.join(REPO, ".github", "workflows", "e2e.yml")], {
      encoding: "utf8",
    });
    assert.strictEqual(ok.status, 0, `${ok.stdout}${ok.stderr}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wf-"));
    try {
      const broken = fs
        .readFileSync(path.join(REPO, ".github", "workflows", "e2e.yml"), "utf8")
        .replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest");
      fs.writeFileSync(path.join(dir, "e2e.yml"), broken);
      const bad = spawnSync(validator, [path.join(dir, "e2e.yml")], { encoding: "utf8" });
      assert.notStrictEqual(bad.status, 0, "a job without runs-on must be rejected");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every --event-log a script passes comes with PULUMI_DEBUG_COMMANDS=true (the real CLI refuses it otherwise)", () => {
    // Recorded with the real CLI v3.248.0: "error: unknown flag: --event-log" without the variable
    // (test/fixtures/engine/existing-apiserver/event-log-flag.txt; pulumi/pulumi up.go lines 909-913).
    const refusal = fs.readFileSync(
      path.join(REPO, "test/fixtures/engine/existing-apiserver/event-log-flag.txt"),
      "utf8",
    );
    assert.match(refusal, /unknown flag: --event-log/);
    for (const script of SCRIPTS) {
      for (const line of fs.readFileSync(path.join(REPO, script), "utf8").split("\n")) {
        if (/^\s*#/.test(line) || !/--event-log\s+["$/]/.test(line)) continue;
        assert.match(line, /PULUMI_DEBUG_COMMANDS=true /, `${script}: ${line}`);
      }
    }
  });

  it("the workflow runs scripts/e2e.sh for the dev and current stacks on ubuntu-latest", () => {
    const wf = fs.readFileSync(path.join(REPO, ".github", "workflows", "e2e.yml"), "utf8");
    assert.match(wf, /runs-on: ubuntu-latest/);
    assert.match(wf, /- stack: dev/);
    assert.match(wf, /- stack: current/);
    assert.match(wf, /bash scripts\/e2e\.sh "\$\{\{ matrix\.stack \}\}"/);
  });
});

describe("scripts/lab.sh (stub pulumi and npm)", function () {
  this.timeout(30000);

  /** A copy of lab.sh in a scratch project with the given stack file; stubs record env and calls. */
  function project(stackFile: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "labsh-"));
    fs.mkdirSync(path.join(dir, "scripts"));
    fs.mkdirSync(path.join(dir, "node_modules"));
    fs.copyFileSync(path.join(REPO, "scripts", "lab.sh"), path.join(dir, "scripts", "lab.sh"));
    fs.writeFileSync(path.join(dir, "Pulumi.lab.yaml"), stackFile);
    return dir;
  }
  const ENV_DUMP =
    'env | grep -E "^PULUMI_(BACKEND_URL|CONFIG_PASSPHRASE_FILE|CONFIG_PASSPHRASE)=" >>"$STUB_DIR/env"';
  function run(
    dir: string,
    stubs: ReturnType<typeof makeStubs>,
    args: string[],
    env: Record<string, string> = {},
  ) {
    const base = { ...process.env };
    delete base.PULUMI_CONFIG_PASSPHRASE;
    delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
    delete base.PULUMI_BACKEND_URL;
    return spawnSync("bash", [path.join(dir, "scripts", "lab.sh"), ...args], {
      encoding: "utf8",
      env: { ...base, ...env, PATH: `${stubs.dir}:/usr/bin:/bin` },
    });
  }

  it("refuses an existing-cluster stack without a passphrase, and never falls back to one", () => {
    const dir = project("config:\n  cilium-ebpf-lab:clusterMode: existing\n");
    const stubs = makeStubs({ pulumi: ENV_DUMP, npm: "true" });
    try {
      const r = run(dir, stubs, ["up", "lab"]);
      assert.strictEqual(r.status, 1);
      assert.match(r.stderr, /Set PULUMI_CONFIG_PASSPHRASE \(or PULUMI_CONFIG_PASSPHRASE_FILE\)/);
      assert.ok(!stubs.calls().some((c) => c[0] === "pulumi" && c[1] === "up"));
      assert.ok(!fs.existsSync(path.join(dir, ".pulumi", "passphrase-lab")));
    } finally {
      stubs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an existing-cluster stack whose passphrase is empty or the old `lab` default", () => {
    const dir = project("config:\n  cilium-ebpf-lab:clusterMode: existing\n");
    const stubs = makeStubs({ pulumi: ENV_DUMP, npm: "true" });
    try {
      const empty = path.join(dir, "empty-pass");
      fs.writeFileSync(empty, " \n");
      const lab = path.join(dir, "lab-pass");
      fs.writeFileSync(lab, "lab\n");
      const own = path.join(dir, "own-pass");
      fs.writeFileSync(own, "a passphrase of my own\n");
      const cases: [Record<string, string>, RegExp][] = [
        [{ PULUMI_CONFIG_PASSPHRASE: "" }, /from PULUMI_CONFIG_PASSPHRASE is empty or the old 'lab' default/],
        [{ PULUMI_CONFIG_PASSPHRASE: "lab" }, /is empty or the old 'lab' default/],
        [{ PULUMI_CONFIG_PASSPHRASE_FILE: empty }, /PULUMI_CONFIG_PASSPHRASE_FILE .* is empty/],
        [{ PULUMI_CONFIG_PASSPHRASE_FILE: lab }, /is empty or the old 'lab' default/],
        [{ PULUMI_CONFIG_PASSPHRASE_FILE: path.join(dir, "absent") }, /cannot be read/],
        // Pulumi uses the variable when it is set, even empty, whatever the file holds.
        [{ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: own }, /is empty/],
      ];
      for (const [env, message] of cases) {
        const r = run(dir, stubs, ["up", "lab"], env);
        assert.strictEqual(r.status, 1, JSON.stringify(env));
        assert.match(r.stderr, message);
      }
      assert.ok(!stubs.calls().some((c) => c[0] === "pulumi"), "pulumi never ran");
      assert.ok(!fs.existsSync(path.join(dir, ".pulumi", "passphrase-lab")));
      const ok = run(dir, stubs, ["preview", "lab"], { PULUMI_CONFIG_PASSPHRASE_FILE: own });
      assert.strictEqual(ok.status, 0, ok.stderr);
    } finally {
      stubs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("for a kind stack: local backend, a random 0600 passphrase file, stack init, preflight, then up with the policy pack", () => {
    const dir = project('config:\n  cilium-ebpf-lab:workers: "2"\n');
    // `stack select` fails (no stack yet): init follows.
    const stubs = makeStubs({
      pulumi: `${ENV_DUMP}\n[ "$1 $2" = "stack select" ] && exit 1\nexit 0`,
      npm: "exit 0",
    });
    try {
      const r = run(dir, stubs, ["up", "lab", "--event-log", "/tmp/x.jsonl"]);
      assert.strictEqual(r.status, 0, r.stderr);
      const pass = path.join(dir, ".pulumi", "passphrase-lab");
      assert.strictEqual(fs.statSync(pass).mode & 0o777, 0o600);
      assert.match(fs.readFileSync(pass, "utf8"), /^[0-9a-f]{48}$/);
      const calls = stubs.calls().map((c) => c.join(" "));
      assert.deepStrictEqual(calls, [
        "pulumi stack select lab",
        "pulumi stack init lab --secrets-provider passphrase",
        "npm run --silent preflight -- --stack lab",
        "pulumi up --policy-pack policies --yes --event-log /tmp/x.jsonl",
      ]);
      const env = fs.readFileSync(path.join(stubs.dir, "env"), "utf8");
      assert.ok(env.includes(`PULUMI_BACKEND_URL=file://${dir}/.pulumi`), env);
      assert.ok(env.includes(`PULUMI_CONFIG_PASSPHRASE_FILE=${dir}/.pulumi/passphrase-lab`), env);
      // The second run reuses the same passphrase.
      const before = fs.readFileSync(pass, "utf8");
      assert.strictEqual(run(dir, stubs, ["preview", "lab"]).status, 0);
      assert.strictEqual(fs.readFileSync(pass, "utf8"), before);
    } finally {
      stubs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ab: derives STACK-legacy, brings up both one after the other, exports both outputs and renders the comparison", () => {
    const dir = project('config:\n  cilium-ebpf-lab:workers: "2"\n');
    const stubs = makeStubs({
      pulumi: [
        '[ "$1 $2" = "stack select" ] && printf \'%s\' "$3" >"$STUB_DIR/selected"',
        '[ "$1 $2" = "stack output" ] && printf \'{"stack":"%s"}\\n\' "$(cat "$STUB_DIR/selected")"',
        "exit 0",
      ].join("\n"),
      npm: "exit 0",
    });
    try {
      const r = run(dir, stubs, ["ab", "lab"]);
      assert.strictEqual(r.status, 0, r.stderr);
      const calls = stubs.calls().map((c) => c.join(" "));
      assert.deepStrictEqual(calls, [
        "npm run --silent ab-stack -- lab",
        "pulumi stack select lab",
        "npm run --silent preflight -- --stack lab",
        "pulumi up --policy-pack policies --yes",
        "pulumi stack select lab-legacy",
        "npm run --silent preflight -- --stack lab-legacy",
        "pulumi up --policy-pack policies --yes",
        "pulumi stack select lab",
        "pulumi stack output --json",
        "pulumi stack select lab-legacy",
        "pulumi stack output --json",
        "npm run --silent report -- --stack-output ab-lab/lab.json --compare ab-lab/lab-legacy.json --labels bpf,legacy-host-routing --out ab-lab/ab.md",
      ]);
      assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(dir, "ab-lab", "lab.json"), "utf8")), {
        stack: "lab",
      });
      assert.deepStrictEqual(
        JSON.parse(fs.readFileSync(path.join(dir, "ab-lab", "lab-legacy.json"), "utf8")),
        { stack: "lab-legacy" },
      );
      // Each stack has its own generated passphrase.
      assert.ok(fs.existsSync(path.join(dir, ".pulumi", "passphrase-lab")));
      assert.ok(fs.existsSync(path.join(dir, ".pulumi", "passphrase-lab-legacy")));
    } finally {
      stubs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ab: stops at the first failure (no second lab when the first up fails) and takes no pulumi arguments", () => {
    const dir = project("config: {}\n");
    const stubs = makeStubs({ pulumi: '[ "$1" = up ] && exit 1\nexit 0', npm: "exit 0" });
    try {
      const r = run(dir, stubs, ["ab", "lab"]);
      assert.notStrictEqual(r.status, 0);
      const ups = stubs.calls().filter((c) => c[0] === "pulumi" && c[1] === "up");
      assert.strictEqual(ups.length, 1);
      assert.ok(!stubs.calls().some((c) => c.join(" ").includes("lab-legacy") && c[1] !== "run"));
      const extra = run(dir, stubs, ["ab", "lab", "--event-log", "/tmp/x"]);
      assert.strictEqual(extra.status, 2);
      assert.match(extra.stderr, /ab takes no pulumi arguments/);
    } finally {
      stubs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops before pulumi up when the preflight finds an error", () => {
    const dir = project("config: {}\n");
    const stubs = makeStubs({ pulumi: "exit 0", npm: "exit 1" });
    try {
      const r = run(dir, stubs, ["up", "lab"], { PULUMI_CONFIG_PASSPHRASE: "given" });
      assert.strictEqual(r.status, 1);
      assert.ok(!stubs.calls().some((c) => c[0] === "pulumi" && c[1] === "up"));
      assert.ok(
        !fs.existsSync(path.join(dir, ".pulumi", "passphrase-lab")),
        "a given passphrase is used as it is",
      );
    } finally {
      stubs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the passphrase salt (issue 24, item 3)", function () {
  this.timeout(30000);
  // Real salt lines as `pulumi stack init` writes them (bincyber/pitfall README.md at 273f9d2a161f,
  // and https://github.com/pulumi/pulumi pkg/secrets/passphrase: "v1:<salt>:v1:<nonce>:<ciphertext>").
  const OLD_SALT = "encryptionsalt: v1:GEHe83S30O0=:v1:s8vb7cVFSz64pUmv:Ff5AbbcbTSim8cBwDCQCwraGHEQQ/A==";
  const NEW_SALT = "encryptionsalt: v1:nApVG/BPNYo=:v1:z9nHwmyDsdP6VFnP:L7VCw7Vi7030vC906zmeQ/RlTnjnjg==";
  /** A pulumi stub: records the salt lines each call saw in the stack file; init and up write a salt. */
  function pulumiStub(file: string) {
    return [
      `printf '%s %s\\n' "$1" "$(grep -c '^encryptionsalt:' '${file}' || true)" >>"$STUB_DIR/salts"`,
      'env | grep -E "^PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=" >>"$STUB_DIR/env"',
      '[ "$1 $2" = "stack select" ] && exit 1',
      `[ "$1 $2" = "stack init" ] && echo '${NEW_SALT}' >>'${file}'`,
      "exit 0",
    ].join("\n");
  }

  it("lab.sh: a salt left in the stack file never reaches stack init, and none stays in the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "labsalt-"));
    fs.mkdirSync(path.join(dir, "scripts"));
    fs.mkdirSync(path.join(dir, "node_modules"));
    fs.copyFileSync(path.join(REPO, "scripts", "lab.sh"), path.join(dir, "scripts", "lab.sh"));
    const file = path.join(dir, "Pulumi.lab.yaml");
    fs.writeFileSync(file, `# the lab\nconfig:\n  cilium-ebpf-lab:workers: "2"\n${OLD_SALT}\n`);
    const stubs = makeStubs({ pulumi: pulumiStub(file), npm: "exit 0" });
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${stubs.dir}:/usr/bin:/bin` };
      delete env.PULUMI_CONFIG_PASSPHRASE;
      delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
      delete env.PULUMI_BACKEND_URL;
      delete env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER;
      const r = spawnSync("bash", [path.join(dir, "scripts", "lab.sh"), "up", "lab"], {
        env,
        encoding: "utf8",
      });
      assert.strictEqual(r.status, 0, r.stderr);
      const salts = fs.readFileSync(path.join(stubs.dir, "salts"), "utf8");
      assert.match(
        salts,
        /^stack 1\nstack 0\nup 1\n$/,
        "select saw the old salt, init none; up the one init wrote",
      );
      assert.strictEqual(
        fs.readFileSync(file, "utf8"),
        '# the lab\nconfig:\n  cilium-ebpf-lab:workers: "2"\n',
      );
      assert.match(
        fs.readFileSync(path.join(stubs.dir, "env"), "utf8"),
        /^PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true$/m,
      );
    } finally {
      stubs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Runs a copy of e2e.sh (and lab.sh) with the given dev stack file and stub pulumi and kind. */
  function runE2e(stackYaml: string, pulumi: string, kind: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-"));
    fs.mkdirSync(path.join(dir, "scripts"));
    for (const f of ["lab.sh", "e2e.sh"]) {
      fs.copyFileSync(path.join(REPO, "scripts", f), path.join(dir, "scripts", f));
    }
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), stackYaml);
    const stubs = makeStubs({ pulumi, npm: "exit 0", kind, docker: "exit 1", node: "exit 0" });
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${stubs.dir}:/usr/bin:/bin` };
      const r = spawnSync("bash", [path.join(dir, "scripts", "e2e.sh"), "dev"], {
        cwd: dir,
        env,
        encoding: "utf8",
      });
      const initSalts = path.join(stubs.dir, "init-salts");
      return {
        ...r,
        initSalts: fs.existsSync(initSalts) ? fs.readFileSync(initSalts, "utf8").trim() : undefined,
        base: fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8"),
      };
    } finally {
      stubs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it("e2e.sh: a kind get clusters that fails after destroy is an error, not 'nothing left'", () => {
    const down = path.join(REPO, "test", "fixtures", "kind", "kind-get-clusters-docker-down.stderr");
    const r = runE2e('config:\n  cilium-ebpf-lab:workers: "2"\n', "exit 0", `cat '${down}' >&2; exit 1`);
    assert.notStrictEqual(r.status, 0);
    assert.match(r.stderr, /e2e: cannot list kind clusters after destroy/);
  });

  it("e2e.sh: the throwaway stack file gets the base stack's config without its salt", () => {
    // pulumi records the throwaway stack file's salt lines when the stack is initialised.
    const r = runE2e(
      `config:\n  cilium-ebpf-lab:workers: "2"\n${OLD_SALT}\n`,
      `[ "$1 $2" = "stack init" ] && grep -c '^encryptionsalt:' Pulumi.e2e-dev-*.yaml >"$STUB_DIR/init-salts"\nexit 0`,
      "exit 0",
    );
    assert.strictEqual(r.initSalts, "0");
    assert.doesNotMatch(r.stderr, /cannot list kind clusters/);
    assert.ok(r.base.includes(OLD_SALT), "the base stack file is not touched");
  });
});

describe("e2e report helpers", () => {
  it("lists every check that did not pass with its evidence, and the missing ones", () => {
    const out = {
      checks: {
        results: [
          { name: "a", verdict: "pass", reason: "ok", evidence: [] },
          {
            name: "b",
            verdict: "fail",
            reason: "no reply",
            evidence: [{ command: "ping x", output: "100% loss" }],
          },
        ],
      },
    };
    assert.deepStrictEqual(failedChecks(out, ["a", "b", "c"]), [
      "b: fail: no reply",
      "  $ ping x",
      "    100% loss",
      "c: missing from the checks output",
    ]);
    assert.deepStrictEqual(
      failedChecks({ checks: { results: [{ name: "a", verdict: "pass" }] } }, ["a"]),
      [],
    );
  });

  it("times the phases from engine events (the EngineEvent shape of pulumi/pulumi apitype/events.go)", () => {
    const ev = (t: number, urn: string) =>
      JSON.stringify({
        sequence: t,
        timestamp: t,
        resOutputsEvent: { metadata: { op: "create", urn, type: "" } },
      });
    const u = "urn:pulumi:s::cilium-ebpf-lab::";
    const log = [
      ev(130, `${u}lab:index:KindCluster$command:local:Command::lab-nodes`),
      ev(250, `${u}lab:index:CiliumRelease$kubernetes:helm.sh/v3:Release::cilium-release`),
      ev(280, `${u}lab:index:LabWorkload$kubernetes:core/v1:Pod::workload-client`),
      ev(300, `${u}lab:index:LabChecks$command:local:Command::checks-ping-cross-node`),
      ev(310, `${u}lab:index:LabChecks$command:local:Command::checks-bpf-masquerade`),
      "not json",
    ].join("\n");
    const times = milestoneTimes(log);
    assert.deepStrictEqual(times, { cluster: 130, "Cilium ready": 250, "workload ready": 280, checks: 310 });
    const table = phaseTable(times, { started: 100, upEnded: 320, preflightSeconds: 4, destroySeconds: 40 });
    assert.match(table, /\| preflight +\| 4s \|/);
    assert.match(table, /\| cluster +\| 30s \|/);
    assert.match(table, /\| Cilium ready +\| 120s \|/);
    assert.match(table, /\| workload ready +\| 30s \|/);
    assert.match(table, /\| checks +\| 30s \|/);
    assert.match(table, /\| \(pulumi up total\) \| 220s \|/);
    assert.match(table, /\| destroy +\| 40s \|/);
  });
});
