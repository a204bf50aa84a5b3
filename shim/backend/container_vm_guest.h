#pragma once
// The production GuestVm: runtime::ContainerVm (VMM process, initramfs, vsock) and its
// runtime::AgentClient (contract sections 2 and 3).

#include "shim/backend/guest_vm.h"

namespace strato::shim {

// Boots with runtime::ContainerVm::Boot.
std::unique_ptr<GuestVm> BootContainerVm(const GuestVmLaunch& launch);

}  // namespace strato::shim
