/**
 * Runs the CLI's main() in a process of its own with small check definitions, for the tests that
 * need a real process (signals, exit). The one check execs $HARNESS_ARGV (JSON argv) in the client
 * pod and passes when it exits 0.
 */
import { main } from "../../cli/check";
import type { CheckDefinition } from "../../checks/types";

const argv = JSON.parse(process.env.HARNESS_ARGV ?? '["true"]') as string[];

const defs: CheckDefinition[] = [
  {
    name: "harness-step",
    proves: "the harness step ran",
    restsOn: [],
    steps: (ctx) => [
      {
        id: "step",
        target: { namespace: ctx.client.namespace, pod: ctx.client.name },
        argv,
        timeoutSeconds: 600,
      },
    ],
    judge: (_ctx, results) =>
      results.get("step")?.exitCode === 0
        ? { verdict: "pass", reason: "exit 0" }
        : { verdict: "fail", reason: "not exit 0" },
  },
];

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  loadDefinitions: () => defs,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`harness: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
