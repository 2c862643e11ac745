/**
 * The Docker host's kernel (`docker info` KernelVersion: on Docker Desktop that is its VM's kernel,
 * which is the one the kind nodes and Cilium's eBPF programs run on) and its cgroup version.
 */
import * as semver from "../lib/semver";
import { KnownImage } from "./images";
import { PreflightItem } from "./types";

/**
 * Cilium's minimum kernel per release line: 4.19.57 up to 1.15 (cilium/cilium#24258: "For Cilium v1.14,
 * the minimum required kernel version is 4.19.57"), 5.4 from 1.16 (the project's reference notes;
 * https://docs.cilium.io/en/latest/operations/system_requirements/ says ">= 5.4" today), 5.10 from
 * 1.18 (awsdocs/amazon-eks-user-guide#1163: "Cilium v1.18.3 kernel requirement ... >= 5.10").
 */
export function ciliumMinimumKernel(ciliumVersion: string): string {
  if (semver.gte(ciliumVersion, "1.18.0-pre.0")) return "5.10.0";
  if (semver.gte(ciliumVersion, "1.16.0-pre.0")) return "5.4.0";
  return "4.19.57";
}

/** BPF host routing (what the checks expect) needs kernel >= 5.10; below it Cilium uses legacy routing. */
export const BPF_HOST_ROUTING_KERNEL = "5.10.0";

/** "6.4.16-linuxkit" → "6.4.16"; "5.15.0-1019-azure" → "5.15.0". */
export function parseKernel(kernel: string | undefined): string | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(kernel ?? "");
  return m ? `${m[1]}.${m[2]}.${m[3] ?? "0"}` : undefined;
}

export function kernelItems(kernel: string | undefined, ciliumVersion: string): PreflightItem[] {
  const v = parseKernel(kernel);
  if (!v) {
    return [
      {
        level: "warning",
        area: "kernel",
        message: `cannot read the Docker host's kernel version from docker info (${JSON.stringify(kernel ?? "")}): make sure it is >= ${BPF_HOST_ROUTING_KERNEL}`,
      },
    ];
  }
  const min = ciliumMinimumKernel(ciliumVersion);
  if (semver.lt(v, min)) {
    return [
      {
        level: "error",
        area: "kernel",
        message: `the Docker host's kernel ${kernel} is below Cilium ${ciliumVersion}'s minimum ${min}: run Docker on a newer kernel (or choose an older ciliumVersion)`,
      },
    ];
  }
  if (semver.lt(v, BPF_HOST_ROUTING_KERNEL)) {
    return [
      {
        level: "warning",
        area: "kernel",
        message:
          `the Docker host's kernel ${kernel} is below ${BPF_HOST_ROUTING_KERNEL}: Cilium falls back to legacy host routing, so check ` +
          "cilium-agent-status, redirect-peer-same-node / redirect-peer-cross-node and redirect-neigh fail (Host Routing: " +
          `Legacy: no bpf_redirect_peer, the kernel forwards); use a kernel >= ${BPF_HOST_ROUTING_KERNEL} to see the lab's datapath`,
      },
    ];
  }
  return [];
}

/**
 * The host's cgroup version against the node image:
 * - cgroup v2 needs Kubernetes >= 1.19 (kind known issue "Failure to create cluster with cgroups v2").
 * - kind >= 0.20 runs nodes with --cgroupns=private (kind pkg/cluster/internal/providers/docker/
 *   provision.go line 174 at v0.20.0); images built before kind 0.20 do not expect it, which on a
 *   cgroup v1 host breaks them (kubernetes-sigs/cluster-api#8788; issue 13 of this project).
 * - Kubernetes >= 1.35 does not run on cgroup v1 by default (kubernetes-sigs/kind#4077).
 */
export function cgroupItems(
  cgroup: "1" | "2",
  image: string,
  known: KnownImage | undefined,
  kubernetesVersion: string | undefined,
  kindVersion: string | undefined,
): PreflightItem[] {
  const items: PreflightItem[] = [];
  const k8s = known?.kubernetes ?? kubernetesVersion;
  if (cgroup === "2" && k8s && semver.lt(k8s, "1.19.0")) {
    items.push({
      level: "error",
      area: "cgroup",
      message: `node image ${image} runs Kubernetes ${k8s}, which does not run on a cgroup v2 host (1.19+ does): choose a newer nodeImage`,
    });
  }
  if (cgroup === "1" && k8s && semver.gte(k8s, "1.35.0")) {
    items.push({
      level: "error",
      area: "cgroup",
      message: `node image ${image} runs Kubernetes ${k8s}, which refuses cgroup v1 hosts by default: use a cgroup v2 host or a Kubernetes <= 1.34 node image`,
    });
  }
  if (
    cgroup === "1" &&
    known &&
    kindVersion &&
    semver.gte(kindVersion, "0.20.0") &&
    semver.lt(known.kind, "0.20.0")
  ) {
    items.push({
      level: "error",
      area: "cgroup",
      message: `kind ${kindVersion} runs nodes with a private cgroup namespace, which node image ${image} (built for kind ${known.kind}) does not support on this cgroup v1 host: use kind ${known.kind}, a cgroup v2 host, or a node image built for kind >= 0.20`,
    });
  }
  return items;
}
