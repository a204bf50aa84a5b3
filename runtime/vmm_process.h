#pragma once
// One strato-vmm child process: started with posix_spawn in its own process group (a terminal's
// Ctrl-C reaches `strato run`, which forwards it to the container, not the VMM), stdin an empty
// pipe, stdout (the serial console with `--console -`) and stderr appended to a log file; its pid
// written atomically to a pid file so a later process (the shim's delete) can kill it.

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace strato::runtime {

class VmmProcess {
 public:
  // Starts `binary` with `args` (argv[1..]). Throws strato::Error naming the binary.
  VmmProcess(const std::string& binary, const std::vector<std::string>& args,
             const std::string& log_path, const std::string& pid_file);
  ~VmmProcess();  // SIGKILL + reap when still running
  VmmProcess(const VmmProcess&) = delete;
  VmmProcess& operator=(const VmmProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reaps without blocking; the exit code once the process has exited.
  std::optional<int> Poll();
  // Waits up to `timeout` for the exit; the exit code, or nullopt on timeout.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);
  // Blocks until the exit. Exit code: WEXITSTATUS, or 128 + signal number.
  int Wait();
  // SIGKILL unless already reaped; idempotent.
  void Kill();

 private:
  std::optional<int> Reap(bool block);

  pid_t pid_ = -1;
  std::mutex mu_;  // Poll/Kill may come from several threads (stdio streams dialled at once)
  std::optional<int> exit_code_;
};

// The last `max_lines` lines of a log file (console.log), "" when unreadable; for error messages.
std::string LogTail(const std::string& path, size_t max_lines = 20);

}  // namespace strato::runtime
