/* tcpretrans: every retransmitted TCP segment (tcp:tcp_retransmit_skb), counted per
 * connection (addresses, ports, state, network namespace). */
#include "common.h"
#include "tcpretrans.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct retrans_key);
	__type(value, u64);
} retrans SEC(".maps");

static __always_inline int on_retransmit(const struct sock *sk)
{
	struct retrans_key k = {};
	k.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	k.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	k.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	k.dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	k.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (k.family == 10) {
		BPF_CORE_READ_INTO(&k.saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&k.daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((u32 *)k.saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((u32 *)k.daddr, sk, __sk_common.skc_daddr);
	}
	u64 *count = bpf_map_lookup_elem(&retrans, &k);
	if (count) {
		__sync_fetch_and_add(count, 1);
		return 0;
	}
	u64 one = 1;
	int err = bpf_map_update_elem(&retrans, &k, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		count = bpf_map_lookup_elem(&retrans, &k);
		if (count)
			__sync_fetch_and_add(count, 1);
	} else if (err) {
		count_lost(LOST_MAP);
	}
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit_btf, const struct sock *sk)
{
	return on_retransmit(sk);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(retransmit_raw, const struct sock *sk)
{
	return on_retransmit(sk);
}
