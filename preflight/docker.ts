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
  return { info: doc, items: dockerVersionItems(doc) };
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
