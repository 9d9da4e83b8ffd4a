/* syscalls: system call latency from raw_syscalls sys_enter to sys_exit, per process and call,
 * aggregated in the kernel (count, total, log2 histogram of ns, the slowest call and its
 * arguments). Three variants of the same logic: tp_btf (the call in flight lives in task-local
 * storage, arguments read directly), raw_tp and classic tp (a hash keyed by thread id). A call
 * that never returns (exit, exit_group, execve that succeeded) is not counted; one in flight when
 * the probe attached is skipped. */
#include "common.h"
#include "syscalls.h"

/* tp_btf: the call in flight per task. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_start);
} inflight_ts SEC(".maps");

/* raw_tp, tp: the call in flight by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u32);
	__type(value, struct sc_start);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct sc_key);
	__type(value, struct sc_stats);
} stats SEC(".maps");

/* A zeroed value to create `stats` entries from (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct sc_stats);
} zero SEC(".maps");

static __always_inline void account(struct sc_start *s, u32 tgid, u32 tid, long ret)
{
	u64 delta = bpf_ktime_get_ns() - s->ts;
	struct sc_key k = { .tgid = tgid, .nr = s->nr };
	struct sc_stats *st = bpf_map_lookup_elem(&stats, &k);
	if (!st) {
		u32 z = 0;
		struct sc_stats *init = bpf_map_lookup_elem(&zero, &z);
		if (!init)
			return;
		int err = bpf_map_update_elem(&stats, &k, init, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			count_lost(LOST_MAP);
			return;
		}
		st = bpf_map_lookup_elem(&stats, &k);
		if (!st)
			return;
	}
	u32 slot = log2_u64(delta);
	if (slot >= SYSCALLS_SLOTS)
		slot = SYSCALLS_SLOTS - 1;
	__sync_fetch_and_add(&st->count, 1);
	__sync_fetch_and_add(&st->total_ns, delta);
	__sync_fetch_and_add(&st->slots[slot], 1);
	/* Racy between CPUs by design: the slowest call is a sample, not an exact record. */
	if (delta > st->max_ns) {
		st->max_ns = delta;
		st->max_ret = ret;
		st->max_tid = tid;
		for (int i = 0; i < 6; i++)
			st->max_args[i] = s->args[i];
	}
}

static __always_inline void args_from_regs(struct sc_start *s, struct pt_regs *regs, bool direct)
{
#if defined(__TARGET_ARCH_x86)
	s->args[0] = RD(direct, regs, di);
	s->args[1] = RD(direct, regs, si);
	s->args[2] = RD(direct, regs, dx);
	s->args[3] = RD(direct, regs, r10);
	s->args[4] = RD(direct, regs, r8);
	s->args[5] = RD(direct, regs, r9);
#endif
}

static __always_inline int enter_hash(struct pt_regs *regs, long id, const unsigned long *tp_args)
{
	u64 pt = bpf_get_current_pid_tgid();
	u32 tid = (u32)pt;
	if (!tgid_allowed(pt >> 32) || id < 0)
		return 0;
	struct sc_start s = { .ts = 0, .nr = (u32)id };
	if (tp_args) {
		for (int i = 0; i < 6; i++)
			s.args[i] = tp_args[i];
	} else {
		args_from_regs(&s, regs, false);
	}
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&inflight, &tid, &s, BPF_ANY))
		count_lost(LOST_MAP);
	return 0;
}

static __always_inline int exit_hash(long ret)
{
	u64 pt = bpf_get_current_pid_tgid();
	u32 tid = (u32)pt;
	struct sc_start *s = bpf_map_lookup_elem(&inflight, &tid);
	if (!s)
		return 0;
	account(s, pt >> 32, tid, ret);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(enter_btf, struct pt_regs *regs, long id)
{
	u64 pt = bpf_get_current_pid_tgid();
	if (!tgid_allowed(pt >> 32) || id < 0)
		return 0;
	struct sc_start *s = bpf_task_storage_get(&inflight_ts, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_lost(LOST_MAP);
		return 0;
	}
	s->nr = (u32)id;
	args_from_regs(s, regs, true);
	s->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(exit_btf, struct pt_regs *regs, long ret)
{
	struct sc_start *s = bpf_task_storage_get(&inflight_ts, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->ts)
		return 0;
	u64 pt = bpf_get_current_pid_tgid();
	account(s, pt >> 32, (u32)pt, ret);
	s->ts = 0;
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(enter_raw, struct pt_regs *regs, long id)
{
	return enter_hash(regs, id, 0);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(exit_raw, struct pt_regs *regs, long ret)
{
	return exit_hash(ret);
}

SEC("tp/raw_syscalls/sys_enter")
int enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	/* Constant indices: the verifier refuses a context read at a variable offset. */
	unsigned long args[6] = { ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], ctx->args[4], ctx->args[5] };
	return enter_hash(0, ctx->id, args);
}

SEC("tp/raw_syscalls/sys_exit")
int exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return exit_hash(ctx->ret);
}

KEEP_BTF_TYPE(struct sc_start, sc_start);
