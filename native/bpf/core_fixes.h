/* CO-RE shims: kernel fields that were renamed or moved, each with the kernel commit that did
 * it. The current name is declared in diag_core.h; the old one here as a "flavour" (a struct
 * named <type>___<suffix>, which libbpf relocates against <type>), and a helper picks whichever
 * the running kernel has (bpf_core_field_exists is resolved at load time: no run-time cost).
 * Included by the programs that need them, after common.h. */
#ifndef DIAG_CORE_FIXES_H
#define DIAG_CORE_FIXES_H

#include "diag_core.h"
#include <bpf/bpf_core_read.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* commit 2f064a59a11f ("sched: Change task_struct::state", v5.14) renamed task_struct::state
 * (a volatile long) to __state (an unsigned int) so that stray readers fail to build. */
struct task_struct___pre514 {
	long state;
};

/* commit f3fa33acca9f ("block: remove the ->rq_disk field in struct request", v5.17) removed
 * request::rq_disk; commit d152c682f03c ("block: add an explicit ->disk backpointer to the
 * request_queue", v5.15) had added request_queue::disk, which is read instead. */
struct request___pre517 {
	struct gendisk *rq_disk;
};

#pragma clang attribute pop

/* task_struct's state on any kernel; `direct`: tp_btf programs may read BTF pointers directly. */
static __always_inline unsigned int diag_task_state(struct task_struct *t, bool direct)
{
	if (bpf_core_field_exists(t->__state))
		return direct ? t->__state : BPF_CORE_READ(t, __state);
	struct task_struct___pre514 *old = (void *)t;
	return (unsigned int)BPF_CORE_READ(old, state);
}

/* The disk a request is for, on any kernel (NULL for a request without one). */
static __always_inline struct gendisk *diag_request_disk(struct request *rq)
{
	if (bpf_core_field_exists(rq->q->disk))
		return BPF_CORE_READ(rq, q, disk);
	struct request___pre517 *old = (void *)rq;
	return BPF_CORE_READ(old, rq_disk);
}

#endif
