#pragma once
// The thin KVM side of the userspace IOAPIC: its MSI routes become the VM's GSI routing table
// (KVM_SET_GSI_ROUTING replaces the whole table; GSI = pin), checked against KVM's route limit.

#include <vector>

#include "vmm/irq/userspace_ioapic.h"
#include "vmm/kvm/vm_fd.h"

namespace strato::vmm {

// KVM_MAX_IRQ_ROUTES (include/linux/kvm_host.h): the most entries one KVM_SET_GSI_ROUTING takes.
inline constexpr size_t kKvmMaxIrqRoutes = 4096;

// Throws strato::Error if there are more routes than KVM accepts (before calling KVM).
void InstallIoapicRoutes(VmFd& vm, const std::vector<IoapicMsiRoute>& routes);

}  // namespace strato::vmm
