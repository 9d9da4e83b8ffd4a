/* diag's small CO-RE header: only the kernel types and fields diag's probes use.
 *
 * Every struct is marked preserve_access_index, so clang records each field access as a CO-RE
 * relocation and libbpf rewrites the offsets against the running kernel's BTF at load time.
 * Fields can therefore be listed in any order, with only the members we read, and nested
 * anonymous unions of the real kernel can be flattened. The build never reads the build host's
 * BTF (no generated vmlinux.h).
 *
 * Pitfall (measured): a kernel enum field declared here as `int` silently breaks its relocation
 * (every value reads 0). Declare an enum of the same name instead.
 */
#ifndef DIAG_CORE_H
#define DIAG_CORE_H

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
#define true 1
#define false 0

/* The handful of UAPI BPF definitions the programs need (values are part of the kernel ABI). */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_STACK_TRACE = 7,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};
enum {
	BPF_F_NO_PREALLOC = (1U << 0),
};
enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = (1ULL << 0),
};
enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};
enum {
	BPF_F_USER_STACK = (1ULL << 8),
	BPF_F_FAST_STACK_CMP = (1ULL << 9),
};
enum {
	BPF_RB_NO_WAKEUP = (1ULL << 0),
	BPF_RB_FORCE_WAKEUP = (1ULL << 1),
};
enum {
	BPF_RB_AVAIL_DATA = 0,
};
#define E2BIG 7
#define EEXIST 17

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	possible_net_t nd_net;
	int ifindex;
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	possible_net_t skc_net;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol; /* a u16 since v5.6 (commit bf9765145b85); a bitfield before */
	int sk_err;
};

struct sk_buff {
	struct net_device *dev;
	struct sock *sk;
	unsigned int len;
	__be16 protocol;
};

struct signal_struct {
	short oom_score_adj;
};

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	int pid;
	int tgid;
	char comm[16];
	struct task_struct *real_parent;
	struct signal_struct *signal;
};

struct linux_binprm {
	const char *filename;
};

struct gendisk {
	int major;
	int first_minor;
};

struct request_queue {
	struct gendisk *disk;
};

struct request {
	struct request_queue *q;
	unsigned int cmd_flags; /* blk_opf_t (a __bitwise u32 typedef, not an enum) */
	unsigned int __data_len;
	unsigned long long __sector;
};

/* Syscall arguments (x86_64 syscall ABI: di, si, dx, r10, r8, r9); other architectures' probes
 * record no arguments (syscalls.bpf.c). */
struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
	unsigned long r10;
	unsigned long r8;
	unsigned long r9;
};

/* Records of classic tracepoints (the format files), relocated like any kernel struct: their
 * layout changes between kernels (e.g. skb:kfree_skb gained rx_sk before protocol in 6.11). */
struct trace_entry {
	unsigned short type;
};

struct trace_event_raw_sched_wakeup_template {
	struct trace_entry ent;
	int pid;
};

struct trace_event_raw_sched_switch {
	struct trace_entry ent;
	int prev_pid;
	long prev_state;
	int next_pid;
};

struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
};

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
};

/* Declared as an enum on purpose (see the pitfall above); values come from the kernel's BTF at
 * run time, never from this header. */
enum skb_drop_reason {
	SKB_NOT_DROPPED_YET = 0,
};

struct trace_event_raw_kfree_skb {
	struct trace_entry ent;
	void *skbaddr;
	void *location;
	unsigned short protocol;
	enum skb_drop_reason reason;
};

#pragma clang attribute pop

#endif
