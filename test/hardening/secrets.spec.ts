/**
 * The kubeconfig never appears in plaintext: not in any resource input, not in any resource output
 * (state, component outputs included), not in a stack output that is not secret, and not on disk
 * longer than the command that needs it.
 *
 * Under mocks a resource's state is what the mock returns; the engine would mark the outputs listed
 * in `additionalSecretOutputs` secret. The mock monitor does not record those options, so this spec
 * wraps its registerResource to read them from the request, and treats those outputs as hidden.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { main, type CliIO } from "../../cli/check";
import {
  FAKE_KUBECONFIG,
  isSecret,
  unwrap,
  runLab,
  type MockedResource,
  type RunOptions,
  type RunResult,
} from "../helpers/pulumiMocks";
import { makeStubs, type StubDir } from "../helpers/stubs";
import { makeFakeBin } from "../helpers/fakes";
import { type FakeCluster, clusterShape, installFakeCluster } from "../helpers/fakeCluster";

/** Distinctive pieces of FAKE_KUBECONFIG: the key, the CA, the server URL, the field name. */
const MARKERS = [
  "client-key-data",
  "UFJJVkFURS1LRVktTk9ULVJFQUwtZm9yLXRlc3Rz",
  "Q0VSVElGSUNBVEUtTk9ULVJFQUw=",
  "https://127.0.0.1:40001",
];

interface MonitorLike {
  registerResource(req: unknown, callback: unknown): unknown;
  getRegisteredResources?(): Map<string, { urn: string; state: unknown }>;
}
interface RegisterRequest {
  getName(): string;
  getType(): string;
  getAdditionalsecretoutputsList(): string[];
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mocksModule = require("@pulumi/pulumi/runtime/mocks") as {
  MockMonitor: { prototype: MonitorLike };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): MonitorLike | undefined };

/** `${type}::${name}` → additionalSecretOutputs, as the program asked the engine. */
const secretOutputs = new Map<string, string[]>();

function isSecretWrapped(v: unknown): boolean {
  return (
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig
  );
}

/** Paths under `value` whose strings hold a marker, not looking inside values wrapped as secrets. */
function plaintext(value: unknown, at: string, hidden: ReadonlySet<string> = new Set()): string[] {
  if (typeof value === "string") return MARKERS.some((m) => value.includes(m)) ? [at] : [];
  if (isSecretWrapped(value)) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plaintext(v, `${at}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => (hidden.has(k) ? [] : plaintext(v, `${at}.${k}`)));
  }
  return [];
}

interface Scenario {
  readonly name: string;
  readonly opts: () => RunOptions;
  readonly mode: "kind" | "existing";
}

let kubeconfigFile = "";
/**
 * Existing mode reads the cluster while the program runs: a fake kubectl answers with the seed's
 * recorded nodes (helpers/fakeCluster.ts). FAKE_KUBECONFIG's server is a loopback port-forward, which
 * the lab refuses as Cilium's API address, so the scenarios name one.
 */
const EXISTING_HOST = { k8sServiceHost: "172.18.0.4" };
let fakeCluster: FakeCluster | undefined;
const SCENARIOS: readonly Scenario[] = [
  { name: "Pulumi.dev.yaml", opts: () => ({ stackFile: "Pulumi.dev.yaml" }), mode: "kind" },
  { name: "Pulumi.current.yaml", opts: () => ({ stackFile: "Pulumi.current.yaml" }), mode: "kind" },
  {
    name: "existing mode, kubeconfig as a secret config value",
    opts: () => ({
      config: { clusterMode: "existing", kubeconfig: FAKE_KUBECONFIG, clusterName: "prod", ...EXISTING_HOST },
    }),
    mode: "existing",
  },
  {
    name: "Pulumi.dev.yaml with the performance runner",
    opts: () => ({ stackFile: "Pulumi.dev.yaml", config: { runPerformance: "true" } }),
    mode: "kind",
  },
  {
    name: "existing mode, kubeconfig as a secret config value, with the performance runner",
    opts: () => ({
      config: {
        clusterMode: "existing",
        kubeconfig: FAKE_KUBECONFIG,
        clusterName: "prod",
        runPerformance: "true",
        ...EXISTING_HOST,
      },
    }),
    mode: "existing",
  },
  {
    name: "existing mode, kubeconfig file",
    opts: () => ({
      config: {
        clusterMode: "existing",
        kubeconfigPath: kubeconfigFile,
        clusterName: "prod",
        ...EXISTING_HOST,
      },
    }),
    mode: "existing",
  },
];

/** A Command input that involves a kubeconfig: its script mentions one, or it gets LAB_KUBECONFIG. */
function touchesKubeconfig(r: MockedResource): boolean {
  return /kubeconfig/i.test(String(r.inputs.create ?? "")) || environmentOf(r).has("LAB_KUBECONFIG");
}

/** A value without its secret wrapper, and whether it had one. */
function reveal(v: unknown): { value: unknown; secret: boolean } {
  return isSecretWrapped(v)
    ? { value: (v as Record<string, unknown>).value, secret: true }
    : { value: v, secret: false };
}

/** A Command's environment; `secret` per variable (a wrapper on the whole map counts for each). */
function environmentOf(r: MockedResource): Map<string, { value: string; secret: boolean }> {
  const outer = reveal(r.inputs.environment ?? {});
  const out = new Map<string, { value: string; secret: boolean }>();
  for (const [k, v] of Object.entries((outer.value ?? {}) as Record<string, unknown>)) {
    const inner = reveal(v);
    out.set(k, { value: String(inner.value), secret: outer.secret || inner.secret });
  }
  return out;
}

function envOf(r: MockedResource): Record<string, string> {
  return Object.fromEntries([...environmentOf(r)].map(([k, v]) => [k, v.value]));
}

/**
 * Stubs for the tools a kubeconfig-handling script calls. kubectl and node record the file given
 * with --kubeconfig: its path, mode, and whether it holds the kubeconfig.
 */
const RECORD_KUBECONFIG = [
  "kc=''; prev=''",
  'for a in "$@"; do [ "$prev" = --kubeconfig ] && kc=$a; prev=$a; done',
  'if [ -n "$kc" ]; then',
  '  printf \'%s %s %s\\n\' "$kc" "$(stat -c %a "$kc" 2>/dev/null || echo missing)" "$(grep -c client-key-data "$kc" 2>/dev/null || echo 0)" >>"$STUB_DIR/kubeconfigs"',
  "fi",
].join("\n");

describe("no plaintext kubeconfig anywhere (under mocks)", function () {
  this.timeout(120000);
  let original: MonitorLike["registerResource"];
  const runs = new Map<
    string,
    { result: RunResult; registered: Map<string, { urn: string; state: unknown }> }
  >();

  before(async () => {
    fakeCluster = installFakeCluster(clusterShape("seed"));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "labt-kc-"));
    kubeconfigFile = path.join(dir, "config");
    fs.writeFileSync(kubeconfigFile, FAKE_KUBECONFIG, { mode: 0o600 });
    original = mocksModule.MockMonitor.prototype.registerResource;
    mocksModule.MockMonitor.prototype.registerResource = function (
      this: MonitorLike,
      req: unknown,
      cb: unknown,
    ) {
      const r = req as RegisterRequest;
      secretOutputs.set(`${r.getType()}::${r.getName()}`, r.getAdditionalsecretoutputsList());
      return original.call(this, req, cb);
    };
    for (const s of SCENARIOS) {
      const result = await runLab(s.opts());
      // component outputs (registerOutputs) have landed: runLab waits for the SDK's RPC queue to drain
      // registerResourceOutputs stores the protobuf Struct as it came: turn it into plain values
      const registered = new Map<string, { urn: string; state: unknown }>();
      for (const [urn, r] of settings.getMonitor()?.getRegisteredResources?.() ?? new Map()) {
        const st = r.state as { toJavaScript?: () => unknown } | undefined;
        registered.set(urn, { urn, state: typeof st?.toJavaScript === "function" ? st.toJavaScript() : st });
      }
      runs.set(s.name, { result, registered });
    }
  });
  after(() => {
    fakeCluster?.restore();
    mocksModule.MockMonitor.prototype.registerResource = original;
    fs.rmSync(path.dirname(kubeconfigFile), { recursive: true, force: true });
  });

  for (const s of SCENARIOS) {
    describe(s.name, () => {
      const run = () => {
        const r = runs.get(s.name);
        assert.ok(r, "the program did not run");
        return r;
      };

      it("finds the kubeconfig in no resource input, and in no output that is not secret", () => {
        const { result } = run();
        // Sanity: the program ran (one checks Command now, not one per check).
        assert.ok(result.resources.length > 10, `only ${result.resources.length} resources`);
        const leaks: string[] = [];
        let secretsSeen = 0;
        for (const res of result.resources) {
          const hidden = new Set(secretOutputs.get(`${res.type}::${res.name}`) ?? []);
          leaks.push(...plaintext(res.inputs, `${res.type} ${res.name} inputs`));
          leaks.push(...plaintext(res.state, `${res.type} ${res.name} state`, hidden));
          secretsSeen += JSON.stringify(res.inputs).split(specialSecretSig).length - 1;
        }
        assert.deepEqual(leaks, []);
        assert.ok(secretsSeen > 0, "no input was secret at all: the walk would see nothing hidden");
      });

      it("finds the kubeconfig in no registered resource state, component outputs included", () => {
        const { registered } = run();
        assert.ok(registered.size > 10);
        const leaks = [...registered.values()].flatMap((r) => {
          // urn:pulumi:<stack>::<project>::<parent$type>::<name>
          const [, , qualified, name] = r.urn.split("::");
          const type = qualified.split("$").pop() ?? qualified;
          return plaintext(r.state, r.urn, new Set(secretOutputs.get(`${type}::${name}`) ?? []));
        });
        assert.deepEqual(leaks, []);
      });

      it("publishes the kubeconfig only as a secret stack output (kind) or not at all (existing), and nothing of it elsewhere", async () => {
        const { result } = run();
        if (s.mode === "kind") {
          assert.equal(
            await isSecret(result.rawOutputs.kubeconfig),
            true,
            "the kubeconfig output is not secret",
          );
          assert.ok(
            String(await unwrap(result.rawOutputs.kubeconfig as pulumi.Output<string>)).includes(
              "client-key-data",
            ),
          );
        } else {
          // Someone's real cluster: its kubeconfig is not a stack output at all.
          assert.equal(
            await unwrap(result.rawOutputs.kubeconfig as string),
            "not published in existing mode",
          );
        }
        for (const [key, value] of Object.entries(result.rawOutputs)) {
          if (await isSecret(value)) continue;
          const plain = await unwrap(value as pulumi.Input<unknown>);
          assert.deepEqual(plaintext(plain, `output ${key}`), []);
        }
      });

      if (s.mode === "kind") {
        it('reads the kubeconfig with a Command that logs nothing ("none") and keeps its stdout secret', () => {
          const { result } = run();
          const cmd = result.resources.find(
            (r) => r.type === "command:local:Command" && r.name.endsWith("-kubeconfig"),
          );
          assert.ok(cmd, "no kubeconfig command");
          assert.equal(cmd.inputs.logging, "none");
          // control: the mock gave it the kubeconfig as stdout; the walk above spares it only because
          // the program asked the engine to keep that output secret
          assert.ok(plaintext(cmd.state, "state").length > 0, "the walk would not see a plaintext stdout");
          assert.deepEqual(secretOutputs.get(`${cmd.type}::${cmd.name}`), ["stdout"]);
          assert.equal(cmd.inputs.addPreviousOutputInEnv, false);
        });
      }

      it("passes the kubeconfig to commands only as a secret (environment), never in a script", () => {
        const { result } = run();
        for (const res of result.resources.filter((r) => r.type === "command:local:Command")) {
          const kc = environmentOf(res).get("LAB_KUBECONFIG");
          if (kc !== undefined) {
            assert.ok(kc.secret, `${res.name}: LAB_KUBECONFIG in plaintext`);
            assert.ok(
              kc.value.includes("client-key-data"),
              `${res.name}: LAB_KUBECONFIG is not the kubeconfig`,
            );
          }
          assert.doesNotMatch(
            String(res.inputs.create ?? ""),
            /client-key-data|BEGIN|certificate-authority-data/,
          );
        }
      });
    });
  }

  describe("every command that touches a kubeconfig", () => {
    let stubs: StubDir;
    let work: string;
    before(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "labt-kcrun-"));
      stubs = makeStubs({
        kind: `case "$1 $2" in "get kubeconfig") printf '%s' "$LABT_KUBECONFIG";; esac`,
        kubectl: `${RECORD_KUBECONFIG}\necho '{"items":[]}'`,
        node: RECORD_KUBECONFIG,
      });
    });
    after(() => {
      stubs?.remove();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("writes it only to a mode-600 mktemp file, under umask 077, that a trap removes", () => {
      const checked: string[] = [];
      for (const s of SCENARIOS) {
        const { result } = runs.get(s.name) ?? assert.fail("no run");
        for (const res of result.resources.filter(
          (r) => r.type === "command:local:Command" && touchesKubeconfig(r),
        )) {
          const script = String(res.inputs.create);
          if (/kind get kubeconfig --name "\$name"$/m.test(script) && !/>"\$kc"/.test(script)) {
            // prints it (secret stdout, logging none: checked above); writes nothing
            checked.push(`${s.name}: ${res.name} (prints to a secret stdout)`);
            continue;
          }
          const writes = />\s*"\$kc"/.test(script);
          if (!writes) {
            // a kubeconfig file given by path (kc=<path>) or read by the runner itself (--kind-cluster)
            assert.ok(
              /^kc=/m.test(script) || /--kind-cluster|--kubeconfig \/\S+/.test(script),
              `${res.name} mentions a kubeconfig without writing or naming one:\n${script}`,
            );
            checked.push(`${s.name}: ${res.name} (uses a file it did not write)`);
            continue;
          }
          const lines = script.split("\n");
          const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
          assert.ok(
            at(/^umask 077$/) >= 0 && at(/^umask 077$/) < at(/^kc=\$\(mktemp\)$/),
            `${res.name}: umask 077 before mktemp`,
          );
          assert.ok(
            at(/^trap 'rm -f "\$kc"' EXIT$/) > at(/^kc=\$\(mktemp\)$/),
            `${res.name}: a trap removes it`,
          );
          assert.ok(at(/^trap /) < at(/>\s*"\$kc"/), `${res.name}: the trap is set before it is written`);

          const tmpdir = fs.mkdtempSync(path.join(work, "tmp-"));
          fs.rmSync(path.join(stubs.dir, "kubeconfigs"), { force: true });
          const r = spawnSync("/bin/sh", ["-c", script], {
            cwd: work,
            env: {
              ...process.env,
              ...envOf(res),
              LABT_KUBECONFIG: FAKE_KUBECONFIG,
              TMPDIR: tmpdir,
              PATH: `${stubs.dir}:${process.env.PATH}`,
            },
            encoding: "utf8",
            timeout: 20000,
          });
          assert.equal(r.status, 0, `${res.name}: ${r.stderr}`);
          assert.deepEqual(
            plaintext(r.stdout + r.stderr, `${res.name} output`),
            [],
            "the kubeconfig was printed",
          );
          const seen = fs
            .readFileSync(path.join(stubs.dir, "kubeconfigs"), "utf8")
            .trim()
            .split("\n")
            .map((l) => l.split(" "));
          assert.ok(seen.length > 0, `${res.name}: no tool was given the kubeconfig`);
          for (const [file, mode, holds] of seen) {
            assert.equal(
              path.dirname(file),
              tmpdir,
              `${res.name}: the kubeconfig went to ${file}, not a mktemp file`,
            );
            assert.equal(mode, "600", `${res.name}: ${file} had mode ${mode}`);
            assert.notEqual(holds, "0", `${res.name}: ${file} did not hold the kubeconfig`);
            assert.ok(!fs.existsSync(file), `${res.name}: ${file} was not removed`);
          }
          assert.deepEqual(fs.readdirSync(tmpdir), [], `${res.name}: left files in TMPDIR`);
          assert.deepEqual(
            fs.readdirSync(work).filter((f) => !f.startsWith("tmp-")),
            [],
            `${res.name}: wrote files`,
          );
          checked.push(`${s.name}: ${res.name} (temp file 600, removed)`);
        }
      }
      assert.ok(
        checked.some((c) => /temp file 600/.test(c)),
        `no script writes a kubeconfig? ${checked.join("; ")}`,
      );
      assert.ok(checked.length >= 10, checked.join("\n"));
    });

    it("the check runner keeps a kind cluster's kubeconfig in a private 0600 file that it removes (--kind-cluster)", async () => {
      const fake = makeFakeBin({ FAKE_KUBECTL_FAIL: "1" }); // every get fails: nothing is executed
      try {
        let stdout = "";
        const io: CliIO = {
          stdout: { write: (t: string) => (stdout += t), isTTY: false },
          stderr: { write: () => true },
          env: fake.env,
          loadDefinitions: () => [],
          handleSignals: false,
        };
        const code = await main(["--kind-cluster", "lab", "--output", "json"], io);
        assert.equal(code, 3, "no cluster reached");
        const calls = fake.kubectlCalls();
        assert.ok(calls.length > 0);
        for (const c of calls) {
          assert.ok(c.kubeconfig && c.kubeconfigExists, "kubectl got no kubeconfig file");
          assert.equal(c.kubeconfigMode, "600");
          assert.ok(c.kubeconfig.startsWith(os.tmpdir()), c.kubeconfig);
          assert.ok(!fs.existsSync(c.kubeconfig), `${c.kubeconfig} was not removed`);
          assert.ok(!fs.existsSync(path.dirname(c.kubeconfig)), "its private directory was not removed");
        }
        assert.doesNotMatch(stdout, /client-key-data/);
      } finally {
        fake.remove();
      }
    });
  });
});
