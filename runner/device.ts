/**
 * Finds the node's main device on clusters that are not kind (where it is always eth0): the device
 * a node uses to reach another node's InternalIP, read with `ip -o route get` in a node-probe pod.
 */
import type { Executor, LabContext } from "../checks/types";

/** `10.0.0.2 via 10.0.0.1 dev ens5 src 10.0.0.3 uid 0` → `ens5`. */
export function deviceOfRouteGet(raw: string): string | undefined {
  const m = /\bdev\s+([A-Za-z0-9_.@-]{1,15})\b/.exec(raw);
  return m ? m[1] : undefined;
}

/** The outcome of a detection: the device, or why there is none (with the command's output). */
export interface DeviceDetection {
  readonly device?: string;
  readonly problem?: string;
  readonly command?: string;
  readonly output?: string;
}

/**
 * Runs one exec in the probe pod of the first node, towards the second node's InternalIP. With a
 * single node the route to the node's own address says nothing, so it looks up the default route.
 */
export async function detectNodeDevice(
  ctx: LabContext,
  executor: Executor,
  timeoutSeconds = 10,
): Promise<DeviceDetection> {
  const [from, to] = ctx.nodes;
  const probe = ctx.probePods.find((p) => p.node === from?.name);
  if (!from || !probe) return { problem: "no node-probe pod to detect the node device from" };
  const argv = to ? ["ip", "-o", "route", "get", to.internalIp] : ["ip", "-o", "route", "show", "default"];
  const r = await executor.exec({ namespace: probe.namespace, pod: probe.name }, argv, { timeoutSeconds });
  const device = r.exitCode === 0 ? deviceOfRouteGet(r.stdout) : undefined;
  if (device === undefined) {
    return {
      problem: `could not read the node device on ${from.name} (exit ${r.exitCode ?? "none"}${r.timedOut ? ", timed out" : ""})`,
      command: r.command,
      output: `${r.stdout}${r.stderr}`,
    };
  }
  return { device, command: r.command, output: r.stdout };
}
