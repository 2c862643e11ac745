/**
 * `service-table`: every Cilium agent holds the lab's service, judged from what each agent version
 * really prints.
 *
 * - `cilium service list` (every version; `cilium` is a symlink to `cilium-dbg` from 1.15) must show
 *   the ClusterIP and the NodePort on `0.0.0.0` with every test pod as an active backend.
 * - The NodePort on the agent's own node address: agents before 1.18 list it in `service list` too
 *   (seed, Cilium 1.13.0-rc5: `172.18.0.2:32000 NodePort`). From 1.18 (new load-balancing control
 *   plane, cilium/cilium#38469) `service list` serves the frontends table, where a NodePort is only
 *   `0.0.0.0:<port>/TCP` (cilium/cilium pkg/loadbalancer/cell/restapi.go @8304097 returns
 *   `fes.All()` mapped through `Frontend.ToModel`; pkg/loadbalancer/tests/testdata/nodeport.txtar
 *   @035b147: frontends table `0.0.0.0:30781/TCP` only, BPF maps `1.1.1.1:30781/TCP` as well). So the
 *   per-node frontend is proven from the BPF service map, `cilium bpf lb list`, which every version
 *   prints (cilium/cmd/bpf_lb_list.go @0a0f0d9, cilium-dbg/cmd/bpf_lb_list.go @08f0582). A node-IP
 *   row in `service list` (older agents) is judged as well when present.
 */
import { shellJoin } from "../../lib/shell";
import {
  frontendsByKey,
  lbAddress,
  parseBpfLbList,
  parseServiceList,
  type LbFrontend,
  type ServiceEntry,
} from "../parse";
import { sectionScript, shCommand, withTimeout } from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, LabNode, ProbeStep } from "../types";
import { combine, excerpt, fail, inconclusive, pass, usableSection, usableSections } from "../verdict";
import {
  STEP_MARGIN_SECONDS,
  TEST_POD_PORT,
  agentTarget,
  differsFrom,
  list,
  nodeByName,
  nodesWithout,
  stepById,
} from "./common";

const LIST_TIMEOUT_SECONDS = 20;
export const SERVICE_LIST_SECTION = "service list";
export const BPF_LB_SECTION = "bpf lb list";

/** `10.96.0.10:53/TCP` → `10.96.0.10:53` (newer agents print the protocol). */
export function withoutProtocol(address: string): string {
  return address.replace(/\/(TCP|UDP|SCTP|ANY)$/i, "");
}

/** The agent script: the service list, then the BPF service map. */
export function agentScript(): string {
  return sectionScript([
    {
      name: SERVICE_LIST_SECTION,
      command: shellJoin(withTimeout(LIST_TIMEOUT_SECONDS, ["cilium", "service", "list"])),
    },
    {
      name: BPF_LB_SECTION,
      command: shellJoin(withTimeout(LIST_TIMEOUT_SECONDS, ["cilium", "bpf", "lb", "list"])),
    },
  ]);
}

function tableStepId(node: string): string {
  return `services:${node}`;
}

function steps(ctx: LabContext): ProbeStep[] {
  return ctx.ciliumPods.map((pod) => ({
    id: tableStepId(pod.node),
    target: agentTarget(pod),
    argv: shCommand(agentScript()),
    timeoutSeconds: 2 * LIST_TIMEOUT_SECONDS + STEP_MARGIN_SECONDS,
  }));
}

function describe(entry: ServiceEntry): string {
  return (
    entry.backends.map((b) => `${b.address}${b.state ? ` (${b.state})` : ""}`).join(", ") || "no backends"
  );
}

/** Test pods missing (or not active) behind a service-list entry. */
function missingBackends(ctx: LabContext, entry: ServiceEntry): string[] {
  return ctx.testPods
    .filter((pod) => {
      const b = entry.backends.find((x) => withoutProtocol(x.address) === `${pod.ip}:${TEST_POD_PORT}`);
      return b === undefined || (b.state !== undefined && b.state.toLowerCase() !== "active");
    })
    .map((p) => `${p.ip}:${TEST_POD_PORT} (${p.name})`);
}

function findEntry(
  services: readonly ServiceEntry[],
  frontend: string,
  type: string,
): ServiceEntry | undefined {
  return services.find(
    (s) => withoutProtocol(s.frontend) === frontend && s.type.toLowerCase() === type.toLowerCase(),
  );
}

/** A `service list` frontend that must be there with every test pod as an active backend. */
function judgeFrontend(
  ctx: LabContext,
  agent: string,
  services: readonly ServiceEntry[],
  frontend: string,
  type: string,
): Judgement {
  const entry = findEntry(services, frontend, type);
  if (entry === undefined) {
    const same = services.find((s) => withoutProtocol(s.frontend) === frontend);
    const found = same === undefined ? "none" : `${same.frontend} ${same.type}`;
    const reason = `expected ${type} frontend ${frontend} on ${agent}, found ${found}`;
    // Kube-proxy replacement off: NodePorts are kube-proxy's, not in Cilium's table; ClusterIP stays
    // Cilium's either way (cilium/cilium#10651, "Handle ClusterIP svc if kube-proxy-replacement=disabled").
    return type === "NodePort" ? differsFrom(ctx, ["kube-proxy-replacement"], reason) : fail(reason);
  }
  const missing = missingBackends(ctx, entry);
  if (missing.length > 0) {
    return fail(
      `expected ${list(missing)} active behind ${type} ${frontend} on ${agent}, found ${describe(entry)}`,
    );
  }
  return pass(`${frontend} ${type} → ${entry.backends.length} backends`);
}

/** The node-address NodePort in the BPF service map (the non-internal key of that address). */
function judgeBpfNodePort(
  ctx: LabContext,
  agent: string,
  frontends: readonly LbFrontend[],
  address: string,
): Judgement {
  const entry = frontends.find((f) => f.address === address && !f.internal);
  if (entry === undefined) {
    return differsFrom(
      ctx,
      ["kube-proxy-replacement"],
      `expected NodePort ${address} in the BPF service map on ${agent} (cilium bpf lb list), found none`,
    );
  }
  if (entry.flags.length > 0 && !entry.flags.some((f) => f.toLowerCase() === "nodeport")) {
    return fail(
      `expected ${address} in the BPF service map on ${agent} to be a NodePort, found [${entry.flags.join(", ")}]`,
    );
  }
  const backends = new Set(entry.backends.map(lbAddress));
  const missing = ctx.testPods.filter((p) => !backends.has(`${p.ip}:${TEST_POD_PORT}`));
  if (missing.length > 0) {
    const want = missing.map((p) => `${p.ip}:${TEST_POD_PORT} (${p.name})`);
    return fail(
      `expected ${list(want)} behind NodePort ${address} in the BPF service map on ${agent}, found ${[...backends].join(", ") || "no backends"}`,
    );
  }
  return pass(`${address} NodePort in the BPF map → ${entry.backends.length} backends`);
}

/** One agent: service list (ClusterIP, 0.0.0.0 NodePort, node-IP row when listed) and the BPF map. */
function judgeAgent(
  ctx: LabContext,
  step: ProbeStep,
  nodeName: string,
  results: ReadonlyMap<string, ExecResult>,
): Judgement[] {
  const node: LabNode | undefined = nodeByName(ctx, nodeName);
  const agent = step.target.pod;
  const usable = usableSections(step, results);
  if (!usable.ok) return [usable.judgement];
  const list1 = usableSection(step, usable.sections, SERVICE_LIST_SECTION);
  if (!list1.ok) return [list1.judgement];
  const services = parseServiceList(list1.section.output).services;
  if (services.length === 0) {
    return [
      inconclusive(
        `no services recognised in "cilium service list" on ${agent}: ${excerpt(list1.section.output)}`,
      ),
    ];
  }
  const { nodePort, clusterIp, port } = ctx.service;
  const own: Judgement[] = [
    judgeFrontend(ctx, agent, services, `${clusterIp}:${port}`, "ClusterIP"),
    judgeFrontend(ctx, agent, services, `0.0.0.0:${nodePort}`, "NodePort"),
  ];
  if (node === undefined) {
    own.push(inconclusive(`node ${nodeName} of ${agent} is not in the node list`));
  } else {
    const address = `${node.internalIp}:${nodePort}`;
    // Agents before 1.18 list the node-address frontend; 1.18+ do not (see the file comment).
    if (findEntry(services, address, "NodePort") !== undefined) {
      own.push(judgeFrontend(ctx, agent, services, address, "NodePort"));
    }
    const lb = usableSection(step, usable.sections, BPF_LB_SECTION);
    if (!lb.ok) own.push(lb.judgement);
    else {
      const parsed = parseBpfLbList(lb.section.output);
      own.push(
        parsed.frontends.length === 0
          ? inconclusive(
              `no entries recognised in "cilium bpf lb list" on ${agent}: ${excerpt(lb.section.output)}`,
            )
          : judgeBpfNodePort(ctx, agent, frontendsByKey(parsed.frontends), address),
      );
    }
  }
  const bad = own.filter((j) => j.verdict !== "pass");
  return bad.length > 0 ? bad : [pass(`${agent}: ${own.map((j) => j.reason).join(", ")}`)];
}

function judge(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  if (ctx.ciliumPods.length === 0) return inconclusive("no Cilium agent pods found in kube-system");
  if (ctx.testPods.length === 0) return inconclusive("no test pods known: no backends to expect");
  const all = steps(ctx);
  const parts: Judgement[] = [];
  const missing = nodesWithout(ctx, ctx.ciliumPods);
  if (missing.length > 0) parts.push(inconclusive(`no Cilium agent pod on ${list(missing)}`));
  for (const pod of ctx.ciliumPods) {
    const step = stepById(all, tableStepId(pod.node));
    if (step !== undefined) parts.push(...judgeAgent(ctx, step, pod.node, results));
  }
  return combine(parts);
}

export const serviceTable: CheckDefinition = {
  name: "service-table",
  proves:
    "Every Cilium agent holds the service: the ClusterIP and the NodePort on 0.0.0.0 in its service list, and the NodePort on its node's IP in its eBPF service map, each with every test pod as an active backend.",
  restsOn: ["kube-proxy-replacement"],
  steps,
  judge,
};
