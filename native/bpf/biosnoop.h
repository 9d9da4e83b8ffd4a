/* biosnoop: one record per completed block I/O, with the process that issued it. Layout shared
 * with collectors/bpf/biosnoop.ts. */
#ifndef DIAG_BIOSNOOP_H
#define DIAG_BIOSNOOP_H

/* Per request in flight (map `inflight`, key: the request's address). */
struct bio_start {
	unsigned long long start_ns; /* block_io_start (0 when that hook is not attached) */
	unsigned long long issue_ns; /* block_rq_issue */
	unsigned int tgid;           /* the process that submitted it (0: unknown, e.g. a kernel flush) */
	unsigned int pid;
	char comm[16];
};

/* ring buffer `events`: struct bio_event (72 bytes) */
struct bio_event {
	unsigned long long issue_ns;   /* CLOCK_MONOTONIC at issue to the driver */
	unsigned long long latency_ns; /* issue -> completion */
	unsigned long long queue_ns;   /* submission -> issue (0 when not measured) */
	unsigned long long sector;
	unsigned int bytes;            /* request size at issue */
	unsigned int dev;              /* MKDEV: major << 20 | minor */
	unsigned int tgid;
	unsigned int pid;
	unsigned int op;               /* REQ_OP_* (cmd_flags & 0xff) */
	int error;                     /* blk_status_t at completion (0: ok) */
	char comm[16];
};

#endif
