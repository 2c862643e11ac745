/**
 * The miniature's eBPF datapath (test/integration/bpf/): our own two tc programs, compiled at test
 * time with Debian's clang and libbpf headers, attached with tc (clsact, direct-action) on every
 * pod's host-side veth (`from_container`) and every node's eth0 (`from_netdev`), with their verdict
 * counters read with bpftool. Not Cilium: each program's header names the Cilium code path it stands
 * in for.
 *
 * {@link BpfDatapath.detach} removes every clsact qdisc it added and waits until the kernel has
 * freed every program it loaded; the lab's own destroy (namespaces) removes anything left on exit.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import type { MiniLab } from "./netnsLab";

export const BPF_SOURCES = path.resolve(__dirname, "../integration/bpf");
export const BPF_TOOLS = ["clang", "tc", "bpftool"] as const;

export type BpfProgram = "from_container" | "from_netdev";

/** How the packets a program saw left it (the `verdicts` array map of miniature.h, in its order). */
export interface VerdictCounts {
  readonly redirectPeer: number;
  readonly redirect: number;
  readonly redirectNeigh: number;
  readonly toStack: number;
}

export interface BpfAttachment {
  readonly node: string;
  readonly dev: string;
  readonly program: BpfProgram;
  readonly progId: number;
  readonly mapId: number;
}

/** Runs argv with a timeout; throws with stderr when it fails. */
function run(argv: readonly string[], timeoutMs = 30000): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr || r.error || `exit ${r.status}`}`);
  return r.stdout;
}

/** Compiles one program; `defines` become `-DKEY=VALUE` (numbers only: nothing reaches a shell). */
export function compileProgram(program: BpfProgram, out: string, defines: Record<string, number> = {}): void {
  const multiarch = run(["clang", "-print-multiarch"]).trim();
  run([
    "clang",
    "-O2",
    "-g",
    "-Wall",
    "-Werror",
    "-target",
    "bpf",
    `-I/usr/include/${multiarch}`,
    ...Object.entries(defines).map(([k, v]) => `-D${k}=${Math.trunc(v)}`),
    "-c",
    path.join(BPF_SOURCES, `${program}.c`),
    "-o",
    out,
  ]);
}

/** The program id of the tc filter on a device's ingress (`tc -j filter show`). */
function filterProgId(lab: MiniLab, node: string, dev: string): number {
  const filters = JSON.parse(lab.exec(node, "tc", "-j", "filter", "show", "dev", dev, "ingress")) as {
    options?: { prog?: { id?: number } };
  }[];
  const id = filters.map((f) => f.options?.prog?.id).find((x) => x !== undefined);
  if (id === undefined) throw new Error(`no BPF program on ${node}/${dev} ingress after attaching`);
  return id;
}

/** The commands that attach a program to a device's ingress: a clsact qdisc, then the tc filter. */
function attachArgv(dev: string, object: string): string[][] {
  return [
    ["tc", "qdisc", "add", "dev", dev, "clsact"],
    [
      "tc",
      "filter",
      "add",
      "dev",
      dev,
      "ingress",
      "bpf",
      "direct-action",
      "object-file",
      object,
      "section",
      "tc",
    ],
  ];
}

/** True while the kernel still holds the program (`bpftool prog show id` fails once it is freed). */
export function programLoaded(id: number): boolean {
  return spawnSync("bpftool", ["prog", "show", "id", String(id)], { timeout: 10000 }).status === 0;
}

export class BpfDatapath {
  readonly attachments: BpfAttachment[] = [];

  constructor(private readonly lab: MiniLab) {}

  /** Adds a clsact qdisc to the device and the program on its ingress. */
  attach(node: string, dev: string, program: BpfProgram, object: string): BpfAttachment {
    for (const argv of attachArgv(dev, object)) this.lab.exec(node, ...argv);
    const progId = filterProgId(this.lab, node, dev);
    const prog = JSON.parse(run(["bpftool", "prog", "show", "id", String(progId), "-j"])) as {
      map_ids?: number[];
    };
    const mapId = prog.map_ids?.[0];
    if (mapId === undefined) throw new Error(`program ${progId} on ${node}/${dev} has no map`);
    const a: BpfAttachment = { node, dev, program, progId, mapId };
    this.attachments.push(a);
    return a;
  }

  /** The program's verdict counters now (bpftool prints them `formatted` from the map's BTF). */
  counts(a: BpfAttachment): VerdictCounts {
    const entries = JSON.parse(run(["bpftool", "map", "dump", "id", String(a.mapId), "-j"])) as {
      formatted?: { key?: unknown; value?: unknown };
    }[];
    const at = (k: number): number => {
      const v = entries.find((e) => e.formatted?.key === k)?.formatted?.value;
      if (typeof v !== "number") throw new Error(`map ${a.mapId} of ${a.node}/${a.dev}: no counter ${k}`);
      return v;
    };
    return { redirectPeer: at(0), redirect: at(1), redirectNeigh: at(2), toStack: at(3) };
  }

  /** Devices of this datapath that still have a clsact qdisc. */
  qdiscsLeft(): string[] {
    return this.attachments
      .filter((a) => this.lab.exec(a.node, "tc", "qdisc", "show", "dev", a.dev).includes("clsact"))
      .map((a) => `${a.node}/${a.dev}`);
  }

  /** Program ids of this datapath the kernel still holds. */
  programsLeft(): number[] {
    return this.attachments.map((a) => a.progId).filter(programLoaded);
  }

  /** Deletes every clsact qdisc (and with it the filter), then waits up to 10 s for the programs to go. */
  async detach(): Promise<void> {
    for (const a of this.attachments) {
      spawnSync("ip", ["netns", "exec", this.lab.ns(a.node), "tc", "qdisc", "del", "dev", a.dev, "clsact"], {
        timeout: 10000,
      });
    }
    // Programs are freed after an RCU grace period, not when tc returns.
    for (let i = 0; i < 100 && this.programsLeft().length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Why the kernel refuses our BPF here, or undefined when it accepts it: loads `from_netdev` on a veth
 * of a throwaway namespace (the namespace, and with it the program, is deleted before returning).
 */
export function bpfRefusal(prefix: string, object: string): string | undefined {
  const ns = `${prefix}bpfprobe`;
  const inNs = (...argv: string[]) =>
    spawnSync("ip", ["netns", "exec", ns, ...argv], { encoding: "utf8", timeout: 30000 });
  try {
    if (spawnSync("ip", ["netns", "add", ns]).status !== 0) return "cannot create a network namespace";
    for (const argv of [
      ["ip", "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"],
      ...attachArgv("probe0", object),
    ]) {
      const r = inNs(...argv);
      if (r.status !== 0)
        return `${argv.join(" ")}: ${(r.stderr || String(r.error)).trim().split("\n").slice(-3).join(" / ")}`;
    }
    return undefined;
  } finally {
    spawnSync("ip", ["netns", "del", ns]);
  }
}
