#pragma once
// The Sandbox the shim daemon serves with: the VM backend (vm_sandbox.h over
// runtime::ContainerVm) when this build has the runtime library, else the unavailable one.

#include <memory>
#include <string>

#include "shim/sandbox.h"

namespace strato::shim {

// `ns`: containerd namespace (part of the VM state directory's name).
std::unique_ptr<Sandbox> MakeSandbox(const std::string& ns);

}  // namespace strato::shim
