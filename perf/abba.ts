/**
 * The order of a ratio's two pairs within a round: A-B-B-A. The cross-node pod pair (A) and its
 * node-to-node baseline (B) are each measured twice per round, A first and last, so a drift of the host
 * that is linear over the block (a CPU warming, a neighbour's load rising) adds the same to A's two runs
 * as to B's: the per-round sums A1+A2 and B1+B2 carry it equally and their ratio does not (the ABBA
 * counterbalancing of experimental design). Each pair's figure of the round is the mean of its two
 * runs (throughput, CPU) or their pooled samples (latency): perf/figures.ts.
 */

/** The pairs the cross-node ratios compare: A (pod) and B (node-to-node baseline). */
export const ABBA_PAIRS = { a: "pod-to-pod-cross-node", b: "node-to-node" } as const;

/**
 * A round's shuffled order with A and B as one A-B-B-A block, placed where the first of them fell in
 * the shuffle (so the block's position still varies from round to round). A round without both keeps
 * its order.
 */
export function withAbba(round: readonly string[], pairs = ABBA_PAIRS): string[] {
  if (!round.includes(pairs.a) || !round.includes(pairs.b)) return [...round];
  const out: string[] = [];
  for (const name of round) {
    if (name !== pairs.a && name !== pairs.b) out.push(name);
    else if (!out.includes(pairs.a)) out.push(pairs.a, pairs.b, pairs.b, pairs.a);
  }
  return out;
}
