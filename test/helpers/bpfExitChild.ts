/**
 * A child process for the exit-cleanup test of the miniature (test/integration/netns-lab.spec.ts):
 * builds the lab with prefix argv[2], attaches the eBPF datapath, prints the attached program ids as
 * one JSON line, then waits to be killed by a signal. The lab's own signal hook must then remove
 * every namespace (and with them every veth, qdisc and program).
 */
import { BpfDatapath } from "./bpfDatapath";
import { attachDatapath, miniSpec } from "./miniature";
import { MiniLab } from "./netnsLab";

const prefix = process.argv[2];
if (!/^[a-z0-9-]+$/.test(prefix ?? "")) throw new Error(`bad prefix: ${prefix}`);
const lab = new MiniLab(miniSpec(prefix));
lab.build();
const bpf = new BpfDatapath(lab);
attachDatapath(lab, bpf);
process.stdout.write(`${JSON.stringify(bpf.attachments.map((a) => a.progId))}\n`);
// Keep the event loop alive until a signal arrives (bounded: the parent kills us long before).
setTimeout(() => process.exit(3), 60000);
