#pragma once
// A GuestVm without a VM, for VmSandbox tests: processes are threads behaving as told (echo
// stdin to stdout, print and exit, run until signalled), stdio streams are socketpairs, and the
// "VMM" can power off, be killed, or crash. Every agent call is recorded.

#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shim/backend/guest_vm.h"
#include "ttrpc/status.h"

namespace strato::shim::testing {

struct GuestBehavior {
  bool echo_stdin = false;            // copy stdin to stdout until EOF, then exit
  std::string output;                 // written to stdout at start
  std::string error_output;           // written to stderr at start
  std::optional<uint32_t> exit_code;  // exit after the output (or echo); else run until killed
};

class FakeGuestVm : public GuestVm {
 public:
  struct Proc {
    std::string process_json;
    bool terminal = false;
    bool want_stdin = false, want_stdout = false, want_stderr = false;
    UniqueFd guest_stdin, guest_stdout, guest_stderr;  // the guest's ends of the streams
    uint32_t pid = 0;
    bool started = false;
    bool stdin_closed_by_agent = false;
    std::optional<ExitInfo> exit;
    std::thread worker;
  };

  FakeGuestVm(std::string state_dir, std::map<std::string, GuestBehavior> behaviors)
      : state_dir_(std::move(state_dir)), behaviors_(std::move(behaviors)) {
    std::filesystem::create_directories(state_dir_);
    std::ofstream(state_dir_ + "/console.log") << "[    0.000000] Linux version 6.1\n";
  }
  ~FakeGuestVm() override {
    PowerOff(kKilledCode);
    for (auto& [id, p] : procs_) {
      if (p.worker.joinable()) p.worker.join();
    }
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }

  static constexpr int kKilledCode = 137;

  void CreateProcess(const std::string& id, const std::string& json, bool terminal, bool want_stdin,
                     bool want_stdout, bool want_stderr) override {
    std::lock_guard l(mu_);
    CheckAlive();
    calls_.push_back("create " + Label(id));
    if (procs_.count(id)) throw ttrpc::AlreadyExists("process " + id);
    Proc& p = procs_[id];
    p.process_json = json;
    p.terminal = terminal;
    p.want_stdin = want_stdin;
    p.want_stdout = want_stdout;
    p.want_stderr = want_stderr;
  }

  UniqueFd OpenStream(const std::string& id, GuestStream stream) override {
    std::lock_guard l(mu_);
    CheckAlive();
    Proc& p = Get(id);
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw Error("socketpair");
    UniqueFd* guest = stream == GuestStream::kStdin    ? &p.guest_stdin
                      : stream == GuestStream::kStdout ? &p.guest_stdout
                                                       : &p.guest_stderr;
    guest->reset(fds[1]);
    return UniqueFd(fds[0]);
  }

  uint32_t StartProcess(const std::string& id) override {
    std::lock_guard l(mu_);
    CheckAlive();
    calls_.push_back("start " + Label(id));
    Proc& p = Get(id);
    p.started = true;
    p.pid = next_pid_++;
    GuestBehavior b = behaviors_.count(id) ? behaviors_[id] : GuestBehavior{};
    p.worker = std::thread([this, id, b] { RunProcess(id, b); });
    return p.pid;
  }

  ExitInfo WaitProcess(const std::string& id) override {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !vmm_exit_.has_value() ? procs_.count(id) && Get(id).exit : true; });
    if (procs_.count(id) && Get(id).exit) return *Get(id).exit;
    throw ttrpc::Unavailable("ttrpc: connection closed");
  }

  void SignalProcess(const std::string& id, int signal, bool all) override {
    std::lock_guard l(mu_);
    CheckAlive();
    calls_.push_back("signal " + Label(id) + " " + std::to_string(signal) + (all ? " all" : ""));
    Proc& p = Get(id);
    if (p.exit) throw ttrpc::NotFound("process already finished");
    ExitLocked(p, 128 + static_cast<uint32_t>(signal));
  }

  void CloseStdin(const std::string& id) override {
    std::lock_guard l(mu_);
    CheckAlive();
    calls_.push_back("closestdin " + Label(id));
    Get(id).stdin_closed_by_agent = true;
  }

  void ResizePty(const std::string& id, uint32_t columns, uint32_t rows) override {
    std::lock_guard l(mu_);
    CheckAlive();
    calls_.push_back("resize " + Label(id) + " " + std::to_string(columns) + "x" +
                     std::to_string(rows));
  }

  void DeleteProcess(const std::string& id) override {
    std::lock_guard l(mu_);
    CheckAlive();
    calls_.push_back("delete " + Label(id));
    Proc& p = Get(id);
    if (!p.exit) ExitLocked(p, kKilledCode);
  }

  std::vector<uint32_t> ListPids() override {
    std::lock_guard l(mu_);
    CheckAlive();
    std::vector<uint32_t> pids;
    for (auto& [id, p] : procs_) {
      if (p.started && !p.exit) pids.push_back(p.pid);
    }
    return pids;
  }

  GuestUsage Stats() override {
    std::lock_guard l(mu_);
    CheckAlive();
    return GuestUsage{4096, 8192, 77, 3};
  }

  void ShutdownGuest() override {
    std::lock_guard l(mu_);
    calls_.push_back("shutdown");
    if (ignore_shutdown_) return;
    PowerOffLocked(0);
  }

  void PauseVm() override {
    std::lock_guard l(mu_);
    calls_.push_back("pause");
  }
  void ResumeVm() override {
    std::lock_guard l(mu_);
    calls_.push_back("resume");
  }

  int vmm_pid() const override { return 4242; }

  int WaitVmmExit() override {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return vmm_exit_.has_value(); });
    return *vmm_exit_;
  }

  void KillVmm() override {
    std::lock_guard l(mu_);
    calls_.push_back("killvmm");
    PowerOffLocked(kKilledCode);
  }

  // Test controls.
  void Crash(int code) { PowerOff(code); }
  void IgnoreShutdown() { ignore_shutdown_ = true; }
  std::vector<std::string> calls() {
    std::lock_guard l(mu_);
    return calls_;
  }
  template <class F>
  auto WithProc(const std::string& id, F f) {
    std::lock_guard l(mu_);
    return f(Get(id));
  }

 private:
  static std::string Label(const std::string& id) { return id.empty() ? "-" : id; }
  Proc& Get(const std::string& id) {
    auto it = procs_.find(id);
    if (it == procs_.end()) throw ttrpc::NotFound("process " + Label(id));
    return it->second;
  }
  void CheckAlive() {
    if (vmm_exit_) throw ttrpc::Unavailable("ttrpc: connection closed");
  }

  // Like the agent: output streams are closed before the exit is reported.
  void ExitLocked(Proc& p, uint32_t status) {
    if (p.exit) return;
    CloseStreams(p);
    p.exit = ExitInfo{status, std::chrono::system_clock::now()};
    cv_.notify_all();
  }

  // shutdown() first: it wakes a worker blocked reading the stream, which close() would not.
  static void CloseStreams(Proc& p) {
    for (UniqueFd* fd : {&p.guest_stdin, &p.guest_stdout, &p.guest_stderr}) {
      if (fd->valid()) ::shutdown(fd->get(), SHUT_RDWR);
      fd->reset();
    }
  }

  void RunProcess(const std::string& id, GuestBehavior b) {
    // The worker's own duplicates: CloseStreams shuts the sockets down (which these see too)
    // without closing descriptors this thread is still using.
    UniqueFd out, err, in;
    {
      std::lock_guard l(mu_);
      Proc& p = Get(id);
      if (p.guest_stdout.valid()) out.reset(::dup(p.guest_stdout.get()));
      if (p.guest_stderr.valid()) err.reset(::dup(p.guest_stderr.get()));
      if (p.guest_stdin.valid()) in.reset(::dup(p.guest_stdin.get()));
    }
    const int out_fd = out.get(), err_fd = err.get(), in_fd = in.get();
    if (!b.output.empty() && out_fd >= 0) WriteAll(out_fd, b.output);
    if (!b.error_output.empty() && err_fd >= 0) WriteAll(err_fd, b.error_output);
    if (b.echo_stdin && in_fd >= 0) {
      char buf[4096];
      for (;;) {
        ssize_t n = ::read(in_fd, buf, sizeof buf);
        if (n <= 0) break;
        WriteAll(out_fd, std::string(buf, static_cast<size_t>(n)));
      }
    }
    if (b.exit_code) {
      std::lock_guard l(mu_);
      ExitLocked(Get(id), *b.exit_code);
    }
  }
  static void WriteAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  void PowerOff(int code) {
    std::lock_guard l(mu_);
    PowerOffLocked(code);
  }
  void PowerOffLocked(int code) {
    if (vmm_exit_) return;
    vmm_exit_ = code;
    for (auto& [id, p] : procs_) {
      CloseStreams(p);  // the VM is gone: streams close, no exit status is reported
    }
    cv_.notify_all();
  }

  const std::string state_dir_;
  std::map<std::string, GuestBehavior> behaviors_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Proc> procs_;
  std::vector<std::string> calls_;
  std::optional<int> vmm_exit_;
  uint32_t next_pid_ = 1;
  bool ignore_shutdown_ = false;
};

}  // namespace strato::shim::testing
