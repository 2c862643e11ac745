/**
 * The node side of `no-kube-proxy`: kube-proxy's rules, read with the node's own binaries.
 *
 * Why the node's binaries: the probe image (netshoot v0.13, Alpine 3.19) installs `iptables` and
 * `nftables` but no `iptables-legacy` (nicolaka/netshoot Dockerfile @v0.13, `apk add ... iptables
 * ... nftables`), and kind's node entrypoint picks the legacy backend whenever the legacy rules are
 * at least as many as the nft ones (kubernetes-sigs/kind images/base/files/usr/local/bin/entrypoint
 * @v0.18.0 lines 364-375, `select_iptables`: `update-alternatives --set iptables
 * /usr/sbin/iptables-${mode}`). The node-probe DaemonSet mounts the node's root filesystem read-only
 * at `/host` (components/workloadSpecs.ts), so `chroot /host iptables-legacy-save` runs the node's own
 * Debian binaries (both exist: the entrypoint itself calls `iptables-legacy-save` and
 * `iptables-nft-save`), and `chroot /host iptables --version` names the backend the node's
 * alternatives chose (`iptables v1.8.7 (legacy)` / `(nf_tables)`).
 *
 * kube-proxy in nftables mode writes no iptables rules: its rules live in the nftables table
 * `kube-proxy` of family `ip` / `ip6` (kubernetes/kubernetes pkg/proxy/nftables/proxier.go @b0f823e:
 * `kubeProxyTable = "kube-proxy"`, `knftables.New(IPv4Family|IPv6Family, kubeProxyTable)`), which
 * `nft list tables` shows as `table ip kube-proxy`. nft talks netlink directly, so the probe's own
 * `nft` (host network namespace) sees the node's tables.
 */
import { shellJoin } from "../../lib/shell";
import { parseIptablesSave } from "../parse";
import { LEGACY_TABLES_ISSUE } from "../parse/iptables-save";
import { conntrackCommand, sectionScript, splitSections, withTimeout, type Section } from "../probes";
import type { Judgement, LabContext } from "../types";
import { excerpt, inconclusive, pass } from "../verdict";
import { differsFrom, list } from "./common";

export const DUMP_TIMEOUT_SECONDS = 10;

/** Where the node-probe pod sees the node's root filesystem (its hostPath mount of `/`). */
export const DEFAULT_NODE_ROOT = "/host";

export const BACKENDS = ["legacy", "nf_tables"] as const;
export type Backend = (typeof BACKENDS)[number];

/** The section (and save tool) of each backend. */
export const SAVE_TOOL: Readonly<Record<Backend, string>> = {
  legacy: "iptables-legacy-save",
  nf_tables: "iptables-nft-save",
};
export const VERSION_SECTION = "iptables --version";
export const NFT_SECTION = "nft list tables";
export const CONNTRACK_SECTION = "conntrack";

export function nodeRootOf(ctx: LabContext): string {
  return ctx.nodeRoot ?? DEFAULT_NODE_ROOT;
}

/** The node script: the active backend, both iptables dumps, the nftables tables, conntrack. */
export function nodeScript(nodePort: number, nodeRoot: string): string {
  const inNode = (argv: string[]): string =>
    shellJoin(withTimeout(DUMP_TIMEOUT_SECONDS, ["chroot", nodeRoot, ...argv]));
  return sectionScript([
    { name: VERSION_SECTION, command: inNode(["iptables", "--version"]) },
    ...BACKENDS.map((b) => ({ name: SAVE_TOOL[b], command: inNode([SAVE_TOOL[b]]) })),
    { name: NFT_SECTION, command: shellJoin(withTimeout(DUMP_TIMEOUT_SECONDS, ["nft", "list", "tables"])) },
    { name: CONNTRACK_SECTION, command: shellJoin(conntrackCommand(nodePort, DUMP_TIMEOUT_SECONDS)) },
  ]);
}

/** The backend `iptables --version` names: `iptables v1.8.9 (nf_tables)` → nf_tables. */
export function backendOf(versionOutput: string): Backend | undefined {
  const m = /^iptables v[\d.]+\S* \((legacy|nf_tables)\)/m.exec(versionOutput);
  return m ? (m[1] as Backend) : undefined;
}

/** `table ip kube-proxy` lines of `nft list tables`. */
export function kubeProxyTables(output: string): string[] {
  return output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /^table (ip|ip6|inet) kube-proxy$/.test(l));
}

function finished(section: Section | undefined): section is Section & { exitCode: number } {
  return section !== undefined && section.exitCode !== undefined;
}

function why(section: Section | undefined): string {
  if (!finished(section)) return "did not finish";
  return `exited with code ${section.exitCode} (${excerpt(section.output, 120) || "no output"})`;
}

/** What the iptables and nftables sections of one node say. `backend` is the node's active one. */
export interface NodeRules {
  readonly parts: Judgement[];
  readonly backend?: Backend;
}

/**
 * kube-proxy found. With kube-proxy replacement off in the cluster's cilium-config, kube-proxy is what
 * serves NodePorts and the other services Cilium leaves alone (Cilium keeps handling ClusterIP for
 * pods: cilium/cilium#10651; the partial/hybrid modes: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/#kube-proxy-hybrid-modes),
 * so finding it is what that setting implies (`differs`); with the lab's setting it is a failure.
 */
export function kubeProxyFound(ctx: LabContext, reason: string): Judgement {
  return differsFrom(ctx, ["kube-proxy-replacement"], reason);
}

/** Judges kube-proxy's rules on one node from the node script's output (conntrack excluded). */
export function judgeNodeRules(ctx: LabContext, node: string, output: string): NodeRules {
  const sections = splitSections(output);
  const parts: Judgement[] = [];
  const nodePort = ctx.service.nodePort;

  const version = sections.get(VERSION_SECTION);
  const backend = finished(version) && version.exitCode === 0 ? backendOf(version.output) : undefined;
  if (backend === undefined) {
    parts.push(
      inconclusive(
        `could not tell which iptables backend ${node} uses: chroot ${nodeRootOf(ctx)} iptables --version ${finished(version) && version.exitCode === 0 ? `printed ${excerpt(version.output, 120) || "nothing"}` : why(version)}`,
      ),
    );
  }

  const unreadable = new Map<Backend, string>();
  let legacyWarning = false;
  for (const b of BACKENDS) {
    const tool = SAVE_TOOL[b];
    const section = sections.get(tool);
    if (!finished(section) || section.exitCode !== 0) {
      unreadable.set(b, `${tool} ${why(section)}`);
      continue;
    }
    const dump = parseIptablesSave(section.output);
    if (dump.issues.includes(LEGACY_TABLES_ISSUE)) legacyWarning = true;
    if (b === backend && dump.ruleCount + dump.chains.length === 0) {
      parts.push(
        inconclusive(
          `the ${b} tables ${node} uses are empty in ${tool}, so the absence of kube-proxy rules proves nothing`,
        ),
      );
    }
    const kube = dump.chains.filter((c) => /^KUBE-(SERVICES|NODEPORTS|SVC-|SEP-|EXT-|FW-|XLB-)/.test(c));
    if (dump.hasKubeProxyRules) {
      parts.push(
        kubeProxyFound(
          ctx,
          `expected no kube-proxy rules in the ${b} tables of ${node} (read with the node's ${tool}), found ${list(kube.slice(0, 5)) || "jumps to KUBE-SVC/KUBE-NODEPORTS"}`,
        ),
      );
    }
    if (dump.nodePortsMentioned.includes(nodePort)) {
      parts.push(
        kubeProxyFound(
          ctx,
          `expected no iptables rule for NodePort ${nodePort} in the ${b} tables of ${node}, found one in KUBE-NODEPORTS`,
        ),
      );
    }
  }
  for (const [b, reason] of unreadable) {
    // kube-proxy's own image chooses its backend itself, so an unread backend of either kind can hide it.
    const role = b === backend ? "the iptables backend in use" : "the other iptables backend";
    parts.push(inconclusive(`${role} (${b}) of ${node} could not be read: ${reason}`));
  }
  if (legacyWarning && unreadable.has("legacy")) {
    parts.push(
      inconclusive(
        `iptables-nft-save on ${node} warns that iptables-legacy tables are present, and they could not be read`,
      ),
    );
  }

  const nft = sections.get(NFT_SECTION);
  if (!finished(nft) || nft.exitCode !== 0) {
    parts.push(
      inconclusive(`nft list tables ${why(nft)} on ${node}: kube-proxy in nftables mode would not be seen`),
    );
  } else {
    const tables = kubeProxyTables(nft.output);
    if (tables.length > 0) {
      parts.push(
        kubeProxyFound(ctx, `expected no kube-proxy nftables table on ${node}, found ${list(tables)}`),
      );
    }
  }

  if (!parts.some((p) => p.verdict !== "pass")) {
    parts.push(
      pass(
        `no kube-proxy rules on ${node} (iptables backend in use: ${backend ?? "unknown"}; legacy and nf_tables tables read with the node's own iptables-*-save; no kube-proxy nftables table)`,
      ),
    );
  }
  return { parts, backend };
}
