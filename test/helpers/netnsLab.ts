/**
 * A miniature of the lab built from network namespaces: a "kind network" (a bridge in a namespace of
 * its own), node namespaces attached to it by their `eth0`, and pod namespaces on veth pairs whose
 * node side is named like Cilium's (`lxc<12 hex>`), addressed /32 with a default route via the
 * node's `cilium_host` address, and native routes between nodes. Every address exists only inside
 * these namespaces.
 *
 * Everything created is recorded and removed by {@link MiniLab.destroy}, which is safe to call more
 * than once and is also hooked to process exit as a last resort.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface MiniPod {
  readonly name: string;
  readonly ip: string;
  /** Serve `PodName: <name> | PodIP: eth0 <ip>/32` on :80, like the test DaemonSet. */
  readonly http?: boolean;
}

export interface MiniNode {
  readonly name: string;
  /** Address on the kind network (its eth0). */
  readonly ip: string;
  /** The pod CIDR routed to this node. */
  readonly podCidr: string;
  /** The cilium_host address: the pods' gateway. */
  readonly gateway: string;
  readonly pods: readonly MiniPod[];
  /** A userspace TCP forwarder on 0.0.0.0:<port> to this backend IP:80 (a NodePort stand-in). */
  readonly nodePortBackend?: string;
}

export interface MiniLabSpec {
  /** Namespace name prefix, e.g. `labt1234-`. */
  readonly prefix: string;
  readonly network: string;
  readonly nodes: readonly MiniNode[];
  readonly nodePort: number;
}

/** The node-side veth of a pod: `lxc` and 12 hex digits, as Cilium names them. */
export function lxcName(pod: string): string {
  return `lxc${createHash("sha256").update(pod).digest("hex").slice(0, 12)}`;
}

const FORWARDER = `
import socket, sys, threading
port, backend = int(sys.argv[1]), (sys.argv[2], 80)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(16)
def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass
while True:
    client, _ = srv.accept()
    try:
        upstream = socket.create_connection(backend, timeout=5)
    except OSError:
        client.close()
        continue
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
`;

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export class MiniLab {
  readonly namespaces: string[] = [];
  readonly daemons: ChildProcess[] = [];
  readonly dir: string;
  private destroyed = false;
  private readonly onExit = (): void => this.destroy();
  /** On a fatal signal: clean up, then die of that signal as if nothing had been listening. */
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.destroy();
    process.kill(process.pid, signal);
  };

  constructor(readonly spec: MiniLabSpec) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${spec.prefix}lab-`));
    process.on("exit", this.onExit);
    for (const sig of SIGNALS) process.once(sig, this.onSignal);
  }

  ns(name: string): string {
    return `${this.spec.prefix}${name}`;
  }

  /** Runs `ip ARGS`; throws with stderr when it fails. */
  ip(...args: string[]): void {
    const r = spawnSync("ip", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr || r.error}`);
  }

  /** Runs argv inside a namespace; throws when it fails. */
  exec(ns: string, ...argv: string[]): string {
    const r = spawnSync("ip", ["netns", "exec", this.ns(ns), ...argv], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`[${ns}] ${argv.join(" ")}: ${r.stderr || r.error}`);
    return r.stdout;
  }

  /** Sets net sysctls inside a namespace through /proc/sys/net (per namespace; no procps needed). */
  sysctl(ns: string, values: Record<string, string>): void {
    const script = Object.entries(values)
      .map(([key, value]) => `echo ${value} >/proc/sys/net/${key}`)
      .join(" && ");
    this.exec(ns, "sh", "-c", script);
  }

  private addNamespace(name: string): void {
    this.ip("netns", "add", this.ns(name));
    this.namespaces.push(this.ns(name));
    this.ip("-n", this.ns(name), "link", "set", "lo", "up");
  }

  build(): void {
    const { network, nodes } = this.spec;
    const prefixLen = network.split("/")[1];
    this.addNamespace("kind");
    this.ip("-n", this.ns("kind"), "link", "add", "br0", "type", "bridge");
    this.ip("-n", this.ns("kind"), "link", "set", "br0", "up");

    nodes.forEach((node, i) => {
      this.addNamespace(node.name);
      const n = this.ns(node.name);
      const port = `vn${i + 1}`;
      this.ip("-n", n, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", this.ns("kind"));
      this.ip("-n", this.ns("kind"), "link", "set", port, "master", "br0", "up");
      this.ip("-n", n, "addr", "add", `${node.ip}/${prefixLen}`, "dev", "eth0");
      this.ip("-n", n, "link", "set", "eth0", "up");
      // Cilium's own pair: cilium_host holds the pods' gateway address, cilium_net is its peer
      this.ip("-n", n, "link", "add", "cilium_host", "type", "veth", "peer", "name", "cilium_net");
      this.ip("-n", n, "link", "set", "cilium_net", "up");
      this.ip("-n", n, "addr", "add", `${node.gateway}/32`, "dev", "cilium_host");
      this.ip("-n", n, "link", "set", "cilium_host", "up");
      this.sysctl(node.name, {
        "ipv4/ip_forward": "1",
        "ipv4/conf/all/rp_filter": "0",
        "ipv4/conf/default/rp_filter": "0",
      });
      // Chains that are not kube-proxy's, as a kind node always has some (kubelet's, Cilium's).
      for (const rule of [
        ["-N", "LABT-FORWARD"],
        ["-A", "FORWARD", "-j", "LABT-FORWARD"],
        ["-A", "LABT-FORWARD", "-j", "ACCEPT"],
      ]) {
        this.exec(node.name, "iptables-nft", "-w", ...rule);
      }
      for (const pod of node.pods) {
        this.addNamespace(pod.name);
        const p = this.ns(pod.name);
        const lxc = lxcName(pod.name);
        this.ip("-n", n, "link", "add", lxc, "type", "veth", "peer", "name", "eth0", "netns", p);
        this.ip("-n", n, "link", "set", lxc, "up");
        this.ip("-n", n, "route", "add", `${pod.ip}/32`, "dev", lxc);
        this.ip("-n", p, "addr", "add", `${pod.ip}/32`, "dev", "eth0");
        this.ip("-n", p, "link", "set", "eth0", "up");
        this.ip("-n", p, "route", "add", node.gateway, "dev", "eth0", "scope", "link");
        this.ip("-n", p, "route", "add", "default", "via", node.gateway, "dev", "eth0");
        this.sysctl(pod.name, { "ipv4/conf/all/rp_filter": "0", "ipv4/conf/default/rp_filter": "0" });
      }
    });
    // Native routing: each node's pod CIDR via that node's address on eth0.
    for (const node of nodes) {
      for (const peer of nodes.filter((x) => x !== node)) {
        this.ip("-n", this.ns(node.name), "route", "add", peer.podCidr, "via", peer.ip, "dev", "eth0");
      }
    }
  }

  /** Starts a long-running process inside a namespace (in its own process group, ended by destroy). */
  daemon(ns: string, argv: readonly string[]): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.ns(ns), ...argv], { detached: true, stdio: "ignore" });
    this.daemons.push(child);
    return child;
  }

  /** The HTTP servers of the test pods and the NodePort forwarders. */
  startServices(python: string): void {
    for (const node of this.spec.nodes) {
      for (const pod of node.pods.filter((p) => p.http)) {
        const root = path.join(this.dir, pod.name);
        fs.mkdirSync(root);
        fs.writeFileSync(path.join(root, "index.html"), `PodName: ${pod.name} | PodIP: eth0 ${pod.ip}/32\n`);
        this.daemon(pod.name, ["busybox", "httpd", "-f", "-p", `${pod.ip}:80`, "-h", root]);
      }
      if (node.nodePortBackend !== undefined) {
        this.daemon(node.name, [python, "-c", FORWARDER, String(this.spec.nodePort), node.nodePortBackend]);
      }
    }
  }

  /** Ends the daemons (their process groups) and deletes every namespace (and with them the links). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener("exit", this.onExit);
    for (const sig of SIGNALS) process.removeListener(sig, this.onSignal);
    for (const child of this.daemons) {
      if (child.pid === undefined) continue;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const ns of [...this.namespaces].reverse()) {
      // a process still inside keeps the namespace alive after the name is gone: kill them first
      const pids = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "";
      for (const pid of pids.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
      spawnSync("ip", ["netns", "del", ns]);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Namespaces of this lab that still exist. */
  leftovers(): string[] {
    return namespacesWithPrefix(this.spec.prefix);
  }
}

/** Network namespaces whose name starts with the prefix. */
export function namespacesWithPrefix(prefix: string): string[] {
  const listed = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  return listed
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(prefix));
}

/** True when this process can create network namespaces (root, `ip netns` works). */
export function netnsUsable(prefix: string): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = `${prefix}probe`;
  const ok = spawnSync("ip", ["netns", "add", probe]).status === 0;
  if (ok) spawnSync("ip", ["netns", "del", probe]);
  return ok;
}
