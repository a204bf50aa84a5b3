#pragma once
// Task Stats for a VM: the guest agent's view of the container (memory, CPU time, pids inside
// the VM) in containerd's cgroups v2 Metrics message, so `ctr task metrics`, nerdctl stats and
// CRI read it as they read runc's. The host cgroup of the VMM process is not what a user asks
// about: it counts the guest kernel and the VMM as well.

#include <cstdint>

#include "shim/sandbox.h"

namespace strato::shim {

// containerd's type URL for io.containerd.cgroups.v2.Metrics (typeurl uses the bare proto name).
inline constexpr const char* kCgroupsV2MetricsTypeUrl = "io.containerd.cgroups.v2.Metrics";

// What the guest agent reports (runtime::GuestStats carries the same numbers).
struct GuestUsage {
  uint64_t memory_usage_bytes = 0;
  uint64_t memory_limit_bytes = 0;  // 0: no limit known
  uint64_t cpu_usage_usec = 0;
  uint64_t pids_current = 0;
};

AnyBlob CgroupsV2Metrics(const GuestUsage& usage);

}  // namespace strato::shim
