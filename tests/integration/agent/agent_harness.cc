#include "tests/integration/agent/agent_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.h"
#include "guest/agent/agent_server.h"
#include "oci/runtime_spec.h"
#include "ttrpc/unix_socket.h"

namespace strato::agent::test {

namespace {

constexpr const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr auto kPollInterval = std::chrono::milliseconds(10);

nlohmann::json ProcessObject(const std::vector<std::string>& args) {
  return {{"args", args}, {"cwd", "/"}, {"env", {kPath}}, {"user", {{"uid", 0}, {"gid", 0}}}};
}

[[noreturn]] void RunAgentChild(const std::vector<std::string>& container_args, UniqueFd agent,
                                UniqueFd stdio) {
  int code = 0;
  try {
    sigset_t child_mask = PrepareAgentSignals();
    std::optional<oci::RuntimeSpec> spec;
    if (!container_args.empty()) {
      nlohmann::json doc = {{"ociVersion", "1.0.2"},
                            {"root", {{"path", "/"}}},
                            {"process", ProcessObject(container_args)}};
      spec = oci::ParseRuntimeSpec(doc.dump());
    }
    AgentOptions options;
    options.container_spec = spec ? &*spec : nullptr;
    options.require_same_user = true;
    AgentResult result = ServeAgent(options, child_mask, std::move(agent), std::move(stdio));
    // The exit code tells the test how Serve ended: 0 shutdown, else 100 + container status.
    code = result.shutdown_requested ? 0 : 100 + result.container_exit_status.value_or(-1);
  } catch (const std::exception& e) {
    std::string line = std::string("agent child: ") + e.what() + "\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, line.data(), line.size());
    code = 99;
  }
  ::_exit(code);
}

}  // namespace

std::string SkipReason() {
  if (::geteuid() != 0) return "the agent's processes switch users (setgroups): needs root";
  return "";
}

std::string ProcessJson(const std::vector<std::string>& args) {
  return ProcessObject(args).dump();
}

AgentUnderTest::AgentUnderTest(const std::vector<std::string>& container_args) {
  char tmpl[] = "/tmp/strato-agent-test.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) ThrowErrno("mkdtemp");
  dir_ = tmpl;
  agent_socket_ = dir_ + "/agent.sock";
  stdio_socket_ = dir_ + "/stdio.sock";
  // Listening before the fork: the client can connect at once.
  UniqueFd agent = ttrpc::ListenUnix(agent_socket_);
  UniqueFd stdio = ttrpc::ListenUnix(stdio_socket_);
  agent_pid_ = ::fork();
  if (agent_pid_ < 0) ThrowErrno("fork the agent");
  if (agent_pid_ == 0) RunAgentChild(container_args, std::move(agent), std::move(stdio));
  client_ = std::make_unique<runtime::AgentClient>(ttrpc::ConnectUnix(agent_socket_));
}

AgentUnderTest::~AgentUnderTest() {
  client_.reset();
  if (agent_pid_ > 0) {
    // Whatever the test left running goes with the agent's own processes (it is their reaper;
    // without it they would be re-parented and outlive the test).
    if (!WaitAgentExit(std::chrono::milliseconds(0))) {
      try {
        Connect().Shutdown();
      } catch (const std::exception&) {
      }
      if (!WaitAgentExit(std::chrono::seconds(10))) {
        ::kill(agent_pid_, SIGKILL);
        ::waitpid(agent_pid_, nullptr, 0);
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

runtime::AgentClient AgentUnderTest::Connect() const {
  return runtime::AgentClient(ttrpc::ConnectUnix(agent_socket_));
}

UniqueFd AgentUnderTest::ConnectStdioPort() const {
  return ttrpc::ConnectUnix(stdio_socket_);
}

UniqueFd AgentUnderTest::OpenStream(const std::string& id, runtime::StdioStream stream) const {
  return runtime::BindStdioStream(ConnectStdioPort(), id, stream);
}

std::optional<int> AgentUnderTest::WaitAgentExit(std::chrono::milliseconds timeout) {
  if (agent_pid_ <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(agent_pid_, &status, WNOHANG);
    if (r == agent_pid_) {
      agent_pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1) {
    line += c;
    if (c == '\n') break;
  }
  return line;
}

}  // namespace strato::agent::test
