#pragma once
// The Sandbox of a shim built without the VM backend (no runtime library): it serves
// the whole Task API but refuses Create with a clear error, so containerd reports that
// message and cleans up through `delete`.

#include <memory>
#include <string>

#include "shim/sandbox.h"

namespace strato::shim {

inline constexpr const char* kNoBackendMessage =
    "strato: no VM backend in this build of containerd-shim-strato-v2 yet; the Task API is "
    "served but containers cannot run";

// A build without the runtime library (make_sandbox.h) serves with this.
std::unique_ptr<Sandbox> MakeUnavailableSandbox();

}  // namespace strato::shim
