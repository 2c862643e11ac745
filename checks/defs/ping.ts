/**
 * `ping-same-node` and `ping-cross-node`: the client reaches a test pod on its own node and one on
 * another node. Seed: `ping 10.0.2.202` (same node) answers with ttl=63, `ping 10.0.0.72` (worker)
 * with ttl=62: one routed hop per node crossed. A different TTL is noted, not failed (images and
 * Cilium versions differ in what they decrement).
 */
import { parsePing, type PingResult } from "../parse";
import { PING_OK_EXIT_CODES, pingCommand } from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, LabPod, ProbeStep } from "../types";
import { excerpt, fail, inconclusive, pass, usableStep } from "../verdict";
import { STEP_MARGIN_SECONDS, crossNodePeer, podTarget, sameNodePeer } from "./common";

/** Echo requests per ping check. */
export const PING_COUNT = 3;
/** `ping -w` deadline of a ping check. */
export const PING_DEADLINE_SECONDS = 10;

/** Reads a ping step's output; the judgement when it is unusable or shows no statistics. */
export function readPing(
  step: ProbeStep,
  output: string,
): { ping: PingResult & { transmitted: number; received: number } } | { judgement: Judgement } {
  const ping = parsePing(output);
  if (ping.transmitted === undefined || ping.received === undefined) {
    return {
      judgement: inconclusive(`no ping statistics in the output of "${step.id}": ${excerpt(output)}`),
    };
  }
  if (ping.transmitted === 0) return { judgement: inconclusive(`"${step.id}" sent no echo request`) };
  return { ping: { ...ping, transmitted: ping.transmitted, received: ping.received } };
}

function pingChecks(
  name: string,
  proves: string,
  pick: (ctx: LabContext) => LabPod | undefined,
  missing: (ctx: LabContext) => string,
  expectedTtl: number,
): CheckDefinition {
  const steps = (ctx: LabContext): ProbeStep[] => {
    const target = pick(ctx);
    if (target === undefined) return [];
    return [
      {
        id: "ping",
        target: podTarget(ctx.client),
        argv: pingCommand(target.ip, { count: PING_COUNT, timeoutSeconds: PING_DEADLINE_SECONDS }),
        timeoutSeconds: PING_DEADLINE_SECONDS + STEP_MARGIN_SECONDS,
      },
    ];
  };
  const judge = (ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement => {
    const target = pick(ctx);
    const step = steps(ctx)[0];
    if (target === undefined || step === undefined) return inconclusive(missing(ctx));
    const out = usableStep(step, results, { okExitCodes: PING_OK_EXIT_CODES });
    if (!out.ok) return out.judgement;
    const read = readPing(step, out.output);
    if ("judgement" in read) return read.judgement;
    const { ping } = read;
    const what = `${ctx.client.name} → ${target.name} (${target.ip}, ${target.node})`;
    const facts = {
      [camel(name)]: {
        target: target.ip,
        lossPercent: ping.lossPercent,
        rttAvgMs: ping.rttAvg,
        ttl: ping.ttl,
      },
    };
    if (ping.received === 0 || ping.lossPercent === 100) {
      return fail(
        `expected 0% loss for ${what}, saw 100% (${ping.received}/${ping.transmitted} replies)`,
        facts,
      );
    }
    if (ping.received < ping.transmitted || (ping.lossPercent ?? 0) > 0) {
      return fail(
        `expected 0% loss for ${what}, saw ${ping.lossPercent ?? "?"}% (${ping.received}/${ping.transmitted} replies)`,
        facts,
      );
    }
    const rtt = ping.rttAvg === undefined ? "" : `, rtt avg ${ping.rttAvg} ms`;
    const ttl =
      ping.ttl === undefined
        ? ", TTL not shown"
        : ping.ttl === expectedTtl
          ? `, ttl ${ping.ttl}`
          : `, ttl ${ping.ttl} (the seed shows ${expectedTtl}: noted, not a failure)`;
    return pass(`${what}: ${ping.received}/${ping.transmitted} replies, 0% loss${rtt}${ttl}`, facts);
  };
  // Reachability holds under any routing, IPAM or service setting: rests on no cilium-config key.
  return { name, proves, restsOn: [], steps, judge };
}

function camel(kebab: string): string {
  return kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export const pingSameNode = pingChecks(
  "ping-same-node",
  "A pod reaches another pod on the same node over the Cilium datapath with no packet loss.",
  sameNodePeer,
  (ctx) => `no test pod on ${ctx.client.node}, the client's node`,
  63,
);

export const pingCrossNode = pingChecks(
  "ping-cross-node",
  "A pod reaches a pod on another node through native routing with no packet loss.",
  crossNodePeer,
  (ctx) => `no test pod on a node other than ${ctx.client.node}, the client's node`,
  62,
);
