/* offcpu: at sched_switch, the task switched out records when, its state and its kernel and
 * user stacks (it is still `current`, so both can be walked); when it is switched in again, the
 * time it was off the CPU is added to (thread, stacks, state) if it reaches min_block_ns. Blocks
 * shorter than that are counted nowhere: the threshold keeps the map small. Two variants: tp_btf
 * (the switch-out record in task-local storage) and raw_tp (a hash by thread id). */
#include "common.h"
#include "offcpu.h"
#include "core_fixes.h"

const volatile u64 min_block_ns = 1000;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__type(key, u32);
	__uint(value_size, OFFCPU_STACK_DEPTH * sizeof(u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct offcpu_key);
	__type(value, struct offcpu_val);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct offcpu_start);
} start_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u32);
	__type(value, struct offcpu_start);
} start SEC(".maps");

#define EFAULT 14

static __always_inline void stacks_of(void *ctx, struct offcpu_start *s)
{
	s->kstack = bpf_get_stackid(ctx, &stacks, 0);
	s->ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if ((s->kstack < 0 && s->kstack != -EFAULT) || (s->ustack < 0 && s->ustack != -EFAULT))
		count_lost(LOST_MAP); /* stack map full or a hash collision: that stack is missing */
}

static __always_inline void account(struct offcpu_start *s, u32 tgid, u32 pid, const char *comm, bool direct, u64 delta)
{
	struct offcpu_key k = { .tgid = tgid, .pid = pid, .kstack = s->kstack, .ustack = s->ustack, .state = s->state };
	if (direct)
		__builtin_memcpy(k.comm, comm, sizeof(k.comm));
	else
		bpf_probe_read_kernel_str(k.comm, sizeof(k.comm), comm);
	struct offcpu_val *v = bpf_map_lookup_elem(&counts, &k);
	if (!v) {
		struct offcpu_val zero = {};
		int err = bpf_map_update_elem(&counts, &k, &zero, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			count_lost(LOST_MAP);
			return;
		}
		v = bpf_map_lookup_elem(&counts, &k);
		if (!v)
			return;
	}
	__sync_fetch_and_add(&v->total_ns, delta);
	__sync_fetch_and_add(&v->count, 1);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u64 now = bpf_ktime_get_ns();
	if (prev->pid && tgid_allowed(prev->tgid)) {
		struct offcpu_start *s = bpf_task_storage_get(&start_ts, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (s) {
			stacks_of(ctx, s);
			s->state = preempt ? 0 : diag_task_state(prev, true);
			s->ts = now;
		} else {
			count_lost(LOST_MAP);
		}
	}
	if (!next->pid)
		return 0;
	struct offcpu_start *s = bpf_task_storage_get(&start_ts, next, 0, 0);
	if (!s || !s->ts)
		return 0;
	u64 delta = now - s->ts;
	s->ts = 0;
	if (delta >= min_block_ns)
		account(s, next->tgid, next->pid, next->comm, true, delta);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u64 now = bpf_ktime_get_ns();
	u32 prev_pid = BPF_CORE_READ(prev, pid);
	if (prev_pid && tgid_allowed(BPF_CORE_READ(prev, tgid))) {
		struct offcpu_start s = {};
		stacks_of(ctx, &s);
		s.state = preempt ? 0 : diag_task_state(prev, false);
		s.ts = now;
		if (bpf_map_update_elem(&start, &prev_pid, &s, BPF_ANY))
			count_lost(LOST_MAP);
	}
	u32 next_pid = BPF_CORE_READ(next, pid);
	if (!next_pid)
		return 0;
	struct offcpu_start *s = bpf_map_lookup_elem(&start, &next_pid);
	if (!s)
		return 0;
	u64 delta = now - s->ts;
	if (delta >= min_block_ns)
		account(s, BPF_CORE_READ(next, tgid), next_pid, next->comm, false, delta);
	bpf_map_delete_elem(&start, &next_pid);
	return 0;
}

KEEP_BTF_TYPE(struct offcpu_start, offcpu_start);
