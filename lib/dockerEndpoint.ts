/**
 * The Docker endpoint: where the Docker CLI connects, so that the stack's Pulumi Docker provider talks
 * to the same daemon as `docker` and kind (which runs `docker` for everything it does).
 *
 * - The Docker CLI uses, in order: `--context`, `-H`, DOCKER_HOST (then the `default` context, whose
 *   endpoint is DOCKER_HOST), DOCKER_CONTEXT, the config file's currentContext, else `default`
 *   (docker/cli cli/command/cli.go lines 439-457 at 28f756087eea, resolveContextName).
 *   `docker context inspect` without a name inspects that context (cli/command/context/inspect.go
 *   lines 29-35) and prints its `Endpoints.docker.Host` (cli/command/context/testdata/inspect.golden).
 * - The Pulumi Docker provider (the bridged kreuzwerker/terraform-provider-docker) uses its `context`
 *   input or DOCKER_CONTEXT first (reading only the Host of that context's meta.json, never its TLS
 *   material), else its `host` input, else DOCKER_HOST, else unix:///var/run/docker.sock
 *   (internal/provider/provider.go lines 45-64 and 202-217 at 83c00e0bf3ce). It never reads the
 *   CLI's currentContext: on Docker Desktop for Linux (context desktop-linux), rootless Docker
 *   (context rootless) or Colima it talks to another daemon than kind (pulumi/pulumi-docker#720).
 * So the stack gives the provider `host` = the CLI's endpoint, and the preflight checks both agree.
 */

/** The provider's own default (terraform-provider-docker provider.go line 55). */
export const DOCKER_DEFAULT_HOST = "unix:///var/run/docker.sock";

/** What `docker context inspect` says about the context the Docker CLI uses. */
export interface DockerEndpoint {
  /** The context's name (`default` when DOCKER_HOST is set). */
  readonly context: string;
  /** Its Docker endpoint, e.g. `unix:///home/u/.docker/desktop/docker.sock`. */
  readonly host: string;
  /** The context stores TLS material, which the Docker provider cannot read from a context. */
  readonly tls: boolean;
}

interface ContextDoc {
  Name?: unknown;
  Endpoints?: { docker?: { Host?: unknown } };
  TLSMaterial?: Record<string, unknown> | null;
}

/** Reads `docker context inspect` (a JSON array of one context); undefined when it is not that. */
export function parseContextInspect(stdout: string): DockerEndpoint | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const first = (Array.isArray(doc) ? doc[0] : undefined) as ContextDoc | undefined;
  const host = first?.Endpoints?.docker?.Host;
  if (typeof first?.Name !== "string" || typeof host !== "string" || host === "") return undefined;
  const tls = Object.keys(first.TLSMaterial ?? {}).length > 0;
  return { context: first.Name, host, tls };
}

/** The outcome of one command (the shape of preflight's runner). */
export interface EndpointRunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly missing?: boolean;
}

/** Runs `docker context inspect` and reads it; `why` says what went wrong when it could not. */
export function readDockerEndpoint(run: (program: string, args: readonly string[]) => EndpointRunResult): {
  endpoint?: DockerEndpoint;
  why?: string;
} {
  const r = run("docker", ["context", "inspect"]);
  if (r.missing) return { why: "docker is not on PATH" };
  const endpoint = r.status === 0 ? parseContextInspect(r.stdout) : undefined;
  if (endpoint) return { endpoint };
  const line = r.stderr.split("\n").find((l) => l.trim() !== "");
  return {
    why: line?.trim() ?? `docker context inspect printed no context (exit status ${String(r.status)})`,
  };
}

/**
 * The `host` to give the Docker provider: the CLI's endpoint, or (when the CLI could not say, e.g.
 * docker is missing and the preflight stops anyway) what the provider would pick itself.
 */
export function providerHost(
  endpoint: DockerEndpoint | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return endpoint?.host ?? (env.DOCKER_HOST || DOCKER_DEFAULT_HOST);
}

/**
 * Environments where the provider would still pick another endpoint than the CLI, whatever `host`
 * it is given: DOCKER_CONTEXT overrides the provider's `host` (provider.go lines 204-215) while the CLI
 * lets DOCKER_HOST win over DOCKER_CONTEXT; and the provider finds no meta.json for `default`.
 */
export function providerEnvConflict(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const ctx = env.DOCKER_CONTEXT;
  if (!ctx) return undefined;
  if (env.DOCKER_HOST) {
    return `DOCKER_CONTEXT=${ctx} and DOCKER_HOST are both set: the docker CLI and kind use DOCKER_HOST, the Pulumi Docker provider DOCKER_CONTEXT`;
  }
  if (ctx === "default") {
    return "DOCKER_CONTEXT=default: the Pulumi Docker provider looks for a context named default in ~/.docker/contexts and finds none";
  }
  return undefined;
}
