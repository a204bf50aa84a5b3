// Debian's containerd 1.6 driving our shim: a private containerd (own root, state, sockets
// under a temp dir, our shim first on its PATH) runs `ctr run --runtime io.containerd.strato.v2`.
// Without a VM backend Create must fail with our message, containerd must clean up (Delete,
// Shutdown, `delete` binary, bundle removed), and no shim may be left. It also checks that
// containerd accepts the events our publisher forwards (bare type urls).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/file_util.h"
#include "proto/containerd/events.pb.h"
#include "shim/backend/unavailable_sandbox.h"
#include "shim/events/publisher.h"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

bool OnPath(const std::string& name) {
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
bool ContainerdUsable() {
  if (::geteuid() == 0 && OnPath("containerd") && OnPath("ctr")) return true;
  WARN("SKIP: needs root and containerd + ctr on PATH (apt-get install containerd)");
  return false;
}

struct Spawned {
  pid_t pid = -1;
};

// Starts argv with stdout+stderr appended to `log`, extra environment, cwd.
Spawned Spawn(const std::vector<std::string>& args, const std::string& log,
              const std::vector<std::string>& env_extra) {
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
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  Spawned s;
  int rc = ::posix_spawnp(&s.pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return s;
}

// Runs a command to completion (with a deadline); returns its exit code and output.
std::pair<int, std::string> Run(const std::vector<std::string>& args, const std::string& dir,
                                std::chrono::seconds timeout = 60s) {
  const std::string log = dir + "/cmd.out";
  fs::remove(log);
  Spawned s = Spawn(args, log, {});
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (::waitpid(s.pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(s.pid, SIGKILL);
      ::waitpid(s.pid, &status, 0);
      return {-1, "timed out: " + strato::ReadFile(log)};
    }
    std::this_thread::sleep_for(50ms);
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, strato::ReadFile(log)};
}

bool WaitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return cond();
}

// A private containerd; stops it and removes everything on destruction.
class PrivateContainerd {
 public:
  PrivateContainerd() {
    char tmpl[] = "/tmp/strato-ctrd-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/s");
    fs::create_directories(dir_ + "/rootfs/bin");
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
    const char* path = std::getenv("PATH");
    // Our shim first on containerd's PATH; its sockets in our temp dir.
    process_ =
        Spawn({"containerd", "--config", dir_ + "/config.toml"}, log(),
              {std::string("PATH=") + STRATO_SHIM_DIR + ":" + (path ? path : "/usr/bin:/bin"),
               "STRATO_SHIM_SOCKET_DIR=" + dir_ + "/s"});
    ready_ = WaitUntil(
        [&] {
          return Run({"ctr", "--address", socket(), "version"}, dir_, 5s).first == 0;
        },
        20s);
  }
  ~PrivateContainerd() {
    if (process_.pid > 0) {
      ::kill(process_.pid, SIGTERM);
      int status;
      bool gone = WaitUntil([&] { return ::waitpid(process_.pid, &status, WNOHANG) != 0; }, 10s);
      if (!gone) {
        ::kill(process_.pid, SIGKILL);
        ::waitpid(process_.pid, &status, 0);
      }
    }
    // Nothing of ours should be mounted, but never delete through a mount.
    std::ifstream mounts("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mounts, line)) {
      if (line.find(dir_) != std::string::npos) {
        std::string cmd =
            "umount -l " +
            line.substr(line.find(dir_), line.find(' ', line.find(dir_)) - line.find(dir_));
        [[maybe_unused]] int rc = std::system(cmd.c_str());
      }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  bool ready() const { return ready_; }
  const std::string& dir() const { return dir_; }
  std::string socket() const { return dir_ + "/c.sock"; }
  std::string ttrpc_socket() const { return dir_ + "/c.sock.ttrpc"; }
  std::string log() const { return dir_ + "/containerd.log"; }
  std::string LogText() const { return strato::ReadFile(log()); }

 private:
  std::string dir_;
  Spawned process_;
  bool ready_ = false;
};

}  // namespace

TEST_CASE("ctr run with io.containerd.strato.v2 reaches our Create and is cleaned up") {
  if (!ContainerdUsable()) return;
  PrivateContainerd containerd;
  REQUIRE(containerd.ready());
  auto [code, output] =
      Run({"ctr", "--address", containerd.socket(), "run", "--rm", "--rootfs", "--runtime",
           "io.containerd.strato.v2", containerd.dir() + "/rootfs", "strato-it-1", "/bin/true"},
          containerd.dir());
  INFO("ctr output: " << output);
  CHECK(code == 1);
  CHECK_THAT(output, Catch::Contains(strato::shim::kNoBackendMessage));

  // containerd cleaned up: no task, no container, no bundle, no shim socket, no shim process.
  auto bundles = containerd.dir() + "/state/io.containerd.runtime.v2.task/default";
  CHECK(WaitUntil([&] { return !fs::exists(bundles + "/strato-it-1"); }, 10s));
  CHECK(WaitUntil([&] { return fs::is_empty(containerd.dir() + "/s"); }, 10s));
  auto [tcode, tasks] =
      Run({"ctr", "--address", containerd.socket(), "tasks", "ls", "-q"}, containerd.dir());
  CHECK(tcode == 0);
  CHECK(tasks.empty());
  auto [ccode, containers] =
      Run({"ctr", "--address", containerd.socket(), "containers", "ls", "-q"}, containerd.dir());
  CHECK(ccode == 0);
  CHECK(containers.empty());
  auto [pcode, shims] =
      Run({"pgrep", "-f", "containerd-shim-strato-v2 .*-id strato-it-1"}, containerd.dir());
  CHECK(pcode == 1);  // none left
  // The shim's log reached containerd's log through the bundle's log FIFO.
  std::string log = containerd.LogText();
  INFO("containerd log tail: " << log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  CHECK_THAT(log, Catch::Contains("shim daemon for strato-it-1 (namespace default) starting"));
  CHECK_THAT(log, Catch::Contains("cleaning up dead shim"));
  CHECK_THAT(log, !Catch::Contains("failed to clean up after shim disconnected"));
}

TEST_CASE("containerd accepts the events our publisher forwards") {
  if (!ContainerdUsable()) return;
  PrivateContainerd containerd;
  REQUIRE(containerd.ready());
  const std::string events_log = containerd.dir() + "/events.out";
  Spawned watcher = Spawn({"ctr", "--address", containerd.socket(), "events"}, events_log, {});
  std::this_thread::sleep_for(500ms);  // let the subscription start
  {
    strato::shim::TtrpcEventPublisher publisher(containerd.ttrpc_socket(), "default");
    containerd::events::TaskExit exit;
    exit.set_container_id("ghost");
    exit.set_id("ghost");
    exit.set_pid(4242);
    exit.set_exit_status(42);
    publisher.Publish(strato::shim::topics::kTaskExit, exit);
    publisher.Close(5000ms);
  }
  bool seen = WaitUntil(
      [&] { return strato::ReadFile(events_log).find("/tasks/exit") != std::string::npos; }, 10s);
  ::kill(watcher.pid, SIGTERM);
  ::waitpid(watcher.pid, nullptr, 0);
  std::string text = strato::ReadFile(events_log);
  INFO("ctr events: " << text);
  CHECK(seen);
  // ctr decoded the Any: the fields show up as JSON.
  CHECK_THAT(text, Catch::Contains("\"container_id\":\"ghost\""));
  CHECK_THAT(text, Catch::Contains("\"exit_status\":42"));
}
