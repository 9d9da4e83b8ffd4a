/**
 * A busy function of its own, built with frame pointers (leaf functions too: gcc may omit a
 * leaf's, which would hide its caller), called from main for a bounded time (argv[1] seconds,
 * default 20). Compile with compileC(name, BUSY_C, BUSY_C_FLAGS) from ./bpf.js.
 */
export const BUSY_C = `
#include <stdlib.h>
#include <time.h>
volatile unsigned long sink;
__attribute__((noinline)) void diagt_lat_hot_function(void) {
  for (unsigned long i = 0; i < 1000000; i++) sink += i * i;
}
int main(int argc, char **argv) {
  time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 20);
  while (time(NULL) < end) diagt_lat_hot_function();
  return 0;
}
`;
export const BUSY_C_FUNCTION = 'diagt_lat_hot_function';
export const BUSY_C_FLAGS = ['-O1', '-fno-omit-frame-pointer', '-mno-omit-leaf-frame-pointer'] as const;
