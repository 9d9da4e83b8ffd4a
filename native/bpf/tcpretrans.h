/* tcpretrans: TCP retransmissions counted in the kernel per connection and state.
 * Layout shared with collectors/bpf/tcpretrans.ts. */
#ifndef DIAG_TCPRETRANS_H
#define DIAG_TCPRETRANS_H

/* map `retrans`: HASH, key struct retrans_key (48 bytes), value u64 count */
struct retrans_key {
	unsigned int netns;     /* network namespace inode */
	unsigned short family;  /* AF_INET 2, AF_INET6 10 */
	unsigned short sport;   /* host order */
	unsigned short dport;   /* network order (as the kernel keeps it) */
	unsigned char state;    /* TCP_ESTABLISHED 1, ... */
	unsigned char pad[5];
	unsigned char saddr[16]; /* IPv4: first 4 bytes */
	unsigned char daddr[16];
};

#endif
