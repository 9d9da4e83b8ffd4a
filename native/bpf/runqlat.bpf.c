/* runqlat: time tasks wait on a run queue, from being made runnable (wakeup, new task, or
 * preempted while still runnable) to running. Aggregated in the kernel as a log2 histogram of
 * microseconds. Three variants of the same logic: tp_btf (cheapest: the enqueue time lives in
 * task-local storage, no hash map and its bucket locks on the scheduler's hot path), raw_tp and
 * classic tp (a hash map keyed by thread id). User space creates only the map its variant uses. */
#include "common.h"
#include "runqlat.h"
#include "core_fixes.h"

/* tp_btf: enqueue time per task (0 = not queued). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, u64);
} start_ts SEC(".maps");

/* raw_tp, tp: enqueue time by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RUNQLAT_SLOTS);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

/* One histogram per process instead of one for the host. */
const volatile bool per_process = false;
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct proc_slot);
	__type(value, u64);
} hist_proc SEC(".maps");

static __always_inline void enqueue(u32 tgid, u32 pid)
{
	if (!pid || !tgid_allowed(tgid))
		return;
	u64 ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start, &pid, &ts, BPF_ANY) == -E2BIG)
		count_lost(LOST_MAP);
}

static __always_inline void count_slot(u64 delta_us, u32 tgid)
{
	u32 slot = log2_u64(delta_us);
	if (slot >= RUNQLAT_SLOTS)
		slot = RUNQLAT_SLOTS - 1;
	if (per_process) {
		struct proc_slot k = { .tgid = tgid, .slot = slot };
		u64 *c = bpf_map_lookup_elem(&hist_proc, &k);
		if (c) {
			__sync_fetch_and_add(c, 1);
			return;
		}
		u64 one = 1;
		int err = bpf_map_update_elem(&hist_proc, &k, &one, BPF_NOEXIST);
		if (err == -EEXIST) {
			c = bpf_map_lookup_elem(&hist_proc, &k);
			if (c)
				__sync_fetch_and_add(c, 1);
		} else if (err) {
			count_lost(LOST_MAP);
		}
		return;
	}
	u64 *count = bpf_map_lookup_elem(&hist, &slot);
	if (count)
		*count += 1;
}

static __always_inline void enqueue_task(struct task_struct *p)
{
	if (!p->pid || !tgid_allowed(p->tgid))
		return;
	u64 *ts = bpf_task_storage_get(&start_ts, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		count_lost(LOST_MAP);
		return;
	}
	*ts = bpf_ktime_get_ns();
}

static __always_inline void dequeue_task(struct task_struct *p)
{
	u64 *ts = bpf_task_storage_get(&start_ts, p, 0, 0);
	if (!ts || !*ts)
		return;
	u64 delta_us = (bpf_ktime_get_ns() - *ts) / 1000;
	*ts = 0;
	count_slot(delta_us, p->tgid);
}

static __always_inline void dequeue(u32 pid, u32 tgid)
{
	u64 *tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return;
	u64 delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
	bpf_map_delete_elem(&start, &pid);
	count_slot(delta_us, tgid);
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev, struct task_struct *next, bool direct)
{
	/* Still runnable when switched out: it waits on the run queue from now on. */
	if (preempt || diag_task_state(prev, direct) == 0)
		enqueue(RD(direct, prev, tgid), RD(direct, prev, pid));
	dequeue(RD(direct, next, pid), RD(direct, next, tgid));
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct *p)
{
	enqueue_task(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wakeup_new_btf, struct task_struct *p)
{
	enqueue_task(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (preempt || diag_task_state(prev, true) == 0)
		enqueue_task(prev);
	dequeue_task(next);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct *p)
{
	enqueue(BPF_CORE_READ(p, tgid), BPF_CORE_READ(p, pid));
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(wakeup_new_raw, struct task_struct *p)
{
	enqueue(BPF_CORE_READ(p, tgid), BPF_CORE_READ(p, pid));
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(preempt, prev, next, false);
}

/* Classic tracepoints: the records of the format files, CO-RE relocated. They carry no
 * thread-group id, so with a PID filter this variant records nothing: tp_btf and raw_tp have it. */
SEC("tp/sched/sched_wakeup")
int wakeup_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	if (!filter_tgid)
		enqueue(ctx->pid, ctx->pid);
	return 0;
}

SEC("tp/sched/sched_wakeup_new")
int wakeup_new_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	if (!filter_tgid)
		enqueue(ctx->pid, ctx->pid);
	return 0;
}

SEC("tp/sched/sched_switch")
int switch_tp(struct trace_event_raw_sched_switch *ctx)
{
	/* A preempted task reports TASK_REPORT_MAX (0x100): runnable is (prev_state & 0xff) == 0. */
	if (!filter_tgid && (ctx->prev_state & 0xff) == 0)
		enqueue(ctx->prev_pid, ctx->prev_pid);
	dequeue(ctx->next_pid, ctx->next_pid);
	return 0;
}
