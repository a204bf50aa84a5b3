#pragma once
// The strato.agent.v1.Agent ttrpc service: decodes each request (proto/agent/agent.proto),
// calls the process table, encodes the answer. A payload that does not decode is
// INVALID_ARGUMENT.

#include <memory>

#include "ttrpc/server.h"

namespace strato::agent {

class ProcessTable;

void RegisterAgentService(ttrpc::Server& server, std::shared_ptr<ProcessTable> table);

}  // namespace strato::agent
