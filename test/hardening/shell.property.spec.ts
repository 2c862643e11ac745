/**
 * No config value reaches a shell unquoted.
 *
 * 1. `shellJoin(argv)` and `shellAssign(name, value)` are parsed back by real shells (dash as /bin/sh,
 *    bash, busybox sh) into exactly the intended words, for arbitrary strings (fast-check, full
 *    unicode and graphemes) and a hand-picked list of shell syntax. Hundreds of argv lists go through
 *    one shell process each, so the spec stays fast.
 * 2. Every script the stack generates (kind create/delete/kubeconfig, node inventories, the check
 *    runner command, the `sh -c` scripts of the check definitions) built from hostile values passes
 *    shellcheck, and run with stub tools on PATH it hands each value to the tool as one literal
 *    argument and creates no file.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { ALL_CHECKS } from "../../checks/defs";
import type { LabContext, LabPod } from "../../checks/types";
import { perfCommand } from "../../perf/stack";
import { checkCommand, withKubeconfigFromEnv } from "../../components/checkCommands";
import { admissionCheckScript } from "../../components/admissionCheck";
import {
  kindCreateScript,
  kindDeleteScript,
  kindKubeconfigScript,
  nodeInventoryScript,
} from "../../components/kindConfig";
import { shellAssign, shellJoin } from "../../lib/shell";
import { makeStubs, shellcheckAll, type StubDir } from "../helpers/stubs";

const SEED = Number(process.env.LAB_FC_SEED ?? 20261125);
/** argv lists per shell in the round-trip property (all in one shell process). */
const ROUND_TRIP_RUNS = 300;
const SEED_CONTEXT_FILE = path.resolve(__dirname, "../fixtures/context/seed-lab.json");

/** The shells that parse the lab's scripts: /bin/sh (Pulumi's interpreter), bash, busybox (netshoot). */
function shells(): { name: string; argv: string[] }[] {
  const found: { name: string; argv: string[] }[] = [{ name: "/bin/sh", argv: ["/bin/sh", "-c"] }];
  if (spawnSync("bash", ["-c", "true"]).status === 0) found.push({ name: "bash", argv: ["bash", "-c"] });
  if (spawnSync("busybox", ["sh", "-c", "true"]).status === 0) {
    found.push({ name: "busybox sh", argv: ["busybox", "sh", "-c"] });
  }
  return found;
}

function runShell(shell: string[], script: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const r = spawnSync(shell[0], [...shell.slice(1), script], {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30000,
  });
  return {
    status: r.status,
    stdout: r.stdout ?? Buffer.alloc(0),
    stderr: (r.stderr ?? Buffer.alloc(0)).toString(),
  };
}

// ---- the words -------------------------------------------------------------------------------

/** Shell syntax a value could smuggle in. NUL is left out: argv cannot carry it. */
const HAND_PICKED: readonly string[] = [
  "",
  " ",
  "'",
  '"',
  "''",
  '""',
  "'\"'\"'",
  "\\",
  "\\\\",
  "\\'",
  "$",
  "$(id)",
  "$(touch labt-pwned)",
  "${HOME}",
  "$HOME",
  "$'x'",
  "`id`",
  "\n",
  "a\nb",
  "\r\n",
  "\t",
  ";",
  "a;b",
  "&&",
  "a && b",
  "|",
  "||",
  "&",
  ">",
  "<",
  ">>x",
  "<(x)",
  "*",
  "?",
  "[a]",
  "[!a]",
  "{a,b}",
  "~",
  "~root",
  "a=~",
  "-",
  "--",
  "-n",
  "-e",
  "--help",
  "=",
  "a=b",
  "==",
  "!",
  "!!",
  "#",
  "a#b",
  "#!/bin/sh",
  "(",
  ")",
  "{",
  "}",
  "if",
  "then",
  "done",
  "%s",
  "%%",
  "\\n",
  "é",
  "😀",
  "\u202e",
  "\u00a0",
  "\u2028",
  "\u0001",
  "\u007f",
  "x\u0085y",
  "it's",
  "it's!",
  'say "hi" $USER',
  "a b'!c",
];

const noNul = (s: string) => !s.includes("\0");
const word = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HAND_PICKED) },
  { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }).filter(noNul) },
  { weight: 2, arbitrary: fc.string({ maxLength: 16 }).filter(noNul) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom(...HAND_PICKED, "a", "b", "1"), { maxLength: 5 })
      .map((parts) => parts.join("")),
  },
);
const argvList = fc.array(word, { minLength: 1, maxLength: 6 });

/** Splits `A<word>\0 ... E\0` records back into argv lists. */
function decodeLists(out: Buffer): string[][] {
  const lists: string[][] = [];
  let current: string[] = [];
  for (const token of out.toString("utf8").split("\0").slice(0, -1)) {
    if (token === "E") {
      lists.push(current);
      current = [];
    } else if (token.startsWith("A")) current.push(token.slice(1));
    else throw new Error(`unexpected record ${JSON.stringify(token)}`);
  }
  return lists;
}

/** One script printing every list: each joined argv is parsed by the shell as printf's arguments. */
function printfScript(lists: readonly string[][]): string {
  return lists.map((argv) => `printf 'A%s\\0' ${shellJoin(argv)}\nprintf 'E\\0'`).join("\n");
}

/** The lists whose round trip through the shell differs from the intended argv (each run alone). */
function mismatches(shell: string[], lists: readonly string[][]): { argv: string[]; got: unknown }[] {
  const batch = runShell(shell, printfScript(lists));
  let decoded: string[][] | undefined;
  try {
    decoded = decodeLists(batch.stdout);
  } catch {
    decoded = undefined;
  }
  if (batch.status === 0 && decoded !== undefined && JSON.stringify(decoded) === JSON.stringify(lists))
    return [];
  // Something broke: find the lists responsible, one shell each.
  const bad: { argv: string[]; got: unknown }[] = [];
  for (const argv of lists) {
    const r = runShell(shell, printfScript([argv]));
    let got: unknown;
    try {
      got = decodeLists(r.stdout)[0];
    } catch (e) {
      got = String(e);
    }
    if (r.status !== 0 || JSON.stringify(got) !== JSON.stringify(argv)) {
      bad.push({ argv, got: r.status === 0 ? got : `exit ${r.status}: ${r.stderr}` });
    }
  }
  return bad;
}

describe("shell quoting, parsed back by real shells", function () {
  this.timeout(60000);
  const lists = fc.sample(argvList, { numRuns: ROUND_TRIP_RUNS, seed: SEED });
  const values = fc.sample(word, { numRuns: ROUND_TRIP_RUNS, seed: SEED + 1 });

  for (const shell of shells()) {
    it(`${shell.name}: shellJoin(argv) of ${ROUND_TRIP_RUNS} generated lists and ${HAND_PICKED.length} hand-picked words gives back argv exactly`, () => {
      const all = [...lists, ...HAND_PICKED.map((w) => [w]), [...HAND_PICKED]];
      const bad = mismatches(shell.argv, all);
      assert.deepStrictEqual(bad, [], `${shell.name} parsed these differently`);
    });

    it(`${shell.name}: shellAssign gives the variable exactly the value, for ${ROUND_TRIP_RUNS} generated and every hand-picked value`, () => {
      const all = [...values, ...HAND_PICKED];
      const script = all.map((v) => `${shellAssign("v", v)}\nprintf 'A%s\\0' "$v"\nprintf 'E\\0'`).join("\n");
      const r = runShell(shell.argv, script);
      assert.strictEqual(r.status, 0, r.stderr);
      const got = decodeLists(r.stdout).map((l) => l[0]);
      const bad = all.filter((v, i) => got[i] !== v).map((v) => JSON.stringify(v));
      assert.deepStrictEqual(bad, [], `values that did not survive shellAssign in ${shell.name}`);
    });
  }

  it("refuses a shell variable name that is not one", () => {
    for (const name of ["", "1x", "a-b", "a b", "$x", "x;y", "é"]) {
      assert.throws(() => shellAssign(name, "v"), /not a shell variable name/);
    }
  });

  describe("the first word (command position)", () => {
    const NAMES = ["printargs", "a=b", "x y", "$(id)", "`id`", "*", "~", "-n", "!", "#c", "é", "{", ""];
    const RESERVED = [
      "if",
      "then",
      "else",
      "fi",
      "do",
      "done",
      "case",
      "esac",
      "while",
      "until",
      "for",
      "in",
    ];
    let stubs: StubDir;
    before(() => {
      const behaviour: Record<string, string> = {};
      for (const n of [...NAMES, ...RESERVED].filter((x) => x !== "")) behaviour[n] = "true";
      stubs = makeStubs(behaviour);
    });
    after(() => stubs.remove());

    const runAsCommand = (name: string) =>
      // a leading newline: `sh -c -n...` would read the script as an option of sh
      runShell(["/bin/sh", "-c"], `\n${shellJoin([name, "arg one", "a=b"])}`, {
        env: { ...process.env, PATH: `${stubs.dir}:${process.env.PATH}` },
      });

    it("runs a command whose name holds shell syntax or '=' as that command, not as syntax or an assignment", () => {
      for (const name of NAMES.filter((n) => n !== "")) {
        const r = runAsCommand(name);
        assert.strictEqual(r.status, 0, `${JSON.stringify(name)}: ${r.stderr}`);
      }
      const calls = stubs.calls();
      assert.deepStrictEqual(
        calls.map((c) => c[0]),
        NAMES.filter((n) => n !== ""),
      );
      for (const c of calls) assert.deepStrictEqual(c.slice(1), ["arg one", "a=b"]);
    });

    it("quotes a first word that is a shell reserved word, so it runs as a command", () => {
      const broken = RESERVED.filter((name) => runAsCommand(name).status !== 0);
      assert.deepStrictEqual(
        broken.map((n) => `${n} -> ${shellJoin([n, "x"])}`),
        [],
        "shellJoin leaves reserved words bare in command position, where the shell reads them as syntax",
      );
    });
  });
});

// ---- the stack's scripts with hostile values ---------------------------------------------------

/** Where an injected command would leave its trace. */
let markDir = "";

/** A hostile value with a unique id: every kind of shell syntax, and commands that create files. */
function hostile(id: string, opts: { newline?: boolean } = {}): string {
  return [
    `@${id}<`,
    `'"$(touch ${markDir}/${id}-subst)`,
    "`touch " + markDir + "/" + id + "-backtick`",
    `;touch ${markDir}/${id}-semi&&touch pwned|true`,
    " *?[a] ~ -n =\\ !# $HOME ${IFS}",
    opts.newline === false ? ";" : "\n",
    `touch ${markDir}/${id}-newline`,
    `>${id}@`,
  ].join("");
}

/** Values that are odd without being hostile: empty, leading dash, '=' and unicode. */
const ODD = ["", "--help", "-rf", "a=b", "é😀", "x y"];

/** Tools the scripts call, as stubs that record their argv. `cat` passes through to the real one. */
const STUBBED_TOOLS: Record<string, string> = {
  kind: [
    'case "$1 $2" in',
    '  "get clusters") [ -n "$LABT_CLUSTERS" ] && printf \'%s\\n\' "$LABT_CLUSTERS";;',
    "  \"get kubeconfig\") printf 'apiVersion: v1\\nkind: Config\\n';;",
    '  "create cluster") printf \'%s\' "$KIND_EXPERIMENTAL_DOCKER_NETWORK" >"$STUB_DIR/kind-network";;',
    "esac",
    "exit 0",
  ].join("\n"),
  kubectl: "echo '{\"items\":[]}'",
  // The create script asks Docker for the network's owner, the nodes' networks and the node's id.
  docker: "exit 0",
  node: "exit 0",
  cilium: "exit 0",
  ip: "exit 0",
  ping: "exit 0",
  tcpdump: "exit 0",
  curl: "exit 0",
  conntrack: "exit 0",
  "iptables-legacy-save": "exit 0",
  "iptables-nft-save": "exit 0",
  tc: "exit 0",
  bpftool: "exit 0",
  cat: 'exec /bin/cat "$@"',
};

interface Script {
  readonly name: string;
  readonly script: string;
  /** Calls (tool then args) that must appear, exactly. */
  readonly expect: readonly (readonly string[])[];
  /** A call that must start with these words (tool then args). */
  readonly expectPrefix?: readonly string[];
  /** Hostile values the script embeds. */
  readonly values: readonly string[];
  readonly env?: Record<string, string>;
}

function hostileContext(): { ctx: LabContext; values: string[] } {
  const seed = JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8")) as LabContext;
  const values: string[] = [];
  const h = (id: string, newline = true) => {
    const v = hostile(id, { newline });
    values.push(v);
    return v;
  };
  const pods = (list: readonly LabPod[], id: string) => list.map((p, i) => ({ ...p, ip: h(`${id}${i}`) }));
  const ctx: LabContext = {
    ...seed,
    // node IPs name script sections (one line each): a newline there makes steps() refuse the context
    nodes: seed.nodes.map((n, i) => ({ ...n, internalIp: h(`NIP${i}`, false) })),
    testPods: pods(seed.testPods, "TP"),
    client: { ...seed.client, ip: h("CIP") },
    nodeDevice: h("DEV", false),
    nativeRoutingCidr: h("CIDR"),
  };
  return { ctx, values };
}

function stackScripts(): Script[] {
  const [name, image, network, ns, app, cidr, kc, context, device, check] = [
    "CLUSTER",
    "IMAGE",
    "NETWORK",
    "NS",
    "APP",
    "NATIVE",
    "KCPATH",
    "CTX",
    "NODEDEV",
    "CHECK",
  ].map((id) => hostile(id));
  const runnerArgs = (extra: { kind?: string; kubeconfig?: string }) => [
    "node",
    "cli/run.js",
    "check",
    ...(extra.kind !== undefined ? ["--kind-cluster", extra.kind] : []),
    ...(extra.kubeconfig !== undefined ? ["--kubeconfig", extra.kubeconfig] : []),
    "--context",
    context,
    "--node-device",
    device,
    "--namespace",
    ns,
    "--app-label",
    app,
    "--native-cidr",
    cidr,
    "--timeout",
    "30",
    "--only",
    check,
    "--output",
    "json",
    "--fail-on-failure",
  ];
  const runnerOpts = {
    namespace: ns,
    appLabel: app,
    nativeCidr: cidr,
    stepTimeoutSeconds: 30,
    context,
    nodeDevice: device,
    failOnFailure: true,
  };
  const scripts: Script[] = [
    {
      name: "kindCreateScript",
      script: kindCreateScript({
        clusterName: name,
        nodeImage: image,
        networkName: network,
        stackLabel: "cilium-ebpf-lab/test",
      }),
      expect: [
        ["kind", "get", "clusters"],
        ["kind", "create", "cluster", "--name", name, "--image", image, "--config", "-"],
      ],
      values: [name, image, network],
    },
    {
      name: "kindDeleteScript",
      script: kindDeleteScript(name),
      expect: [["kind", "get", "clusters"]],
      values: [name],
      env: { LABT_CLUSTERS: name },
    },
    {
      name: "kindKubeconfigScript",
      script: kindKubeconfigScript(name),
      expect: [["kind", "get", "kubeconfig", "--name", name]],
      values: [name],
    },
    {
      name: "nodeInventoryScript",
      script: nodeInventoryScript(name),
      expect: [["kind", "get", "kubeconfig", "--name", name]],
      values: [name],
    },
    {
      name: "admissionCheckScript (path, context)",
      script: admissionCheckScript({ kubeconfigPath: kc, context, namespace: ns }),
      expect: [
        [
          "kubectl",
          "--kubeconfig",
          kc,
          "--context",
          context,
          "--request-timeout=30s",
          "create",
          "--dry-run=server",
          "-o",
          "name",
          "-f",
          "-",
        ],
      ],
      values: [kc, context, ns],
      env: { LAB_ADMISSION_MANIFEST: "{}" },
    },
    {
      name: "admissionCheckScript (value, context)",
      script: admissionCheckScript({ context, namespace: ns }),
      expect: [],
      values: [context, ns],
      env: { LAB_KUBECONFIG: "apiVersion: v1\n", LAB_ADMISSION_MANIFEST: "{}" },
    },
    {
      name: "checkCommand (kind)",
      script: checkCommand(check, { ...runnerOpts, kindCluster: name }),
      expect: [runnerArgs({ kind: name })],
      values: [name, context, device, ns, app, cidr, check],
    },
    {
      // nodeProbe run: the config's testImage reaches the runner as one argv word, whatever it holds.
      name: "checkCommand (node probe run)",
      script: checkCommand(check, {
        ...runnerOpts,
        kindCluster: name,
        nodeProbe: "run",
        nodeProbeImage: image,
      }),
      expect: [
        ((a) => [
          ...a.slice(0, a.indexOf("--namespace")),
          "--node-probe",
          "run",
          "--node-probe-image",
          image,
          ...a.slice(a.indexOf("--namespace")),
        ])(runnerArgs({ kind: name })),
      ],
      values: [name, context, device, image, ns, app, cidr, check],
    },
    {
      name: "checkCommand (kubeconfig path)",
      script: checkCommand(check, { ...runnerOpts, kubeconfigPath: kc }),
      expect: [runnerArgs({ kubeconfig: kc })],
      values: [kc, context, device, ns, app, cidr, check],
    },
    {
      name: "checkCommand (kubeconfig from env)",
      script: checkCommand(check, { ...runnerOpts, kubeconfigFromEnv: true }),
      expect: [],
      values: [context, device, ns, app, cidr, check],
      env: { LAB_KUBECONFIG: "apiVersion: v1\n" },
    },
  ];
  const perfArgs = (extra: { kind?: string; kubeconfig?: string }) => [
    "node",
    "cli/run.js",
    "perf",
    ...(extra.kind !== undefined ? ["--kind-cluster", extra.kind] : []),
    ...(extra.kubeconfig !== undefined ? ["--kubeconfig", extra.kubeconfig] : []),
    "--context",
    context,
    "--namespace",
    ns,
    "--app-label",
    app,
  ];
  const perfOpts = { context, namespace: ns, appLabel: app };
  scripts.push(
    {
      name: "perfCommand (kind)",
      script: perfCommand({ ...perfOpts, kindCluster: name }),
      expect: [],
      expectPrefix: perfArgs({ kind: name }),
      values: [name, context, ns, app],
    },
    {
      name: "perfCommand (kubeconfig path)",
      script: perfCommand({ ...perfOpts, kubeconfigPath: kc }),
      expect: [],
      expectPrefix: perfArgs({ kubeconfig: kc }),
      values: [kc, context, ns, app],
    },
    {
      name: "perfCommand (kubeconfig from env)",
      script: withKubeconfigFromEnv(perfCommand(perfOpts)),
      expect: [],
      expectPrefix: perfArgs({}),
      values: [context, ns, app],
      env: { LAB_KUBECONFIG: "apiVersion: v1\n" },
    },
  );
  for (const [i, odd] of ODD.entries()) {
    scripts.push({
      name: `kindCreateScript (odd value ${JSON.stringify(odd)})`,
      script: kindCreateScript({ clusterName: odd, nodeImage: odd, networkName: `net${i}`, stackLabel: odd }),
      expect: [["kind", "create", "cluster", "--name", odd, "--image", odd, "--config", "-"]],
      values: [],
    });
  }
  return scripts;
}

/**
 * The `sh -c` steps of every check for a context. A definition may refuse a context (steps() throws,
 * e.g. a section name with a newline); the runner then reports the check inconclusive. Refusals are
 * collected, never scripted.
 */
function definitionScripts(ctx: LabContext, refused: string[] = []): Script[] {
  return ALL_CHECKS.flatMap((check) => {
    let steps;
    try {
      steps = check.steps(ctx);
    } catch (e) {
      refused.push(`${check.name}: ${String(e)}`);
      return [];
    }
    return steps
      .filter((s) => s.argv[0] === "sh" && s.argv[1] === "-c")
      .map((s) => ({ name: `${check.name} ${s.id}`, script: s.argv[2], expect: [], values: [] }));
  });
}

const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;

describe("the stack's generated scripts with hostile config values", function () {
  this.timeout(60000);
  let stubs: StubDir;
  let work: string;

  before(() => {
    markDir = fs.mkdtempSync(path.join(os.tmpdir(), "labt-marks-"));
    work = fs.mkdtempSync(path.join(os.tmpdir(), "labt-work-"));
    stubs = makeStubs(STUBBED_TOOLS);
  });
  after(() => {
    stubs?.remove();
    fs.rmSync(markDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  const shellcheckOrSkip = (ctx: Mocha.Context) => {
    if (hasShellcheck) return;
    if (process.env.CI) assert.fail("shellcheck is not installed");
    ctx.skip();
  };

  it("builds every script with plain values so that shellcheck finds nothing (only SC1001 excluded)", function () {
    shellcheckOrSkip(this);
    const seed = JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8")) as LabContext;
    const plain = [
      kindCreateScript({
        clusterName: "lab",
        nodeImage: "kindest/node:v1.23.4",
        networkName: "kind-lab",
        stackLabel: "cilium-ebpf-lab/test",
      }),
      kindDeleteScript("lab"),
      kindKubeconfigScript("lab"),
      nodeInventoryScript("lab"),
      admissionCheckScript({ kubeconfigPath: "/home/u/.kube/config", context: "kind-lab", namespace: "lab" }),
      admissionCheckScript({ namespace: "lab" }),
      checkCommand("ping-cross-node", {
        namespace: "default",
        appLabel: "evescn",
        nativeCidr: "10.0.0.0/8",
        stepTimeoutSeconds: 30,
        kindCluster: "lab",
        failOnFailure: false,
      }),
      checkCommand("ping-cross-node", {
        namespace: "default",
        appLabel: "evescn",
        nativeCidr: "10.0.0.0/8",
        stepTimeoutSeconds: 30,
        kubeconfigFromEnv: true,
        failOnFailure: false,
      }),
      perfCommand({ kindCluster: "lab", namespace: "default", appLabel: "evescn" }),
      withKubeconfigFromEnv(perfCommand({ namespace: "default", appLabel: "evescn", context: "kind-lab" })),
      ...definitionScripts(seed).map((s) => s.script),
    ];
    const findings = shellcheckAll(plain, "SC1001");
    assert.deepStrictEqual([...findings.values()], []);
  });

  it("builds every script with hostile values so that shellcheck finds nothing but deliberate literal quoting", function () {
    shellcheckOrSkip(this);
    // Excluded: SC2016 ("expressions don't expand in single quotes") and SC2089/SC2090 ("quotes in
    // this variable will be treated literally", on the exported KIND_EXPERIMENTAL_DOCKER_NETWORK):
    // literal is the point, a value such as 'a $(touch x)' must not expand, and the stub run below
    // proves every value arrives as one literal argument. SC1001: harmless escaping (see stubs.ts).
    const { ctx } = hostileContext();
    const all = [...stackScripts(), ...definitionScripts(ctx)];
    const findings = shellcheckAll(
      all.map((s) => s.script),
      "SC1001,SC2016,SC2089,SC2090",
    );
    const report = [...findings.entries()].map(([i, f]) => `${all[i]?.name ?? "?"}:\n${f}`);
    assert.deepStrictEqual(report, []);
  });

  it("detects an injection and a split value when a hostile value is pasted unquoted (control)", () => {
    // (the full hostile value is a syntax error when pasted bare: this one runs)
    const v = `@CONTROL< $(touch ${markDir}/CONTROL) >CONTROL@`;
    const r = runShell(["/bin/sh", "-c"], `kind get kubeconfig --name ${v.replace(/[<>]/g, "")}`, {
      cwd: work,
      env: { ...process.env, PATH: `${stubs.dir}:${process.env.PATH}` },
    });
    try {
      assert.notStrictEqual(r.status, null);
      assert.ok(
        fs.readdirSync(markDir).length > 0,
        "the unquoted value ran no command: the detector is blind",
      );
      assert.ok(
        !stubs.calls().some((c) => c.includes(v.replace(/[<>]/g, ""))),
        "the unquoted value arrived whole",
      );
    } finally {
      for (const f of fs.readdirSync(markDir)) fs.rmSync(path.join(markDir, f));
      for (const f of fs.readdirSync(work)) fs.rmSync(path.join(work, f), { recursive: true });
      fs.writeFileSync(path.join(stubs.dir, "calls.log"), "");
    }
  });

  it("passes hostile values to the tools as single literal arguments and creates no file", () => {
    const { ctx, values: ctxValues } = hostileContext();
    const refused: string[] = [];
    const all = [...stackScripts(), ...definitionScripts(ctx, refused)];
    assert.deepStrictEqual(refused, [], "definitions that refused the hostile context");
    assert.ok(all.length >= 30, `only ${all.length} scripts`);
    const problems: string[] = [];
    const seenValues = new Set<string>();
    const hostileValues = [...new Set([...all.flatMap((s) => s.values), ...ctxValues])];
    for (const s of all) {
      fs.writeFileSync(path.join(stubs.dir, "calls.log"), "");
      fs.rmSync(path.join(stubs.dir, "kind-network"), { force: true });
      const tmpdir = fs.mkdtempSync(path.join(work, "tmp-"));
      const r = runShell(["/bin/sh", "-c"], s.script, {
        cwd: work,
        env: { ...process.env, ...s.env, TMPDIR: tmpdir, PATH: `${stubs.dir}:${process.env.PATH}` },
      });
      if (r.status !== 0) problems.push(`${s.name}: exit ${r.status}: ${r.stderr}`);
      // kind create's `--kubeconfig <file of this run>` (a mktemp path, no config value) is left out.
      const calls = stubs.calls().map((c) => {
        const i = c[0] === "kind" ? c.indexOf("--kubeconfig") : -1;
        return i < 0 ? c : [...c.slice(0, i), ...c.slice(i + 2)];
      });
      for (const want of s.expect) {
        if (!calls.some((c) => JSON.stringify(c) === JSON.stringify(want))) {
          problems.push(`${s.name}: no call ${JSON.stringify(want)} among ${JSON.stringify(calls)}`);
        }
      }
      if (
        s.expectPrefix !== undefined &&
        !calls.some(
          (c) => JSON.stringify(c.slice(0, s.expectPrefix?.length)) === JSON.stringify(s.expectPrefix),
        )
      ) {
        problems.push(
          `${s.name}: no call starting ${JSON.stringify(s.expectPrefix)} among ${JSON.stringify(calls)}`,
        );
      }
      if (s.name === "kindCreateScript") {
        const net = fs.readFileSync(path.join(stubs.dir, "kind-network"), "utf8");
        if (net !== hostile("NETWORK")) problems.push(`kind saw KIND_EXPERIMENTAL_DOCKER_NETWORK=${net}`);
        else seenValues.add(net); // passed in the environment, whole
      }
      // A value is passed whole or not at all: no argument holds a piece of one.
      for (const arg of calls.flatMap((c) => c)) {
        for (const v of hostileValues) {
          const id = v.slice(1, v.indexOf("<"));
          const opened = arg.includes(`@${id}<`);
          const closed = arg.includes(`>${id}@`);
          if ((opened || closed) && !arg.includes(v)) {
            problems.push(`${s.name}: an argument holds part of ${id}: ${JSON.stringify(arg)}`);
          }
          if (arg.includes(v)) seenValues.add(v);
        }
      }
      const left = fs.readdirSync(tmpdir);
      if (left.length > 0) problems.push(`${s.name}: left temporary files ${left.join(", ")}`);
      fs.rmSync(tmpdir, { recursive: true, force: true });
    }
    const marks = fs.readdirSync(markDir);
    const strays = fs.readdirSync(work);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(marks, [], "an injected command ran");
    assert.deepStrictEqual(strays, [], "a script created files in its working directory");
    // The definitions' scripts embed the device and the pod IPs; the stack's scripts every config value.
    const unseen = hostileValues.filter((v) => !seenValues.has(v)).map((v) => v.slice(1, v.indexOf("<")));
    const embeddedByScripts = unseen.filter((id) => !/^(NIP|TP|CIDR|CIP)/.test(id));
    assert.deepStrictEqual(embeddedByScripts, [], "hostile values that no tool received");
  });
});
