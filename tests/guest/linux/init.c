// /init of the Linux boot test's initramfs: a static program (glibc, hosted) that checks that
// guest user space works on the project's kernel (system calls, fork, exec, wait, signals) and
// then ends the VM. Every line it prints starts with "strato-test-init: " so the host test can
// assert each one. The kernel command line selects how the VM ends:
//   strato.test=reboot (default)  -> reboot(RB_AUTOBOOT)
//   strato.test=poweroff          -> reboot(RB_POWER_OFF)
// (Options with a dot are not passed to init, so it reads /proc/cmdline.)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
  kChildExitCode = 7,            // what /bin/child exits with
  kSignalChildSignal = SIGTERM,  // how the second child ends
  kSyscallLoopCount = 200,       // getppid calls timed for docs/benchmarks.md
};

static void Say(const char* format, ...) {
  char line[512];
  int prefix = snprintf(line, sizeof line, "strato-test-init: ");
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line + prefix, sizeof line - prefix - 1, format, args);
  va_end(args);
  size_t length = (size_t)prefix + (n < 0 ? 0 : (size_t)n);
  if (length > sizeof line - 2) length = sizeof line - 2;
  line[length++] = '\n';
  // One write per line, so lines from init and its children never interleave mid-line.
  (void)!write(STDOUT_FILENO, line, length);
}

// Reads a small /proc file into `buffer` without its trailing newline; returns 0 on success.
static int ReadSmallFile(const char* path, char* buffer, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buffer, size - 1);
  close(fd);
  if (n < 0) return -1;
  buffer[n] = '\0';
  while (n > 0 && buffer[n - 1] == '\n') buffer[--n] = '\0';
  return 0;
}

static double MonotonicSeconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

// fork + exec /bin/child; returns 1 if it exited with kChildExitCode.
static int CheckExecChild(void) {
  pid_t pid = fork();
  if (pid < 0) {
    Say("FAIL: fork: %s", strerror(errno));
    return 0;
  }
  if (pid == 0) {
    char* const argv[] = {"child", "hello", NULL};
    char* const envp[] = {"STRATO_TEST=1", NULL};
    execve("/bin/child", argv, envp);
    Say("FAIL: execve /bin/child: %s", strerror(errno));
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    Say("FAIL: waitpid: %s", strerror(errno));
    return 0;
  }
  if (WIFEXITED(status)) {
    Say("child exited with status %d", WEXITSTATUS(status));
    return WEXITSTATUS(status) == kChildExitCode;
  }
  Say("FAIL: child ended with wait status 0x%x", status);
  return 0;
}

// fork a child that kills itself with kSignalChildSignal; returns 1 if wait reports that signal.
static int CheckSignalledChild(void) {
  pid_t pid = fork();
  if (pid < 0) {
    Say("FAIL: fork: %s", strerror(errno));
    return 0;
  }
  if (pid == 0) {
    raise(kSignalChildSignal);
    _exit(0);  // not reached: the default action of SIGTERM terminates
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    Say("FAIL: waitpid: %s", strerror(errno));
    return 0;
  }
  if (WIFSIGNALED(status)) {
    Say("second child killed by signal %d", WTERMSIG(status));
    return WTERMSIG(status) == kSignalChildSignal;
  }
  Say("FAIL: second child ended with wait status 0x%x", status);
  return 0;
}

int main(void) {
  Say("start (pid %d)", (int)getpid());
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
    Say("FAIL: mount /proc: %s", strerror(errno));
  }
  char text[1024];
  if (ReadSmallFile("/proc/uptime", text, sizeof text) == 0) Say("uptime %s", text);
  int passed = 1;
  if (ReadSmallFile("/proc/version", text, sizeof text) == 0) {
    Say("/proc/version: %s", text);
  } else {
    Say("FAIL: read /proc/version: %s", strerror(errno));
    passed = 0;
  }

  double start = MonotonicSeconds();
  for (int i = 0; i < kSyscallLoopCount; ++i) syscall(SYS_getppid);
  Say("%d getppid calls took %.1f ms", kSyscallLoopCount, (MonotonicSeconds() - start) * 1e3);

  start = MonotonicSeconds();
  passed &= CheckExecChild();
  Say("fork+exec+wait took %.0f ms", (MonotonicSeconds() - start) * 1e3);
  passed &= CheckSignalledChild();

  int power_off = 0;
  if (ReadSmallFile("/proc/cmdline", text, sizeof text) == 0) {
    for (char* token = strtok(text, " "); token != NULL; token = strtok(NULL, " ")) {
      if (strcmp(token, "strato.test=poweroff") == 0) power_off = 1;
    }
  }
  Say(passed ? "all checks passed" : "FAIL: some checks failed");
  Say(power_off ? "powering off" : "rebooting");
  sync();
  reboot(power_off ? RB_POWER_OFF : RB_AUTOBOOT);
  Say("FAIL: reboot: %s", strerror(errno));
  return 1;  // init exiting makes the kernel panic, which also ends the VM
}
