/**
 * Reading `kind create cluster` out of any stack's `command:local:Command`: the node image and the
 * kind config kind will read, from the command's `create` script and `stdin`.
 *
 * kind reads its config from `--config <file>`, or from stdin with `--config -`
 * (kubernetes-sigs/kind pkg/cmd/kind/create/cluster/createcluster.go, `configOption`: "it will read
 * from stdin if the flag value is `-`"; `--image`: "node docker image to use for booting the
 * cluster"). Without `--config` kind uses its defaults (kindnet as CNI, kube-proxy in iptables mode:
 * https://kind.sigs.k8s.io/docs/user/configuration/). A per-node `image` in the config wins over
 * `--image` (same page, "Nodes").
 *
 * What is understood: simple `name=value` / `export name=value` assignments (expanded in later
 * lines), backslash line continuations, `kind create cluster` anywhere in a line (after `timeout`,
 * `env`, ...), `--config -` fed by the Command's `stdin`, by a heredoc on the same line
 * (`kind create cluster --config - <<EOF`) or piped from one (`cat <<EOF | kind create cluster
 * --config=-`), and `--config <file>` where the script writes `<file>` from a heredoc
 * (`cat > <file> <<EOF`, `cat <<EOF > <file>`, `tee <file> <<EOF`). Any other `--config <file>` is
 * a file kind reads from the Command's working directory: its `dir` input, else the provider's own
 * working directory (pulumi-command v1.2.1 provider/pkg/provider/local/commandOutputs.go lines 73-77,
 * `cmd.Dir = *in.Dir` or `os.Getwd()`), which is the program's directory: ./kind.ts reads it there.
 */
import { parse } from "shell-quote";
import { Plain, need } from "./props";

/** Where the kind config comes from, and its text when the pack can read it. */
export type KindConfigText =
  | { readonly kind: "text"; readonly text: string; readonly from: string }
  | { readonly kind: "none" }
  /** `--config <file>` the script does not write: kind reads it from the Command's `dir` (or the program's). */
  | { readonly kind: "file"; readonly path: string; readonly dir?: string }
  | { readonly kind: "unreadable"; readonly problem: string };

/** A `kind create cluster` found in a command. */
export interface KindCreate {
  /** The `--image` value; undefined when not given (or not readable). */
  readonly image?: string;
  readonly config: KindConfigText;
}

interface Heredoc {
  /** The line (after joining continuations) that opens it. */
  readonly line: string;
  readonly body: string;
}

const HEREDOC = /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/;

/** Splits a script into command lines and the heredocs they open. */
function linesOf(script: string): { line: string; heredoc?: Heredoc }[] {
  const raw = script.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const out: { line: string; heredoc?: Heredoc }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i];
    const m = HEREDOC.exec(line);
    if (!m) {
      out.push({ line });
      continue;
    }
    const stripTabs = /<<-/.test(line);
    const body: string[] = [];
    for (i++; i < raw.length; i++) {
      const l = stripTabs ? raw[i].replace(/^\t+/, "") : raw[i];
      if (l === m[2]) break;
      body.push(l);
    }
    out.push({ line, heredoc: { line, body: body.length ? `${body.join("\n")}\n` : "" } });
  }
  return out;
}

type Token = string | { op: string } | { comment: string } | { pattern: string; op: "glob" };

/** The words of a line, variables expanded (unknown ones stay `$name`). */
function words(line: string, vars: Map<string, string>): Token[] {
  return parse(line, (key: string) => vars.get(key) ?? `$${key}`) as Token[];
}

/** True when tokens[i..] reads `kind create cluster` (kind possibly given as a path). */
function isKindCreate(tokens: Token[], i: number): boolean {
  const t = tokens[i];
  return (
    typeof t === "string" &&
    (t === "kind" || t.endsWith("/kind")) &&
    tokens[i + 1] === "create" &&
    tokens[i + 2] === "cluster"
  );
}

/** The value of `--flag v` or `--flag=v` after index `from`, up to the next operator. */
function flag(tokens: Token[], from: number, name: string): string | undefined {
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i];
    if (typeof t !== "string") return undefined;
    if (t === name) return typeof tokens[i + 1] === "string" ? (tokens[i + 1] as string) : undefined;
    if (t.startsWith(`${name}=`)) return t.slice(name.length + 1);
  }
  return undefined;
}

/** The file a heredoc line writes (`cat > f <<EOF`, `cat <<EOF > f`, `tee f <<EOF`). */
function heredocTarget(tokens: Token[]): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (typeof t === "object" && "op" in t && (t.op === ">" || t.op === ">>")) {
      return typeof tokens[i + 1] === "string" ? (tokens[i + 1] as string) : undefined;
    }
    if (t === "tee" && typeof tokens[i + 1] === "string") return tokens[i + 1] as string;
  }
  return undefined;
}

/**
 * The `kind create cluster` of a Command's props (a snapshot), or undefined when its `create`
 * runs none. An unknown `create` (or an unknown `stdin` that kind would read) throws the engine's
 * error: the policy then cannot run during preview.
 */
export function kindCreateOf(props: Plain): KindCreate | undefined {
  const create = need(props, "create");
  if (typeof create !== "string" || !/\bkind\b[^\n]*\bcreate\b[^\n]*\bcluster\b/.test(create)) {
    return undefined;
  }
  const vars = new Map<string, string>();
  const written = new Map<string, string>();
  for (const { line, heredoc } of linesOf(create)) {
    const tokens = words(line, vars);
    const start = tokens.findIndex((_, i) => isKindCreate(tokens, i));
    if (start < 0) {
      if (heredoc) {
        const target = heredocTarget(tokens);
        if (target !== undefined) written.set(target, heredoc.body);
      }
      // name=value and export name=value, alone on the line or chained with ;/&&.
      // A value from a command substitution (`dir=$(mktemp -d)`) is not known: `$dir` stays as written.
      tokens.forEach((t, i) => {
        if (typeof t !== "string") return;
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(t);
        if (!m) return;
        const next = tokens[i + 1];
        const substituted = m[2].endsWith("$") && typeof next === "object" && "op" in next && next.op === "(";
        if (substituted) vars.delete(m[1]);
        else vars.set(m[1], m[2]);
      });
      continue;
    }
    const image = flag(tokens, start + 3, "--image");
    const configPath = flag(tokens, start + 3, "--config");
    const imageKnown = image !== undefined && !image.includes("$") ? image : undefined;
    if (configPath === undefined) return { image: imageKnown, config: { kind: "none" } };
    if (configPath === "-" || configPath === "/dev/stdin") {
      if (heredoc)
        return { image: imageKnown, config: { kind: "text", text: heredoc.body, from: "a heredoc" } };
      const stdin = need(props, "stdin");
      if (typeof stdin === "string" && stdin.trim() !== "") {
        return { image: imageKnown, config: { kind: "text", text: stdin, from: "the Command's stdin" } };
      }
      return {
        image: imageKnown,
        config: {
          kind: "unreadable",
          problem: "kind create cluster --config - with no stdin given to the Command",
        },
      };
    }
    const body = written.get(configPath);
    if (body !== undefined) {
      return {
        image: imageKnown,
        config: { kind: "text", text: body, from: `the file ${configPath} the command writes` },
      };
    }
    const dir = need(props, "dir");
    return {
      image: imageKnown,
      config: { kind: "file", path: configPath, ...(typeof dir === "string" && dir !== "" ? { dir } : {}) },
    };
  }
  return undefined;
}
