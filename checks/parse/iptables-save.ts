import { asText, isBlank, splitLines, toInt, unrecognisedIssue } from "./text";

/** What an `iptables-save` (legacy or nft) dump says about kube-proxy. */
export interface IptablesDump {
  readonly raw: string;
  /** True when any KUBE-SERVICES, KUBE-NODEPORTS, KUBE-SVC-* or KUBE-SEP-* chain or jump exists. */
  readonly hasKubeProxyRules: boolean;
  /** The --dport values of rules in KUBE-NODEPORTS, in order of appearance, without repeats. */
  readonly nodePortsMentioned: readonly number[];
  /** Every chain declared (":NAME POLICY [p:b]") or appended to ("-A NAME"), first appearance first. */
  readonly chains: readonly string[];
  /** The number of "-A" rule lines. */
  readonly ruleCount: number;
  /** The tables dumped ("*nat", "*filter"...), without the star. */
  readonly tables: readonly string[];
  /**
   * What is missing or incomplete: empty output, a table without COMMIT (truncated), an nft dump
   * that says legacy tables exist and are not shown, lines not recognised.
   */
  readonly issues: readonly string[];
}

const TABLE = /^\*(?<table>\S+)$/;
const CHAIN = /^:(?<chain>\S+)\s+\S+(?:\s+\[\d+:\d+\])?$/;
const RULE = /^-[AI]\s+(?<chain>\S+)(?:\s+(?<spec>.*))?$/;
const COMMIT = /^COMMIT$/;
const JUMP = /(?:^|\s)-[jg]\s+(?<target>\S+)/;
const DPORT = /(?:^|\s)--dport\s+(?<port>\d{1,5})(?:\s|$)/;
/** Chains only kube-proxy creates (kubelet's own KUBE-FIREWALL, KUBE-MARK-* etc. do not count). */
const KUBE_PROXY_CHAIN = /^KUBE-(?:SERVICES|NODEPORTS|SVC-|SEP-|EXT-|FW-|XLB-)/;
const LEGACY_WARNING = /^# Warning: iptables-legacy tables present/;

/** The issue an nft dump gets when iptables-nft-save warns that legacy tables exist and are not shown. */
export const LEGACY_TABLES_ISSUE =
  "iptables-nft-save reports iptables-legacy tables that this dump does not show";

interface State {
  readonly chains: string[];
  readonly tables: string[];
  readonly nodePorts: number[];
  readonly unrecognised: string[];
  openTable: string | undefined;
  uncommitted: string[];
  ruleCount: number;
  kubeProxy: boolean;
  legacyWarning: boolean;
}

function addChain(state: State, chain: string): void {
  if (!state.chains.includes(chain)) state.chains.push(chain);
  if (KUBE_PROXY_CHAIN.test(chain)) state.kubeProxy = true;
}

function readRule(state: State, chain: string, spec: string): void {
  state.ruleCount++;
  addChain(state, chain);
  const target = JUMP.exec(spec)?.groups?.target;
  if (target !== undefined && KUBE_PROXY_CHAIN.test(target)) state.kubeProxy = true;
  if (chain === "KUBE-NODEPORTS") {
    const port = toInt(DPORT.exec(spec)?.groups?.port);
    if (port !== undefined && !state.nodePorts.includes(port)) state.nodePorts.push(port);
  }
}

function readLine(state: State, line: string): void {
  if (line.startsWith("#")) {
    if (LEGACY_WARNING.test(line)) state.legacyWarning = true;
    return;
  }
  const table = TABLE.exec(line);
  if (table?.groups) {
    if (state.openTable !== undefined) state.uncommitted.push(state.openTable);
    state.openTable = table.groups.table;
    if (!state.tables.includes(table.groups.table)) state.tables.push(table.groups.table);
    return;
  }
  if (COMMIT.test(line)) {
    state.openTable = undefined;
    return;
  }
  const chain = CHAIN.exec(line);
  if (chain?.groups) {
    addChain(state, chain.groups.chain);
    return;
  }
  const rule = RULE.exec(line);
  if (rule?.groups) {
    readRule(state, rule.groups.chain, rule.groups.spec ?? "");
    return;
  }
  state.unrecognised.push(line);
}

/** Parses `iptables-save`, `iptables-legacy-save`, `iptables-nft-save` (or a fragment of rules). Never throws. */
export function parseIptablesSave(raw: string): IptablesDump {
  const text = asText(raw);
  const state: State = {
    chains: [],
    tables: [],
    nodePorts: [],
    unrecognised: [],
    openTable: undefined,
    uncommitted: [],
    ruleCount: 0,
    kubeProxy: false,
    legacyWarning: false,
  };
  const issues: string[] = [];
  if (isBlank(text)) {
    issues.push("empty output (no table dumped)");
  } else {
    for (const original of splitLines(text)) {
      const line = original.trim();
      if (line !== "") readLine(state, line);
    }
    if (state.openTable !== undefined) state.uncommitted.push(state.openTable);
    for (const table of state.uncommitted) issues.push(`table ${table} has no COMMIT line (truncated?)`);
    if (state.tables.length === 0) {
      issues.push(
        state.ruleCount === 0 ? "no table header and no rules" : "rules without a table header (a fragment?)",
      );
    }
    if (state.legacyWarning) {
      issues.push(LEGACY_TABLES_ISSUE);
    }
    issues.push(...unrecognisedIssue(state.unrecognised));
  }
  return {
    raw: text,
    hasKubeProxyRules: state.kubeProxy,
    nodePortsMentioned: state.nodePorts,
    chains: state.chains,
    ruleCount: state.ruleCount,
    tables: state.tables,
    issues,
  };
}
