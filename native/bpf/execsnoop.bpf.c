/* execsnoop: process executions (sched:sched_process_exec), streamed through a ring buffer. */
#include "common.h"
#include "execsnoop.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");
KEEP_BTF_TYPE(struct exec_event, exec_event);

static __always_inline int on_exec(struct task_struct *p, struct linux_binprm *bprm)
{
	u32 tgid = BPF_CORE_READ(p, tgid);
	if (!tgid_allowed(tgid))
		return 0;
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(LOST_RING);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = BPF_CORE_READ(p, pid);
	e->tgid = tgid;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	submit_batched(e, &events);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, bprm);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, bprm);
}
