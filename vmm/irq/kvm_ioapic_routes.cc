#include "vmm/irq/kvm_ioapic_routes.h"

#include <string>

#include "common/error.h"
#include "vmm/kvm/kvm_variable_structs.h"

namespace strato::vmm {

void InstallIoapicRoutes(VmFd& vm, const std::vector<IoapicMsiRoute>& routes) {
  if (routes.size() > kKvmMaxIrqRoutes) {
    throw Error("userspace IOAPIC: " + std::to_string(routes.size()) +
                " interrupt routes, more than KVM's limit of " + std::to_string(kKvmMaxIrqRoutes));
  }
  KvmEntryList<kvm_irq_routing_entry> table(routes.size());
  for (size_t i = 0; i < routes.size(); ++i) {
    kvm_irq_routing_entry& e = table.entries()[i];
    e.gsi = routes[i].pin;
    e.type = KVM_IRQ_ROUTING_MSI;
    e.u.msi.address_lo = routes[i].address;
    e.u.msi.address_hi = 0;
    e.u.msi.data = routes[i].data;
  }
  vm.SetGsiRouting(table.get());
}

}  // namespace strato::vmm
