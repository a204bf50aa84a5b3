#pragma once
// Debian's containerd on a private root, state and sockets under a temp dir, with our shim
// first on its PATH and the shim's sockets, VM state and layer cache in that dir too. The
// destructor stops containerd, kills our shims and VMMs (only ours: other VMs may be running
// on the machine), unmounts and removes everything, also when a test failed half-way.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "shim/backend/dead_shim_cleanup.h"

namespace strato::shim::testing {

using namespace std::chrono_literals;

inline bool OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    if (::access((p.substr(start, end - start) + "/" + name).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// Root and Debian's containerd are needed; elsewhere the tests report SKIP.
inline bool ContainerdUsable() {
  if (::geteuid() == 0 && OnPath("containerd") && OnPath("ctr")) return true;
  WARN("SKIP: needs root and containerd + ctr on PATH (apt-get install containerd)");
  return false;
}

struct Spawned {
  pid_t pid = -1;
};

// Starts argv with stdin from `stdin_path`, stdout+stderr appended to `log`, extra environment.
inline Spawned Spawn(const std::vector<std::string>& args, const std::string& log,
                     const std::vector<std::string>& env_extra,
                     const std::string& stdin_path = "/dev/null") {
  std::vector<std::string> a = args;
  std::vector<char*> argv;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    bool overridden = false;
    for (const auto& x : env_extra)
      overridden |= kv.substr(0, kv.find('=')) == x.substr(0, x.find('='));
    if (!overridden) env_s.push_back(kv);
  }
  env_s.insert(env_s.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> envp;
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  Spawned s;
  int rc = ::posix_spawnp(&s.pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return s;
}

// A started command whose output goes to `log`.
struct Started {
  Spawned process;
  std::string log;
};

// Starts a command with its output in a fresh log under `dir`; `input`, when given, is its
// stdin.
inline Started StartCommand(const std::vector<std::string>& args, const std::string& dir,
                            const std::optional<std::string>& input = std::nullopt) {
  static std::atomic<int> counter{0};
  const std::string log = dir + "/cmd" + std::to_string(counter++) + ".out";
  std::string stdin_path = "/dev/null";
  if (input) {
    stdin_path = log + ".in";
    std::ofstream(stdin_path) << *input;
  }
  return Started{Spawn(args, log, {}, stdin_path), log};
}

// Waits for a started command (killing it after `timeout`); its exit code and output.
inline std::pair<int, std::string> Finish(const Started& started, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (::waitpid(started.process.pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(started.process.pid, SIGKILL);
      ::waitpid(started.process.pid, &status, 0);
      return {-1, "timed out: " + ReadFile(started.log)};
    }
    std::this_thread::sleep_for(50ms);
  }
  std::string out = ReadFile(started.log);
  std::error_code ec;
  std::filesystem::remove(started.log, ec);
  std::filesystem::remove(started.log + ".in", ec);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Runs a command to completion (with a deadline); returns its exit code and output.
inline std::pair<int, std::string> Run(const std::vector<std::string>& args, const std::string& dir,
                                       std::chrono::seconds timeout = 60s,
                                       const std::optional<std::string>& input = std::nullopt) {
  return Finish(StartCommand(args, dir, input), timeout);
}

inline bool WaitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return cond();
}

inline bool ProcessAlive(pid_t pid) {
  std::string stat;
  try {
    stat = ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  } catch (const Error&) {
    return false;
  }
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

class PrivateContainerd {
 public:
  PrivateContainerd() {
    char tmpl[] = "/tmp/strato-ctrd-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/s");
    std::filesystem::create_directories(dir_ + "/rootfs/bin");
    std::ofstream(dir_ + "/config.toml")
        << "version = 2\n"
        << "root = \"" << dir_ << "/root\"\n"
        << "state = \"" << dir_ << "/state\"\n"
        << "disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
           "\"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.zfs\", "
           "\"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.aufs\"]\n"
        << "[grpc]\n  address = \"" << socket() << "\"\n"
        << "[ttrpc]\n  address = \"" << ttrpc_socket() << "\"\n"
        << "[debug]\n  level = \"debug\"\n"
        << "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" << dir_ << "/opt\"\n";
    Start();
  }
  ~PrivateContainerd() {
    Stop();
    // Our shims (their -address names our socket), then our VMMs (pid files under our state
    // root, checked to really be strato-vmm).
    for (pid_t pid : ShimPids()) ::kill(pid, SIGKILL);
    std::error_code ec;
    if (std::filesystem::exists(vm_state_root(), ec)) {
      for (const auto& e : std::filesystem::directory_iterator(vm_state_root(), ec)) {
        try {
          pid_t pid = std::stoi(ReadFile(e.path().string() + "/vmm.pid", 64));
          if (IsStratoVmmProcess(pid)) ::kill(pid, SIGKILL);
        } catch (const std::exception&) {
        }
      }
    }
    // Never delete through a mount.
    std::ifstream mounts("/proc/self/mountinfo");
    std::string line;
    std::vector<std::string> targets;
    while (std::getline(mounts, line)) {
      size_t at = line.find(dir_);
      if (at != std::string::npos) targets.push_back(line.substr(at, line.find(' ', at) - at));
    }
    for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
      [[maybe_unused]] int rc = std::system(("umount -l '" + *it + "'").c_str());
    }
    std::filesystem::remove_all(dir_, ec);
  }

  void Start() {
    const char* path = std::getenv("PATH");
    // Our shim first on containerd's PATH; its sockets, VM state and layer cache in our dir.
    process_ =
        Spawn({"containerd", "--config", dir_ + "/config.toml"}, log(),
              {std::string("PATH=") + STRATO_SHIM_DIR + ":" + (path ? path : "/usr/bin:/bin"),
               "STRATO_SHIM_SOCKET_DIR=" + dir_ + "/s", "STRATO_SHIM_STATE_ROOT=" + vm_state_root(),
               "STRATO_LAYER_CACHE=" + dir_ + "/layers"});
    ready_ = WaitUntil([&] { return Ctr({"version"}, 5s).first == 0; }, 20s);
  }
  // SIGTERM to containerd alone (shims live on in their own sessions).
  void Stop() {
    if (process_.pid <= 0) return;
    ::kill(process_.pid, SIGTERM);
    int status;
    bool gone = WaitUntil([&] { return ::waitpid(process_.pid, &status, WNOHANG) != 0; }, 10s);
    if (!gone) {
      ::kill(process_.pid, SIGKILL);
      ::waitpid(process_.pid, &status, 0);
    }
    process_.pid = -1;
  }

  std::pair<int, std::string> Ctr(std::vector<std::string> args, std::chrono::seconds timeout = 60s,
                                  const std::optional<std::string>& input = std::nullopt) {
    return Finish(StartCtr(std::move(args), input), timeout);
  }
  Started StartCtr(std::vector<std::string> args,
                   const std::optional<std::string>& input = std::nullopt) {
    args.insert(args.begin(), {"ctr", "--address", socket()});
    return StartCommand(args, dir_, input);
  }

  // Our shim processes (daemons), optionally only the one serving container `id`.
  std::vector<pid_t> ShimPids(const std::string& id = "") const {
    std::vector<pid_t> pids;
    const std::string address = std::string("-address") + '\0' + socket() + '\0';
    const std::string id_arg = std::string("-id") + '\0' + id + '\0';
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline;
      try {
        cmdline = ReadFile(e.path().string() + "/cmdline", 64 * 1024);
      } catch (const Error&) {
        continue;
      }
      if (cmdline.find("containerd-shim-strato-v2") == std::string::npos) continue;
      if (cmdline.find(address) == std::string::npos) continue;
      if (!id.empty() && cmdline.find(id_arg) == std::string::npos) continue;
      if (cmdline.find(std::string("start") + '\0') != std::string::npos ||
          cmdline.find(std::string("delete") + '\0') != std::string::npos) {
        continue;  // a short-lived start/delete run, not the daemon
      }
      pids.push_back(std::stoi(name));
    }
    return pids;
  }

  bool ready() const { return ready_; }
  const std::string& dir() const { return dir_; }
  std::string socket() const { return dir_ + "/c.sock"; }
  std::string ttrpc_socket() const { return dir_ + "/c.sock.ttrpc"; }
  std::string vm_state_root() const { return dir_ + "/run"; }
  std::string log() const { return dir_ + "/containerd.log"; }
  std::string LogText() const { return ReadFile(log()); }
  std::string LogTail(size_t bytes = 6000) const {
    std::string t = LogText();
    return t.size() > bytes ? t.substr(t.size() - bytes) : t;
  }

 private:
  std::string dir_;
  Spawned process_;
  bool ready_ = false;
};

}  // namespace strato::shim::testing
