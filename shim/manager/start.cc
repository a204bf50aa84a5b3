// `containerd-shim-strato-v2 ... start`

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "shim/argv.h"
#include "shim/bundle.h"
#include "shim/manager/commands.h"
#include "shim/manager/socket_address.h"
#include "ttrpc/unix_socket.h"

namespace strato::shim {

namespace {

constexpr mode_t kSocketDirMode = 0700;
constexpr mode_t kSocketMode = 0600;

// True if something accepts connections on `path`.
bool SocketIsServed(const std::string& path) {
  try {
    ttrpc::ConnectUnix(path);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Binds the shim socket. Returns an invalid fd if a live shim already serves it.
UniqueFd ListenOrFindShim(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ::chmod(std::filesystem::path(path).parent_path().c_str(), kSocketDirMode);
  if (std::filesystem::exists(std::filesystem::symlink_status(path))) {
    if (SocketIsServed(path)) return UniqueFd();
    ::unlink(path.c_str());  // stale socket of a dead shim
  }
  try {
    UniqueFd fd = ttrpc::ListenUnix(path);
    if (::chmod(path.c_str(), kSocketMode) != 0) ThrowErrno("chmod " + path);
    return fd;
  } catch (const Error&) {
    // Another `start` of the same pod won the race: join its shim.
    if (SocketIsServed(path)) return UniqueFd();
    throw;
  }
}

// Forks the daemon: new session, stdio on /dev/null (containerd waits for EOF on the pipe it
// gave us), the listener on fd 3, cwd = bundle, then re-exec of this binary without action.
pid_t SpawnDaemon(const ShimFlags& flags, int listener, const std::string& bundle) {
  std::vector<std::string> args = DaemonArgs(flags);
  args.insert(args.begin(), "containerd-shim-strato-v2");
  std::vector<char*> argv = ArgvOf(args);
  pid_t pid = ::fork();
  if (pid < 0) ThrowErrno("fork the shim daemon");
  if (pid > 0) return pid;
  // Child: only async-signal-safe calls from here on.
  ::setsid();
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) ::_exit(127);
  if (listener == kListenerFd) {
    ::fcntl(kListenerFd, F_SETFD, 0);
  } else if (::dup2(listener, kListenerFd) < 0) {
    ::_exit(127);
  }
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) ::dup2(null_fd, fd);
  ::close_range(kListenerFd + 1, ~0U, 0);
  if (::chdir(bundle.c_str()) != 0) ::_exit(127);
  ::execv("/proc/self/exe", argv.data());
  ::_exit(127);
}

}  // namespace

int RunStart(const ShimFlags& flags, std::ostream& out) {
  if (flags.id.empty()) throw UsageError("start: -id is required");
  if (flags.ns.empty()) throw UsageError("start: -namespace is required");
  const std::string bundle = BundleDir(flags);
  BundleInfo info = ReadBundle(bundle);
  const std::string group = ShimGroupId(info, flags.id);
  const std::string address = ShimSocketAddress(flags.address, flags.ns, group);
  const std::string path = SocketPathOf(address);

  UniqueFd listener = ListenOrFindShim(path);
  if (!listener.valid()) {
    // The pod's shim is already running: this container joins it.
    WriteFileAtomic(bundle + "/" + kAddressFile, address);
    out << address;
    return 0;
  }
  try {
    WriteFileAtomic(bundle + "/" + kAddressFile, address);
    SpawnDaemon(flags, listener.get(), bundle);
  } catch (...) {
    ::unlink(path.c_str());
    std::error_code ec;
    std::filesystem::remove(bundle + "/" + kAddressFile, ec);
    throw;
  }
  out << address;
  return 0;
}

}  // namespace strato::shim
