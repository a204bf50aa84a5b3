#include "guest/agent/guest_stats.h"

#include <unistd.h>

#include <charconv>
#include <vector>

#include "common/file_util.h"

namespace strato::agent {

namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
constexpr size_t kMaxStatFileBytes = 64 * 1024;
constexpr uint64_t kBytesPerKib = 1024;
constexpr uint64_t kMicrosPerSecond = 1'000'000;
// /proc/stat "cpu" columns (proc(5)): user nice system idle iowait irq softirq steal.
constexpr size_t kCpuUser = 0, kCpuNice = 1, kCpuSystem = 2, kCpuIrq = 5, kCpuSoftirq = 6,
                 kCpuSteal = 7;

std::optional<uint64_t> ParseNumber(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || text.empty()) return std::nullopt;
  if (end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view LineStartingWith(std::string_view text, std::string_view prefix) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.starts_with(prefix)) return line.substr(prefix.size());
    pos = end + 1;
  }
  return {};
}

std::optional<std::string> TryRead(const std::string& path) {
  try {
    return ReadFile(path, kMaxStatFileBytes);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<uint64_t> ReadCgroupValue(const std::string& dir, const char* file) {
  auto text = TryRead(dir + "/" + file);
  return text ? ParseCgroupValue(*text) : std::nullopt;
}

}  // namespace

std::optional<std::string> ParseCgroupV2Path(std::string_view text) {
  std::string_view path = LineStartingWith(text, "0::");
  if (path.empty() || path.front() != '/') return std::nullopt;
  return std::string(path);
}

std::optional<uint64_t> ParseCgroupValue(std::string_view text) {
  return ParseNumber(text);
}

std::optional<uint64_t> ParseCpuStatUsage(std::string_view cpu_stat) {
  std::string_view rest = LineStartingWith(cpu_stat, "usage_usec ");
  return rest.empty() ? std::nullopt : ParseNumber(rest);
}

std::optional<uint64_t> ParseMeminfoBytes(std::string_view meminfo, std::string_view key) {
  std::string prefix = std::string(key) + ":";
  std::string_view rest = LineStartingWith(meminfo, prefix);
  if (!rest.ends_with(" kB")) return std::nullopt;
  rest.remove_suffix(3);
  auto kib = ParseNumber(rest);
  if (!kib) return std::nullopt;
  return *kib * kBytesPerKib;
}

std::optional<uint64_t> ParseProcStatCpuUsec(std::string_view proc_stat,
                                             uint64_t ticks_per_second) {
  std::string_view rest = LineStartingWith(proc_stat, "cpu ");
  if (rest.empty() || ticks_per_second == 0) return std::nullopt;
  std::vector<uint64_t> columns;
  size_t pos = 0;
  while (pos < rest.size()) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    if (end == pos) break;
    auto value = ParseNumber(rest.substr(pos, end - pos));
    if (!value) return std::nullopt;
    columns.push_back(*value);
    pos = end;
  }
  if (columns.size() <= kCpuSteal) return std::nullopt;
  uint64_t ticks = columns[kCpuUser] + columns[kCpuNice] + columns[kCpuSystem] + columns[kCpuIrq] +
                   columns[kCpuSoftirq] + columns[kCpuSteal];
  return ticks * kMicrosPerSecond / ticks_per_second;
}

StatsSample ReadStats(uint64_t process_count) {
  StatsSample sample;
  std::optional<std::string> cgroup_dir;
  if (auto self = TryRead("/proc/self/cgroup")) {
    // The root cgroup has none of these files: only a child cgroup counts.
    if (auto path = ParseCgroupV2Path(*self); path && *path != "/") {
      cgroup_dir = kCgroupRoot + *path;
    }
  }
  std::optional<uint64_t> usage, limit, cpu, pids;
  if (cgroup_dir) {
    usage = ReadCgroupValue(*cgroup_dir, "memory.current");
    limit = ReadCgroupValue(*cgroup_dir, "memory.max");  // "max": no limit
    if (auto text = TryRead(*cgroup_dir + "/cpu.stat")) cpu = ParseCpuStatUsage(*text);
    pids = ReadCgroupValue(*cgroup_dir, "pids.current");
  }
  if (!usage || !limit) {
    if (auto meminfo = TryRead("/proc/meminfo")) {
      auto total = ParseMeminfoBytes(*meminfo, "MemTotal");
      auto available = ParseMeminfoBytes(*meminfo, "MemAvailable");
      if (!limit) limit = total;
      if (!usage && total && available && *total >= *available) usage = *total - *available;
    }
  }
  if (!cpu) {
    if (auto stat = TryRead("/proc/stat")) {
      cpu = ParseProcStatCpuUsec(*stat, static_cast<uint64_t>(::sysconf(_SC_CLK_TCK)));
    }
  }
  sample.memory_usage_bytes = usage.value_or(0);
  sample.memory_limit_bytes = limit.value_or(0);
  sample.cpu_usage_usec = cpu.value_or(0);
  sample.pids_current = pids.value_or(process_count);
  return sample;
}

}  // namespace strato::agent
