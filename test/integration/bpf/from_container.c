/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tc ingress of a pod's host-side veth (lxc...): the miniature's stand-in for Cilium's
 * `cil_from_container` with BPF host routing, IPv4 only, no policy, no conntrack, no NAT.
 *
 * Cilium (read at v1.13.0-rc5, cilium/cilium, and v1.18.6):
 * - a destination that is a local endpoint: handle_ipv4_from_lxc -> ipv4_local_delivery
 *   (bpf/bpf_lxc.c line 987 at v1.13.0-rc5, 1217 at v1.18.6), which rewrites the MACs and TTL
 *   (ipv4_l3) and ends in redirect_ep -> ctx_redirect_peer when ENABLE_HOST_ROUTING is defined
 *   (bpf/lib/common.h lines 1029-1049 at v1.13.0-rc5; bpf/lib/local_delivery.h lines 54-87 at
 *   v1.18.6). Here: the FIB names the pod's veth and bpf_redirect_peer enters the pod.
 * - any other destination, native routing: redirect_direct_v4 (bpf/lib/fib.h lines 76-138 at
 *   v1.13.0-rc5, called from bpf/bpf_lxc.c line 1092) / fib_redirect_v4 (bpf/lib/fib.h lines
 *   266-307 at v1.18.6, from bpf/bpf_lxc.c line 1315): bpf_fib_lookup, then on
 *   BPF_FIB_LKUP_RET_SUCCESS the FIB's MACs and bpf_redirect, on BPF_FIB_LKUP_RET_NO_NEIGH
 *   bpf_redirect_neigh with the looked-up next hop (fib_do_redirect, fib.h lines 77-147 at v1.18.6).
 *   Cilium skips the lookup and always calls bpf_redirect_neigh on the direct-routing device when
 *   the node has one device (ENABLE_SKIP_FIB: pkg/datapath/linux/config/config.go lines 887-897 at
 *   v1.13.0-rc5, 916-925 at v1.18.6), as on kind; the miniature keeps the lookup because it also
 *   decides here whether the destination is local.
 * - a local address of the node (BPF_FIB_LKUP_RET_NOT_FWDED) goes to the stack, as v1.18.6's
 *   bpf_lxc.c does after fib_redirect_v4 (lines 1316-1321).
 *
 * DIRECT_ROUTING_DEV_IFINDEX is the node's eth0, given at compile time as Cilium writes it into the
 * endpoint's header (config.go line 893 at v1.13.0-rc5): a FIB result on another device is a pod.
 */
#include "miniature.h"

#ifndef DIRECT_ROUTING_DEV_IFINDEX
#error "compile with -DDIRECT_ROUTING_DEV_IFINDEX=<ifindex of the node's eth0>"
#endif

SEC("tc")
int from_container(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib;
	struct ethhdr *eth;
	struct iphdr *ip = ipv4_of(skb, &eth);
	int ret;

	if (!ip)
		return TC_ACT_OK;
	if (ip->ttl <= 1)
		return to_stack();
	ret = fib_lookup_v4(skb, ip, &fib);
	if (fib.ifindex != DIRECT_ROUTING_DEV_IFINDEX) {
		if (ret != BPF_FIB_LKUP_RET_SUCCESS)
			return to_stack();
		return deliver_to_pod(eth, ip, &fib);
	}
	if (ret == BPF_FIB_LKUP_RET_SUCCESS) {
		ipv4_dec_ttl(ip);
		store_macs(eth, fib.smac, fib.dmac);
		count(LEFT_BY_REDIRECT);
		return bpf_redirect(fib.ifindex, 0);
	}
	if (ret == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = { .nh_family = 2 /* AF_INET */, .ipv4_nh = fib.ipv4_dst };

		/* the kernel resolves the next hop's MAC and writes both MACs */
		ipv4_dec_ttl(ip);
		count(LEFT_BY_REDIRECT_NEIGH);
		return bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
	}
	return to_stack();
}
