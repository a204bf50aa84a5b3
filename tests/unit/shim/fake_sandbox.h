#pragma once
// A Sandbox that simulates processes in-process, for Task service tests: each process follows
// a Plan (output to write, exit code, how long it runs, whether it echoes stdin), signals end
// it with 128 + signal, and Crash() simulates the VM dying. Every backend call is recorded.

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shim/sandbox.h"

namespace strato::shim::testing {

struct Plan {
  std::string output;                    // written to stdout when started
  std::optional<uint32_t> exit_code;     // exit by itself with this code...
  std::chrono::milliseconds run_for{0};  // ...after this long (after output/echo)
  bool echo_stdin = false;         // copy stdin to stdout until EOF, then exit (exit_code or 0)
  bool exit_during_start = false;  // exits inside Start(), before the shim records the start
  std::optional<std::string> fail_start;
};

class FakeSandbox : public Sandbox {
 public:
  struct Proc {
    Plan plan;
    ProcessStdio stdio;
    uint32_t pid = 0;
    bool started = false;
    std::optional<ExitInfo> exit;
    bool deleted = false;
    std::thread worker;
  };

  ~FakeSandbox() override { Shutdown(); }

  void SetPlan(const std::string& cid, const std::string& eid, Plan plan) {
    std::lock_guard l(mu_);
    plans_[Key(cid, eid)] = std::move(plan);
  }
  void FailCreate(std::string message) { fail_create_ = std::move(message); }

  // The VM dies: every pending and future Wait fails.
  void Crash() {
    std::lock_guard l(mu_);
    crashed_ = true;
    cv_.notify_all();
  }

  // The guest reports an OOM kill.
  void TriggerOom(const std::string& cid) { ReportOom(cid); }

  std::vector<std::string> calls() {
    std::lock_guard l(mu_);
    return calls_;
  }

  uint32_t Create(const ContainerConfig& config, ProcessStdio stdio) override {
    std::lock_guard l(mu_);
    calls_.push_back("Create " + config.id);
    if (!fail_create_.empty()) throw Error(fail_create_);
    return Add(config.id, "", std::move(stdio));
  }
  void Exec(const std::string& cid, const std::string& eid, const std::string& spec,
            ProcessStdio stdio) override {
    std::lock_guard l(mu_);
    calls_.push_back("Exec " + cid + " " + eid + " " + spec);
    Add(cid, eid, std::move(stdio));
  }
  uint32_t Start(const std::string& cid, const std::string& eid) override {
    std::unique_lock l(mu_);
    calls_.push_back("Start " + Key(cid, eid));
    Proc& p = Get(cid, eid);
    if (p.plan.fail_start) throw Error(*p.plan.fail_start);
    p.started = true;
    if (p.plan.exit_during_start) {
      ExitNow(p, p.plan.exit_code.value_or(0));
      // Let the shim's waiter see the exit before Start returns.
      cv_.wait_for(l, std::chrono::seconds(5), [&] { return waits_returned_[Key(cid, eid)]; });
      l.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return p.pid;
    }
    p.worker = std::thread([this, &p] { Run(p); });
    return p.pid;
  }
  ExitInfo Wait(const std::string& cid, const std::string& eid) override {
    std::unique_lock l(mu_);
    Proc& p = Get(cid, eid);
    cv_.wait(l, [&] { return p.exit || crashed_ || shut_down_; });
    waits_returned_[Key(cid, eid)] = true;
    cv_.notify_all();
    if (!p.exit) throw SandboxFailure(crashed_ ? "fake VM crashed" : "fake VM shut down");
    return *p.exit;
  }
  void Kill(const std::string& cid, const std::string& eid, uint32_t signal, bool all) override {
    std::lock_guard l(mu_);
    calls_.push_back("Kill " + Key(cid, eid) + " " + std::to_string(signal) + (all ? " all" : ""));
    Proc& p = Get(cid, eid);
    if (p.exit) throw Error("fake: process already exited");
    if (signal != 0) ExitNow(p, 128 + signal);
  }
  void Delete(const std::string& cid, const std::string& eid) override {
    std::thread worker;
    {
      std::lock_guard l(mu_);
      calls_.push_back("Delete " + Key(cid, eid));
      Proc& p = Get(cid, eid);
      if (!p.exit) ExitNow(p, 128 + SIGKILL);
      p.deleted = true;
      worker = std::move(p.worker);
    }
    if (worker.joinable()) worker.join();
  }
  void Pause(const std::string& cid) override { Record("Pause " + cid); }
  void Resume(const std::string& cid) override { Record("Resume " + cid); }
  void ResizePty(const std::string& cid, const std::string& eid, uint32_t w, uint32_t h) override {
    Record("ResizePty " + Key(cid, eid) + " " + std::to_string(w) + "x" + std::to_string(h));
  }
  void CloseIO(const std::string& cid, const std::string& eid) override {
    Record("CloseIO " + Key(cid, eid));
  }
  std::vector<ProcessInfo> Pids(const std::string& cid) override {
    std::lock_guard l(mu_);
    std::vector<ProcessInfo> out;
    for (auto& [key, p] : procs_) {
      if (key.rfind(cid, 0) == 0 && p.started && !p.exit) out.push_back({p.pid});
    }
    return out;
  }
  AnyBlob Stats(const std::string& cid) override { return {"fake.Stats", "stats of " + cid}; }
  void Update(const std::string& cid, const std::string& json) override {
    Record("Update " + cid + " " + json);
  }
  void Shutdown() override {
    std::vector<std::thread> workers;
    {
      std::lock_guard l(mu_);
      shut_down_ = true;
      for (auto& [k, p] : procs_) {
        if (!p.exit) ExitNow(p, 128 + SIGKILL);
        if (p.worker.joinable()) workers.push_back(std::move(p.worker));
      }
      cv_.notify_all();
    }
    for (auto& w : workers) w.join();
  }

 private:
  static std::string Key(const std::string& cid, const std::string& eid) {
    return eid.empty() ? cid : cid + "/" + eid;
  }
  Proc& Get(const std::string& cid, const std::string& eid) {
    auto it = procs_.find(Key(cid, eid));
    if (it == procs_.end()) throw Error("fake: no process " + Key(cid, eid));
    return it->second;
  }
  uint32_t Add(const std::string& cid, const std::string& eid, ProcessStdio stdio) {
    Proc& p = procs_[Key(cid, eid)];
    p.plan = plans_[Key(cid, eid)];
    p.stdio = std::move(stdio);
    p.pid = next_pid_++;
    return p.pid;
  }
  void Record(const std::string& call) {
    std::lock_guard l(mu_);
    calls_.push_back(call);
  }
  // Records the exit; the process's output and input end (as when a real process dies).
  void ExitNow(Proc& p, uint32_t status) {
    if (p.exit) return;
    p.exit = ExitInfo{status, std::chrono::system_clock::now()};
    if (!p.worker.joinable()) CloseStdio(p);
    cv_.notify_all();
  }
  static void CloseStdio(Proc& p) {
    p.stdio.stdin_fd.reset();
    p.stdio.stdout_fd.reset();
    p.stdio.stderr_fd.reset();
  }
  static void WriteAll(int fd, const std::string& s) {
    size_t off = 0;
    while (fd >= 0 && off < s.size()) {
      ssize_t n = ::write(fd, s.data() + off, s.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // The simulated process body.
  void Run(Proc& p) {
    WriteAll(p.stdio.stdout_fd.get(), p.plan.output);
    if (p.plan.echo_stdin && p.stdio.stdin_fd.valid()) {
      char buf[4096];
      for (;;) {
        {
          std::lock_guard l(mu_);
          if (p.exit) break;
        }
        pollfd pfd{p.stdio.stdin_fd.get(), POLLIN, 0};
        if (::poll(&pfd, 1, 20) <= 0) continue;
        ssize_t n = ::read(p.stdio.stdin_fd.get(), buf, sizeof buf);
        if (n <= 0) break;
        WriteAll(p.stdio.stdout_fd.get(), std::string(buf, static_cast<size_t>(n)));
      }
    }
    std::unique_lock l(mu_);
    if (p.plan.exit_code || p.plan.echo_stdin) {
      cv_.wait_for(l, p.plan.run_for, [&] { return p.exit.has_value(); });
      if (!p.exit)
        p.exit = ExitInfo{p.plan.exit_code.value_or(0), std::chrono::system_clock::now()};
    } else {
      cv_.wait(l, [&] { return p.exit.has_value(); });  // runs until killed
    }
    CloseStdio(p);
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Proc> procs_;
  std::map<std::string, Plan> plans_;
  std::map<std::string, bool> waits_returned_;
  std::vector<std::string> calls_;
  std::string fail_create_;
  uint32_t next_pid_ = 1000;
  bool crashed_ = false;
  bool shut_down_ = false;
};

}  // namespace strato::shim::testing
