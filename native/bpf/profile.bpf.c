/* profile: on each cpu-clock sample, the kernel and user stacks of the running task, counted
 * per (process, thread, stacks) in the kernel. */
#include "common.h"
#include "profile.h"

#define EFAULT 14

/* Count idle (pid 0) samples too. */
const volatile bool include_idle = false;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__type(key, u32);
	__uint(value_size, PROFILE_STACK_DEPTH * sizeof(u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sample_key);
	__type(value, u64);
} counts SEC(".maps");

SEC("perf_event")
int sample(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32;
	u32 pid = (u32)id;
	if (!pid && !include_idle)
		return 0;
	if (!tgid_allowed(tgid))
		return 0;
	struct sample_key k = {};
	k.tgid = tgid;
	k.pid = pid;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	k.kstack = bpf_get_stackid(ctx, &stacks, 0);
	k.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if ((k.kstack < 0 && k.kstack != -EFAULT) || (k.ustack < 0 && k.ustack != -EFAULT))
		count_lost(LOST_MAP); /* stack map full or a hash collision: that stack is missing */
	u64 *count = bpf_map_lookup_elem(&counts, &k);
	if (count) {
		__sync_fetch_and_add(count, 1);
		return 0;
	}
	u64 one = 1;
	int err = bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		count = bpf_map_lookup_elem(&counts, &k);
		if (count)
			__sync_fetch_and_add(count, 1);
	} else if (err) {
		count_lost(LOST_MAP);
	}
	return 0;
}
