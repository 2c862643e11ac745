/**
 * The A/B's second stack (`bash scripts/lab.sh ab STACK`): the first stack's config plus
 * `datapathVariant: legacy-host-routing`, its own kind cluster (clusterName `<name>-legacy`) and its
 * own node subnet (the next block of the same size after the first's nodeNetwork), so that the two
 * labs exist side by side. The derived config is validated like any stack's before it is written.
 */
import * as fs from "fs";
import * as path from "path";
import * as ipaddr from "ipaddr.js";
import { parse, stringify } from "yaml";
import { cidrsOverlap, validateConfig, PROJECT } from "./config";
import { readStackConfig } from "./stackFiles";

/** The second stack's name. */
export function legacyStackName(stack: string): string {
  return `${stack}-legacy`;
}

/** Cilium checks cluster.name (at most 32 characters) from 1.16: the suffix always fits. */
const MAX_CLUSTER_NAME = 32;
const SUFFIX = "-legacy";

/** `<name>-legacy`, the name shortened first so the result has at most 32 characters. */
export function legacyClusterName(name: string): string {
  return `${name.slice(0, MAX_CLUSTER_NAME - SUFFIX.length).replace(/-+$/, "")}${SUFFIX}`;
}

/** The block of the same size right after `cidr` (172.16.10.0/24 → 172.16.11.0/24). */
export function nextBlock(cidr: string): string {
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const size = 2 ** (32 - prefix);
  const n = addr.toByteArray().reduce((acc, b) => acc * 256 + b, 0) + size;
  if (n + size > 2 ** 32) throw new Error(`nodeNetwork ${cidr} has no next block of its size`);
  const bytes = [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256);
  return `${bytes.join(".")}/${prefix}`;
}

/**
 * The YAML of Pulumi.<stack>-legacy.yaml derived from `stack` in the project `dir`: the first stack's
 * own config entries as they are (no encryption salt), with datapathVariant, clusterName,
 * nodeNetwork (and nodeNetworkName when the first sets one) overridden. Throws, naming the reason,
 * for an existing-cluster stack, a stack that already declares a variant, or a derived config that
 * does not validate.
 */
export function legacyStackYaml(dir: string, stack: string): string {
  const first = validateConfig(readStackConfig(dir, stack));
  if (first.clusterMode !== "kind") {
    throw new Error(`stack ${stack} uses clusterMode ${first.clusterMode}: the A/B builds two kind clusters`);
  }
  if (first.datapathVariant !== "bpf") {
    throw new Error(
      `stack ${stack} already declares datapathVariant ${first.datapathVariant}: the A/B starts from bpf`,
    );
  }
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const doc = fs.existsSync(file)
    ? ((parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> })
    : {};
  const own = doc.config ?? {};
  const nodeNetwork = nextBlock(first.nodeNetwork);
  if (cidrsOverlap(nodeNetwork, first.nodeNetwork)) {
    throw new Error(`the derived nodeNetwork ${nodeNetwork} overlaps ${first.nodeNetwork}`);
  }
  const key = (k: string) => `${PROJECT}:${k}`;
  const config: Record<string, unknown> = {
    ...own,
    [key("datapathVariant")]: "legacy-host-routing",
    [key("clusterName")]: legacyClusterName(first.clusterName),
    [key("nodeNetwork")]: nodeNetwork,
    ...(own[key("nodeNetworkName")] !== undefined && own[key("nodeNetworkName")] !== ""
      ? { [key("nodeNetworkName")]: `${String(own[key("nodeNetworkName")])}${SUFFIX}` }
      : {}),
  };
  const raw: Record<string, string> = { ...readStackConfig(dir, stack) };
  for (const [k, v] of Object.entries(config)) {
    if (k.startsWith(`${PROJECT}:`))
      raw[k.slice(PROJECT.length + 1)] = typeof v === "string" ? v : JSON.stringify(v);
  }
  validateConfig(raw);
  return stringify({ config });
}
