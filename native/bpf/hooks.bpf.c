/* Trivial programs, one per hook type, that diag loads and attaches to find out what this
 * kernel and these credentials allow (bpftool's feature probe is wrong on some kernels). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");

SEC("tp_btf/sched_process_fork")
int BPF_PROG(probe_tp_btf)
{
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(probe_raw_tp)
{
	return 0;
}

SEC("tp/sched/sched_process_fork")
int probe_tp(void *ctx)
{
	return 0;
}

SEC("perf_event")
int probe_perf_event(void *ctx)
{
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(probe_ringbuf)
{
	u64 *r = bpf_ringbuf_reserve(&ring, 8, 0);
	if (r) {
		*r = 0;
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
	}
	return 0;
}

/* Hooks on a tracepoint no kernel has: what a probe meets on a kernel lacking its tracepoint
 * (tests check the reason diag gives). */
SEC("raw_tp/diag_no_such_tracepoint")
int BPF_PROG(missing_raw_tp)
{
	return 0;
}

SEC("tp_btf/diag_no_such_tracepoint")
int BPF_PROG(missing_tp_btf)
{
	return 0;
}

SEC("tp/diag/no_such_tracepoint")
int missing_tp(void *ctx)
{
	return 0;
}
