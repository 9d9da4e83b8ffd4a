/* Pipe ping-pong between two processes pinned to one CPU: every round trip is two wakeups and
 * two context switches, the worst case for a scheduler probe. Prints round trips per second
 * (wall clock) and round trips per CPU second of both processes (robust to other load on the
 * host). Usage: pingpong SECONDS CPU */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 2.0;
  int cpu = argc > 2 ? atoi(argv[2]) : 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("sched_setaffinity"); return 1; }
  int ab[2], ba[2];
  if (pipe(ab) || pipe(ba)) { perror("pipe"); return 1; }
  pid_t child = fork();
  if (child == 0) {
    char c;
    alarm((unsigned)seconds + 5); /* bounded even if the parent dies */
    while (read(ab[0], &c, 1) == 1) if (write(ba[1], &c, 1) != 1) break;
    _exit(0);
  }
  char c = 'x';
  unsigned long trips = 0;
  double start = now(), end = start + seconds, t = start;
  while (t < end) {
    for (int i = 0; i < 1000; i++) {
      if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) { perror("pingpong"); return 1; }
    }
    trips += 1000;
    t = now();
  }
  close(ab[1]);
  waitpid(child, NULL, 0);
  struct rusage self, kids;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  double cpu_s = self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 + self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6 +
               kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6 + kids.ru_stime.tv_sec + kids.ru_stime.tv_usec / 1e6;
  printf("%.0f %.0f\n", trips / (t - start), trips / cpu_s);
  return 0;
}
