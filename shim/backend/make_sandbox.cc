#include "shim/backend/make_sandbox.h"

#include "shim/backend/unavailable_sandbox.h"
#include "shim/backend/vm_sandbox.h"
#ifdef STRATO_SHIM_HAS_RUNTIME
#include "shim/backend/container_vm_guest.h"
#endif

namespace strato::shim {

std::unique_ptr<Sandbox> MakeSandbox(const std::string& ns) {
#ifdef STRATO_SHIM_HAS_RUNTIME
  VmSandboxOptions options;
  options.ns = ns;
  options.booter = BootContainerVm;
  return std::make_unique<VmSandbox>(std::move(options));
#else
  (void)ns;
  return MakeUnavailableSandbox();
#endif
}

}  // namespace strato::shim
