#pragma once
// The guest agent: the Agent ttrpc service on one listening socket, the stdio streams on
// another, the reaper, and the power-off rule. The sockets are AF_VSOCK in the VM (ports 1024
// and 1025) and unix sockets in host tests: the server takes already-listening fds, so the same
// code runs in both.

#include <optional>

#include "common/file_util.h"
#include "oci/runtime_spec.h"

namespace strato::agent {

struct AgentOptions {
  // The container's spec: its process is id "" and its seccomp profile applies to every
  // process. May be null (no container process; execs only).
  const oci::RuntimeSpec* container_spec = nullptr;
  // ttrpc's SO_PEERCRED check: on for unix sockets, off for vsock (no peer credentials).
  bool require_same_user = false;
};

struct AgentResult {
  bool shutdown_requested = false;
  std::optional<int> container_exit_status;
};

// Blocks SIGCHLD and SIGPIPE in the calling thread: call it first thing, before any thread
// exists, and pass its result to ServeAgent (children restore it).
sigset_t PrepareAgentSignals();

// Serves until Shutdown, or until the container process and every started exec exited and each
// exit status was returned by WaitProcess. On Shutdown every process is killed first. Returns
// once the last answers went out; the caller then powers off (VM) or exits (tests).
AgentResult ServeAgent(const AgentOptions& options, const sigset_t& child_mask,
                       UniqueFd agent_listener, UniqueFd stdio_listener);

}  // namespace strato::agent
