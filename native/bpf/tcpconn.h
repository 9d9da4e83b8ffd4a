/* tcpconn: TCP state changes (sock:inet_sock_set_state) with connect latency and connection
 * lifetimes. Layout shared with collectors/bpf/tcpconn.ts. */
#ifndef DIAG_TCPCONN_H
#define DIAG_TCPCONN_H

/* Per socket seen being born (map `socks`, key: the socket's address). */
struct tcp_sk_info {
	unsigned long long birth_ns; /* CLOSE -> SYN_SENT (active) or -> SYN_RECV (passive) */
	unsigned long long syn_ns;   /* SYN_SENT entered (0: passive) */
	unsigned int tgid;           /* the process that connected or closed it (0: not known yet) */
	unsigned int pid;
	char comm[16];
};

#define TCPCONN_LATENCY 1  /* latency_ns holds SYN_SENT -> ESTABLISHED */
#define TCPCONN_LIFETIME 2 /* lifetime_ns holds birth -> CLOSE */

/* ring buffer `events`: struct tcp_event (112 bytes), one per state change */
struct tcp_event {
	unsigned long long ts_ns;
	unsigned long long skaddr;      /* identifies the socket within the run (its address ^ a random salt) */
	unsigned long long latency_ns;
	unsigned long long lifetime_ns;
	unsigned int tgid;
	unsigned int pid;
	unsigned int netns;
	int error;                      /* sk->sk_err at the change (ECONNREFUSED, ECONNRESET, ETIMEDOUT) */
	unsigned short family;
	unsigned short sport;           /* host order */
	unsigned short dport;           /* host order */
	unsigned char oldstate;
	unsigned char newstate;
	unsigned char saddr[16];
	unsigned char daddr[16];
	char comm[16];
	unsigned int flags;             /* TCPCONN_* */
	unsigned int pad;
};

#endif
