/* ringbench: streams one record per system call of one process (raw_syscalls:sys_enter), to
 * measure how many events per second reach user space through the ring buffer and whether any
 * are lost. Benchmark only; not a probe. */
#include "common.h"
#include "ringbench.h"

const volatile u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");
KEEP_BTF_TYPE(struct ring_event, ring_event);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} seq SEC(".maps");

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, void *regs, long id)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) != target_tgid)
		return 0;
	u32 zero = 0;
	u64 *s = bpf_map_lookup_elem(&seq, &zero);
	if (!s)
		return 0;
	*s += 1;
	struct ring_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(LOST_RING);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->seq = *s;
	e->pid = (u32)pid_tgid;
	e->syscall = (u32)id;
	submit_batched(e, &events);
	return 0;
}
