/* execsnoop: one record per successful exec. Layout shared with collectors/bpf/execsnoop.ts. */
#ifndef DIAG_EXECSNOOP_H
#define DIAG_EXECSNOOP_H

#define EXEC_FILENAME_LEN 256

/* ring buffer `events`: struct exec_event (296 bytes) */
struct exec_event {
	unsigned long long ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	unsigned int pid;         /* thread id */
	unsigned int tgid;
	unsigned int ppid;        /* parent's thread-group id */
	unsigned int uid;
	char comm[16];
	char filename[EXEC_FILENAME_LEN];
};

#endif
