/* ringbench: a benchmark-only probe measuring ring-buffer delivery to JavaScript. One record per
 * system call entry of the chosen process. Layout shared with bench/bpf.mjs. */
#ifndef DIAG_RINGBENCH_H
#define DIAG_RINGBENCH_H

/* ring buffer `events`: struct ring_event (24 bytes) */
struct ring_event {
	unsigned long long ts_ns;
	unsigned long long seq; /* per-CPU sequence number, to find gaps */
	unsigned int pid;
	unsigned int syscall;
};

#endif
