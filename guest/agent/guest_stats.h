#pragma once
// Stats for the Stats RPC: from the agent's cgroup v2 (memory.current, memory.max, cpu.stat
// usage_usec, pids.current) when the cgroup file system is mounted and the agent is in a
// non-root cgroup, else from /proc (meminfo, stat) and the process count. Each field falls back
// on its own. The parsers are pure for the unit tests.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strato::agent {

struct StatsSample {
  uint64_t memory_usage_bytes = 0;
  uint64_t memory_limit_bytes = 0;
  uint64_t cpu_usage_usec = 0;
  uint64_t pids_current = 0;
};

// "0::/path" line of /proc/self/cgroup -> "/path".
std::optional<std::string> ParseCgroupV2Path(std::string_view proc_self_cgroup);
// A single number, or "max" -> nullopt.
std::optional<uint64_t> ParseCgroupValue(std::string_view text);
// "usage_usec <n>" from cpu.stat.
std::optional<uint64_t> ParseCpuStatUsage(std::string_view cpu_stat);
// A "Key: <n> kB" line of /proc/meminfo, in bytes.
std::optional<uint64_t> ParseMeminfoBytes(std::string_view meminfo, std::string_view key);
// The non-idle time of the "cpu" line of /proc/stat (user nice system irq softirq steal), in
// microseconds for `ticks_per_second` (sysconf(_SC_CLK_TCK)).
std::optional<uint64_t> ParseProcStatCpuUsec(std::string_view proc_stat, uint64_t ticks_per_second);

// `process_count`: the container's processes, for pids_current without a pids controller.
StatsSample ReadStats(uint64_t process_count);

}  // namespace strato::agent
