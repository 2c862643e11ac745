/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the miniature's two tc programs (from_container.c, from_netdev.c): our own code, not
 * Cilium's. It holds the least Cilium's datapath does around a redirect: parse Ethernet + IPv4,
 * decrement the TTL as a router does (Cilium's ipv4_l3 -> ipv4_dec_ttl, bpf/lib/l3.h lines 45-52 at
 * v1.13.0-rc5), rewrite the MACs, and count which helper each packet left by, so the test can tell
 * what the programs did.
 */
#pragma once

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Which way each IPv4 packet left: read by the test with `bpftool map dump`. */
enum verdict_slot {
	LEFT_BY_REDIRECT_PEER = 0,
	LEFT_BY_REDIRECT = 1,
	LEFT_BY_REDIRECT_NEIGH = 2,
	PASSED_TO_STACK = 3,
	SLOTS = 4,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&verdicts, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int to_stack(void)
{
	count(PASSED_TO_STACK);
	return TC_ACT_OK;
}

/* The IPv4 header of an Ethernet frame, or NULL when it is something else (ARP, IPv6: the caller
 * passes those to the stack uncounted). */
static __always_inline struct iphdr *ipv4_of(struct __sk_buff *skb, struct ethhdr **eth)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);

	*eth = data;
	if ((void *)(ip + 1) > end || (*eth)->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return NULL;
	return ip;
}

/* The FIB lookup the kernel's forwarding would do for this packet, from the device it arrived on. */
static __always_inline int fib_lookup_v4(struct __sk_buff *skb, struct iphdr *ip,
					 struct bpf_fib_lookup *fib)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = 2; /* AF_INET */
	fib->tos = ip->tos;
	fib->l4_protocol = ip->protocol;
	fib->tot_len = bpf_ntohs(ip->tot_len);
	fib->ifindex = skb->ingress_ifindex;
	fib->ipv4_src = ip->saddr;
	fib->ipv4_dst = ip->daddr;
	return bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
}

/* TTL - 1 with the checksum adjusted incrementally, as the kernel's ip_decrease_ttl does. */
static __always_inline void ipv4_dec_ttl(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xFFFF));
	ip->ttl--;
}

static __always_inline void store_macs(struct ethhdr *eth, const __u8 *smac, const __u8 *dmac)
{
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
}

/* Delivery into a pod: the FIB names the pod's host-side veth; bpf_redirect_peer enters the pod's
 * eth0 (the veth's peer) directly, without the veth's own receive path. */
static __always_inline int deliver_to_pod(struct ethhdr *eth, struct iphdr *ip,
					  struct bpf_fib_lookup *fib)
{
	ipv4_dec_ttl(ip);
	store_macs(eth, fib->smac, fib->dmac);
	count(LEFT_BY_REDIRECT_PEER);
	return bpf_redirect_peer(fib->ifindex, 0);
}

/* bpf_fib_lookup is a GPL-only helper: the verifier refuses it to a program of another license. */
char _license[] SEC("license") = "GPL";
