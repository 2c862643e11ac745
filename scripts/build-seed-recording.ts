/**
 * Builds `test/fixtures/recordings/seed-lab/recording.json`, the write-up's lab as a recording, from
 * the write-up itself (`<repo>/../shared/seed/000_aeb09caae6829f2e.txt`) and the seed-lab context
 * fixture. Dev-only (the project never needs ../shared at run time); run it with
 * `npx tsx scripts/build-seed-recording.ts [--check]`.
 *
 * Only steps whose command the write-up really ran, on the node or pod the plan runs it, are recorded,
 * each with the write-up's own command as argv and its output lines verbatim. Every other planned step
 * is absent, so replay makes its check inconclusive. Not in the write-up, so set by rule (see
 * test/fixtures/recordings/SOURCES.md): exitCode 0 (the output is the command's normal output and
 * the next prompt followed), timedOut false, durationMs 0 (not shown), stderr "".
 */
import * as fs from "fs";
import * as path from "path";

import { renderRecording, type RecordedStep } from "../runner/recording";
import type { LabContext } from "../checks/types";

const ROOT = path.resolve(__dirname, "..");
const SEED = path.resolve(ROOT, "../shared/seed/000_aeb09caae6829f2e.txt");
const CONTEXT = path.join(ROOT, "test/fixtures/context/seed-lab.json");
const OUT = path.join(ROOT, "test/fixtures/recordings/seed-lab/recording.json");

/** (check, step, pod, container, the write-up's argv, first and last line of its output). */
export const SEED_STEPS: readonly [string, string, string, string | null, string[], number, number][] = [
  // worker2: `docker exec -it ...-worker2 bash`, then `ip r s` (lines 263-269)
  [
    "node-routes",
    "routes:cilium-kubeproxy-replacement-ebpf-worker2",
    "node-probe-h4c8n",
    null,
    ["ip", "r", "s"],
    264,
    269,
  ],
  // `kubectl exec -it net -- ping 10.0.2.202 -c 1` (lines 271-276)
  ["ping-same-node", "ping", "net", null, ["ping", "10.0.2.202", "-c", "1"], 272, 276],
  // `kubectl exec -it net -- ping 10.0.0.72 -c 1` (lines 324-329)
  ["ping-cross-node", "ping", "net", null, ["ping", "10.0.0.72", "-c", "1"], 325, 329],
  // `kubectl -n kube-system exec -it ds/cilium -- cilium status` (lines 120-141): the worker's agent
  // (IPAM 10.0.0.0/24 and KubeProxyReplacement on 172.18.0.3 are the worker's), the agent that
  // redirect-peer-cross-node asks for the host routing mode (its destination pod runs there).
  [
    "redirect-peer-cross-node",
    "host-routing",
    "cilium-6bt7g",
    "cilium-agent",
    ["cilium", "status"],
    121,
    141,
  ],
  // `kubectl -n kube-system exec cilium-2xvsw -- cilium service list` (lines 469-485): the agent of
  // worker2 (its NodePort row is 172.18.0.2:32000); the context fixture names that agent cilium-mfc5w.
  [
    "service-table",
    "services:cilium-kubeproxy-replacement-ebpf-worker2",
    "cilium-mfc5w",
    "cilium-agent",
    ["cilium", "service", "list"],
    470,
    485,
  ],
];

export function buildSeedRecording(seedText: string, context: LabContext): string {
  const lines = seedText.split("\n");
  const steps: RecordedStep[] = SEED_STEPS.map(([check, step, pod, container, argv, from, to]) => ({
    check,
    step,
    pod,
    container,
    argv,
    stdout: `${lines.slice(from - 1, to).join("\n")}\n`,
    stderr: "",
    exitCode: 0,
    timedOut: false,
    durationMs: 0,
  }));
  return renderRecording(context, steps);
}

if (require.main === module) {
  const text = buildSeedRecording(
    fs.readFileSync(SEED, "utf8"),
    JSON.parse(fs.readFileSync(CONTEXT, "utf8")),
  );
  if (process.argv.includes("--check")) {
    if (fs.readFileSync(OUT, "utf8") !== text) {
      process.stderr.write(`${OUT} is stale: run npx tsx scripts/build-seed-recording.ts\n`);
      process.exitCode = 1;
    }
  } else {
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, text);
    process.stdout.write(`wrote ${OUT}\n`);
  }
}
