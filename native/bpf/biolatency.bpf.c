/* biolatency: time from a block request's issue to the driver until its completion, per
 * device, as a log2 histogram of microseconds aggregated in the kernel. */
#include "common.h"
#include "biolatency.h"
#include "core_fixes.h"

/* 0: every device; else only this one (MKDEV layout). */
const volatile u32 target_dev = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct bio_hist_key);
	__type(value, u64);
} hist SEC(".maps");

static __always_inline u32 request_dev(struct request *rq)
{
	struct gendisk *disk = diag_request_disk(rq);
	if (!disk)
		return 0;
	return ((u32)BPF_CORE_READ(disk, major) << 20) | (u32)BPF_CORE_READ(disk, first_minor);
}

static __always_inline int on_issue(struct request *rq)
{
	if (target_dev && request_dev(rq) != target_dev)
		return 0;
	u64 key = (u64)rq;
	u64 ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start, &key, &ts, BPF_ANY) == -E2BIG)
		count_lost(LOST_MAP);
	return 0;
}

static __always_inline int on_complete(struct request *rq)
{
	u64 key = (u64)rq;
	u64 *tsp = bpf_map_lookup_elem(&start, &key);
	if (!tsp)
		return 0;
	u64 delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
	bpf_map_delete_elem(&start, &key);
	struct bio_hist_key hk = { .dev = request_dev(rq) };
	hk.slot = log2_u64(delta_us);
	if (hk.slot >= BIOLATENCY_SLOTS)
		hk.slot = BIOLATENCY_SLOTS - 1;
	u64 *count = bpf_map_lookup_elem(&hist, &hk);
	if (count) {
		__sync_fetch_and_add(count, 1);
		return 0;
	}
	u64 one = 1;
	int err = bpf_map_update_elem(&hist, &hk, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		count = bpf_map_lookup_elem(&hist, &hk);
		if (count)
			__sync_fetch_and_add(count, 1);
	} else if (err) {
		count_lost(LOST_MAP);
	}
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(issue_btf, struct request *rq)
{
	return on_issue(rq);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(complete_btf, struct request *rq)
{
	return on_complete(rq);
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(issue_raw, struct request *rq)
{
	return on_issue(rq);
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(complete_raw, struct request *rq)
{
	return on_complete(rq);
}
