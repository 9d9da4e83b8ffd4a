/* tcpconn: every state change of a TCP socket (sock:inet_sock_set_state), with the process
 * that owns it, the connect latency (SYN_SENT -> ESTABLISHED) and, at CLOSE, the lifetime and
 * the socket's error (a refused connect closes with ECONNREFUSED, a reset with ECONNRESET).
 *
 * The owner: an active open enters SYN_SENT in connect(), in the process's own context; a
 * passive one is born in softirq (no process), and takes the process that closes it
 * (-> FIN_WAIT1 or -> LAST_ACK run in close()/shutdown()); a listener, the process that called
 * listen(). At CLOSE the local port is already released (inet_put_port runs before the state
 * is stored): user space takes the addresses from an earlier change. With --pid/--cgroup only sockets
 * whose owner passes the filter are followed: others never reach the ring buffer. */
#include "common.h"
#include "tcpconn.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

enum {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT = 2,
	TCP_SYN_RECV = 3,
	TCP_FIN_WAIT1 = 4,
	TCP_CLOSE = 7,
	TCP_LAST_ACK = 9,
	TCP_LISTEN = 10,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u64);
	__type(value, struct tcp_sk_info);
} socks SEC(".maps");

/* XORed into the socket's address in records: they identify a socket without handing a kernel
 * address to user space (or to a bundle). Random per run, set by user space. */
const volatile u64 sk_salt = 0;

/* --remote ADDR[:PORT]: only sockets whose peer is this address (and port, when not 0), checked
 * first, so other sockets cost one comparison and never reach the map or the ring buffer.
 * remote_family 0: no filter. The address in network order (4 bytes for AF_INET). */
const volatile u16 remote_family = 0;
const volatile u16 remote_port = 0; /* host order */
const volatile u8 remote_addr[16] = {};

static __always_inline bool remote_allowed(struct sock *sk, u16 family)
{
	if (!remote_family)
		return true;
	if (family != remote_family)
		return false;
	if (remote_port && __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport)) != remote_port)
		return false;
	/* Byte by byte through the volatile array: a cast dropping volatile would let the compiler
	 * fold the zero initialiser into the comparison. */
	u8 want[16];
	for (int i = 0; i < 16; i++)
		want[i] = remote_addr[i];
	if (family == AF_INET) {
		u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		u32 w;
		__builtin_memcpy(&w, want, 4);
		return d == w;
	}
	u64 d6[2] = {};
	BPF_CORE_READ_INTO(&d6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	u64 w6[2];
	__builtin_memcpy(w6, want, 16);
	return d6[0] == w6[0] && d6[1] == w6[1];
}

KEEP_BTF_TYPE(struct tcp_event, tcp_event);
KEEP_BTF_TYPE(struct tcp_sk_info, tcp_sk_info);

/* The socket's address as a plain number: tp_btf hands a trusted pointer, on which the
 * verifier refuses arithmetic (the salt's XOR); a copy read through the helper is a scalar. */
static __always_inline u64 addr_of(const void *p)
{
	u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

static __always_inline void owner(struct tcp_sk_info *i)
{
	u64 id = bpf_get_current_pid_tgid();
	i->tgid = id >> 32;
	i->pid = (u32)id;
	bpf_get_current_comm(i->comm, sizeof(i->comm));
}

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (!remote_allowed(sk, family))
		return 0;
	u64 key = addr_of(sk);
	u64 now = bpf_ktime_get_ns();
	u32 cur_tgid = bpf_get_current_pid_tgid() >> 32;
	bool closing_call = newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK;
	struct tcp_sk_info *info = 0;

	if (newstate == TCP_SYN_SENT || newstate == TCP_SYN_RECV || newstate == TCP_LISTEN) {
		struct tcp_sk_info n = {};
		n.birth_ns = now;
		if (newstate != TCP_SYN_RECV) { /* connect() or listen(): the process's own context */
			if (!tgid_allowed(cur_tgid))
				return 0;
			if (newstate == TCP_SYN_SENT)
				n.syn_ns = now;
			owner(&n);
		} else if (filter_tgid) {
			return 0; /* no owner yet: followed once a filtered process closes it */
		}
		if (bpf_map_update_elem(&socks, &key, &n, BPF_ANY))
			count_lost(LOST_MAP);
		info = bpf_map_lookup_elem(&socks, &key);
	} else {
		info = bpf_map_lookup_elem(&socks, &key);
		if (info && !info->tgid && closing_call) {
			if (!tgid_allowed(cur_tgid))
				return 0;
			owner(info);
		}
		if (!info) {
			/* born before the probe (or passive under a filter) */
			if (filter_tgid && !(closing_call && tgid_allowed(cur_tgid)))
				return 0;
			if (closing_call && newstate != TCP_CLOSE) {
				struct tcp_sk_info n = {};
				owner(&n);
				if (bpf_map_update_elem(&socks, &key, &n, BPF_ANY))
					count_lost(LOST_MAP);
				info = bpf_map_lookup_elem(&socks, &key);
			}
		}
	}

	struct tcp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(LOST_RING);
		if (newstate == TCP_CLOSE)
			bpf_map_delete_elem(&socks, &key);
		return 0;
	}
	e->ts_ns = now;
	e->skaddr = key ^ sk_salt;
	e->latency_ns = 0;
	e->lifetime_ns = 0;
	e->flags = 0;
	e->pad = 0;
	if (info) {
		e->tgid = info->tgid;
		e->pid = info->pid;
		__builtin_memcpy(e->comm, info->comm, sizeof(e->comm));
		if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT && info->syn_ns) {
			e->latency_ns = now - info->syn_ns;
			e->flags |= TCPCONN_LATENCY;
		}
		if (newstate == TCP_CLOSE && info->birth_ns) {
			e->lifetime_ns = now - info->birth_ns;
			e->flags |= TCPCONN_LIFETIME;
		}
	} else {
		e->tgid = 0;
		e->pid = 0;
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	}
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	e->error = BPF_CORE_READ(sk, sk_err);
	e->family = family;
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->oldstate = oldstate;
	e->newstate = newstate;
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	if (family == AF_INET) {
		u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->saddr, &s, 4);
		__builtin_memcpy(e->daddr, &d, 4);
	} else {
		BPF_CORE_READ_INTO(e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&socks, &key);
	submit_batched(e, &events);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(state_btf, const struct sock *sk, const int oldstate, const int newstate)
{
	return on_state((struct sock *)sk, oldstate, newstate);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(state_raw, const struct sock *sk, const int oldstate, const int newstate)
{
	return on_state((struct sock *)sk, oldstate, newstate);
}
