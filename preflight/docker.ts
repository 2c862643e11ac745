/**
 * The Docker daemon, read only through `docker info --format '{{json .}}'` (the daemon's /info
 * document; docker/cli cli/command/system/info.go). With the daemon down the CLI prints a document
 * whose ServerErrors says why (docker/cli cli/command/system/testdata/docker-info-errors.json.golden).
 */
import * as semver from "../lib/semver";
import { PreflightItem, Runner, failure } from "./types";

/** The fields of `docker info` the preflight reads. */
export interface DockerInfo {
  readonly ServerVersion?: string;
  readonly KernelVersion?: string;
  /** "1" or "2"; absent before Docker 20.10 (moby PR #40662 added it with cgroup v2 support). */
  readonly CgroupVersion?: string;
  readonly OperatingSystem?: string;
  readonly OSType?: string;
  readonly ServerErrors?: readonly string[];
  /** e.g. "name=seccomp,profile=builtin", "name=rootless" (moby daemon/info.go lines 198-226). */
  readonly SecurityOptions?: readonly string[] | null;
}

/** Podman's `info` document (what `docker info` prints when `docker` is podman): no ServerVersion. */
interface PodmanInfo {
  readonly host?: { readonly buildahVersion?: string };
  readonly store?: unknown;
  readonly version?: { readonly Version?: string };
}

/**
 * Podman answering as `docker` is not supported: kind picks its docker provider only when `docker -v`
 * starts with "Docker version" and otherwise its podman provider (kind v0.29.0
 * pkg/cluster/provider.go lines 114-126, pkg/cluster/internal/providers/docker/util.go lines 27-34),
 * which reads KIND_EXPERIMENTAL_PODMAN_NETWORK, not the KIND_EXPERIMENTAL_DOCKER_NETWORK the stack
 * sets (providers/podman/provider.go line 79): the nodes would not join the stack's network.
 */
export function podmanItem(doc: unknown): PreflightItem | undefined {
  const p = doc as PodmanInfo | undefined;
  if (!p || typeof p !== "object" || typeof p.host !== "object" || typeof p.store !== "object")
    return undefined;
  return {
    level: "error",
    area: "docker",
    message: `docker is podman${p.version?.Version ? ` ${p.version.Version}` : ""} (its info has no ServerVersion), which this lab does not support: kind would use its podman provider and ignore the stack's Docker network (KIND_EXPERIMENTAL_DOCKER_NETWORK); install Docker Engine >= 20.10`,
  };
}

/**
 * Rootless Docker (SecurityOptions "name=rootless", moby daemon/info.go lines 215-217). kind's rootless
 * guide asks for cgroup v2, systemd `Delegate=yes` for user services and the ip6_tables, ip6table_nat,
 * ip_tables and iptable_nat modules loaded (kind v0.29.0 site/content/docs/user/rootless.md lines
 * 16-52); those we cannot see from here. Cilium's datapath is the point of the lab, and its agent
 * loads and attaches tc/tcx eBPF programs: without a BPF token the kernel checks CAP_BPF /
 * CAP_NET_ADMIN / CAP_SYS_ADMIN with capable(), in the initial user namespace (the BPF token series,
 * Linux 6.9, bpf_token_capable: "otherwise fallback to capable() checks"), which a rootless daemon's
 * containers do not have (their capabilities are the user namespace's), and Cilium creates no token.
 * Reasoned from those sources, not run here: an error, since the checks could only fail.
 */
export function rootlessItems(info: DockerInfo): PreflightItem[] {
  if (!(info.SecurityOptions ?? []).includes("name=rootless")) return [];
  return [
    {
      level: "error",
      area: "docker",
      message:
        "the Docker daemon runs rootless, which this lab does not support: Cilium's agent must load eBPF programs, which needs CAP_BPF/CAP_NET_ADMIN in the host's initial user namespace, and a rootless daemon's containers only have them in the user's namespace " +
        `(kind's rootless guide also needs cgroup v2${info.CgroupVersion === "2" ? "" : ", which this daemon does not have"}, systemd Delegate=yes and the iptables modules); use a rootful Docker Engine (docker context use default)`,
    },
  ];
}

/** Docker 20.10 is the first release with cgroup v2 support and CgroupVersion in `docker info`. */
export const MIN_DOCKER = "20.10.0";

/** Runs and reads `docker info`; `info` is undefined when the daemon cannot be used. */
export function readDockerInfo(run: Runner): { info?: DockerInfo; items: PreflightItem[] } {
  const r = run("docker", ["info", "--format", "{{json .}}"]);
  if (r.missing) {
    return {
      items: [
        {
          level: "error",
          area: "docker",
          message:
            "docker is not installed (not found on PATH): install Docker Engine >= 20.10 (https://docs.docker.com/engine/install/)",
        },
      ],
    };
  }
  let doc: DockerInfo | undefined;
  try {
    const parsed = JSON.parse(r.stdout.trim()) as unknown;
    doc = parsed && typeof parsed === "object" ? (parsed as DockerInfo) : undefined;
  } catch {
    doc = undefined;
  }
  const serverErrors = doc?.ServerErrors ?? [];
  const podman = serverErrors.length === 0 && !doc?.ServerVersion ? podmanItem(doc) : undefined;
  if (podman) return { items: [podman] };
  if (!doc || serverErrors.length > 0 || !doc.ServerVersion) {
    const why = serverErrors[0] ?? failure(r);
    return {
      items: [
        {
          level: "error",
          area: "docker",
          message: `the Docker daemon is not reachable (${why}): start it (sudo systemctl start docker, or Docker Desktop) or point DOCKER_HOST at it`,
        },
      ],
    };
  }
  return { info: doc, items: [...dockerVersionItems(doc), ...rootlessItems(doc)] };
}

/** Judges the daemon's version. */
export function dockerVersionItems(info: DockerInfo): PreflightItem[] {
  // Docker's versions may carry leading zeros ("17.06.1-ce"), which semver refuses: read the numbers.
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(info.ServerVersion ?? "");
  const v = m ? `${Number(m[1])}.${Number(m[2])}.${Number(m[3] ?? 0)}` : undefined;
  if (v && semver.lt(v, MIN_DOCKER)) {
    return [
      {
        level: "warning",
        area: "docker",
        message: `Docker ${info.ServerVersion} is older than ${MIN_DOCKER} (the first with cgroup v2 support and CgroupVersion in docker info): upgrade Docker Engine`,
      },
    ];
  }
  return [];
}

/** The cgroup version of the Docker host: "1" when `docker info` predates the field (Docker < 20.10). */
export function cgroupVersion(info: DockerInfo): "1" | "2" {
  return info.CgroupVersion === "2" ? "2" : "1";
}
