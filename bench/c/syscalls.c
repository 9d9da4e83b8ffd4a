/* Makes getppid() system calls as fast as it can for SECONDS after reading a line on stdin (so
 * the probe can attach first); prints how many it made. Usage: syscalls SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  char line[16];
  alarm((unsigned)seconds + 30);
  if (!fgets(line, sizeof line, stdin)) return 1;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double end = ts.tv_sec + ts.tv_nsec / 1e9 + seconds, t = 0;
  unsigned long n = 0;
  do {
    for (int i = 0; i < 256; i++) syscall(SYS_getppid);
    n += 256;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: not a system call */
    t = ts.tv_sec + ts.tv_nsec / 1e9;
  } while (t < end);
  printf("%lu\n", n);
  return 0;
}
