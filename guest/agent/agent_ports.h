#pragma once
// Where the guest agent listens (guest vsock ports; the host reaches them through the VMM's
// hybrid vsock socket with "CONNECT <port>\n") and its ttrpc service name. Shared by strato-init
// and the host's AgentClient.

#include <cstdint>

namespace strato::agent {

// ttrpc service strato.agent.v1.Agent (proto/agent/agent.proto).
inline constexpr uint32_t kAgentPort = 1024;
// One connection per stdio stream, bound with "<id> <stream>\n" (guest/agent/stdio_handshake.h).
inline constexpr uint32_t kStdioPort = 1025;

inline constexpr const char* kAgentService = "strato.agent.v1.Agent";

}  // namespace strato::agent
