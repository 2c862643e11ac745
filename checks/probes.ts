/**
 * Probe command builders: small pure functions that return an argv (or a POSIX `sh` script) for the
 * checks to run. Every command carries its own time bound (`ping -w`, `curl --max-time`, `timeout N`),
 * because disconnecting `kubectl exec` does not always end the command inside the pod.
 *
 * Scripts that run several commands in one exec print each command's output under a section marker
 * (`=== name`) and close it with `=== exit <code>`; {@link splitSections} reads them back.
 */
import { shellJoin } from "../lib/shell";

/**
 * What a capture prints once it listens: tcpdump writes `listening on <dev>, link-type ...` to stderr
 * after setting its filter and right before reading packets (the-tcpdump-group/tcpdump `tcpdump.c`
 * line 2751 at commit 39b50f76, flushed at 2758). Capture steps declare it as `readyWhen`; their
 * traffic starts once it appeared (`startAfter`), not after a guessed head start.
 */
export const CAPTURE_READY = "listening on";

/** How long a capture listens (`timeout N tcpdump ...`): it starts before its traffic, which lasts about 3-6 s. */
export const CAPTURE_SECONDS = 8;

/**
 * Exit codes of a capture that ran as planned: 0 (tcpdump reached its packet count, or busybox
 * `timeout` passing on tcpdump's clean exit after SIGTERM), 124 (coreutils `timeout` ended it), 143
 * (128 + SIGTERM, from shells that report the signal).
 */
export const CAPTURE_OK_EXIT_CODES: readonly number[] = [0, 124, 143];

/** Exit codes of ping that still print statistics: 0 (replies), 1 (no reply before the deadline). */
export const PING_OK_EXIT_CODES: readonly number[] = [0, 1];

function positiveInt(name: string, value: number): string {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return String(value);
}

function nonNegativeInt(name: string, value: number): string {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return String(value);
}

/** `timeout N argv...`: bounds a command that has no deadline of its own. */
export function withTimeout(seconds: number, argv: readonly string[]): string[] {
  return ["timeout", positiveInt("seconds", seconds), ...argv];
}

export interface PingOptions {
  /** Echo requests to send. Defaults to 3. */
  readonly count?: number;
  /** Deadline in seconds for the whole run (`ping -w`). Defaults to 10. */
  readonly timeoutSeconds?: number;
}

/**
 * `ping -n -c COUNT -w DEADLINE IP`: numeric output (no reverse DNS, which kind's BPF host routing can
 * break), a bounded count and an overall deadline. Works with iputils (netshoot) and busybox ping.
 */
export function pingCommand(ip: string, opts: PingOptions = {}): string[] {
  const count = opts.count ?? 3;
  const deadline = opts.timeoutSeconds ?? 10;
  return ["ping", "-n", "-c", positiveInt("count", count), "-w", positiveInt("timeoutSeconds", deadline), ip];
}

/**
 * curl's write-out: a newline (so the body's last line stays separate), then
 * `<remote ip>:<remote port> <http code>` on its own line. curl prints it even when the connection
 * fails (`:0 000`), so the output is always the evidence.
 */
export const CURL_WRITE_OUT = "\\n%{remote_ip}:%{remote_port} %{http_code}\\n";

/**
 * {@link CURL_WRITE_OUT} with the connection's own end appended: `<remote> <code> <local ip>:<local
 * port>` (curl's `local_ip` / `local_port` write-out variables), so a judge can find the flow in a
 * node's tables.
 */
export const CURL_WRITE_OUT_LOCAL =
  "\\n%{remote_ip}:%{remote_port} %{http_code} %{local_ip}:%{local_port}\\n";

export interface CurlOptions {
  /** Seconds one attempt may take (`--max-time`). Defaults to 5. */
  readonly maxTimeSeconds?: number;
  /**
   * Extra attempts after a failed one (`--retry N --retry-all-errors`, one second apart), for
   * NodePort plumbing that is still being programmed after a rollout. Defaults to 0.
   */
  readonly retries?: number;
  /** Write out the local end too ({@link CURL_WRITE_OUT_LOCAL}). Defaults to false. */
  readonly local?: boolean;
}

/** Seconds a {@link curlCommand} can take at worst (every attempt timing out, plus the retry delays). */
export function curlWorstCaseSeconds(opts: CurlOptions = {}): number {
  const maxTime = opts.maxTimeSeconds ?? 5;
  const retries = opts.retries ?? 0;
  return (retries + 1) * maxTime + retries;
}

/** `curl -sS --max-time N [--retry ...] -w WRITE_OUT URL`. */
export function curlCommand(url: string, opts: CurlOptions = {}): string[] {
  const maxTime = positiveInt("maxTimeSeconds", opts.maxTimeSeconds ?? 5);
  const retries = Number(nonNegativeInt("retries", opts.retries ?? 0));
  const retry =
    retries === 0
      ? []
      : [
          "--retry",
          String(retries),
          "--retry-delay",
          "1",
          "--retry-all-errors",
          "--retry-max-time",
          String(curlWorstCaseSeconds(opts)),
        ];
  const writeOut = opts.local === true ? CURL_WRITE_OUT_LOCAL : CURL_WRITE_OUT;
  return ["curl", "-sS", "--max-time", maxTime, ...retry, "-w", writeOut, url];
}

/** What {@link parseCurlOutput} reads from a {@link curlCommand}'s output. */
export interface CurlOutput {
  readonly raw: string;
  /** The response body (everything before the write-out line), trimmed. */
  readonly body: string;
  /** `ip:port` curl connected to; undefined when it never connected. */
  readonly remote?: string;
  /** `ip:port` of curl's own end ({@link CURL_WRITE_OUT_LOCAL}); undefined when not written or not connected. */
  readonly local?: string;
  /** HTTP status; undefined when no write-out line was found; 0 when no response came back. */
  readonly httpCode?: number;
  /** curl's own error lines (`curl: (7) Failed to connect ...`). */
  readonly errors: readonly string[];
}

const WRITE_OUT_LINE = /^(?<remote>\S*:\d*) (?<code>\d{3})(?: (?<local>\S*:\d*))?$/;

/** Reads a {@link curlCommand}'s output: body, write-out line, curl errors. Never throws. */
export function parseCurlOutput(raw: string): CurlOutput {
  const lines = raw.split(/\r?\n/);
  const errors = lines.filter((l) => /^curl: \(\d+\)/.test(l.trim())).map((l) => l.trim());
  let index = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (WRITE_OUT_LINE.test(lines[i].trim())) {
      index = i;
      break;
    }
  }
  if (index < 0) return { raw, body: raw.trim(), errors };
  const m = WRITE_OUT_LINE.exec(lines[index].trim());
  const remote = m?.groups?.remote ?? "";
  const local = m?.groups?.local;
  const body = lines
    .slice(0, index)
    .filter((l) => !/^curl: \(\d+\)/.test(l.trim()) && !/^Warning: /.test(l.trim()))
    .join("\n")
    .trim();
  return {
    raw,
    body,
    remote: /^:0?$/.test(remote) ? undefined : remote,
    ...(local === undefined || /^:0?$/.test(local) ? {} : { local }),
    httpCode: Number(m?.groups?.code),
    errors,
  };
}

export interface TcpdumpOptions {
  /** Stop after this many packets (`-c`); without it the capture runs until its timeout. */
  readonly count?: number;
  /** Seconds the capture listens (`timeout N`). Defaults to {@link CAPTURE_SECONDS}. */
  readonly timeoutSeconds?: number;
}

/**
 * `timeout N tcpdump -l -p -n -e -i IFACE [-c COUNT] FILTER`: line-buffered (nothing is lost when
 * `timeout` ends it), no promiscuous mode, numeric, link-level headers (MACs) shown, as in the seed's
 * `tcpdump -pne`. The filter is one argv word; tcpdump joins its words anyway.
 */
export function tcpdumpCommand(iface: string, filter: string, opts: TcpdumpOptions = {}): string[] {
  const count = opts.count === undefined ? [] : ["-c", positiveInt("count", opts.count)];
  return withTimeout(opts.timeoutSeconds ?? CAPTURE_SECONDS, [
    "tcpdump",
    "-l",
    "-p",
    "-n",
    "-e",
    "-i",
    iface,
    ...count,
    filter,
  ]);
}

/** `conntrack -L -p tcp --dport PORT` bounded by `timeout`. conntrack prints its summary on stderr. */
export function conntrackCommand(dport: number, timeoutSeconds = 10): string[] {
  return withTimeout(timeoutSeconds, [
    "conntrack",
    "-L",
    "-p",
    "tcp",
    "--dport",
    positiveInt("dport", dport),
  ]);
}

/**
 * argv as one line of a script. Same as {@link shellJoin} (plain words stay bare, the rest is quoted);
 * kept under this name for the callers that use it.
 */
export function scriptLine(argv: readonly string[]): string {
  return shellJoin(argv);
}

/** `sh -c SCRIPT`. */
export function shCommand(script: string): string[] {
  return ["sh", "-c", script];
}

/** A named command of a multi-command script. `command` is shell text (build it with shellJoin). */
export interface ScriptSection {
  readonly name: string;
  readonly command: string;
  /** What happens to the command's stderr: merged into the section (default) or discarded (JSON output). */
  readonly stderr?: "merge" | "discard";
}

/**
 * The command in a subshell with its stderr redirected: the redirection covers every command of a
 * compound one (`a; b`), and an `exit` inside cannot skip the section's closing marker.
 */
function grouped(section: ScriptSection): string {
  return `(${section.command}) ${section.stderr === "discard" ? "2>/dev/null" : "2>&1"}`;
}

/** A section name is one line of text that cannot be mistaken for the closing marker. */
function sectionName(name: string): string {
  if (name.trim() === "" || /[\r\n]/.test(name) || /^exit \d+$/.test(name) || name !== name.trim()) {
    throw new RangeError(`not a usable section name: ${JSON.stringify(name)}`);
  }
  return name;
}

/** The lines that open a section: `echo '=== name'`. */
export function sectionHeader(name: string): string {
  return `echo ${shellJoin([`=== ${sectionName(name)}`])}`;
}

/** The line that closes a section with the exit code of the command before it. */
export const SECTION_EXIT = 'echo "=== exit $?"';

/**
 * One script running the sections one after another, each as `echo '=== name'`, the command (in a
 * subshell, stderr merged into stdout unless discarded), then `echo "=== exit $?"`.
 */
export function sectionScript(sections: readonly ScriptSection[]): string {
  return sections.flatMap((s) => [sectionHeader(s.name), grouped(s), SECTION_EXIT]).join("\n");
}

/**
 * One script running the sections at the same time (background jobs writing to a temporary
 * directory), then printing them in order as {@link sectionScript} does. For commands that each wait
 * (curl retries, captures), so the exec lasts as long as the slowest one instead of their sum.
 */
export function parallelSectionScript(sections: readonly ScriptSection[]): string {
  sections.forEach((s) => sectionName(s.name));
  return [
    "dir=$(mktemp -d) || exit 1",
    "trap 'rm -rf \"$dir\"' EXIT",
    ...sections.map((s, i) => `{ ${grouped(s)}; ${SECTION_EXIT}; } >"$dir/${i}" 2>&1 &`),
    "wait",
    ...sections.flatMap((s, i) => [sectionHeader(s.name), `cat "$dir/${i}"`]),
  ].join("\n");
}

/** One section of a script's output. */
export interface Section {
  readonly name: string;
  /** What the command printed (stdout and stderr), without the markers. */
  readonly output: string;
  /** The command's exit code; undefined when the script stopped before the section closed. */
  readonly exitCode?: number;
}

/**
 * Splits a script's output on its section markers. Text before the first marker is dropped; a name
 * seen twice keeps the first. Never throws.
 */
export function splitSections(raw: string): ReadonlyMap<string, Section> {
  const sections = new Map<string, Section>();
  let name: string | undefined;
  let lines: string[] = [];
  const close = (exitCode?: number): void => {
    if (name !== undefined && !sections.has(name)) {
      sections.set(name, { name, output: lines.join("\n"), ...(exitCode === undefined ? {} : { exitCode }) });
    }
    name = undefined;
    lines = [];
  };
  for (const line of raw.split(/\r?\n/)) {
    const exit = /^=== exit (\d+)$/.exec(line);
    if (exit) {
      close(Number(exit[1]));
      continue;
    }
    const header = /^=== (\S.*)$/.exec(line);
    if (header) {
      close();
      name = header[1].trimEnd();
      continue;
    }
    if (name !== undefined) lines.push(line);
  }
  close();
  return sections;
}
