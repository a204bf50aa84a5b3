#include "vmm/kvm/vm_fd.h"

#include "vmm/kvm/kvm_ioctl.h"

namespace strato::vmm {

namespace {
constexpr const char* kVmObject = "VM";
}

VmFd::VmFd(const KvmSystem& kvm) : fd_(kvm.CreateVm()) {}

void VmFd::SetUserMemoryRegion(uint32_t slot, uint64_t guest_phys, uint64_t size, void* host) {
  kvm_userspace_memory_region region{};
  region.slot = slot;
  region.guest_phys_addr = guest_phys;
  region.memory_size = size;
  region.userspace_addr = reinterpret_cast<uint64_t>(host);
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_SET_USER_MEMORY_REGION), &region, kVmObject);
}

void VmFd::SetTssAddress(uint64_t guest_phys) {
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_SET_TSS_ADDR), static_cast<unsigned long>(guest_phys),
           kVmObject);
}

void VmFd::SetIdentityMapAddress(uint64_t guest_phys) {
  uint64_t address = guest_phys;
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_SET_IDENTITY_MAP_ADDR), &address, kVmObject);
}

void VmFd::CreateIrqchip() {
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_CREATE_IRQCHIP), 0, kVmObject);
}

void VmFd::CreatePit() {
  kvm_pit_config config{};
  // KVM_PIT_SPEAKER_DUMMY: the in-kernel PIT also answers port 0x61 (speaker/gate) so the
  // kernel's PIT calibration does not exit to userspace.
  config.flags = KVM_PIT_SPEAKER_DUMMY;
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_CREATE_PIT2), &config, kVmObject);
}

void VmFd::SetIrqLine(uint32_t gsi, bool level) {
  kvm_irq_level irq{};
  irq.irq = gsi;
  irq.level = level ? 1 : 0;
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_IRQ_LINE), &irq, kVmObject);
}

void VmFd::AddIrqfd(int event_fd, uint32_t gsi) {
  kvm_irqfd irqfd{};
  irqfd.fd = static_cast<uint32_t>(event_fd);
  irqfd.gsi = gsi;
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_IRQFD), &irqfd, kVmObject);
}

void VmFd::AddIoeventfd(int event_fd, uint64_t address, uint32_t length, bool pio,
                        bool with_datamatch, uint64_t datamatch) {
  kvm_ioeventfd io{};
  io.fd = event_fd;
  io.addr = address;
  io.len = length;
  io.datamatch = datamatch;
  if (pio) io.flags |= KVM_IOEVENTFD_FLAG_PIO;
  if (with_datamatch) io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_IOEVENTFD), &io, kVmObject);
}

UniqueFd VmFd::CreateVcpu(uint32_t index) {
  return UniqueFd(KvmIoctl(fd_.get(), STRATO_KVM(KVM_CREATE_VCPU), index, kVmObject));
}

}  // namespace strato::vmm
