#include "shim/manager/child_reaper.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "common/error.h"
#include "common/file_util.h"
#include "shim/backend/dead_shim_cleanup.h"

namespace strato::shim {

namespace {
constexpr size_t kMaxStatBytes = 4096;
// /proc/<pid>/stat: "pid (comm) state ppid ..." (proc(5)); comm may hold spaces and ')'.
constexpr int kPpidFieldAfterComm = 2;
}  // namespace

std::vector<ZombieChild> ZombieChildrenOf(pid_t parent) {
  std::vector<ZombieChild> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::string stat;
    try {
      stat = ReadFile(std::string("/proc/") + e->d_name + "/stat", kMaxStatBytes);
    } catch (const Error&) {
      continue;  // gone meanwhile
    }
    size_t open = stat.find('(');
    size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= stat.size()) {
      continue;
    }
    char state = stat[close + 2];
    long ppid = std::strtol(stat.c_str() + close + 2 + kPpidFieldAfterComm, nullptr, 10);
    if (state == 'Z' && ppid == parent) {
      out.push_back({static_cast<pid_t>(pid), stat.substr(open + 1, close - open - 1)});
    }
  }
  ::closedir(proc);
  return out;
}

int ReapOrphanedChildren() {
  int reaped = 0;
  for (const auto& child : ZombieChildrenOf(::getpid())) {
    if (child.comm == kVmmBinaryName) continue;  // its ContainerVm waits for it
    if (::waitpid(child.pid, nullptr, WNOHANG) == child.pid) ++reaped;
  }
  return reaped;
}

}  // namespace strato::shim
