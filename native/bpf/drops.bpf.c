/* drops: every packet the kernel frees with a drop reason (skb:kfree_skb), except normal
 * consumption, counted per reason, location and network namespace. */
#include "common.h"
#include "drops.h"

/* SKB_CONSUMED's value on this kernel (user space reads it from BTF): not a drop. */
const volatile u32 consumed_reason = 1;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct drop_key);
	__type(value, u64);
} drops SEC(".maps");

static __always_inline void count_drop(struct drop_key *k)
{
	u64 *count = bpf_map_lookup_elem(&drops, k);
	if (count) {
		__sync_fetch_and_add(count, 1);
		return;
	}
	u64 one = 1;
	int err = bpf_map_update_elem(&drops, k, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		count = bpf_map_lookup_elem(&drops, k);
		if (count)
			__sync_fetch_and_add(count, 1);
	} else if (err) {
		count_lost(LOST_MAP);
	}
}

static __always_inline u32 skb_netns(struct sk_buff *skb)
{
	u32 inum = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	if (!inum)
		inum = BPF_CORE_READ(skb, sk, __sk_common.skc_net.net, ns.inum);
	return inum;
}

static __always_inline int on_kfree_skb(struct sk_buff *skb, void *location, u32 reason)
{
	if (reason == consumed_reason || reason == 0)
		return 0;
	struct drop_key k = {};
	k.location = (u64)location;
	k.reason = reason;
	k.netns = skb_netns(skb);
	k.protocol = BPF_CORE_READ(skb, protocol);
	count_drop(&k);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return on_kfree_skb(skb, location, (u32)reason);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return on_kfree_skb(skb, location, (u32)reason);
}

/* Classic tracepoint: its record, CO-RE relocated (the layout changed in 6.11). */
SEC("tp/skb/kfree_skb")
int kfree_skb_tp(struct trace_event_raw_kfree_skb *ctx)
{
	return on_kfree_skb(ctx->skbaddr, ctx->location, (u32)ctx->reason);
}
