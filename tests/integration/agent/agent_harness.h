#pragma once
// Runs the real guest agent on the host: ServeAgent in a forked child (its own process, so the
// reaper's waitpid(-1) and the blocked SIGCHLD never touch the test runner) on two unix sockets
// in a temporary directory, driven by the real AgentClient. Processes run as root in the host's
// root file system; the child is killed and reaped by the destructor, also on failure.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "runtime/agent_client.h"

namespace strato::agent::test {

// Why these tests cannot run here (processes switch users with setgroups: root only), or empty.
std::string SkipReason();

// OCI Process JSON running `args` as root in "/" with a PATH.
std::string ProcessJson(const std::vector<std::string>& args);

class AgentUnderTest {
 public:
  // `container_args`: the container process (id "") of the spec, or none.
  explicit AgentUnderTest(const std::vector<std::string>& container_args = {});
  ~AgentUnderTest();
  AgentUnderTest(const AgentUnderTest&) = delete;
  AgentUnderTest& operator=(const AgentUnderTest&) = delete;

  runtime::AgentClient& client() { return *client_; }
  // A second connection (for a WaitProcess that blocks while the test makes other calls).
  runtime::AgentClient Connect() const;
  UniqueFd OpenStream(const std::string& id, runtime::StdioStream stream) const;
  // A raw connection to the stdio port, before any handshake.
  UniqueFd ConnectStdioPort() const;

  // Waits up to `timeout` for the agent process to exit; its exit code, or nullopt if it runs.
  std::optional<int> WaitAgentExit(std::chrono::milliseconds timeout);

 private:
  std::string dir_;
  std::string agent_socket_;
  std::string stdio_socket_;
  pid_t agent_pid_ = -1;
  std::unique_ptr<runtime::AgentClient> client_;
};

// Reads until EOF.
std::string ReadAll(int fd);
// Reads one line (through '\n') byte by byte; what came before EOF if there is no newline.
std::string ReadLine(int fd);

}  // namespace strato::agent::test
