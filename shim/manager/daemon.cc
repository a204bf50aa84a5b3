// The shim daemon: what `start` re-executes with the listening socket on fd 3.

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "shim/backend/make_sandbox.h"
#include "shim/events/publisher.h"
#include "shim/manager/child_reaper.h"
#include "shim/manager/commands.h"
#include "shim/task/task_rpc.h"
#include "shim/task/task_service.h"
#include "ttrpc/server.h"

namespace strato::shim {

namespace {

// Sent to ourselves when the Shutdown RPC decides the shim should exit, so that one thread
// (the signal loop) runs the whole shutdown.
constexpr int kShutdownSignal = SIGUSR1;

// containerd reads the bundle's `log` FIFO into its own log; stderr goes there if present.
void RedirectStderrToLogFifo(const std::string& bundle) {
  const std::string path = bundle + "/" + kLogFifo;
  int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;  // no FIFO, or nobody reading it: keep /dev/null
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
}

std::string ListenerPath(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  if (len <= offsetof(sockaddr_un, sun_path) || addr.sun_path[0] == '\0') return "";
  return std::string(addr.sun_path);
}

class LogOnlyPublisher : public EventPublisher {
 public:
  void Publish(const std::string& topic, const google::protobuf::Message& event) override {
    spdlog::warn("event {} not published ({} is not set): {}", topic, kTtrpcAddressEnv,
                 event.ShortDebugString());
  }
};

}  // namespace

int RunDaemon(const ShimFlags& flags) {
  const std::string bundle = BundleDir(flags);
  RedirectStderrToLogFifo(bundle);
  spdlog::info("shim daemon for {} (namespace {}) starting, pid {}", flags.id, flags.ns,
               ::getpid());

  int accepting = 0;
  socklen_t len = sizeof accepting;
  if (::getsockopt(kListenerFd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting) {
    throw UsageError(
        "without an action the shim runs as the daemon and expects its listening "
        "socket on fd 3; containerd runs it through `start`");
  }
  UniqueFd listener(kListenerFd);
  ::fcntl(kListenerFd, F_SETFD, FD_CLOEXEC);
  const std::string socket_path = ListenerPath(kListenerFd);

  // Descendants of the VM processes are re-parented to us, and we reap them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) ThrowErrno("PR_SET_CHILD_SUBREAPER");
  (void)::signal(SIGPIPE, SIG_IGN);  // EPIPE errors instead
  // Signals are handled by sigwait in this thread only; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGCHLD, kShutdownSignal}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::shared_ptr<EventPublisher> events;
  const char* ttrpc_address = std::getenv(kTtrpcAddressEnv);
  std::shared_ptr<TtrpcEventPublisher> ttrpc_events;
  if (ttrpc_address && *ttrpc_address) {
    ttrpc_events = std::make_shared<TtrpcEventPublisher>(ttrpc_address, flags.ns);
    events = ttrpc_events;
  } else {
    events = std::make_shared<LogOnlyPublisher>();
  }

  TaskServiceOptions options;
  options.ns = flags.ns;
  options.version = ShimVersion();
  options.on_shutdown = [] { ::kill(::getpid(), kShutdownSignal); };
  TaskService service(MakeSandbox(flags.ns), events, options);
  ttrpc::Server server;
  RegisterTaskService(server, service);
  std::thread serving([&] {
    try {
      server.Serve(std::move(listener));
    } catch (const std::exception& e) {
      spdlog::error("ttrpc server: {}", e.what());
      ::kill(::getpid(), SIGTERM);
    }
  });

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGCHLD) {
      ReapOrphanedChildren();
      continue;
    }
    spdlog::info("shutting down ({})",
                 sig == kShutdownSignal ? "Shutdown request" : strsignal(sig));
    break;
  }
  service.Stop();     // unblocks Wait calls, stops the sandbox
  server.Shutdown();  // in-flight responses go out, then connections close
  serving.join();
  if (ttrpc_events) ttrpc_events->Close(TtrpcEventPublisher::kDefaultFlushDeadline);
  if (!socket_path.empty()) ::unlink(socket_path.c_str());
  spdlog::info("shim daemon for {} exited", flags.id);
  return 0;
}

std::string BundleDir(const ShimFlags& flags) {
  if (!flags.bundle.empty()) return flags.bundle;
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  if (ec) throw Error("cannot determine the bundle directory: " + ec.message());
  return cwd.string();
}

std::string ShimVersion() {
  return std::string("strato ") + STRATO_VERSION;
}

}  // namespace strato::shim
