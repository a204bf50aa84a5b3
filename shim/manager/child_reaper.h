#pragma once
// The daemon is a child subreaper: processes orphaned below it (descendants of the VMM or of a
// logging binary) become its children and must be reaped. But some children have an owner
// that waits for them itself (runtime::ContainerVm waits for strato-vmm to learn its exit
// code; a logging binary is waited for by its ProcessIo), and a blind waitpid(-1) would steal
// their exit status. So on SIGCHLD the daemon reaps only zombie children that are not
// strato-vmm processes; owners that poll with waitpid(pid, WNOHANG) cope with a child reaped
// here (they see ECHILD).

#include <sys/types.h>

#include <string>
#include <vector>

namespace strato::shim {

// The zombie children of process `parent` (a /proc scan) with their comm names.
struct ZombieChild {
  pid_t pid;
  std::string comm;
};
std::vector<ZombieChild> ZombieChildrenOf(pid_t parent);

// Reaps our zombie children except those whose comm is strato-vmm; returns how many.
int ReapOrphanedChildren();

}  // namespace strato::shim
