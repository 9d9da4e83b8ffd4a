/* biosnoop: per block I/O, the time from issue to the driver until completion, with the
 * process that submitted it, the device, operation, size and sector; one ring-buffer record per
 * completed I/O. The submitter is taken at block_io_start (kernel >= 6.5, in the submitting
 * task's context, before any queueing); without that hook, at block_rq_issue, whose context is
 * the submitter for directly issued requests but may be a kworker for queued ones. The --pid /
 * --cgroup filter is applied at the first of those hooks: requests of other processes are
 * never stored. */
#include "common.h"
#include "biosnoop.h"
#include "core_fixes.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);
	__type(value, struct bio_start);
} inflight SEC(".maps");

KEEP_BTF_TYPE(struct bio_event, bio_event);
KEEP_BTF_TYPE(struct bio_start, bio_start);

/* Set by user space when block_io_start is attached: then a request with no entry at issue
 * was submitted by a process the filter excludes (or before the probe started). */
const volatile bool have_start = false;

static __always_inline u32 request_dev(struct request *rq)
{
	struct gendisk *disk = diag_request_disk(rq);
	if (!disk)
		return 0;
	return ((u32)BPF_CORE_READ(disk, major) << 20) | (u32)BPF_CORE_READ(disk, first_minor);
}

static __always_inline void who(struct bio_start *s)
{
	u64 id = bpf_get_current_pid_tgid();
	s->tgid = id >> 32;
	s->pid = (u32)id;
	bpf_get_current_comm(s->comm, sizeof(s->comm));
}

static __always_inline int on_start(struct request *rq)
{
	u64 id = bpf_get_current_pid_tgid();
	if (!tgid_allowed(id >> 32))
		return 0;
	struct bio_start s = {};
	s.start_ns = bpf_ktime_get_ns();
	who(&s);
	u64 key = (u64)rq;
	if (bpf_map_update_elem(&inflight, &key, &s, BPF_ANY))
		count_lost(LOST_MAP);
	return 0;
}

static __always_inline int on_issue(struct request *rq)
{
	u64 key = (u64)rq;
	u64 now = bpf_ktime_get_ns();
	struct bio_start *s = bpf_map_lookup_elem(&inflight, &key);
	if (s) {
		s->issue_ns = now; /* a requeued request is issued again: latency from the last issue */
		return 0;
	}
	/* With block_io_start attached, no entry means the filter excluded the submitter, or the
	 * request was submitted without it (flush, passthrough): then the issuing task is the
	 * best guess, still filtered. */
	u64 id = bpf_get_current_pid_tgid();
	if (!tgid_allowed(id >> 32))
		return 0;
	if (have_start && filter_tgid)
		return 0;
	struct bio_start n = {};
	n.issue_ns = now;
	who(&n);
	if (bpf_map_update_elem(&inflight, &key, &n, BPF_ANY))
		count_lost(LOST_MAP);
	return 0;
}

static __always_inline int on_complete(struct request *rq, int error)
{
	u64 key = (u64)rq;
	struct bio_start *s = bpf_map_lookup_elem(&inflight, &key);
	if (!s)
		return 0;
	if (!s->issue_ns) {
		/* completed without an issue (merged into another request, or the probe started
		 * between them): not an I/O the device did */
		bpf_map_delete_elem(&inflight, &key);
		return 0;
	}
	struct bio_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(LOST_RING);
		bpf_map_delete_elem(&inflight, &key);
		return 0;
	}
	u64 now = bpf_ktime_get_ns();
	e->issue_ns = s->issue_ns;
	e->latency_ns = now - s->issue_ns;
	e->queue_ns = s->start_ns ? s->issue_ns - s->start_ns : 0;
	e->sector = BPF_CORE_READ(rq, __sector);
	e->bytes = BPF_CORE_READ(rq, __data_len);
	e->dev = request_dev(rq);
	e->tgid = s->tgid;
	e->pid = s->pid;
	e->op = BPF_CORE_READ(rq, cmd_flags) & 0xff;
	e->error = error;
	__builtin_memcpy(e->comm, s->comm, sizeof(e->comm));
	bpf_map_delete_elem(&inflight, &key);
	submit_batched(e, &events);
	return 0;
}

SEC("tp_btf/block_io_start")
int BPF_PROG(start_btf, struct request *rq)
{
	return on_start(rq);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(issue_btf, struct request *rq)
{
	return on_issue(rq);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(complete_btf, struct request *rq, int error, unsigned int nr_bytes)
{
	return on_complete(rq, error);
}

SEC("raw_tp/block_io_start")
int BPF_PROG(start_raw, struct request *rq)
{
	return on_start(rq);
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(issue_raw, struct request *rq)
{
	return on_issue(rq);
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(complete_raw, struct request *rq, int error, unsigned int nr_bytes)
{
	return on_complete(rq, error);
}
