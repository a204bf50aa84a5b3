// `strato run [flags] IMAGE [-- CMD ARGS...]`: prepares the image (layers converted through the
// cache), boots the container's microVM, starts the container process through the guest agent,
// pumps stdio (pipes, or one terminal stream with --tty), forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT
// (and SIGWINCH as a pty resize), and exits with the container's exit status. Host-side failures
// (image, layers, boot) exit 125 with "strato run: <message>" on stderr.
//
// `--log-level debug` logs each phase's duration ("phase prepare: 0.012 s", boot-to-agent, start,
// exit, teardown) for bench/run_bench.sh.

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <thread>

#include "cli/command.h"
#include "cli/commands/run_flags.h"
#include "common/error.h"
#include "common/paths.h"
#include "runtime/container_vm.h"
#include "runtime/image_launch.h"
#include "runtime/stdio_pump.h"
#include "runtime/terminal_mode.h"

namespace strato::cli {
namespace {

// Exit code of `strato run` when strato itself fails (docker run's convention).
constexpr int kExitHostError = 125;
// The container's own process in the agent protocol.
const std::string kContainerProcess;
// After the exit status, stdout/stderr reach EOF at once (the agent drains them first); this
// only guards against a broken guest.
constexpr std::chrono::seconds kOutputDrainTimeout{30};
// The VM powers off by itself after Shutdown; then it is killed.
constexpr std::chrono::milliseconds kVmmExitGrace{10000};
constexpr size_t kContainerIdBytes = 6;  // 12 hex digits, as docker's short ids

// Signals taken by the forwarder thread instead of their default action.
constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

std::string NewContainerId() {
  unsigned char bytes[kContainerIdBytes];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    ThrowErrno("getrandom");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

// Logs each phase's duration at debug level.
class PhaseClock {
 public:
  void End(const char* phase) {
    auto now = std::chrono::steady_clock::now();
    spdlog::debug("phase {}: {:.3f} s", phase, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  // A step inside the current phase, for finer splits (not counted as a phase).
  void Step(const char* what) {
    spdlog::debug("  {} after {:.3f} s", what,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count());
  }
  void Total() {
    spdlog::debug("phase total: {:.3f} s",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

// Blocks the forwarded signals, SIGWINCH and SIGPIPE in every thread (the mask is inherited) and
// takes them on a signalfd. Before the container runs a signal cancels the boot; afterwards it
// goes to the container process, and SIGWINCH resizes its terminal.
class SignalForwarder {
 public:
  SignalForwarder() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kForwardedSignals) sigaddset(&set, s);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGPIPE);  // writes to closed pipes/sockets fail with EPIPE instead
    if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) ThrowErrno("pthread_sigmask");
    sigdelset(&set, SIGPIPE);
    signal_fd_ = UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd_.valid()) ThrowErrno("signalfd");
    thread_ = std::thread([this] { Loop(); });
  }
  // The mask stays: `strato run` exits right after, and a signal still pending (a late Ctrl-C,
  // a SIGPIPE) must not kill it on the way out.
  ~SignalForwarder() {
    stop_.Cancel();
    thread_.join();
  }

  // From now on signals go to the container process (`tty`: SIGWINCH resizes its pty).
  void Attach(runtime::AgentClient* agent, bool tty) {
    tty_ = tty;
    agent_.store(agent);
    if (tty) Resize();
  }
  void Detach() { agent_.store(nullptr); }
  // The first signal that arrived before the container started (0 if none).
  int pending() const { return pending_.load(); }
  // Throws runtime::Cancelled once such a signal arrived (the preparation and boot poll this).
  void ThrowIfInterrupted() const {
    if (int signal = pending()) {
      throw runtime::Cancelled("interrupted by signal " + std::to_string(signal));
    }
  }

 private:
  void Loop() {
    while (true) {
      pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents & POLLIN) return;
      signalfd_siginfo info{};
      while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
        Handle(static_cast<int>(info.ssi_signo));
      }
    }
  }

  void Handle(int signal) {
    runtime::AgentClient* agent = agent_.load();
    if (signal == SIGWINCH) {
      if (agent && tty_) Resize();
      return;
    }
    if (!agent) {
      int none = 0;
      pending_.compare_exchange_strong(none, signal);
      return;
    }
    try {
      agent->SignalProcess(kContainerProcess, signal, /*all=*/false);
    } catch (const Error& e) {
      spdlog::debug("forwarding signal {}: {}", signal, e.what());
    }
  }

  void Resize() {
    runtime::AgentClient* agent = agent_.load();
    auto size = runtime::GetTerminalSize(STDIN_FILENO);
    if (!agent || !size) return;
    try {
      agent->ResizePty(kContainerProcess, size->columns, size->rows);
    } catch (const Error& e) {
      spdlog::debug("resizing the terminal: {}", e.what());
    }
  }

  UniqueFd signal_fd_;
  runtime::PumpCanceller stop_;
  std::thread thread_;
  std::atomic<runtime::AgentClient*> agent_{nullptr};
  std::atomic<int> pending_{0};
  bool tty_ = false;
};

// One output stream copied to a host fd on its own thread.
struct OutputPump {
  std::future<runtime::PumpResult> done;
  UniqueFd stream;
};

OutputPump StartOutputPump(UniqueFd stream, int host_fd) {
  OutputPump pump{{}, std::move(stream)};
  int from = pump.stream.get();
  pump.done = std::async(std::launch::async,
                         [from, host_fd] { return runtime::Pump(from, host_fd, nullptr, false); });
  return pump;
}

// Shuts the stream sockets down when RunContainer leaves early (an exception), so the pump
// threads return and their futures can be destroyed.
// Declared after the futures it protects, so it runs before their destructors wait.
class StreamShutdownGuard {
 public:
  explicit StreamShutdownGuard(runtime::PumpCanceller* canceller = nullptr)
      : canceller_(canceller) {}
  void Add(int fd) { fds_.push_back(fd); }
  ~StreamShutdownGuard() {
    if (canceller_) canceller_->Cancel();
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }

 private:
  runtime::PumpCanceller* canceller_;
  std::vector<int> fds_;
};

// Runs the container in a booted VM; returns its exit status.
int RunContainer(runtime::ContainerVm& vm, bool tty, SignalForwarder& signals, PhaseClock& clock) {
  runtime::AgentClient& agent = vm.agent();
  agent.CreateProcess(kContainerProcess, "", tty, /*want_stdin=*/true, /*want_stdout=*/true,
                      /*want_stderr=*/!tty);
  clock.Step("process created");
  // The streams are dialled at once: each is a vsock connection plus a bind handshake, and the
  // guest serves them together instead of one round trip after the other.
  auto open_stream = [&vm](runtime::StdioStream stream) {
    return std::async(std::launch::async,
                      [&vm, stream] { return vm.OpenStream(kContainerProcess, stream); });
  };
  auto stdout_stream = open_stream(runtime::StdioStream::kStdout);
  std::future<UniqueFd> stderr_stream;
  if (!tty) stderr_stream = open_stream(runtime::StdioStream::kStderr);
  UniqueFd stdin_stream = vm.OpenStream(kContainerProcess, runtime::StdioStream::kStdin);
  std::vector<OutputPump> outputs;
  outputs.push_back(StartOutputPump(stdout_stream.get(), STDOUT_FILENO));
  if (!tty) outputs.push_back(StartOutputPump(stderr_stream.get(), STDERR_FILENO));
  StreamShutdownGuard guard;
  guard.Add(stdin_stream.get());
  for (const OutputPump& pump : outputs) guard.Add(pump.stream.get());
  signals.ThrowIfInterrupted();
  std::optional<runtime::RawTerminal> raw;
  if (tty) raw.emplace(STDIN_FILENO);
  clock.Step("streams bound");
  uint32_t guest_pid = agent.StartProcess(kContainerProcess);
  signals.Attach(&agent, tty);
  clock.End("start");
  spdlog::debug("container process started: guest pid {}", guest_pid);

  runtime::PumpCanceller stop_stdin;
  int stdin_to = stdin_stream.get();
  auto stdin_done = std::async(std::launch::async, [stdin_to, &stop_stdin] {
    return runtime::Pump(STDIN_FILENO, stdin_to, &stop_stdin, /*half_close_to=*/true);
  });
  StreamShutdownGuard stdin_guard(&stop_stdin);
  stdin_guard.Add(stdin_to);

  runtime::ProcessExit exit = agent.WaitProcess(kContainerProcess);
  signals.Detach();
  clock.End("exit");
  for (OutputPump& pump : outputs) {
    if (pump.done.wait_for(kOutputDrainTimeout) != std::future_status::ready) {
      spdlog::warn("container output did not end {} s after the exit status; cutting it off",
                   kOutputDrainTimeout.count());
      ::shutdown(pump.stream.get(), SHUT_RDWR);
    }
    pump.done.get();
  }
  stop_stdin.Cancel();
  ::shutdown(stdin_to, SHUT_RDWR);  // unblocks a write to a guest that stopped reading
  stdin_done.get();
  return exit.exit_status;
}

}  // namespace

int RunRun(const std::vector<std::string>& args) {
  RunCommandOptions options = ParseRunFlags(args);
  if (options.help) {
    std::printf("%s", options.help_text.c_str());
    return 0;
  }
  PhaseClock clock;
  SignalForwarder signals;
  try {
    runtime::ImageRunOptions& run = options.run;
    run.id = NewContainerId();
    run.state_dir = std::string(paths::kRunStateRoot) + "/" + run.id;
    auto check_cancel = [&signals] { signals.ThrowIfInterrupted(); };
    run.check_cancel = check_cancel;
    runtime::ContainerLaunch launch = runtime::PrepareImageLaunch(run);
    clock.End("prepare");
    auto vm = runtime::ContainerVm::Boot(launch, options.boot_timeout, check_cancel);
    clock.End("boot-to-agent");
    int status;
    try {
      status = RunContainer(*vm, run.tty, signals, clock);
    } catch (const runtime::Cancelled&) {
      throw;
    } catch (const Error& e) {
      // The agent connection broke or a call failed: the console tells why (a guest panic...).
      std::string tail = vm->ConsoleTail();
      throw Error(std::string(e.what()) + (tail.empty() ? "" : "\nlast console lines:\n" + tail));
    }
    try {
      vm->agent().Shutdown();
    } catch (const Error& e) {
      // The agent may already be powering the VM off after returning the last exit status.
      spdlog::debug("agent Shutdown: {}", e.what());
    }
    int vmm_code = vm->WaitVmmExitOrKill(kVmmExitGrace);
    if (vmm_code != 0) spdlog::debug("strato-vmm exited with code {}", vmm_code);
    vm.reset();
    clock.End("teardown");
    clock.Total();
    return status;
  } catch (const runtime::Cancelled& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "strato run: %s\n", e.what());
    return 128 + signals.pending();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "strato run: %s\n", e.what());
    return kExitHostError;
  }
}

}  // namespace strato::cli
