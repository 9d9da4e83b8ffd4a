/* syscalls: per process and system call, counts and a log2 histogram of latencies (ns), and the
 * slowest call with its arguments. Layout shared with collectors/bpf/syscalls.ts. */
#ifndef DIAG_SYSCALLS_H
#define DIAG_SYSCALLS_H

/* Slot k holds latencies in [2^k, 2^(k+1)) ns; the last slot everything from 2^35 ns (34 s). */
#define SYSCALLS_SLOTS 36

/* map `stats`: HASH, key struct sc_key, value struct sc_stats. */
struct sc_key {
	unsigned int tgid;
	unsigned int nr; /* system call number (the architecture's table) */
};

struct sc_stats {
	unsigned long long count;
	unsigned long long total_ns;
	/* The slowest call: latency, its arguments (x86_64 only; zeros elsewhere), return value, thread. */
	unsigned long long max_ns;
	unsigned long long max_args[6];
	long long max_ret;
	unsigned int max_tid;
	unsigned int pad;
	unsigned long long slots[SYSCALLS_SLOTS];
};

/* A call in flight (per thread: task storage for tp_btf, a hash by thread id otherwise). */
struct sc_start {
	unsigned long long ts;
	unsigned long long args[6];
	unsigned int nr;
	unsigned int pad;
};

#endif
