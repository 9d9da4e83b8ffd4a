/* What every diag probe shares: lost-event counters, the PID filter, log2 slots, ring-buffer
 * submission that wakes user space only in batches. */
#ifndef DIAG_COMMON_H
#define DIAG_COMMON_H

#include "diag_core.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* lost[0]: ring buffer full (bpf_ringbuf_reserve failed); lost[1]: a map was full. */
#define LOST_RING 0
#define LOST_MAP 1
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} lost SEC(".maps");

static __always_inline void count_lost(u32 which)
{
	u64 *v = bpf_map_lookup_elem(&lost, &which);
	if (v)
		*v += 1;
}

/* Optional filter: only processes (thread-group ids) listed in `tgids` (set by user space from
 * --pid or the cgroup's member list). */
const volatile bool filter_tgid = false;
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u8);
} tgids SEC(".maps");

static __always_inline bool tgid_allowed(u32 tgid)
{
	if (!filter_tgid)
		return true;
	return bpf_map_lookup_elem(&tgids, &tgid) != 0;
}

static __always_inline u64 log2_u32(u32 v)
{
	u32 shift, r;
	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/* floor(log2(v)), with 0 and 1 both in slot 0: slot k holds [2^k, 2^(k+1)). */
static __always_inline u64 log2_u64(u64 v)
{
	u32 hi = v >> 32;
	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/* Ring-buffer records are handed over in batches: wake the reader only once 64 KiB wait;
 * otherwise the reader's 20 ms poll timeout picks them up. Waking per record costs the traced
 * workload a lot (measured: a UDP flood dropped from ~800k to ~220k packets/s). */
#define WAKE_BYTES (64 * 1024)
static __always_inline void submit_batched(void *rec, void *ring)
{
	u64 pending = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(rec, pending >= WAKE_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* Keep a record type in the object's BTF when the program only uses pointers to it (ring-buffer
 * records): the layout test compares it with the TypeScript decoder's offsets (btfStruct). A
 * const pointer in .rodata, which every object has anyway: no map, no cost. */
#define KEEP_BTF_TYPE(type, name) type *const keep_btf_##name __attribute__((used)) = 0

/* Read a field directly (tp_btf: BTF-typed pointers) or through bpf_probe_read_kernel (raw_tp).
 * `direct` is a compile-time constant in each caller, so only one branch is ever emitted. */
#define RD(direct, p, field) ((direct) ? (p)->field : BPF_CORE_READ(p, field))

#endif
