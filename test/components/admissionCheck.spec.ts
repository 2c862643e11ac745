import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { admissionCheckScript, admissionProbePods, labNamespace } from "../../components/admissionCheck";
import { DEFAULT_TEST_IMAGE } from "../../lib/configKeys";

const INPUT = {
  namespace: "cilium-ebpf-lab",
  appLabel: "evescn",
  image: DEFAULT_TEST_IMAGE,
  nodePort: 32000,
};
/** What kubectl printed for a pod Pod Security refused (rancher/k3k#294, see SOURCES.md). */
const REFUSAL = fs.readFileSync(path.join(__dirname, "..", "fixtures", "cluster", "psa-refusal.txt"), "utf8");

/** Runs the script with a fake kubectl that answers the dry run as the test says. */
function run(answer: { exit: number; stdout?: string; stderr?: string }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-admission-"));
  try {
    fs.writeFileSync(path.join(dir, "answer.json"), JSON.stringify(answer));
    fs.writeFileSync(
      path.join(dir, "kubectl"),
      [
        "#!/usr/bin/env node",
        'const fs = require("fs");',
        `const a = JSON.parse(fs.readFileSync(${JSON.stringify(path.join(dir, "answer.json"))}, "utf8"));`,
        `fs.writeFileSync(${JSON.stringify(path.join(dir, "argv.json"))}, JSON.stringify(process.argv.slice(2)));`,
        `fs.writeFileSync(${JSON.stringify(path.join(dir, "stdin.json"))}, fs.readFileSync(0, "utf8"));`,
        'process.stdout.write(a.stdout || ""); process.stderr.write(a.stderr || ""); process.exit(a.exit);',
      ].join("\n"),
      { mode: 0o755 },
    );
    const script = admissionCheckScript({
      kubeconfigPath: "/tmp/none",
      context: "prod-admin",
      namespace: INPUT.namespace,
    });
    const r = spawnSync("sh", ["-c", script], {
      encoding: "utf8",
      env: {
        PATH: `${dir}:${process.env.PATH ?? ""}`,
        LAB_ADMISSION_MANIFEST: JSON.stringify(admissionProbePods(INPUT, true)),
      },
    });
    const argv = JSON.parse(fs.readFileSync(path.join(dir, "argv.json"), "utf8")) as string[];
    const stdin = JSON.parse(fs.readFileSync(path.join(dir, "stdin.json"), "utf8")) as { items: unknown[] };
    return { ...r, argv, stdin };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("existing mode: the lab namespace and the admission dry run (components/admissionCheck)", () => {
  it("labels the namespace privileged for Pod Security (enforce, warn, audit)", () => {
    const labels = labNamespace("cilium-ebpf-lab").metadata.labels;
    for (const mode of ["enforce", "warn", "audit"]) {
      assert.strictEqual(labels[`pod-security.kubernetes.io/${mode}` as keyof typeof labels], "privileged");
    }
  });

  it("dry-runs pods with the DaemonSets' pod templates and the client's spec", () => {
    const list = admissionProbePods(INPUT, true);
    assert.deepStrictEqual(
      list.items.map((p) => p.metadata.name),
      ["evescn-admission-check", "node-probe-admission-check", "net-admission-check"],
    );
    const probe = list.items[1].spec as { hostNetwork: boolean; containers: { securityContext: unknown }[] };
    assert.strictEqual(probe.hostNetwork, true);
    assert.deepStrictEqual(probe.containers[0].securityContext, { privileged: true });
    assert.strictEqual(admissionProbePods(INPUT, false).items.length, 2);
  });

  it("passes when the server admits the pods (server-side dry run, nothing created)", () => {
    const r = run({ exit: 0, stdout: "pod/evescn-admission-check created (server dry run)\n" });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(r.argv.slice(-6), ["create", "--dry-run=server", "-o", "name", "-f", "-"]);
    assert.strictEqual(r.stdin.items.length, 3);
  });

  it("fails at once with the admission's own message and what to do when Pod Security refuses", () => {
    const r = run({ exit: 1, stderr: REFUSAL });
    assert.strictEqual(r.status, 1);
    assert.match(
      r.stderr,
      /the cluster refuses the lab's privileged pods in namespace cilium-ebpf-lab \(server-side dry run, nothing was created\)/,
    );
    assert.ok(r.stderr.includes(REFUSAL.trim()), r.stderr);
    assert.match(r.stderr, /pod-security\.kubernetes\.io\/enforce=privileged/);
  });
});
