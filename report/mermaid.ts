/**
 * Mermaid flowcharts of the packet paths the seed describes, each hop annotated with the verdict of
 * the check that proves it:
 *
 * - same node: pod eth0 → its lxc (tc ingress `from-container`) → bpf_redirect_peer → the destination
 *   pod's eth0, skipping the destination's lxc; the reply takes the mirror path.
 * - cross node: pod eth0 → lxc `from-container` → bpf_redirect_neigh → node eth0 → (native route) →
 *   peer node eth0 (`from-netdev`) → bpf_redirect_peer → destination pod eth0, skipping its lxc.
 *
 * Device names and MACs come from the checks' datapath facts when the run reported them.
 */
import type { Verdict } from "../checks/types";
import { mermaidLabel } from "./escape";
import type { ReportDoc } from "./model";

/** The checks the diagrams cite (names as in checks/defs). */
export const DIAGRAM_CHECKS = Object.freeze({
  podAddressing: "pod-addressing",
  attachPoints: "bpf-attach-points",
  nodeRoutes: "node-routes",
  pingSameNode: "ping-same-node",
  pingCrossNode: "ping-cross-node",
  peerSameNode: "redirect-peer-same-node",
  peerCrossNode: "redirect-peer-cross-node",
  neigh: "redirect-neigh",
});

type Shown = Verdict | "not run";

const COLOURS: Readonly<Record<Shown, string>> = {
  pass: "#1e7e34",
  fail: "#c62828",
  inconclusive: "#b7791f",
  differs: "#1565c0",
  "not run": "#8a8a8a",
};

const CLASS_OF: Readonly<Record<Shown, string>> = {
  pass: "pass",
  fail: "fail",
  inconclusive: "inconclusive",
  differs: "differs",
  "not run": "notrun",
};

const CLASS_DEFS = [
  "  classDef pass fill:#e6f4ea,stroke:#1e7e34,color:#111",
  "  classDef fail fill:#fdecea,stroke:#c62828,color:#111",
  "  classDef inconclusive fill:#fff8e1,stroke:#b7791f,color:#111",
  "  classDef differs fill:#e3f2fd,stroke:#1565c0,color:#111",
  "  classDef notrun fill:#f4f4f4,stroke:#8a8a8a,color:#111,stroke-dasharray:4 3",
];

function verdictOf(doc: ReportDoc, check: string): Shown {
  return doc.results.find((r) => r.name === check)?.verdict ?? "not run";
}

/** `redirect-neigh: PASS`. */
function tag(doc: ReportDoc, check: string): string {
  return `${check}: ${verdictOf(doc, check).toUpperCase()}`;
}

function fact(doc: ReportDoc, ...path: string[]): string | undefined {
  let v: unknown = doc.datapath;
  for (const key of path) {
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  }
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** What a veth capture saw, from the redirect checks' facts: `saw the request only`. */
function seen(doc: ReportDoc, factKey: string, role: "source" | "destination"): string | undefined {
  const v = (doc.datapath[factKey] as Record<string, unknown> | undefined)?.[`${role}Veth`] as
    { request?: unknown; reply?: unknown } | undefined;
  if (v === undefined || typeof v.request !== "boolean" || typeof v.reply !== "boolean") return undefined;
  if (v.request && v.reply) return "saw request and reply";
  if (v.request) return "saw the request only";
  if (v.reply) return "saw the reply only";
  return "saw neither";
}

/** Builds one flowchart: nodes with their verdicts, edges with theirs, then the styles. */
class Chart {
  private readonly lines: string[] = ["flowchart LR"];
  private readonly classes: [string, Shown][] = [];
  private readonly links: Shown[] = [];

  constructor(private readonly doc: ReportDoc) {}

  raw(line: string): this {
    this.lines.push(line);
    return this;
  }

  node(id: string, lines: readonly (string | undefined)[], check?: string): this {
    const text = lines.filter((l): l is string => l !== undefined);
    if (check !== undefined) text.push(tag(this.doc, check));
    this.lines.push(`    ${id}[${mermaidLabel(text)}]`);
    if (check !== undefined) this.classes.push([id, verdictOf(this.doc, check)]);
    return this;
  }

  edge(
    from: string,
    arrow: "-->" | "==>" | "-.-",
    to: string,
    lines: readonly (string | undefined)[],
    check?: string,
  ): this {
    const text = lines.filter((l): l is string => l !== undefined);
    if (check !== undefined) text.push(tag(this.doc, check));
    this.lines.push(`  ${from} ${arrow}|${mermaidLabel(text)}| ${to}`);
    this.links.push(check === undefined ? "not run" : verdictOf(this.doc, check));
    return this;
  }

  render(): string {
    const out = [...this.lines, ...CLASS_DEFS];
    for (const shown of ["pass", "fail", "inconclusive", "differs", "not run"] as const) {
      const ids = this.classes.filter(([, v]) => v === shown).map(([id]) => id);
      if (ids.length > 0) out.push(`  class ${ids.join(",")} ${CLASS_OF[shown]}`);
      const links = this.links.flatMap((v, i) => (v === shown ? [i] : []));
      if (links.length > 0)
        out.push(`  linkStyle ${links.join(",")} stroke:${COLOURS[shown]},stroke-width:2px`);
    }
    return out.join("\n");
  }
}

/** Same node: both directions, each lxc crossed once and skipped once. */
export function sameNodeDiagram(doc: ReportDoc): string {
  const c = DIAGRAM_CHECKS;
  const srcDev = fact(doc, "redirectPeerSameNode", "sourceVeth", "dev");
  const dstDev = fact(doc, "redirectPeerSameNode", "destinationVeth", "dev");
  return new Chart(doc)
    .raw(`  subgraph node[${mermaidLabel(["one node", tag(doc, c.pingSameNode)])}]`)
    .node("srcPod", ["source pod eth0", "/32, default via cilium_host"], c.podAddressing)
    .node(
      "srcLxc",
      [
        srcDev ?? "source lxc (host side)",
        "tc ingress: from-container",
        seen(doc, "redirectPeerSameNode", "source"),
      ],
      c.attachPoints,
    )
    .node("dstPod", ["destination pod eth0"], c.podAddressing)
    .node(
      "dstLxc",
      [
        dstDev ?? "destination lxc (host side)",
        "tc ingress: from-container",
        seen(doc, "redirectPeerSameNode", "destination"),
      ],
      c.attachPoints,
    )
    .raw("  end")
    .edge("srcPod", "-->", "srcLxc", ["1 request leaves the pod"])
    .edge("srcLxc", "==>", "dstPod", ["2 bpf_redirect_peer: into the pod, skipping its lxc"], c.peerSameNode)
    .edge("dstPod", "-->", "dstLxc", ["3 reply leaves the pod"])
    .edge("dstLxc", "==>", "srcPod", ["4 bpf_redirect_peer: skipping the source lxc"], c.peerSameNode)
    .render();
}

/** Cross node: the request from one pod to a pod on another node. */
export function crossNodeDiagram(doc: ReportDoc): string {
  const c = DIAGRAM_CHECKS;
  const srcDev = fact(doc, "redirectPeerCrossNode", "sourceVeth", "dev");
  const dstDev = fact(doc, "redirectPeerCrossNode", "destinationVeth", "dev");
  const ownMac = fact(doc, "redirectNeigh", "sourceMac");
  const nextHop = fact(doc, "redirectNeigh", "nextHopMac") ?? fact(doc, "redirectNeigh", "peerMac");
  const device = typeof doc.datapath.nodeDevice === "string" ? doc.datapath.nodeDevice : "eth0";
  return new Chart(doc)
    .raw(`  subgraph srcNode[${mermaidLabel(["source node", tag(doc, c.pingCrossNode)])}]`)
    .node("srcPod", ["source pod eth0", "/32, default via cilium_host"], c.podAddressing)
    .node(
      "srcLxc",
      [
        srcDev ?? "source lxc (host side)",
        "tc ingress: from-container",
        seen(doc, "redirectPeerCrossNode", "source"),
      ],
      c.attachPoints,
    )
    .node(
      "srcEth",
      [`node ${device}${ownMac === undefined ? "" : ` ${ownMac}`}`, "tc egress: to-netdev"],
      c.attachPoints,
    )
    .raw("  end")
    .raw(`  subgraph dstNode[${mermaidLabel("destination node")}]`)
    .node(
      "dstEth",
      [`node ${device}${nextHop === undefined ? "" : ` ${nextHop}`}`, "tc ingress: from-netdev"],
      c.attachPoints,
    )
    .node(
      "dstLxc",
      [
        dstDev ?? "destination lxc (host side)",
        "skipped by the request",
        seen(doc, "redirectPeerCrossNode", "destination"),
      ],
      c.attachPoints,
    )
    .node("dstPod", ["destination pod eth0"], c.podAddressing)
    .raw("  end")
    .edge("srcPod", "-->", "srcLxc", ["1 request leaves the pod"])
    .edge(
      "srcLxc",
      "==>",
      "srcEth",
      [
        "2 bpf_redirect_neigh: FIB lookup, no iptables",
        nextHop === undefined ? "next hop: the peer node's MAC" : `next hop MAC ${nextHop}`,
      ],
      c.neigh,
    )
    .edge("srcEth", "-->", "dstEth", ["3 native routing: pod CIDR via the peer node's IP"], c.nodeRoutes)
    .edge("dstEth", "==>", "dstPod", ["4 bpf_redirect_peer: into the pod"], c.peerCrossNode)
    .edge("dstLxc", "-.-", "dstPod", ["host side of the pod's veth"])
    .render();
}
