/**
 * Kubernetes facts the stack policies need: the version in a kind node image tag, the control-plane
 * taints of that version, and the toleration matching rules of the scheduler.
 */
import { Plain, field, isRecord, str } from "./props";

/** Major/minor read from a kind node image tag: `kindest/node:v1.33.1@sha256:...` → 1.33. */
export interface KubeMinor {
  readonly major: number;
  readonly minor: number;
}

/** The Kubernetes version in a node image tag (`v1.23.4`), undefined when the tag is no version. */
export function kubernetesVersionOfImage(image: string): KubeMinor | undefined {
  const withoutDigest = image.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.indexOf(":", lastSlash + 1);
  if (colon < 0) return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(withoutDigest.slice(colon + 1));
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export const MASTER_TAINT = "node-role.kubernetes.io/master";
export const CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane";

/**
 * The NoSchedule taint keys kubeadm puts on control-plane nodes: `master` below 1.24, both on 1.24,
 * `control-plane` from 1.25. Both when the version is not known.
 */
export function controlPlaneTaintKeys(version: KubeMinor | undefined): string[] {
  if (version === undefined) return [MASTER_TAINT, CONTROL_PLANE_TAINT];
  const v = version.major * 1000 + version.minor;
  if (v < 1024) return [MASTER_TAINT];
  if (v === 1024) return [MASTER_TAINT, CONTROL_PLANE_TAINT];
  return [CONTROL_PLANE_TAINT];
}

/**
 * Whether a toleration (as in a pod spec) tolerates the taint `key` with an empty value and effect
 * `effect`, by the scheduler's rules: an empty effect matches every effect; an empty key with
 * operator Exists matches every key; operator Exists ignores the value; Equal (the default) needs
 * equal values.
 */
export function tolerates(toleration: Plain, key: string, effect: string): boolean {
  if (!isRecord(toleration)) return false;
  const tEffect = str(field(toleration, "effect")) ?? "";
  if (tEffect !== "" && tEffect !== effect) return false;
  const operator = str(field(toleration, "operator")) ?? "Equal";
  const tKey = str(field(toleration, "key")) ?? "";
  if (tKey === "") return operator === "Exists";
  if (tKey !== key) return false;
  if (operator === "Exists") return true;
  return operator === "Equal" && (str(field(toleration, "value")) ?? "") === "";
}
