/* offcpu: time tasks spend off a CPU, per (thread, kernel stack, user stack, state) at the
 * moment they were switched out. Layout shared with collectors/bpf/offcpu.ts. */
#ifndef DIAG_OFFCPU_H
#define DIAG_OFFCPU_H

#define OFFCPU_STACK_DEPTH 127

/* map `counts`: HASH, key struct offcpu_key, value struct offcpu_val.
 * map `stacks`: STACK_TRACE, key u32 stack id, value u64[OFFCPU_STACK_DEPTH] addresses. */
struct offcpu_key {
	unsigned int tgid;
	unsigned int pid;
	int kstack; /* stack id in `stacks`, negative when none */
	int ustack;
	/* task state when switched out; 0: preempted while runnable (it waited on a run queue) */
	unsigned int state;
	unsigned int pad;
	char comm[16];
};

struct offcpu_val {
	unsigned long long total_ns;
	unsigned long long count;
};

/* A task switched out (per task: task storage for tp_btf, a hash by thread id for raw_tp). */
struct offcpu_start {
	unsigned long long ts;
	int kstack;
	int ustack;
	unsigned int state;
	unsigned int pad;
};

#endif
