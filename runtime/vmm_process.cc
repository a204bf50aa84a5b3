#include "runtime/vmm_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "common/error.h"
#include "common/file_util.h"

extern char** environ;

namespace strato::runtime {
namespace {

// How often WaitFor polls the child: short against a VMM that runs for seconds.
constexpr std::chrono::milliseconds kWaitPollInterval{5};
// LogTail reads at most this much of the end of the log.
constexpr off_t kLogTailBytes = 16 * 1024;

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 128 + WTERMSIG(wait_status);
}

// posix_spawn* return the error number instead of setting errno.
void Check(int rc, const std::string& what) {
  if (rc != 0) ThrowErrno(what, rc);
}

}  // namespace

VmmProcess::VmmProcess(const std::string& binary, const std::vector<std::string>& args,
                       const std::string& log_path, const std::string& pid_file) {
  // stdin: a pipe with no writer, so the VMM's console input sees end of file at once.
  int stdin_pipe[2];
  if (::pipe2(stdin_pipe, O_CLOEXEC) != 0) ThrowErrno("pipe for strato-vmm's stdin");
  UniqueFd stdin_read(stdin_pipe[0]);
  UniqueFd stdin_write(stdin_pipe[1]);
  UniqueFd log = OpenOrThrow(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

  posix_spawn_file_actions_t actions;
  Check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
  posix_spawnattr_t attr;
  Check(posix_spawnattr_init(&attr), "posix_spawnattr_init");
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  sigfillset(&default_signals);
  int rc = posix_spawn_file_actions_adddup2(&actions, stdin_read.get(), STDIN_FILENO);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, log.get(), STDOUT_FILENO);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, log.get(), STDERR_FILENO);
  // Own process group (pgid = its pid); no blocked or ignored signals inherited from us.
  if (rc == 0) {
    rc = posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  if (rc == 0) rc = posix_spawnattr_setpgroup(&attr, 0);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &empty_mask);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &default_signals);
  if (rc == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    rc = posix_spawn(&pid_, binary.c_str(), &actions, &attr, argv.data(), environ);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    ThrowErrno("start " + binary, rc);
  }
  try {
    WriteFileAtomic(pid_file, std::to_string(pid_) + "\n");
  } catch (...) {
    Kill();
    throw;
  }
}

VmmProcess::~VmmProcess() {
  Kill();
}

std::optional<int> VmmProcess::Reap(bool block) {
  while (true) {
    if (block) {
      // Wait for the exit without reaping and without the lock: a Wait() that blocks for the VM's
      // whole life (the shim's VMM watcher) must not hold up Poll() or Kill() on other threads.
      // Unreaped, the pid cannot be reused, so reaping below under the lock stays exact.
      pid_t pid;
      {
        std::lock_guard lock(mu_);
        if (exit_code_ || pid_ < 0) return exit_code_;
        pid = pid_;
      }
      siginfo_t info{};
      while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 &&
             errno == EINTR) {
      }
      // Any other failure (ECHILD: another thread reaped it) is sorted out under the lock.
    }
    std::lock_guard lock(mu_);
    if (exit_code_ || pid_ < 0) return exit_code_;
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
      exit_code_ = ExitCodeOf(status);
    } else if (r < 0) {
      ThrowErrno("waitpid strato-vmm " + std::to_string(pid_));
    }
    if (exit_code_ || !block) return exit_code_;
  }
}

std::optional<int> VmmProcess::Poll() {
  return Reap(false);
}

std::optional<int> VmmProcess::WaitFor(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto code = Reap(false)) return code;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kWaitPollInterval);
  }
}

int VmmProcess::Wait() {
  return *Reap(true);
}

void VmmProcess::Kill() {
  {
    std::lock_guard lock(mu_);
    if (pid_ < 0 || exit_code_) return;
    ::kill(pid_, SIGKILL);  // not reaped yet, so the pid cannot have been reused
  }
  Reap(true);
}

std::string LogTail(const std::string& path, size_t max_lines) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size <= 0) return "";
  off_t start = size > kLogTailBytes ? size - kLogTailBytes : 0;
  std::string text(static_cast<size_t>(size - start), '\0');
  size_t got = PreadFull(fd.get(), text.data(), text.size(), static_cast<uint64_t>(start), path);
  text.resize(got);
  // The serial console ends lines with "\r\n".
  std::string clean;
  for (char c : text) {
    if (c != '\r') clean += c;
  }
  while (!clean.empty() && clean.back() == '\n') clean.pop_back();
  size_t pos = clean.size();
  for (size_t lines = 0; lines < max_lines && pos != std::string::npos && pos > 0; ++lines) {
    pos = clean.rfind('\n', pos - 1);
  }
  return pos == std::string::npos || pos == 0 ? clean : clean.substr(pos + 1);
}

}  // namespace strato::runtime
