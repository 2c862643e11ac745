/**
 * The preflight: checks the machine before anything is created and returns one item per problem,
 * each naming the fix. Errors stop (the stack's first Command fails, `npm run preflight` exits 1);
 * warnings are printed and the run goes on. Pure apart from the injected runner and /proc root.
 */
import { cgroupVersion, readDockerInfo } from "./docker";
import { endpointItems } from "./endpoint";
import { knownImage } from "./images";
import { daemonIsLocal, inotifyItems } from "./inotify";
import { hostToolItems } from "./hostTools";
import { cgroupItems, kernelItems } from "./kernel";
import { clusterItems, kindVersionItems } from "./kind";
import { isOwnedBy, readNetworks, subnetItems } from "./subnets";
import { kubectlItems, pulumiItems } from "./tools";
import type { PreflightEnv, PreflightInput, PreflightItem } from "./types";

export type { PreflightEnv, PreflightInput, PreflightItem } from "./types";

export function runPreflight(input: PreflightInput, env: PreflightEnv): PreflightItem[] {
  const { run } = env;
  const items: PreflightItem[] = [];
  const known = knownImage(input.nodeImage);
  const kubernetes = known?.kubernetes ?? input.kubernetesVersion;

  if (input.clusterMode === "kind") {
    const docker = readDockerInfo(run);
    items.push(...docker.items);
    const endpoint = docker.info
      ? endpointItems(run, env.environment ?? process.env, input.dockerHost)
      : { items: [] };
    items.push(...endpoint.items);
    const kind = kindVersionItems(run, input.nodeImage, known);
    items.push(...kind.items);
    if (docker.info) {
      const info = docker.info;
      items.push(...kernelItems(info.KernelVersion, input.ciliumVersion));
      items.push(...cgroupItems(cgroupVersion(info), input.nodeImage, known, kubernetes, kind.version));
      const nets = readNetworks(run);
      items.push(...nets.items);
      let own: string[] = [];
      if (nets.networks) {
        items.push(...subnetItems(nets.networks, input));
        own = nets.networks.filter((n) => isOwnedBy(n, input.stackLabel)).map((n) => n.Name);
      }
      if (kind.version) items.push(...clusterItems(run, input.clusterName, own));
      if (daemonIsLocal(info, endpoint.endpoint?.host ?? env.dockerHost))
        items.push(...inotifyItems(env.procRoot ?? "/proc"));
    }
  }
  // The node image is the cluster's Kubernetes only in kind mode; an existing cluster runs its own
  // version, which the preflight does not ask for (it contacts no cluster): no skew judged there (a
  // real existing-mode run warned "kubectl 1.36.1 ... away from the cluster's Kubernetes 1.23.17" on a
  // 1.36.1 cluster: docs/notes/issue23-apiserver-runs.md, defect 4).
  items.push(...kubectlItems(run, input.clusterMode === "kind" ? kubernetes : undefined));
  items.push(...pulumiItems(run));
  items.push(...hostToolItems(run, env.platform));
  return items;
}

const ORDER = { error: 0, warning: 1, info: 2 } as const;
const PREFIX = { error: "ERROR  ", warning: "warning", info: "info   " } as const;

/** One line per item, errors first, then warnings, then what was found; then a summary line. */
export function formatItems(items: readonly PreflightItem[]): string {
  const sorted = [...items].sort((a, b) => ORDER[a.level] - ORDER[b.level]);
  const lines = sorted.map((i) => `${PREFIX[i.level]} [${i.area}] ${i.message}`);
  const errors = items.filter((i) => i.level === "error").length;
  const warnings = items.filter((i) => i.level === "warning").length;
  lines.push(
    errors > 0
      ? `preflight: ${errors} error(s), ${warnings} warning(s): fix the errors above, then run again`
      : `preflight: no errors, ${warnings} warning(s)`,
  );
  return lines.join("\n") + "\n";
}
