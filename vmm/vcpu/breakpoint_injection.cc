#include "vmm/vcpu/breakpoint_injection.h"

namespace strato::vmm {

std::string InstructionBytesAtRip(const VcpuFd& vcpu, const GuestMemory& memory) {
  kvm_regs regs = vcpu.GetRegs();
  kvm_sregs sregs = vcpu.GetSregs();
  std::string bytes;
  uint64_t linear = sregs.cs.base + regs.rip;
  for (size_t i = 0; i < kMaxInstructionLength; ++i) {
    uint64_t physical;
    if (!vcpu.Translate(linear + i, &physical)) break;
    const uint8_t* p = memory.HostRange(physical, 1);
    if (p == nullptr) break;
    bytes.push_back(static_cast<char>(*p));
  }
  return bytes;
}

bool InjectBreakpointIfInt3(VcpuFd& vcpu, const GuestMemory& memory) {
  std::string bytes = InstructionBytesAtRip(vcpu, memory);
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kInt3Opcode) return false;
  kvm_regs regs = vcpu.GetRegs();
  regs.rip += 1;  // #BP is a trap: the saved RIP is the next instruction
  vcpu.SetRegs(regs);
  kvm_vcpu_events events = vcpu.GetEvents();
  events.exception.injected = 1;
  events.exception.nr = kBreakpointVector;
  events.exception.has_error_code = 0;
  events.exception.error_code = 0;
  vcpu.SetEvents(events);
  return true;
}

}  // namespace strato::vmm
