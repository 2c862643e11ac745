/**
 * Replay helpers of the performance specs: real recorded outputs (test/fixtures/perf, see SOURCES.md)
 * answered per round, so a run of several rounds sees a real series, not one output repeated.
 */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";

import { RecordedExecutor, type Recording } from "../../runner/localExecutors";
import type { ExecResult, ExecTarget, Executor, LabContext } from "../../checks/types";

export const FIXTURES = path.resolve(__dirname, "../fixtures/perf");
export const fixture = (rel: string): string => fs.readFileSync(path.join(FIXTURES, rel), "utf8");
export const SEED: LabContext = JSON.parse(fixture("seed-context.json")) as LabContext;

/** Performance settings small enough for recorded runs (the defaults are perf/settings.ts's). */
export const FAST = {
  durationSeconds: 1,
  omitSeconds: 1,
  repeats: 3,
  pingSamples: 20,
  rrSamples: 200,
  serverStartDelayMs: 20,
  seed: 7,
};

export const isServer = (argv: readonly string[]): boolean => argv.includes("iperf3") && argv.includes("-s");
export const isClient = (argv: readonly string[]): boolean =>
  argv[0] === "sh" && /iperf3 -c/.test(argv[2] ?? "");
export const isBusyPing = (argv: readonly string[]): boolean => argv[0] === "ping" && argv.includes("0");
export const isIdlePing = (argv: readonly string[]): boolean => argv[0] === "ping" && argv.includes("0.2");
export const isCurl = (argv: readonly string[]): boolean =>
  argv.includes("sh") && /curl/.test(argv.join(" "));
/** fortio (perf/tcpRr.ts): the server, the TCP_RR client, the TCP_CRR client. */
export const isFortioServer = (argv: readonly string[]): boolean =>
  argv.includes("fortio") && argv.includes("server");
export const isFortioRr = (argv: readonly string[]): boolean =>
  argv.includes("fortio") && argv.includes("load") && !argv.includes("-connection-reuse");
export const isFortioCrr = (argv: readonly string[]): boolean =>
  argv.includes("fortio") && argv.includes("load") && argv.includes("-connection-reuse");

/** The CPU probe of perf/cpus.ts (nproc and Cpus_allowed_list), run in every pod a pair uses. */
export const isNproc = (argv: readonly string[]): boolean =>
  argv[0] === "sh" && /nproc; grep '\^Cpus_allowed_list:'/.test(argv[2] ?? "");

/** The recorded quiet and noisy iperf3 series (five runs each over one veth path). */
export const QUIET = [1, 2, 3, 4, 5].map((i) => fixture(`iperf3-rounds/veth-quiet-${i}.txt`));
export const NOISY = [1, 2, 3, 4, 5].map((i) => fixture(`iperf3-rounds/veth-noisy-${i}.txt`));

/** A healthy lab: every tool answers with a real recorded output after `delayMs`. */
export function healthy(delayMs = 0, overrides: Recording[] = []): Recording[] {
  return [
    ...overrides,
    { pod: "*", argv: isNproc, stdout: fixture("cpus/host.txt"), delayMs },
    { pod: "*", argv: isServer, stdout: fixture("iperf3-server/one-off.txt"), delayMs },
    { pod: "*", argv: isFortioServer, stdout: fixture("fortio/server-stdout.txt"), exitCode: 124, delayMs },
    { pod: "*", argv: isFortioRr, stdout: fixture("fortio/tcp-rr-loopback.json"), delayMs },
    { pod: "*", argv: isFortioCrr, stdout: fixture("fortio/http-crr-loopback.json"), delayMs },
    { pod: "*", argv: isClient, stdout: QUIET[0], delayMs },
    { pod: "*", argv: isBusyPing, stdout: fixture("ping/iputils-busy-loopback-200.txt"), delayMs },
    { pod: "*", argv: isIdlePing, stdout: fixture("ping/iputils-loopback-20.txt"), delayMs },
    { pod: "*", argv: isCurl, stdout: fixture("curl/nodeport-backends-20.txt"), delayMs },
  ];
}

/** Outputs answered in turn (the n-th matching call gets the n-th, cycling) for one kind of call. */
export interface Series {
  readonly match: (target: ExecTarget, argv: readonly string[]) => boolean;
  readonly outputs: readonly string[];
}

/** A RecordedExecutor whose matching calls are answered from series first, in order. */
export class SeriesExecutor implements Executor {
  readonly base: RecordedExecutor;
  private readonly used = new Map<Series, number>();

  constructor(
    recordings: Recording[],
    private readonly series: readonly Series[],
  ) {
    this.base = new RecordedExecutor(recordings);
  }

  async exec(
    target: ExecTarget,
    argv: readonly string[],
    opts: { timeoutSeconds: number },
  ): Promise<ExecResult> {
    const result = await this.base.exec(target, argv, opts);
    const s = this.series.find((x) => x.match(target, argv));
    if (s === undefined) return result;
    const n = this.used.get(s) ?? 0;
    this.used.set(s, n + 1);
    return { ...result, stdout: s.outputs[n % s.outputs.length], stderr: "", exitCode: 0, timedOut: false };
  }
}

/** The iperf3 client of a pair: the client pod and the address it targets. */
export const clientTo =
  (address: string) =>
  (_t: ExecTarget, argv: readonly string[]): boolean =>
    isClient(argv) && argv[2].includes(`iperf3 -c ${address} `);

/** The round holds the cross-node ratio's pairs as one contiguous A-B-B-A block (perf/abba.ts). */
export function assertAbbaBlock(round: readonly string[]): void {
  const at = round.indexOf("pod-to-pod-cross-node");
  assert.deepEqual(round.slice(at, at + 4), [
    "pod-to-pod-cross-node",
    "node-to-node",
    "node-to-node",
    "pod-to-pod-cross-node",
  ]);
}
