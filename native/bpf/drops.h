/* drops: packets freed with a drop reason (skb:kfree_skb), counted in the kernel per reason,
 * kernel location and network namespace. Layout shared with collectors/bpf/drops.ts. */
#ifndef DIAG_DROPS_H
#define DIAG_DROPS_H

/* map `drops`: HASH, key struct drop_key (24 bytes), value u64 count */
struct drop_key {
	unsigned long long location; /* kernel address of the kfree_skb caller */
	unsigned int reason;         /* enum skb_drop_reason (names from kernel BTF) */
	unsigned int netns;          /* network namespace inode, 0 when unknown */
	unsigned short protocol;     /* skb->protocol, network order */
	unsigned short pad[3];
};

#endif
