// /bin/child of the Linux boot test: started by /init through fork + execve, it proves that exec
// of a second static binary, argv and environment work, then exits with a known status (7).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kExitCode = 7 };

int main(int argc, char** argv) {
  const char* env = getenv("STRATO_TEST");
  char line[256];
  int n = snprintf(line, sizeof line, "strato-test-child: argc=%d argv[1]=%s env=%s ppid=%d\n",
                   argc, argc > 1 ? argv[1] : "(none)", env ? env : "(unset)", (int)getppid());
  if (n > 0) (void)!write(STDOUT_FILENO, line, strlen(line));
  return kExitCode;
}
