/**
 * The node subnet against every existing Docker network, read with `docker network ls --format
 * '{{json .}}'` (one JSON object per line, docker/cli cli/command/network/formatter_test.go lines
 * 211-229) and `docker network inspect <names...>` (a JSON array of the daemon's network documents).
 * Creating a network whose subnet overlaps another fails with "Pool overlaps with other one on this
 * address space" (the text kind checks for: kind pkg/cluster/internal/providers/docker/network.go
 * line 282), so an overlap is an error here, before anything is created.
 */
import * as ipaddr from "ipaddr.js";
import { PreflightItem, Runner, failure } from "./types";
import { NETWORK_OWNER_LABEL } from "../lib/labels";

/**
 * Docker's default address pools: local 172.17.0.0/16, 172.18.0.0/16, 172.19.0.0/16, 172.20.0.0/14,
 * 172.24.0.0/14, 172.28.0.0/14, 192.168.0.0/16 (split in /20s), global 10.0.0.0/8 (moby
 * daemon/libnetwork/ipamutils/utils.go lines 10-21).
 */
export const DOCKER_DEFAULT_POOLS: readonly string[] = [
  "172.17.0.0/16",
  "172.18.0.0/16",
  "172.19.0.0/16",
  "172.20.0.0/14",
  "172.24.0.0/14",
  "172.28.0.0/14",
  "192.168.0.0/16",
  "10.0.0.0/8",
];

/** A Docker network as `docker network inspect` describes it (the fields read here). */
export interface DockerNetwork {
  readonly Name: string;
  readonly IPAM?: { readonly Config?: readonly { readonly Subnet?: string }[] | null };
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** Lists and inspects every Docker network; `networks` is undefined when Docker could not tell. */
export function readNetworks(run: Runner): { networks?: DockerNetwork[]; items: PreflightItem[] } {
  const ls = run("docker", ["network", "ls", "--format", "{{json .}}"]);
  const names: string[] = [];
  for (const line of ls.stdout.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const name = (JSON.parse(line) as { Name?: unknown }).Name;
      if (typeof name === "string" && name !== "") names.push(name);
    } catch {
      // not a JSON line: ignored; an empty list is reported below
    }
  }
  if (ls.status !== 0 || names.length === 0) {
    return {
      items: [
        {
          level: "warning",
          area: "subnets",
          message: `cannot list Docker networks (${failure(ls)}): check by hand that no network overlaps nodeNetwork (docker network inspect $(docker network ls -q))`,
        },
      ],
    };
  }
  const inspect = run("docker", ["network", "inspect", ...names]);
  try {
    const doc = JSON.parse(inspect.stdout) as DockerNetwork[];
    if (!Array.isArray(doc)) throw new Error("not an array");
    return { networks: doc, items: [] };
  } catch {
    return {
      items: [
        {
          level: "warning",
          area: "subnets",
          message: `cannot read docker network inspect (${failure(inspect)}): check by hand that no network overlaps nodeNetwork`,
        },
      ],
    };
  }
}

function v4(cidr: string): [ipaddr.IPv4, number] | undefined {
  try {
    const [addr, prefix] = ipaddr.parseCIDR(cidr);
    return addr.kind() === "ipv4" ? [addr as ipaddr.IPv4, prefix] : undefined;
  } catch {
    return undefined;
  }
}

/** True when two IPv4 CIDRs share an address (false when either is not IPv4). */
export function overlaps(a: string, b: string): boolean {
  const pa = v4(a);
  const pb = v4(b);
  return !!pa && !!pb && pa[0].match(pb[0], Math.min(pa[1], pb[1]));
}

/** True when `network` carries this stack's owner label (whatever its name). */
export function isOwnedBy(network: DockerNetwork, stackLabel: string): boolean {
  return (network.Labels ?? {})[NETWORK_OWNER_LABEL] === stackLabel;
}

/**
 * A free block for the nodes: the first block of the same size (at least /24, at most /16) inside
 * 172.16.0.0/16, the /16 Docker's default pools skip, that overlaps none of `taken`.
 */
export function suggestFreeRange(nodeNetwork: string, taken: readonly string[]): string | undefined {
  const prefix = Math.min(Math.max(v4(nodeNetwork)?.[1] ?? 24, 16), 24);
  const step = 2 ** (24 - prefix);
  for (let third = 0; third < 256; third += step) {
    const candidate = `172.16.${third}.0/${prefix}`;
    if (!taken.some((t) => overlaps(candidate, t))) return candidate;
  }
  return undefined;
}

/** Judges nodeNetwork against the existing networks (the stack's own network excepted). */
export function subnetItems(
  networks: readonly DockerNetwork[],
  input: {
    nodeNetwork: string;
    nodeNetworkName: string;
    stackLabel: string;
    nativeRoutingCidr: string;
    podCidr: string;
  },
): PreflightItem[] {
  const items: PreflightItem[] = [];
  const taken = [input.nativeRoutingCidr, input.podCidr];
  const clashes: string[] = [];
  for (const net of networks) {
    const subnets = (net.IPAM?.Config ?? []).map((c) => c.Subnet ?? "").filter((s) => v4(s));
    // Any network labelled as this stack's is its own (an earlier nodeNetworkName included: the
    // stack replaces it, delete first), so it is no obstacle.
    if (isOwnedBy(net, input.stackLabel)) continue;
    taken.push(...subnets);
    if (net.Name === input.nodeNetworkName) {
      items.push({
        level: "error",
        area: "subnets",
        message: `a Docker network named ${net.Name} already exists and is not this stack's: remove it (docker network rm ${net.Name}) or set cilium-ebpf-lab:nodeNetworkName to another name`,
      });
    }
    for (const s of subnets) if (overlaps(s, input.nodeNetwork)) clashes.push(`${net.Name} (${s})`);
  }
  if (clashes.length > 0) {
    const free = suggestFreeRange(input.nodeNetwork, taken);
    items.push({
      level: "error",
      area: "subnets",
      message:
        `nodeNetwork ${input.nodeNetwork} overlaps Docker network ${clashes.join(", ")}: ` +
        (free
          ? `choose a free range, e.g. pulumi config set nodeNetwork ${free}`
          : "choose a free range (pulumi config set nodeNetwork <cidr>) or remove that network"),
    });
  }
  return items;
}
