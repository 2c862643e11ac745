/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tc ingress of a node's eth0: the miniature's stand-in for Cilium's `cil_from_netdev`, IPv4 only.
 *
 * Cilium (cilium/cilium): from-netdev -> handle_ipv4 looks the destination up among local endpoints
 * (lookup_ip4_endpoint) and delivers with ipv4_local_delivery (bpf/bpf_host.c lines 556-566 at
 * v1.13.0-rc5, line 769 at v1.18.6), which with BPF host routing ends in ctx_redirect_peer (see
 * from_container.c). Here: a FIB lookup from eth0 that names another device names a pod's veth, and
 * bpf_redirect_peer enters the pod. Everything else (the node's own addresses, ARP, traffic routed
 * back out of eth0) goes to the stack, as Cilium passes the node's own traffic up.
 */
#include "miniature.h"

SEC("tc")
int from_netdev(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib;
	struct ethhdr *eth;
	struct iphdr *ip = ipv4_of(skb, &eth);

	if (!ip)
		return TC_ACT_OK;
	if (ip->ttl <= 1)
		return to_stack();
	if (fib_lookup_v4(skb, ip, &fib) != BPF_FIB_LKUP_RET_SUCCESS || fib.ifindex == skb->ifindex)
		return to_stack();
	return deliver_to_pod(eth, ip, &fib);
}
