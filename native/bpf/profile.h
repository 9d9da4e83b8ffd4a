/* profile: CPU stack sampling with perf events (cpu-clock), counted per stack in the kernel.
 * Layout shared with collectors/bpf/profile.ts. */
#ifndef DIAG_PROFILE_H
#define DIAG_PROFILE_H

#define PROFILE_STACK_DEPTH 127

/* map `counts`: HASH, key struct sample_key (32 bytes), value u64 samples.
 * map `stacks`: STACK_TRACE, key u32 stack id, value u64[PROFILE_STACK_DEPTH] addresses. */
struct sample_key {
	unsigned int tgid;
	unsigned int pid;
	int kstack; /* stack id in `stacks`, negative when none (-EFAULT: no user stack) */
	int ustack;
	char comm[16];
};

#endif
