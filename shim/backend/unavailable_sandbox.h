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

}  // namespace strato::shim
