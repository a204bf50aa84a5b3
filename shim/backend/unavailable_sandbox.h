#pragma once
// The Sandbox the shim uses until the VM backend (VMM + guest agent) is wired in: it serves
// the whole Task API but refuses Create with a clear error, so containerd reports that
// message and cleans up through `delete`.

#include <memory>
#include <string>

#include "shim/sandbox.h"

namespace strato::shim {

inline constexpr const char* kNoBackendMessage =
    "strato: no VM backend in this build of containerd-shim-strato-v2 yet; the Task API is "
    "served but containers cannot run";

// The backend the daemon runs with.
std::unique_ptr<Sandbox> MakeSandbox();

// `delete` after a shim died: removes what the dead shim's backend left for container `id`
// (VM processes, sockets, mounts). Returns a line per thing cleaned, for the log.
std::vector<std::string> CleanupAfterDeadShim(const std::string& bundle, const std::string& id);

}  // namespace strato::shim
