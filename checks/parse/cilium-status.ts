import { asNonEmptyString, asRecord, asText, isBlank, splitLines, toInt, tryParseJson } from "./text";

/**
 * The datapath facts of `cilium status` (text) or `cilium status -o json` (model StatusResponse,
 * api/v1/models/status_response.go in cilium/cilium). Values are kept as printed: compare modes
 * case-insensitively ("Strict"/"True", "IPTables" in text vs "iptables" in JSON).
 *
 * Cluster health is not part of StatusResponse: the text form gets it from a second call to the
 * cilium-health API (cilium-dbg/cmd/status.go), so `-o json` never carries it and both health
 * fields stay undefined for JSON without that being an issue.
 */
export interface CiliumStatus {
  readonly raw: string;
  /** "json" when the output is a JSON object, "text" when status lines were found. */
  readonly format: "json" | "text" | undefined;
  /** "1.13.0-rc5" from "Cilium: Ok 1.13.0-rc5 (v1.13.0-rc5-dc22a46f)" or cilium.msg. */
  readonly ciliumVersion: string | undefined;
  /** Kube-proxy replacement mode as printed: "Strict", "True", "False", "Disabled", "Partial"... */
  readonly kubeProxyReplacement: string | undefined;
  /** Devices the kube-proxy replacement runs on ("eth0"); empty when none are shown. */
  readonly kprDevices: readonly string[];
  /**
   * The agent's direct-routing device: the device printed with "(Direct Routing)" in the text
   * (cilium/cilium pkg/client/client.go appends " (Direct Routing)" to that device's entry) or
   * `kube-proxy-replacement.directRoutingDevice` in the JSON (api/v1/models/kube_proxy_replacement.go,
   * `json:"directRoutingDevice,omitempty"`); undefined when not shown.
   */
  readonly directRoutingDevice?: string;
  /** BPF host routing: "BPF" or "Legacy" (from "Host Routing:" up to 1.15, "Routing: ... Host:" from 1.16). */
  readonly hostRouting: string | undefined;
  /** Masquerading mode as printed: "BPF", "IPTables" (text), "iptables" (JSON), "Disabled". */
  readonly masquerading: string | undefined;
  /** The IPv4 SNAT exclusion CIDR (the native-routing CIDR), e.g. "10.0.0.0/8". */
  readonly masqueradeCidr: string | undefined;
  /** Inter-host routing from 1.16: "Native" or "Tunnel [vxlan]"; undefined when not shown (<= 1.15). */
  readonly routingNetwork: string | undefined;
  /** N of "Cluster health: N/M reachable" (text only). */
  readonly clusterHealthReachable: number | undefined;
  /** M of "Cluster health: N/M reachable" (text only). */
  readonly clusterHealthTotal: number | undefined;
  /** N of "Controller Status: N/M healthy", or controllers without consecutive failures in JSON. */
  readonly controllersHealthy: number | undefined;
  /** M of "Controller Status: N/M healthy", or the number of controllers in JSON. */
  readonly controllersTotal: number | undefined;
  /** Expected parts that the output does not show, in words; empty when nothing is missing. */
  readonly issues: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Facts = Omit<Mutable<CiliumStatus>, "raw" | "format" | "issues" | "kprDevices"> & {
  kprDevices: string[];
};

function emptyFacts(): Facts {
  return {
    ciliumVersion: undefined,
    kubeProxyReplacement: undefined,
    kprDevices: [],
    hostRouting: undefined,
    masquerading: undefined,
    masqueradeCidr: undefined,
    routingNetwork: undefined,
    clusterHealthReachable: undefined,
    clusterHealthTotal: undefined,
    controllersHealthy: undefined,
    controllersTotal: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Text form. Real output is aligned by a tabwriter ("Host Routing:            BPF"); copies pasted
// from web pages are often flattened ("Host Routing: BPF"). Keys are matched after optional
// leading whitespace, values are split on any run of whitespace.

/** "Key: value" with the key made of words, spaces and a few punctuation marks. */
const KEY_VALUE = /^\s*(?<key>[A-Za-z][A-Za-z0-9 ./()-]*?):(?:\s+(?<value>.*?))?\s*$/;
/** "1.13.0-rc5" at the start of "1.13.0-rc5 (v1.13.0-rc5-dc22a46f)". */
const VERSION = /^(?<version>\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?)(?:\s|$)/;
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

function parseText(lines: readonly string[]): { facts: Facts; issues: string[]; recognised: boolean } {
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

// ---------------------------------------------------------------------------------------------
// JSON form (`cilium status -o json`): field names from api/v1/models (StatusResponse,
// KubeProxyReplacement, HostRouting (<= 1.15), Routing (1.16+), Masquerading, ControllerStatus).

function jsonVersion(root: Record<string, unknown>, issues: string[]): string | undefined {
  const cilium = asRecord(root["cilium"]);
  const msg = asNonEmptyString(cilium?.["msg"]);
  if (msg === undefined) {
    issues.push('no "cilium.msg" (agent version)');
    return undefined;
  }
  const version = VERSION.exec(msg.trim())?.groups?.version;
  if (version === undefined) issues.push(`"cilium.msg" shows no version ("${msg}")`);
  return version;
}

function jsonDeviceNames(kpr: Record<string, unknown>): string[] {
  const names: string[] = [];
  const add = (name: unknown): void => {
    const n = asNonEmptyString(name);
    if (n !== undefined && !names.includes(n)) names.push(n);
  };
  const deviceList = kpr["deviceList"];
  if (Array.isArray(deviceList)) for (const d of deviceList) add(asRecord(d)?.["name"]);
  const devices = kpr["devices"];
  if (names.length === 0 && Array.isArray(devices)) {
    for (const d of devices) add(typeof d === "string" ? d : asRecord(d)?.["name"]);
  }
  return names;
}

function jsonKpr(root: Record<string, unknown>, facts: Facts, issues: string[]): void {
  const kpr = asRecord(root["kube-proxy-replacement"]);
  if (kpr === undefined) {
    issues.push('no "kube-proxy-replacement" object');
    return;
  }
  facts.kubeProxyReplacement = asNonEmptyString(kpr["mode"]);
  if (facts.kubeProxyReplacement === undefined) issues.push('no "kube-proxy-replacement.mode"');
  facts.kprDevices = jsonDeviceNames(kpr);
  const direct = asNonEmptyString(kpr["directRoutingDevice"]);
  if (direct !== undefined) facts.directRoutingDevice = direct;
}

function jsonRouting(root: Record<string, unknown>, facts: Facts, issues: string[]): void {
  const routing = asRecord(root["routing"]);
  const hostRouting = asRecord(root["host-routing"]);
  if (routing !== undefined) {
    facts.hostRouting = asNonEmptyString(routing["intra-host-routing-mode"]);
    const inter = asNonEmptyString(routing["inter-host-routing-mode"]);
    const tunnel = asNonEmptyString(routing["tunnel-protocol"]);
    facts.routingNetwork = inter === "Tunnel" && tunnel !== undefined ? `${inter} [${tunnel}]` : inter;
  }
  if (facts.hostRouting === undefined && hostRouting !== undefined) {
    facts.hostRouting = asNonEmptyString(hostRouting["mode"]);
  }
  if (facts.hostRouting === undefined) {
    issues.push('no "host-routing.mode" (<= 1.15) or "routing.intra-host-routing-mode" (1.16+)');
  }
}

/** Mirrors the text formatter: protocols both off (or masquerading disabled) reads "Disabled". */
function jsonMasquerading(root: Record<string, unknown>, facts: Facts, issues: string[]): void {
  const masq = asRecord(root["masquerading"]);
  if (masq === undefined) {
    issues.push('no "masquerading" object');
    return;
  }
  const protocols = asRecord(masq["enabledProtocols"]);
  const enabled =
    protocols !== undefined
      ? protocols["ipv4"] === true || protocols["ipv6"] === true
      : masq["enabled"] === true;
  facts.masquerading = enabled ? asNonEmptyString(masq["mode"]) : "Disabled";
  if (facts.masquerading === undefined) issues.push('no "masquerading.mode"');
  facts.masqueradeCidr =
    asNonEmptyString(masq["snat-exclusion-cidr-v4"]) ?? asNonEmptyString(masq["snat-exclusion-cidr"]);
}

/** Healthy = no consecutive failures, as the text form counts it (pkg/client FormatStatusResponse). */
function jsonControllers(root: Record<string, unknown>, facts: Facts, issues: string[]): void {
  const controllers = root["controllers"];
  if (!Array.isArray(controllers)) {
    issues.push('no "controllers" list');
    return;
  }
  let failing = 0;
  for (const c of controllers) {
    const failures = asRecord(asRecord(c)?.["status"])?.["consecutive-failure-count"];
    if (typeof failures === "number" && failures > 0) failing++;
  }
  facts.controllersTotal = controllers.length;
  facts.controllersHealthy = controllers.length - failing;
}

function parseJson(text: string): { facts: Facts; issues: string[] } {
  const facts = emptyFacts();
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  const root = asRecord(start >= 0 && end > start ? tryParseJson(text.slice(start, end + 1)) : undefined);
  if (root === undefined)
    return { facts, issues: ["output looks like JSON but does not parse as an object"] };
  const issues: string[] = [];
  facts.ciliumVersion = jsonVersion(root, issues);
  jsonKpr(root, facts, issues);
  jsonRouting(root, facts, issues);
  jsonMasquerading(root, facts, issues);
  jsonControllers(root, facts, issues);
  return { facts, issues };
}

/**
 * Text with a line that opens a JSON object is taken as `-o json` (the text form never starts a line
 * with "{"; kubectl may print "Defaulted container ..." before the document).
 */
function looksLikeJson(text: string): boolean {
  return /^[ \t]*\{/m.test(text);
}

/** Parses `cilium status` (text, aligned or flattened) or `cilium status -o json`. Never throws. */
export function parseCiliumStatus(raw: string): CiliumStatus {
  const text = asText(raw);
  if (isBlank(text)) {
    return { raw: text, format: undefined, ...emptyFacts(), issues: ["empty output"] };
  }
  if (looksLikeJson(text)) {
    const { facts, issues } = parseJson(text);
    return { raw: text, format: "json", ...facts, issues };
  }
  const { facts, issues, recognised } = parseText(splitLines(text));
  if (!recognised) {
    return {
      raw: text,
      format: undefined,
      ...emptyFacts(),
      issues: ["not recognised as cilium status output"],
    };
  }
  return { raw: text, format: "text", ...facts, issues };
}
