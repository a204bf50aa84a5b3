// The containerd-shim-strato-v2 binary as containerd drives it: `start` in a bundle prints the
// address and leaves a daemon serving the Task API (without holding containerd's output pipe),
// a second start of the same pod reuses it, Shutdown ends it and removes the socket, the
// daemon logs into the bundle's `log` FIFO, and `delete` prints a DeleteResponse.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/file_util.h"
#include "proto/containerd/shim_task.pb.h"
#include "shim/manager/socket_address.h"
#include "tests/unit/shim/test_bundle.h"
#include "ttrpc/client.h"

using namespace strato::shim;
using namespace std::chrono_literals;
using strato::ttrpc::Code;
using strato::ttrpc::RpcError;

namespace {

constexpr const char* kTask = "containerd.task.v2.Task";

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr, like containerd's CombinedOutput
  bool eof = false;    // the pipe reached EOF (no daemon kept it open)
};

// Runs the shim binary with `args` in `cwd`, extra environment, stdout+stderr on one pipe.
RunResult RunShim(const std::vector<std::string>& args, const std::string& cwd,
                  const std::vector<std::string>& env_extra, bool stdout_only = false) {
  std::vector<std::string> argv_s = {STRATO_SHIM_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) env_s.push_back(*e);
  env_s.insert(env_s.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    if (!stdout_only) ::dup2(out[1], STDERR_FILENO);
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  RunResult r;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) {
      r.eof = n == 0;
      break;
    }
    r.output.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool WaitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

// The daemon's pid, from Connect.
pid_t ShimPid(strato::ttrpc::Client& client) {
  containerd::task::v2::ConnectRequest c;
  containerd::task::v2::ConnectResponse resp;
  client.Call(kTask, "Connect", c, &resp, 5000ms);
  return static_cast<pid_t>(resp.shim_pid());
}

// Sends Shutdown; the daemon may close the connection while answering, which containerd
// tolerates too.
void ShutdownShim(strato::ttrpc::Client& client) {
  containerd::task::v2::ShutdownRequest s;
  google::protobuf::Empty empty;
  try {
    client.Call(kTask, "Shutdown", s, &empty, 5000ms);
  } catch (const RpcError& e) {
    CHECK(e.code() == Code::kUnavailable);
  }
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("start prints the address, the daemon serves the Task API, Shutdown ends it") {
  testing::TempBundle bundle;
  testing::TempBundle pod_bundle(
      R"({"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri.sandbox-id":"c1"}})");
  const std::string socket_dir = bundle.file("s");
  const std::vector<std::string> env = {std::string(kSocketDirEnv) + "=" + socket_dir,
                                        "TTRPC_ADDRESS=" + bundle.file("no-containerd.sock")};
  // containerd's log FIFO, with a reader (containerd) attached.
  const std::string log = bundle.file("log");
  REQUIRE(::mkfifo(log.c_str(), 0600) == 0);
  strato::UniqueFd log_reader = strato::OpenOrThrow(log, O_RDONLY | O_NONBLOCK);

  const std::vector<std::string> start = {"-namespace",
                                          "default",
                                          "-address",
                                          "/run/containerd/containerd.sock",
                                          "-publish-binary",
                                          "/usr/bin/containerd",
                                          "-id",
                                          "c1",
                                          "start"};
  RunResult r = RunShim(start, bundle.path(), env);
  CHECK(r.exit_code == 0);
  CHECK(r.eof);  // the daemon does not hold containerd's pipe
  const std::string address =
      "unix://" + socket_dir + "/d25aa4ef11a84e954e74a5bcff06557d0b6ea8d0c00243896f29826694bbd888";
  CHECK(Trim(r.output) == address);
  CHECK(strato::ReadFile(bundle.file("address")) == address);
  struct stat st {};
  REQUIRE(::stat(SocketPathOf(address).c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);

  {
    auto client = strato::ttrpc::Client::Dial(address);
    containerd::task::v2::ConnectRequest connect;
    connect.set_id("c1");
    containerd::task::v2::ConnectResponse connected;
    client->Call(kTask, "Connect", connect, &connected, 5000ms);
    CHECK(connected.shim_pid() != static_cast<uint32_t>(::getpid()));
    CHECK(connected.shim_pid() > 0);
    CHECK(connected.version() == "strato 0.1.0");

    // A bundle without a rootfs: Create fails cleanly with a message containerd shows the user.
    containerd::task::v2::CreateTaskRequest create;
    create.set_id("c1");
    create.set_bundle(bundle.path());
    containerd::task::v2::CreateTaskResponse created;
    try {
      client->Call(kTask, "Create", create, &created, 5000ms);
      FAIL("Create succeeded");
    } catch (const RpcError& e) {
      CHECK(std::string(e.what()) == "converting rootfs layer " + bundle.path() + "/rootfs: stat " +
                                         bundle.path() + "/rootfs: No such file or directory");
    }
    containerd::task::v2::StateRequest state;
    state.set_id("c1");
    containerd::task::v2::StateResponse state_out;
    try {
      client->Call(kTask, "State", state, &state_out, 5000ms);
      FAIL("State succeeded");
    } catch (const RpcError& e) {
      CHECK(e.code() == Code::kNotFound);
    }

    // Same container again, and a pod member: both join the running shim.
    RunResult again = RunShim(start, bundle.path(), env);
    CHECK(again.exit_code == 0);
    CHECK(Trim(again.output) == address);
    std::vector<std::string> member = start;
    member[7] = "c2";
    RunResult pod = RunShim(member, pod_bundle.path(), env);
    CHECK(pod.exit_code == 0);
    CHECK(Trim(pod.output) == address);
    CHECK(strato::ReadFile(pod_bundle.file("address")) == address);

    ShutdownShim(*client);
  }
  CHECK(WaitUntil([&] { return !std::filesystem::exists(SocketPathOf(address)); }));
  // The daemon logged into the FIFO.
  std::string logged;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(log_reader.get(), buf, sizeof buf)) > 0)
    logged.append(buf, static_cast<size_t>(n));
  CHECK_THAT(logged, Catch::Contains("shim daemon for c1 (namespace default) starting"));
  CHECK_THAT(logged, Catch::Contains("shutting down (Shutdown request)"));
}

TEST_CASE("start replaces a stale socket - delete removes it and prints a DeleteResponse") {
  testing::TempBundle bundle;
  const std::string socket_dir = bundle.file("s");
  const std::vector<std::string> env = {std::string(kSocketDirEnv) + "=" + socket_dir};
  const std::vector<std::string> start = {"-namespace", "ns2",  "-address", "/a.sock",
                                          "-id",        "dead", "start"};
  RunResult r = RunShim(start, bundle.path(), env);
  REQUIRE(r.exit_code == 0);
  const std::string path = SocketPathOf(Trim(r.output));
  // Kill the daemon the way a crash would (SIGKILL: it cannot remove its socket).
  {
    auto client = strato::ttrpc::Client::Dial(path);
    const pid_t daemon = ShimPid(*client);
    REQUIRE(daemon > 0);
    ::kill(daemon, SIGKILL);
    CHECK(WaitUntil([&] { return client->closed(); }));
  }
  REQUIRE(std::filesystem::exists(path));  // left behind

  RunResult d = RunShim({"-namespace", "ns2", "-address", "/a.sock", "-id", "dead", "-bundle",
                         bundle.path(), "delete"},
                        "/", env, /*stdout_only=*/true);
  CHECK(d.exit_code == 0);
  containerd::task::v2::DeleteResponse del;
  REQUIRE(del.ParseFromString(d.output));
  CHECK(del.exit_status() == 137);
  CHECK(del.exited_at().seconds() > 1'600'000'000);
  CHECK_FALSE(std::filesystem::exists(path));

  // A fresh start works again after the cleanup, and after a crash without delete too.
  RunResult again = RunShim(start, bundle.path(), env);
  CHECK(again.exit_code == 0);
  CHECK(SocketPathOf(Trim(again.output)) == path);
  auto client = strato::ttrpc::Client::Dial(path);
  ShutdownShim(*client);
  CHECK(WaitUntil([&] { return !std::filesystem::exists(path); }));
}

TEST_CASE("SIGTERM shuts the daemon down and removes its socket") {
  testing::TempBundle bundle;
  const std::vector<std::string> env = {std::string(kSocketDirEnv) + "=" + bundle.file("s")};
  RunResult r =
      RunShim({"-namespace", "n", "-address", "/a", "-id", "t1", "start"}, bundle.path(), env);
  REQUIRE(r.exit_code == 0);
  const std::string path = SocketPathOf(Trim(r.output));
  auto client = strato::ttrpc::Client::Dial(path);
  const pid_t daemon = ShimPid(*client);
  REQUIRE(::kill(daemon, SIGTERM) == 0);
  CHECK(WaitUntil([&] { return client->closed(); }));
  CHECK(WaitUntil([&] { return !std::filesystem::exists(path); }));
  CHECK(WaitUntil([&] { return ::kill(daemon, 0) != 0; }));
}

TEST_CASE("the binary's usage errors and -v") {
  testing::TempBundle bundle;
  RunResult bad = RunShim({"-nope", "start"}, bundle.path(), {});
  CHECK(bad.exit_code == 2);
  CHECK(bad.output == "containerd-shim-strato-v2: flag provided but not defined: -nope\n");
  RunResult action = RunShim({"-id", "x", "frobnicate"}, bundle.path(), {});
  CHECK(action.exit_code == 2);
  CHECK(action.output == "containerd-shim-strato-v2: unknown action \"frobnicate\"\n");
  RunResult daemon = RunShim({"-id", "x", "-namespace", "n"}, bundle.path(), {});
  CHECK(daemon.exit_code == 2);
  CHECK_THAT(daemon.output, Catch::Contains("expects its listening socket on fd 3"));
  RunResult no_config = RunShim({"-id", "x", "-namespace", "n", "-address", "/a", "start"}, "/",
                                {std::string(kSocketDirEnv) + "=" + bundle.file("s")});
  CHECK(no_config.exit_code == 1);
  CHECK(no_config.output ==
        "containerd-shim-strato-v2 start: open //config.json: No such file or directory\n");
  RunResult version = RunShim({"-v"}, bundle.path(), {});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.output, Catch::EndsWith(":\n  Version: strato 0.1.0\n"));
}
