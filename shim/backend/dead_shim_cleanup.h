#pragma once
// `delete` after a shim died: ends and removes what its VM backend left for the container. The
// shim recorded the VM's state directory in the bundle (vm_state_dir.h); the VMM's pid is in
// <state dir>/vmm.pid. The pid is only killed when /proc/<pid>/exe really is a strato-vmm
// binary (a recycled pid belongs to someone else), then the state directory with its sockets,
// console log and initrd is removed, and the record too.

#include <string>
#include <vector>

namespace strato::shim {

inline constexpr const char* kVmmBinaryName = "strato-vmm";

// Returns a line per thing done or left alone, for the log. Never throws for what it finds
// (a broken record or pid file is reported and skipped): `delete` must still answer.
std::vector<std::string> CleanupAfterDeadShim(const std::string& bundle, const std::string& id);

// True when process `pid` runs the strato-vmm binary (by /proc/<pid>/exe, or its argv[0] when
// the executable link cannot be read).
bool IsStratoVmmProcess(int pid);

}  // namespace strato::shim
