/* runqlat: run-queue latency (wakeup or preemption -> on CPU), log2 histogram in microseconds.
 * Layout shared with collectors/bpf/runqlat.ts. */
#ifndef DIAG_RUNQLAT_H
#define DIAG_RUNQLAT_H

#define RUNQLAT_SLOTS 32

/* map `hist`: PERCPU_ARRAY, key u32 slot, value u64 count (summed over CPUs by user space).
 * map `hist_proc` (per_process): HASH, key struct proc_slot, value u64 count. */
struct proc_slot {
	unsigned int tgid; /* the process that waited (classic tp: the thread id) */
	unsigned int slot;
};

#endif
