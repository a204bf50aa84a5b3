#pragma once
// The container's processes as /proc shows them: every process descending from the agent (PID 1
// in the VM, so everything but kernel threads; orphans are re-parented to it), each attributed to
// the agent process whose session it is in (every process the agent starts calls setsid, and
// its descendants inherit the session). Used by ListProcesses and SignalProcess(all).

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strato::agent {

struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t session = 0;
};

// Parses /proc/<pid>/stat ("pid (comm) state ppid pgrp session ..."; comm may hold spaces and
// parentheses, so fields are counted after the last ')'). nullopt when malformed.
std::optional<ProcStat> ParseProcStat(std::string_view text);

// Every process in `all` whose parent chain reaches `root`, without `root` itself.
std::vector<ProcStat> DescendantsOf(pid_t root, const std::vector<ProcStat>& all);

// Reads <proc_root>/<pid>/stat for every numeric entry (processes vanishing meanwhile are
// skipped).
std::vector<ProcStat> ReadAllProcStats(const std::string& proc_root = "/proc");

struct ContainerProcess {
  pid_t pid = 0;
  std::string id;  // the agent process it belongs to; "" when unknown (or the container's)
};

// The descendants of this process, attributed through `known` (session leader pid -> id).
std::vector<ContainerProcess> ListContainerProcesses(const std::map<pid_t, std::string>& known);

}  // namespace strato::agent
