#include "guest/agent/guest_processes.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>

#include "common/file_util.h"

namespace strato::agent {

namespace {

// /proc/<pid>/stat is one short line; anything longer is not a stat file.
constexpr size_t kMaxStatBytes = 4096;
// Fields after "(comm) ": 0 state, 1 ppid, 2 pgrp, 3 session (proc(5)).
constexpr int kPpidField = 1;
constexpr int kSessionField = 3;

std::optional<pid_t> ParsePid(std::string_view text) {
  pid_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  size_t open = text.find(" (");
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  auto pid = ParsePid(text.substr(0, open));
  if (!pid) return std::nullopt;
  ProcStat stat;
  stat.pid = *pid;
  std::string_view rest = text.substr(close + 1);
  int field = -1;
  size_t pos = 0;
  while (pos < rest.size() && field < kSessionField) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    if (end == pos) break;
    ++field;
    std::string_view token = rest.substr(pos, end - pos);
    if (field == kPpidField || field == kSessionField) {
      auto value = ParsePid(token);
      if (!value) return std::nullopt;
      (field == kPpidField ? stat.ppid : stat.session) = *value;
    }
    pos = end;
  }
  if (field < kSessionField) return std::nullopt;
  return stat;
}

std::vector<ProcStat> DescendantsOf(pid_t root, const std::vector<ProcStat>& all) {
  std::map<pid_t, pid_t> parent;
  for (const ProcStat& s : all) parent[s.pid] = s.ppid;
  std::vector<ProcStat> out;
  for (const ProcStat& s : all) {
    if (s.pid == root) continue;
    // Walk up; bounded by the number of processes so a malformed (cyclic) input ends.
    pid_t p = s.ppid;
    for (size_t steps = 0; steps <= all.size() && p > 0 && p != root; ++steps) {
      auto it = parent.find(p);
      if (it == parent.end()) break;
      p = it->second;
    }
    if (p == root) out.push_back(s);
  }
  return out;
}

std::vector<ProcStat> ReadAllProcStats(const std::string& proc_root) {
  std::vector<ProcStat> out;
  DIR* dir = ::opendir(proc_root.c_str());
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    if (!ParsePid(e->d_name)) continue;
    try {
      std::string text = ReadFile(proc_root + "/" + e->d_name + "/stat", kMaxStatBytes);
      if (auto stat = ParseProcStat(text)) out.push_back(*stat);
    } catch (const std::exception&) {
      // It exited between readdir and open.
    }
  }
  ::closedir(dir);
  return out;
}

std::vector<ContainerProcess> ListContainerProcesses(const std::map<pid_t, std::string>& known) {
  std::vector<ContainerProcess> out;
  for (const ProcStat& s : DescendantsOf(::getpid(), ReadAllProcStats())) {
    ContainerProcess p;
    p.pid = s.pid;
    if (auto it = known.find(s.session); it != known.end()) p.id = it->second;
    out.push_back(p);
  }
  return out;
}

}  // namespace strato::agent
