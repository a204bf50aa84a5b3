#pragma once
// The host's client of the guest agent (proto/agent/agent.proto, docs/guest-init.md): typed calls
// over a ttrpc::Client on a connection to guest vsock port 1024, and the stdio stream handshake
// on port 1025. Every method throws ttrpc::RpcError carrying the agent's status code
// (NotFound, InvalidArgument, FailedPrecondition...) or UNAVAILABLE when the connection is gone.
// Calls may be made from several threads at once (a blocked WaitProcess holds up nothing).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "guest/agent/stdio_handshake.h"
#include "ttrpc/client.h"

namespace strato::runtime {

using StdioStream = agent::StdioStream;

struct ProcessExit {
  int exit_status = 0;  // exit code, or 128 + signal number
  std::chrono::system_clock::time_point exited_at;
};

struct GuestProcess {
  uint32_t pid = 0;
  std::string id;  // the agent process it belongs to ("" = the container's own process)
};

struct GuestStats {
  uint64_t memory_usage_bytes = 0;
  uint64_t memory_limit_bytes = 0;
  uint64_t cpu_usage_usec = 0;
  uint64_t pids_current = 0;
};

class AgentClient {
 public:
  explicit AgentClient(UniqueFd connected);

  // id "" is the container's own process (process_json must be empty); others are execs with
  // an OCI Process JSON object. With `terminal` the output comes on stdout (no stderr stream).
  void CreateProcess(const std::string& id, const std::string& process_json, bool terminal,
                     bool want_stdin, bool want_stdout, bool want_stderr);
  uint32_t StartProcess(const std::string& id);  // guest pid
  ProcessExit WaitProcess(const std::string& id);
  void SignalProcess(const std::string& id, int signal, bool all);
  void CloseStdin(const std::string& id);
  void ResizePty(const std::string& id, uint32_t columns, uint32_t rows);
  void DeleteProcess(const std::string& id);  // exited or created-only
  std::vector<GuestProcess> ListProcesses();
  GuestStats Stats();
  void Shutdown();

 private:
  std::unique_ptr<ttrpc::Client> client_;
};

// Binds a fresh connection to guest port 1025 to one stream of a created process: writes
// "<id> <stream>\n" and reads the answer. Returns the connection, now carrying the stream's
// bytes. Throws strato::Error with the agent's message on "ERR ..." or on EOF.
UniqueFd BindStdioStream(UniqueFd connected_to_port_1025, const std::string& id,
                         StdioStream stream);

}  // namespace strato::runtime
