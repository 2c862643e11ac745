/**
 * Services without kube-proxy, seen from a pod: `nodeport-from-pod` and `clusterip-from-pod`
 * (`service-table`, the agents' own view, is in serviceTable.ts).
 *
 * Seed: `curl 172.18.0.2:32000` from `net` answers `PodName: evescn-jzms5 | PodIP: eth0 10.0.2.202/32`.
 */
import { shellJoin } from "../../lib/shell";
import {
  curlCommand,
  curlWorstCaseSeconds,
  parallelSectionScript,
  parseCurlOutput,
  shCommand,
  splitSections,
} from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../types";
import { combine, excerpt, fail, inconclusive, pass, usableStep } from "../verdict";
import { STEP_MARGIN_SECONDS, differsFrom, list, podTarget, settingOf, stepById } from "./common";

/**
 * Curl settings for service probes: 3 s per attempt, 4 retries one second apart, because NodePort
 * plumbing on each agent is asynchronous after a rollout (worst case 19 s).
 */
export const SERVICE_CURL = { maxTimeSeconds: 3, retries: 4 } as const;

/** curl exit codes that are the datapath's answer (refused, timed out, empty reply, reset), not a probe problem. */
export const CURL_DATAPATH_EXIT_CODES: readonly number[] = [0, 7, 28, 52, 56];

/** The test server's answer: `PodName: evescn-jzms5 | PodIP: eth0 10.0.2.202/32`. */
const BODY =
  /PodName:\s*(?<name>\S+)\s*\|\s*PodIP:\s*eth0\s+(?<ip>\d{1,3}(?:\.\d{1,3}){3})(?:\/(?<prefix>\d+))?/;

/**
 * Judges one HTTP probe of the test service: 200 and a body naming a test pod with its IP.
 * `exitCode` undefined means the section or step did not finish (inconclusive).
 */
export function judgeHttp(
  ctx: LabContext,
  url: string,
  output: string,
  exitCode: number | undefined,
): { judgement: Judgement; backend?: string } {
  if (exitCode === undefined)
    return { judgement: inconclusive(`curl ${url} did not finish: ${excerpt(output) || "no output"}`) };
  const curl = parseCurlOutput(output);
  if (!CURL_DATAPATH_EXIT_CODES.includes(exitCode)) {
    return {
      judgement: inconclusive(`curl ${url} exited with code ${exitCode}: ${excerpt(output) || "no output"}`),
    };
  }
  if (curl.httpCode === undefined) {
    return {
      judgement: inconclusive(`curl ${url} printed no write-out line: ${excerpt(output) || "no output"}`),
    };
  }
  if (curl.httpCode !== 200) {
    const why = curl.errors.length > 0 ? curl.errors[curl.errors.length - 1] : `exit code ${exitCode}`;
    const got = curl.httpCode === 0 ? `no response (${why})` : `HTTP ${curl.httpCode}`;
    return { judgement: fail(`expected HTTP 200 from ${url}, got ${got}`) };
  }
  const m = BODY.exec(curl.body);
  if (!m?.groups) {
    return {
      judgement: fail(
        `expected ${url} to answer with a test pod's name and IP, got: ${excerpt(curl.body) || "an empty body"}`,
      ),
    };
  }
  const { name, ip } = m.groups;
  const pod = ctx.testPods.find((p) => p.name === name);
  if (pod === undefined) {
    return {
      judgement: fail(
        `expected ${url} to be served by a test pod (${list(ctx.testPods.map((p) => p.name))}), got ${name}`,
      ),
    };
  }
  if (pod.ip !== ip)
    return { judgement: fail(`${url} was served by ${name} claiming ${ip}, but ${name} has ${pod.ip}`) };
  return { judgement: pass(`${url} → ${name} (${ip})`), backend: name };
}

function nodePortSection(ip: string, port: number): string {
  return `${ip}:${port}`;
}

function nodePortSteps(ctx: LabContext): ProbeStep[] {
  if (ctx.nodes.length === 0) return [];
  const sections = ctx.nodes.map((n) => ({
    name: nodePortSection(n.internalIp, ctx.service.nodePort),
    command: shellJoin(curlCommand(`http://${n.internalIp}:${ctx.service.nodePort}/`, SERVICE_CURL)),
  }));
  return [
    {
      id: "curl",
      target: podTarget(ctx.client),
      argv: shCommand(parallelSectionScript(sections)),
      timeoutSeconds: curlWorstCaseSeconds(SERVICE_CURL) + STEP_MARGIN_SECONDS,
    },
  ];
}

function judgeNodePort(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const step = stepById(nodePortSteps(ctx), "curl");
  if (step === undefined) return inconclusive("no nodes known: no NodePort to call");
  if (ctx.testPods.length === 0) return inconclusive("no test pods known: nothing to recognise as a backend");
  const out = usableStep(step, results);
  if (!out.ok) return out.judgement;
  const sections = splitSections(out.output);
  const parts: Judgement[] = [];
  const backends: Record<string, string> = {};
  for (const node of ctx.nodes) {
    const name = nodePortSection(node.internalIp, ctx.service.nodePort);
    const section = sections.get(name);
    const url = `http://${name}/ (${node.name})`;
    if (section === undefined) {
      parts.push(inconclusive(`no output for ${url} in "${step.id}" on ${step.target.pod}`));
      continue;
    }
    const r = judgeHttp(ctx, url, section.output, section.exitCode);
    parts.push(r.judgement);
    if (r.backend !== undefined) backends[name] = r.backend;
  }
  const verdict = combine(parts, { nodePortBackends: backends });
  // Kube-proxy replacement off: the NodePort answering is what the cluster implies, but it is then
  // kube-proxy's (or Cilium's partial mode's) doing, not proof of Cilium's eBPF translation.
  if (verdict.verdict === "pass" && settingOf(ctx, "kube-proxy-replacement") !== undefined) {
    return differsFrom(
      ctx,
      ["kube-proxy-replacement"],
      `${verdict.reason}; with kube-proxy replacement off this does not show Cilium translating it (kube-proxy may)`,
      verdict.facts,
    );
  }
  return verdict;
}

export const nodeportFromPod: CheckDefinition = {
  name: "nodeport-from-pod",
  proves:
    "The NodePort answers on every node's internal IP from a pod, served by a test pod, with no kube-proxy in the cluster: Cilium's eBPF service translation handles it.",
  restsOn: ["kube-proxy-replacement"],
  steps: nodePortSteps,
  judge: judgeNodePort,
};

function clusterIpSteps(ctx: LabContext): ProbeStep[] {
  return [
    {
      id: "curl",
      target: podTarget(ctx.client),
      argv: curlCommand(`http://${ctx.service.clusterIp}:${ctx.service.port}/`, SERVICE_CURL),
      timeoutSeconds: curlWorstCaseSeconds(SERVICE_CURL) + STEP_MARGIN_SECONDS,
    },
  ];
}

function judgeClusterIp(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const step = clusterIpSteps(ctx)[0];
  if (ctx.testPods.length === 0) return inconclusive("no test pods known: nothing to recognise as a backend");
  const out = usableStep(step, results, { okExitCodes: CURL_DATAPATH_EXIT_CODES });
  if (!out.ok) return out.judgement;
  const url = `http://${ctx.service.clusterIp}:${ctx.service.port}/`;
  const r = judgeHttp(ctx, url, out.output, results.get(step.id)?.exitCode);
  return r.backend === undefined ? r.judgement : { ...r.judgement, facts: { clusterIpBackend: r.backend } };
}

export const clusteripFromPod: CheckDefinition = {
  name: "clusterip-from-pod",
  proves:
    "The service's ClusterIP answers from a pod and is served by a test pod, translated by Cilium without kube-proxy.",
  // Cilium translates ClusterIP for pods whatever kube-proxy-replacement says (cilium/cilium#10651).
  restsOn: [],
  steps: clusterIpSteps,
  judge: judgeClusterIp,
};
