/**
 * inotify limits of the Docker host. kind: "This may be caused by running out of inotify resources
 * ... Ubuntu default to 8192 and 128 respectively, which is not enough to create a cluster with many
 * nodes", fixed with max_user_watches=524288 and max_user_instances=512 (kind
 * site/content/docs/user/known-issues.md lines 214-225). They are not namespaced, so they are read
 * from the host's /proc, and only when the daemon is local (not Docker Desktop's VM, not a remote host).
 */
import * as fs from "fs";
import * as path from "path";
import { DockerInfo } from "./docker";
import { PreflightItem } from "./types";

export const KIND_WATCHES = 524288;
export const KIND_INSTANCES = 512;

function readNumber(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isSafeInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** True when the daemon runs on this machine's kernel (a local socket, not Docker Desktop's VM). */
export function daemonIsLocal(info: DockerInfo, dockerHost: string | undefined): boolean {
  const localSocket = !dockerHost || dockerHost.startsWith("unix://");
  return localSocket && info.OSType === "linux" && !/Docker Desktop/i.test(info.OperatingSystem ?? "");
}

export function inotifyItems(procRoot: string): PreflightItem[] {
  const dir = path.join(procRoot, "sys", "fs", "inotify");
  const watches = readNumber(path.join(dir, "max_user_watches"));
  const instances = readNumber(path.join(dir, "max_user_instances"));
  const low: string[] = [];
  if (watches !== undefined && watches < KIND_WATCHES) low.push(`fs.inotify.max_user_watches=${watches}`);
  if (instances !== undefined && instances < KIND_INSTANCES) {
    low.push(`fs.inotify.max_user_instances=${instances}`);
  }
  if (low.length === 0) return [];
  return [
    {
      level: "warning",
      area: "inotify",
      message: `${low.join(", ")} are below what kind needs for multi-node clusters: sudo sysctl fs.inotify.max_user_watches=${KIND_WATCHES} fs.inotify.max_user_instances=${KIND_INSTANCES}`,
    },
  ];
}
