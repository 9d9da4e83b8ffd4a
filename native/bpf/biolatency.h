/* biolatency: block I/O latency (issue -> completion), log2 histogram of microseconds per
 * device. Layout shared with collectors/bpf/biolatency.ts. */
#ifndef DIAG_BIOLATENCY_H
#define DIAG_BIOLATENCY_H

#define BIOLATENCY_SLOTS 32

/* map `hist`: HASH, key struct bio_hist_key, value u64 count */
struct bio_hist_key {
	unsigned int dev; /* MKDEV: major << 20 | minor */
	unsigned int slot;
};

#endif
