#include "guest/agent/agent_server.h"

#include <signal.h>

#include <thread>

#include "guest/agent/agent_service.h"
#include "guest/agent/guest_processes.h"
#include "guest/agent/process_table.h"
#include "guest/agent/reaper.h"
#include "guest/agent/stdio_listener.h"
#include "guest/init/console_log.h"
#include "ttrpc/server.h"

namespace strato::agent {

namespace {
// After SIGKILL, how long Shutdown waits for the reaper to see every process go.
constexpr std::chrono::seconds kKillWait{5};
}  // namespace

sigset_t PrepareAgentSignals() {
  return BlockAgentSignals();
}

AgentResult ServeAgent(const AgentOptions& options, const sigset_t& child_mask,
                       UniqueFd agent_listener, UniqueFd stdio_listener) {
  auto table = std::make_shared<ProcessTable>(options.container_spec, child_mask);
  StartReaper(table);
  StdioListener streams(std::move(stdio_listener), table);
  ttrpc::Server server;
  server.set_require_same_user(options.require_same_user);
  RegisterAgentService(server, table);
  std::thread serve_thread([&server, listener = std::move(agent_listener)]() mutable {
    try {
      server.Serve(std::move(listener));
    } catch (const std::exception& e) {
      guest::LogError(std::string("agent: ") + e.what());
    }
  });

  AgentResult result;
  result.shutdown_requested = table->WaitUntilDone();
  if (result.shutdown_requested) {
    // Everything of the container goes; blocked WaitProcess calls then return.
    for (const ContainerProcess& p : ListContainerProcesses({})) ::kill(p.pid, SIGKILL);
    table->WaitForRunningToExit(kKillWait);
  }
  streams.Stop();
  // Answers that are due went out with their handlers; what still waits cannot finish.
  table->CancelWaits();
  // Waits until running handlers answered (the last WaitProcess, the Shutdown call).
  server.Shutdown();
  serve_thread.join();
  result.container_exit_status = table->container_exit_status();
  return result;
}

}  // namespace strato::agent
