// N sleeping processes for the snapshot bench, fast: one fork each (no exec), so 20,000 start in
// a second or two where a shell needs minutes on a loaded host. Usage: sleepers N SECONDS.
// The caller starts it as the leader of a session of its own and ends the session by id; each
// child also dies with this parent (PR_SET_PDEATHSIG) and on its own after SECONDS (alarm).
// Prints "started N" once every child is forked, then waits for them.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s N SECONDS\n", argv[0]);
    return 64;
  }
  long n = strtol(argv[1], NULL, 10);
  unsigned seconds = (unsigned)strtoul(argv[2], NULL, 10);
  alarm(seconds + 5);
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      alarm(seconds);
      for (;;) pause();
    }
  }
  printf("started %ld\n", n);
  fflush(stdout);
  while (wait(NULL) > 0) {
  }
  return 0;
}
