/*
 * procscan: the floor for one diag host scan. Reads the same files diag reads, with plain
 * open/read/close into one buffer, lists the same directories, follows the same links and
 * statfs()s the same mounts, and parses nothing. Built and run by bench/scan.mjs.
 *
 * usage: procscan PLAN RUNS WARMUP
 * PLAN holds one "<kind> <path>" per line (written by the bench from a recording of what the
 * registered collectors read):
 *   F path   read a host file            (/proc/stat, /sys/block/sda/stat, ...)
 *   D path   list a host directory       (/sys/class/net, ...)
 *   L path   readlink a host path
 *   S path   statfs a mount point
 *   f name   read /proc/PID/name for every PID listed in /proc
 *   d name   list /proc/PID/name for every PID (e.g. fd)
 *   l name   readlink /proc/PID/name for every PID (e.g. ns/net)
 * With any per-PID line, a run lists /proc to find the PIDs (the plan then has no "D /proc").
 * Prints one JSON line: {"runs_ms":[...],"runs_cpu_ms":[...],"pids":N,"files":N,"bytes":N,
 * "gone":N}: wall-clock and CPU time (CLOCK_PROCESS_CPUTIME_ID) of each run; the counts describe
 * the last run, "gone" counting inputs that vanished or failed during it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

enum { MAX_ITEMS = 65536, MAX_PATH = 4096 };

struct item {
	char kind;
	char *path;
};

static struct item items[MAX_ITEMS];
static int nitems;
static char buf[64 * 1024];
static long long files, bytes, gone, pids;

static void read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		gone++;
		return;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gone++;
			break;
		}
		if (n == 0)
			break;
		bytes += n;
	}
	close(fd);
	files++;
}

static void list_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		gone++;
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		bytes += (long long)strlen(e->d_name);
	closedir(d);
	files++;
}

static void read_link(const char *path)
{
	char target[MAX_PATH];
	ssize_t n = readlink(path, target, sizeof target);
	if (n < 0)
		gone++;
	else
		bytes += n;
	files++;
}

static void stat_fs(const char *path)
{
	struct statfs s;
	if (statfs(path, &s) != 0)
		gone++;
	else
		bytes += (long long)sizeof s;
	files++;
}

static void do_item(char kind, const char *path)
{
	switch (kind) {
	case 'F': case 'f': read_file(path); break;
	case 'D': case 'd': list_dir(path); break;
	case 'L': case 'l': read_link(path); break;
	case 'S': stat_fs(path); break;
	}
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int per_pid;

static void scan(void)
{
	files = bytes = gone = pids = 0;
	for (int i = 0; i < nitems; i++)
		if (items[i].kind >= 'A' && items[i].kind <= 'Z')
			do_item(items[i].kind, items[i].path);
	if (!per_pid)
		return;
	DIR *proc = opendir("/proc");
	if (!proc) {
		perror("opendir /proc");
		exit(1);
	}
	struct dirent *e;
	char path[MAX_PATH];
	while ((e = readdir(proc)) != NULL) {
		if (!all_digits(e->d_name))
			continue;
		pids++;
		for (int i = 0; i < nitems; i++) {
			if (items[i].kind < 'a' || items[i].kind > 'z')
				continue;
			snprintf(path, sizeof path, "/proc/%s/%s", e->d_name, items[i].path);
			do_item(items[i].kind, path);
		}
	}
	closedir(proc);
}

static double now_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s PLAN RUNS WARMUP\n", argv[0]);
		return 64;
	}
	int runs = atoi(argv[2]), warmup = atoi(argv[3]);
	if (runs < 1 || runs > 100000 || warmup < 0) {
		fprintf(stderr, "procscan: bad RUNS or WARMUP\n");
		return 64;
	}
	FILE *plan = fopen(argv[1], "r");
	if (!plan) {
		perror(argv[1]);
		return 66;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, plan)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len < 3 || line[1] != ' ' || !strchr("FDLSfdl", line[0]))
			continue;
		if (nitems == MAX_ITEMS) {
			fprintf(stderr, "procscan: plan too long\n");
			return 65;
		}
		items[nitems].kind = line[0];
		if (line[0] >= 'a' && line[0] <= 'z')
			per_pid = 1;
		items[nitems].path = strdup(line + 2);
		nitems++;
	}
	free(line);
	fclose(plan);

	for (int i = 0; i < warmup; i++)
		scan();
	/* wall[i] and cpu[i]: CLOCK_MONOTONIC and CLOCK_PROCESS_CPUTIME_ID time of run i */
	double *wall = calloc((size_t)runs, sizeof *wall), *cpu = calloc((size_t)runs, sizeof *cpu);
	if (!wall || !cpu)
		return 71;
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		scan();
		cpu[i] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
		wall[i] = now_ms(CLOCK_MONOTONIC) - t0;
	}
	printf("{\"runs_ms\":[");
	for (int i = 0; i < runs; i++)
		printf("%s%.4f", i ? "," : "", wall[i]);
	printf("],\"runs_cpu_ms\":[");
	for (int i = 0; i < runs; i++)
		printf("%s%.4f", i ? "," : "", cpu[i]);
	printf("],\"pids\":%lld,\"files\":%lld,\"bytes\":%lld,\"gone\":%lld}\n", pids, files, bytes, gone);
	free(wall);
	free(cpu);
	return 0;
}
