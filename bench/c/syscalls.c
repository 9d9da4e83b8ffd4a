/* Makes getppid() system calls as fast as it can for SECONDS after reading a line on stdin (so
 * the probe can attach first); prints how many it made. Usage: syscalls SECONDS [rate]
 * With "rate" it starts at once and prints calls per wall-clock second and per CPU second of
 * its own (robust to other load on the host). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  char line[16];
  alarm((unsigned)seconds + 30);
  int rate = argc > 2 && strcmp(argv[2], "rate") == 0;
  if (!rate && !fgets(line, sizeof line, stdin)) return 1;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double start = ts.tv_sec + ts.tv_nsec / 1e9, end = start + seconds, t = 0;
  unsigned long n = 0;
  do {
    for (int i = 0; i < 256; i++) syscall(SYS_getppid);
    n += 256;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: not a system call */
    t = ts.tv_sec + ts.tv_nsec / 1e9;
  } while (t < end);
  if (rate) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("%.0f %.0f\n", n / (t - start), cpu > 0 ? n / cpu : 0);
    return 0;
  }
  printf("%lu\n", n);
  return 0;
}
