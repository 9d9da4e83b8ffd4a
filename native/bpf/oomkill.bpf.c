/* oomkill: OOM victims (oom:mark_victim), with the task that triggered the OOM. */
#include "common.h"
#include "oomkill.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");
KEEP_BTF_TYPE(struct oom_event, oom_event);

static __always_inline int on_victim(struct task_struct *victim)
{
	struct oom_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(LOST_RING);
		return 0;
	}
	u64 id = bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_ns();
	e->victim_pid = BPF_CORE_READ(victim, pid);
	e->victim_tgid = BPF_CORE_READ(victim, tgid);
	e->trigger_pid = (u32)id;
	e->trigger_tgid = id >> 32;
	e->oom_score_adj = BPF_CORE_READ(victim, signal, oom_score_adj);
	e->pad = 0;
	BPF_CORE_READ_STR_INTO(&e->victim_comm, victim, comm);
	bpf_get_current_comm(e->trigger_comm, sizeof(e->trigger_comm));
	/* OOM kills are rare and urgent: wake the reader now. */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(victim_btf, struct task_struct *task)
{
	return on_victim(task);
}

SEC("raw_tp/mark_victim")
int BPF_PROG(victim_raw, struct task_struct *task)
{
	return on_victim(task);
}
