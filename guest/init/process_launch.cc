#include "guest/init/process_launch.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/file_util.h"
#include "guest/init/console_log.h"
#include "guest/init/fs_ops.h"
#include "guest/init/path_lookup.h"

namespace strato::guest {

namespace {

[[noreturn]] void ChildFail(int code, const std::string& message) {
  WriteAll(STDERR_FILENO, "strato-init: " + message + "\n");
  ::_exit(code);
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

void SwitchUser(const oci::User& user) {
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  if (::setgroups(groups.size(), groups.empty() ? nullptr : groups.data()) != 0) {
    ThrowErrno("setgroups");
  }
  if (::setgid(user.gid) != 0) ThrowErrno("setgid " + std::to_string(user.gid));
  if (::setuid(user.uid) != 0) ThrowErrno("setuid " + std::to_string(user.uid));
}

void WriteOomScoreAdj(int32_t score) {
  UniqueFd fd(::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
  if (!fd.valid() || !WriteAll(fd.get(), std::to_string(score))) {
    ThrowErrno("oom_score_adj " + std::to_string(score));
  }
}

void WireStdio(const ChildStdio& stdio) {
  const int sources[] = {stdio.in, stdio.out, stdio.err};
  for (int target = STDIN_FILENO; target <= STDERR_FILENO; ++target) {
    int source = sources[target];
    if (source < 0) continue;
    if (source == target) {
      // dup2 onto itself keeps close-on-exec: clear it instead.
      if (::fcntl(target, F_SETFD, 0) != 0) ThrowErrno("fcntl stdio fd " + std::to_string(target));
    } else if (::dup2(source, target) < 0) {
      ThrowErrno("dup2 stdio fd " + std::to_string(target));
    }
  }
  if (stdio.controlling_terminal && ::ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0) {
    ThrowErrno("TIOCSCTTY");
  }
}

// Caught signals go back to their default action (ignored ones stay ignored, as across execve).
void ResetSignalHandlers() {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction current {};
    if (::sigaction(sig, nullptr, &current) != 0) continue;  // not a valid signal number
    if (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN) continue;
    ::signal(sig, SIG_DFL);
  }
}

// Everything between fork and execve, in runc's order (libcontainer/init_linux.go
// finalizeNamespace and standard_init_linux.go).
[[noreturn]] void RunChild(const PreparedProcess& prep, const sigset_t& mask,
                           const ChildStdio& stdio) {
  const oci::Process& p = *prep.process;
  try {
    if (::sigprocmask(SIG_SETMASK, &mask, nullptr) != 0) ThrowErrno("sigprocmask");
    if (::setsid() < 0) ThrowErrno("setsid");
    WireStdio(stdio);
    ApplyRlimits(prep.rlimits);
    // Lowering the score needs CAP_SYS_RESOURCE: before any capability is dropped.
    if (p.oom_score_adj) WriteOomScoreAdj(*p.oom_score_adj);
    if (::chdir(p.cwd.c_str()) != 0) {
      if (errno != ENOENT) ThrowErrno("chdir " + p.cwd);
      MkdirAll(p.cwd);
      if (::chdir(p.cwd.c_str()) != 0) ThrowErrno("chdir " + p.cwd);
    }
    if (prep.capabilities) DropBoundingCapabilities(*prep.capabilities);
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it.
    if (prep.seccomp && !p.no_new_privileges) LoadSeccomp(*prep.seccomp);
    if (prep.capabilities && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
      ThrowErrno("prctl PR_SET_KEEPCAPS");
    }
    SwitchUser(p.user);
    if (prep.capabilities) {
      if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) ThrowErrno("prctl PR_SET_KEEPCAPS");
      SetCapabilitySets(*prep.capabilities);
    }
    ::umask(static_cast<mode_t>(p.user.umask.value_or(kDefaultUmask)));
    if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      ThrowErrno("prctl PR_SET_NO_NEW_PRIVS");
    }
  } catch (const std::exception& e) {
    ChildFail(kExitLaunchFailed, std::string("cannot start the container process: ") + e.what());
  }
  // Looked up as the final user, in the final cwd, before the filter (it might deny stat).
  ExecTarget target = ResolveExecutable(p.args[0], PathFromEnv(p.env), ProbeFile);
  if (target.exit_code != 0) ChildFail(target.exit_code, target.error);
  std::vector<char*> argv = CStrings(p.args);
  std::vector<char*> envp = CStrings(p.env);
  if (prep.seccomp && p.no_new_privileges) {
    try {
      LoadSeccomp(*prep.seccomp);
    } catch (const std::exception& e) {
      ChildFail(kExitLaunchFailed, e.what());
    }
  }
  ::execve(target.path.c_str(), argv.data(), envp.data());
  ExecTarget failure = ExecFailure(target.path, errno);
  ChildFail(failure.exit_code, failure.error);
}

}  // namespace

PreparedProcess PrepareProcess(const oci::Process& process,
                               const std::optional<oci::Seccomp>& seccomp) {
  PreparedProcess prep;
  prep.process = &process;
  if (process.args.empty()) throw Error("process.args is empty");
  prep.rlimits = PlanRlimits(process.rlimits);
  if (process.capabilities) prep.capabilities = PlanCapabilities(*process.capabilities);
  if (seccomp) prep.seccomp.emplace(CompileSeccomp(PlanSeccomp(*seccomp)));
  return prep;
}

pid_t LaunchProcess(const PreparedProcess& prepared, const sigset_t& child_signal_mask,
                    const ChildStdio& stdio) {
  // Every signal is blocked across fork, as posix_spawn does: a signal sent to the new pid
  // before execve (the host may signal right after StartProcess) must not run one of the
  // parent's handlers in the child. The child resets them, then RunChild restores its mask.
  sigset_t all;
  sigset_t saved;
  sigfillset(&all);
  if (::pthread_sigmask(SIG_SETMASK, &all, &saved) != 0) ThrowErrno("pthread_sigmask");
  pid_t pid = ::fork();
  if (pid == 0) {
    ResetSignalHandlers();
    RunChild(prepared, child_signal_mask, stdio);
  }
  int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) ThrowErrno("fork the container process", fork_errno);
  return pid;
}

}  // namespace strato::guest
