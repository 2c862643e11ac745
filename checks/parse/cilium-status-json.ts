/**
 * The JSON form of `cilium status -o json`: the facts of {@link CiliumStatus} read from the
 * StatusResponse model, with what an expected field does not show listed as issues.
 */
import { VERSION, emptyFacts, type Facts } from "./cilium-status-model";
import { asNonEmptyString, asRecord, tryParseJson } from "./text";

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

/** Reads the JSON form (the object between the first "{" and the last "}"). */
export function parseJson(text: string): { facts: Facts; issues: string[] } {
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
