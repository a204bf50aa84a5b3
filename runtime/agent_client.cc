#include "runtime/agent_client.h"

#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "guest/agent/agent_ports.h"
#include "proto/agent/agent.pb.h"
#include "ttrpc/unix_socket.h"

namespace strato::runtime {

namespace v1 = ::strato::agent::v1;

namespace {

template <class Req, class Resp = v1::Empty>
Resp Call(ttrpc::Client& client, const char* method, const Req& request) {
  Resp response;
  client.Call(agent::kAgentService, method, request, &response);
  return response;
}

}  // namespace

AgentClient::AgentClient(UniqueFd connected)
    : client_(std::make_unique<ttrpc::Client>(std::move(connected))) {}

void AgentClient::CreateProcess(const std::string& id, const std::string& process_json,
                                bool terminal, bool want_stdin, bool want_stdout,
                                bool want_stderr) {
  v1::CreateProcessRequest request;
  request.set_id(id);
  request.set_process_json(process_json);
  request.set_terminal(terminal);
  request.set_stdin(want_stdin);
  request.set_stdout(want_stdout);
  request.set_stderr(want_stderr);
  Call(*client_, "CreateProcess", request);
}

uint32_t AgentClient::StartProcess(const std::string& id) {
  v1::StartProcessRequest request;
  request.set_id(id);
  return Call<v1::StartProcessRequest, v1::StartProcessResponse>(*client_, "StartProcess", request)
      .pid();
}

ProcessExit AgentClient::WaitProcess(const std::string& id) {
  v1::WaitProcessRequest request;
  request.set_id(id);
  auto response =
      Call<v1::WaitProcessRequest, v1::WaitProcessResponse>(*client_, "WaitProcess", request);
  ProcessExit exit;
  exit.exit_status = response.exit_status();
  exit.exited_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(response.exited_at_unix_nanos())));
  return exit;
}

void AgentClient::SignalProcess(const std::string& id, int signal, bool all) {
  if (signal <= 0) throw Error("signal " + std::to_string(signal) + " is not a signal number");
  v1::SignalProcessRequest request;
  request.set_id(id);
  request.set_signal(static_cast<uint32_t>(signal));
  request.set_all(all);
  Call(*client_, "SignalProcess", request);
}

void AgentClient::CloseStdin(const std::string& id) {
  v1::CloseStdinRequest request;
  request.set_id(id);
  Call(*client_, "CloseStdin", request);
}

void AgentClient::ResizePty(const std::string& id, uint32_t columns, uint32_t rows) {
  v1::ResizePtyRequest request;
  request.set_id(id);
  request.set_columns(columns);
  request.set_rows(rows);
  Call(*client_, "ResizePty", request);
}

void AgentClient::DeleteProcess(const std::string& id) {
  v1::DeleteProcessRequest request;
  request.set_id(id);
  Call(*client_, "DeleteProcess", request);
}

std::vector<GuestProcess> AgentClient::ListProcesses() {
  auto response = Call<v1::Empty, v1::ListProcessesResponse>(*client_, "ListProcesses", {});
  std::vector<GuestProcess> out;
  out.reserve(static_cast<size_t>(response.processes_size()));
  for (const auto& p : response.processes()) out.push_back({p.pid(), p.id()});
  return out;
}

GuestStats AgentClient::Stats() {
  auto response = Call<v1::Empty, v1::StatsResponse>(*client_, "Stats", {});
  return {response.memory_usage_bytes(), response.memory_limit_bytes(), response.cpu_usage_usec(),
          response.pids_current()};
}

void AgentClient::Shutdown() {
  Call(*client_, "Shutdown", v1::Empty{});
}

UniqueFd BindStdioStream(UniqueFd connected, const std::string& id, StdioStream stream) {
  const std::string what =
      std::string("stdio stream ") + agent::StdioStreamName(stream) + " of process '" + id + "'";
  if (!ttrpc::SendAll(connected.get(), agent::FormatStreamRequest(id, stream))) {
    ThrowErrno("send the handshake of the " + what);
  }
  // Byte by byte up to the newline: whatever follows is the stream's data.
  std::string line;
  for (;;) {
    char c;
    ssize_t n = ::read(connected.get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("read the handshake answer of the " + what);
    if (n == 0) throw Error(what + ": the agent closed the connection before answering");
    if (c == '\n') break;
    if (line.size() >= agent::kMaxHandshakeLine) {
      throw Error(what + ": the agent's answer is not a handshake line");
    }
    line += c;
  }
  if (line + "\n" == agent::kHandshakeOk) return connected;
  if (line.starts_with(agent::kHandshakeErrPrefix)) {
    throw Error(what + ": " + line.substr(agent::kHandshakeErrPrefix.size()));
  }
  throw Error(what + ": unexpected handshake answer '" + line + "'");
}

}  // namespace strato::runtime
