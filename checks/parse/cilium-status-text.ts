/**
 * The text form of `cilium status`: every "Key: value" line of interest read into the facts of
 * {@link CiliumStatus}, with what an expected line does not show listed as issues.
 */
import { VERSION, emptyFacts, type Facts } from "./cilium-status-model";
import { toInt } from "./text";

// Text form. Real output is aligned by a tabwriter ("Host Routing:            BPF"); copies pasted
// from web pages are often flattened ("Host Routing: BPF"). Keys are matched after optional
// leading whitespace, values are split on any run of whitespace.

/** "Key: value" with the key made of words, spaces and a few punctuation marks. */
const KEY_VALUE = /^\s*(?<key>[A-Za-z][A-Za-z0-9 ./()-]*?):(?:\s+(?<value>.*?))?\s*$/;
/** "Ok   1.13.0-rc5 (...)": the state word, then the message. */
const STATE_AND_MESSAGE = /^(?<state>\S+)(?:\s+(?<message>.*))?$/;
/** "Strict   [eth0 172.18.0.3 (Direct Routing)]" or "True   [eth0   10.0.0.1 fe80::1 (Direct Routing), eth1 ...]". */
const KPR = /^(?<mode>[A-Za-z]+)(?:\s+\[(?<devices>[^\]]*)\])?/;
/** One device entry: the name, then addresses and "(Direct Routing)". */
const KPR_DEVICE = /^(?<name>[^\s,()]+)/;
/** Feature names printed between brackets by agents older than 1.8 (not devices). */
const KPR_FEATURE = /^(?:NodePort|ExternalIPs|HostReachableServices\w*|HostPort|SessionAffinity)\b/;
/** "Network: Native   Host: BPF" or "Network: Tunnel [vxlan]   Host: Legacy". */
const ROUTING = /^Network:\s*(?<network>.*?)\s+Host:\s*(?<host>\S+)/;
/** "BPF   [eth0]   10.0.0.0/8 [IPv4: Enabled, IPv6: Disabled]", "IPTables [IPv4: ...]", "Disabled". */
const MASQ_MODE = /^(?<mode>[A-Za-z]+)/;
/** The first IPv4 CIDR outside the "[IPv4: ..., IPv6: ...]" bracket. */
const IPV4_CIDR = /(?<![\d.])(?<cidr>\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2})(?![\d.])/;
/** "35/35 healthy". */
const CONTROLLERS = /^(?<ok>\d+)\/(?<total>\d+)\s+healthy\b/;
/** "3/3 reachable   (2024-06-27T09:06:44Z)". */
const CLUSTER_HEALTH = /^(?<ok>\d+)\/(?<total>\d+)\s+reachable\b/;

/** The status keys this parser reads (lower case). */
const TEXT_KEYS = new Set([
  "cilium",
  "kubeproxyreplacement",
  "host routing",
  "routing",
  "masquerading",
  "controller status",
  "cluster health",
]);

function readVersion(value: string, issues: string[]): string | undefined {
  const message = STATE_AND_MESSAGE.exec(value)?.groups?.message ?? "";
  const version = VERSION.exec(message)?.groups?.version;
  if (version === undefined) issues.push(`"Cilium:" line shows no version ("${value}")`);
  return version;
}

function readKprDevices(devices: string | undefined): string[] {
  if (devices === undefined) return [];
  const names: string[] = [];
  for (const entry of devices.split(",")) {
    const item = entry.trim();
    const name = KPR_DEVICE.exec(item)?.groups?.name;
    if (name !== undefined && !KPR_FEATURE.test(item) && !names.includes(name)) names.push(name);
  }
  return names;
}

function readKpr(value: string, facts: Facts, issues: string[]): void {
  const m = KPR.exec(value);
  if (!m?.groups) {
    issues.push(`"KubeProxyReplacement:" line not understood ("${value}")`);
    return;
  }
  facts.kubeProxyReplacement = m.groups.mode;
  facts.kprDevices = readKprDevices(m.groups.devices);
  const direct = (m.groups.devices ?? "")
    .split(",")
    .map((e) => e.trim())
    .find((e) => /\(Direct Routing\)/.test(e));
  const name = direct === undefined ? undefined : KPR_DEVICE.exec(direct)?.groups?.name;
  if (name !== undefined) facts.directRoutingDevice = name;
}

function readRouting(value: string, facts: Facts, issues: string[]): void {
  const m = ROUTING.exec(value);
  if (!m?.groups) {
    issues.push(`"Routing:" line not understood ("${value}")`);
    return;
  }
  facts.routingNetwork = m.groups.network.replace(/\s+/g, " ") || undefined;
  facts.hostRouting = m.groups.host;
}

function readMasquerading(value: string, facts: Facts, issues: string[]): void {
  const mode = MASQ_MODE.exec(value)?.groups?.mode;
  if (mode === undefined) {
    issues.push(`"Masquerading:" line not understood ("${value}")`);
    return;
  }
  facts.masquerading = mode;
  const beforeProtocols = value.split("[IPv4:")[0];
  facts.masqueradeCidr = IPV4_CIDR.exec(beforeProtocols)?.groups?.cidr;
  if (mode === "BPF" && facts.masqueradeCidr === undefined) {
    issues.push('"Masquerading: BPF" line shows no IPv4 CIDR');
  }
}

function readCounts(
  value: string,
  pattern: RegExp,
  label: string,
  issues: string[],
): { ok: number | undefined; total: number | undefined } {
  const m = pattern.exec(value);
  if (!m?.groups) {
    issues.push(`"${label}:" line shows no counts ("${value}")`);
    return { ok: undefined, total: undefined };
  }
  return { ok: toInt(m.groups.ok), total: toInt(m.groups.total) };
}

/** Every "Key: value" line of interest, first occurrence wins (verbose sections repeat some keys). */
function collectTextValues(lines: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of lines) {
    const m = KEY_VALUE.exec(line);
    const key = m?.groups?.key.trim().toLowerCase();
    if (key === undefined || !TEXT_KEYS.has(key) || values.has(key)) continue;
    values.set(key, m?.groups?.value ?? "");
  }
  return values;
}

/** Reads the text form; `recognised` is false when no line of interest was found. */
export function parseText(lines: readonly string[]): { facts: Facts; issues: string[]; recognised: boolean } {
  const facts = emptyFacts();
  const issues: string[] = [];
  const values = collectTextValues(lines);
  const get = (key: string): string | undefined => values.get(key);

  const cilium = get("cilium");
  if (cilium === undefined) issues.push('no "Cilium:" line');
  else facts.ciliumVersion = readVersion(cilium, issues);

  const kpr = get("kubeproxyreplacement");
  if (kpr === undefined) issues.push('no "KubeProxyReplacement:" line');
  else readKpr(kpr, facts, issues);

  const routing = get("routing");
  const hostRouting = get("host routing");
  if (routing !== undefined) readRouting(routing, facts, issues);
  else if (hostRouting !== undefined) facts.hostRouting = hostRouting.split(/\s+/)[0] || undefined;
  else issues.push('no "Host Routing:" (<= 1.15) or "Routing:" (1.16+) line');

  const masq = get("masquerading");
  if (masq === undefined) issues.push('no "Masquerading:" line');
  else readMasquerading(masq, facts, issues);

  const controllers = get("controller status");
  if (controllers === undefined) issues.push('no "Controller Status:" line');
  else {
    const c = readCounts(controllers, CONTROLLERS, "Controller Status", issues);
    facts.controllersHealthy = c.ok;
    facts.controllersTotal = c.total;
  }

  const health = get("cluster health");
  if (health === undefined) issues.push('no "Cluster health:" line');
  else {
    const h = readCounts(health, CLUSTER_HEALTH, "Cluster health", issues);
    facts.clusterHealthReachable = h.ok;
    facts.clusterHealthTotal = h.total;
  }

  return { facts, issues, recognised: values.size > 0 };
}
