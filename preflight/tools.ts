/** kubectl and the Pulumi CLI: present, and in range. */
import * as semver from "../lib/semver";
import { PreflightItem, Runner, failure } from "./types";

/**
 * The oldest Pulumi CLI the lab's lifecycle works with (README "Lifecycle"):
 * - 3.134.0: PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER, which lets scripts/lab.sh keep the passphrase
 *   salt out of the tracked stack file (pulumi/pulumi changelog/v3.134.0.md line 18);
 * - 3.52.0: `deletedWith` as the Node SDK sends it (CHANGELOG "Fix DeletedWith resource option",
 *   #11883; the option itself is from 3.46.1), which destroy after a hand-deleted cluster relies on;
 * - 3.44.0: typed project config.
 * Not needed and in no release up to v3.259.0: the skip of a `deletedWith` delete when the target is
 * replaced (pulumi/pulumi#23818), so the README's recovery is destroy, then up.
 */
export const MIN_PULUMI = "3.134.0";

/** `kubectl version --client -o json` → clientVersion.gitVersion without the "v". */
export function parseKubectlVersion(stdout: string): string | undefined {
  try {
    const doc = JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } };
    const v = semver.coerce(doc.clientVersion?.gitVersion ?? "");
    return v ? v.version : undefined;
  } catch {
    return undefined;
  }
}

/** kubectl is supported within one minor version of the cluster (Kubernetes version skew policy). */
export function kubectlItems(run: Runner, kubernetesVersion: string | undefined): PreflightItem[] {
  const r = run("kubectl", ["version", "--client", "-o", "json"]);
  if (r.missing) {
    return [
      {
        level: "error",
        area: "tools",
        message:
          "kubectl is not installed (not found on PATH): install it (https://kubernetes.io/docs/tasks/tools/)",
      },
    ];
  }
  const v = parseKubectlVersion(r.stdout);
  if (!v) {
    return [
      {
        level: "warning",
        area: "tools",
        message: `cannot read kubectl's version (${failure(r)}): make sure kubectl works`,
      },
    ];
  }
  if (kubernetesVersion) {
    const skew = Math.abs(semver.minor(v) - semver.minor(kubernetesVersion));
    if (semver.major(v) !== semver.major(kubernetesVersion) || skew > 1) {
      return [
        {
          level: "warning",
          area: "tools",
          message: `kubectl ${v} is more than one minor version away from the cluster's Kubernetes ${kubernetesVersion} (the supported skew): install kubectl 1.${semver.minor(kubernetesVersion)}`,
        },
      ];
    }
  }
  return [];
}

/** `pulumi version` prints "v3.187.0". */
export function parsePulumiVersion(stdout: string): string | undefined {
  const v = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/.exec(stdout.trim());
  return v && semver.valid(v[1]) ? v[1] : undefined;
}

export function pulumiItems(run: Runner): PreflightItem[] {
  const r = run("pulumi", ["version"]);
  if (r.missing) {
    return [
      {
        level: "error",
        area: "tools",
        message:
          "the Pulumi CLI is not installed (not found on PATH): install it (https://www.pulumi.com/docs/install/)",
      },
    ];
  }
  const v = parsePulumiVersion(r.stdout);
  if (!v) {
    return [
      { level: "warning", area: "tools", message: `cannot read the Pulumi CLI's version (${failure(r)})` },
    ];
  }
  if (semver.lt(v, MIN_PULUMI)) {
    return [
      {
        level: "error",
        area: "tools",
        message: `Pulumi CLI ${v} is older than ${MIN_PULUMI}: upgrade it (https://www.pulumi.com/docs/install/)`,
      },
    ];
  }
  return [];
}
