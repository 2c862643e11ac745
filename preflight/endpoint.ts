/**
 * Which Docker daemon the lab talks to: the endpoint of the Docker CLI's current context
 * (`docker context inspect`), which kind and the stack's scripts use, against the `host` the stack
 * gives its Pulumi Docker provider (lib/dockerEndpoint.ts says why they can differ).
 */
import { DockerEndpoint, providerEnvConflict, readDockerEndpoint } from "../lib/dockerEndpoint";
import type { PreflightItem, Runner } from "./types";

/** Where the CLI's context came from, for the message. */
function source(env: Readonly<Record<string, string | undefined>>): string {
  if (env.DOCKER_HOST) return "from DOCKER_HOST";
  if (env.DOCKER_CONTEXT) return "from DOCKER_CONTEXT";
  return "the docker CLI's current context";
}

export function endpointItems(
  run: Runner,
  env: Readonly<Record<string, string | undefined>>,
  providerHost: string | undefined,
): { endpoint?: DockerEndpoint; items: PreflightItem[] } {
  const read = readDockerEndpoint(run);
  const conflict = providerEnvConflict(env);
  const items: PreflightItem[] = [];
  if (conflict) {
    items.push({
      level: "error",
      area: "docker",
      message: `${conflict}: unset DOCKER_CONTEXT (or DOCKER_HOST) so that both use one daemon`,
    });
  }
  const endpoint = read.endpoint;
  if (!endpoint) {
    items.push({
      level: "warning",
      area: "docker",
      message: `cannot read the docker CLI's endpoint (docker context inspect: ${read.why ?? "no answer"}): the stack's Docker provider then uses ${providerHost ?? "DOCKER_HOST or unix:///var/run/docker.sock"}; make sure that is the daemon kind uses`,
    });
    return { items };
  }
  if (endpoint.tls) {
    items.push({
      level: "error",
      area: "docker",
      message: `docker context ${endpoint.context} (${endpoint.host}) uses TLS material stored in the context, which the Pulumi Docker provider cannot read: use a local daemon, or set DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH instead of the context`,
    });
  }
  if (providerHost !== undefined && providerHost !== endpoint.host) {
    items.push({
      level: "error",
      area: "docker",
      message: `the stack's Docker provider was given ${providerHost} but the docker CLI and kind now use ${endpoint.host} (context ${endpoint.context}): the network and the cluster would land in different daemons; run pulumi up again from this shell (the provider takes the CLI's endpoint at each run)`,
    });
  } else {
    items.push({
      level: "info",
      area: "docker",
      message: `Docker endpoint ${endpoint.host} (context ${endpoint.context}, ${source(env)}): the stack's Docker provider, kind and docker all use it`,
    });
  }
  return { endpoint, items };
}
