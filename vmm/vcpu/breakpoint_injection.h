#pragma once
// The int3 quirk: on KVM_EXIT_INTERNAL_ERROR (emulation failure) at an `int3` (0xCC), step over it
// and inject #BP with KVM_SET_VCPU_EVENTS, exactly as the CPU would have delivered the trap.

#include <string>

#include "vmm/kvm/vcpu_fd.h"
#include "vmm/memory/guest_memory.h"

namespace strato::vmm {

inline constexpr uint8_t kInt3Opcode = 0xcc;
inline constexpr uint8_t kBreakpointVector = 3;  // #BP
inline constexpr size_t kMaxInstructionLength = 15;

// Reads up to 15 instruction bytes at the vCPU's RIP (through its page tables); returns fewer
// (possibly none) if RIP is unmapped or outside RAM.
std::string InstructionBytesAtRip(const VcpuFd& vcpu, const GuestMemory& memory);

// If the instruction at RIP is int3: advance RIP by one, inject #BP, return true.
bool InjectBreakpointIfInt3(VcpuFd& vcpu, const GuestMemory& memory);

}  // namespace strato::vmm
