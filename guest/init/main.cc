// strato-init: PID 1 of a strato guest VM. See guest/init/init_main.h and docs/guest-init.md.

#include <unistd.h>

#include "guest/init/console_log.h"
#include "guest/init/init_main.h"

int main() {
  if (::getpid() != 1) {
    strato::guest::WriteAll(2, "strato-init: must run as PID 1 inside a strato VM\n");
    return 2;
  }
  return strato::guest::InitMain(strato::guest::InitOptions{});
}
