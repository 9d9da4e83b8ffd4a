/* oomkill: one record per OOM victim. Layout shared with collectors/bpf/oomkill.ts. */
#ifndef DIAG_OOMKILL_H
#define DIAG_OOMKILL_H

/* ring buffer `events`: struct oom_event (64 bytes) */
struct oom_event {
	unsigned long long ts_ns;
	unsigned int victim_pid;
	unsigned int victim_tgid;
	unsigned int trigger_pid;  /* the task whose allocation ran out of memory */
	unsigned int trigger_tgid;
	int oom_score_adj;         /* of the victim */
	unsigned int pad;
	char victim_comm[16];
	char trigger_comm[16];
};

#endif
