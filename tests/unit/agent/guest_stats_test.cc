#include "guest/agent/guest_stats.h"

#include <catch2/catch.hpp>

using namespace strato::agent;

TEST_CASE("cgroup v2 files parse") {
  CHECK(ParseCgroupV2Path("0::/user.slice/session-1.scope\n") == "/user.slice/session-1.scope");
  CHECK(ParseCgroupV2Path("0::/\n") == "/");
  CHECK_FALSE(ParseCgroupV2Path("1:name=systemd:/x\n"));
  CHECK(ParseCgroupV2Path("12:cpu:/a\n0::/b\n") == "/b");
  CHECK(ParseCgroupValue("123456\n") == 123456u);
  CHECK_FALSE(ParseCgroupValue("max\n"));
  CHECK_FALSE(ParseCgroupValue("12a\n"));
  CHECK_FALSE(ParseCgroupValue(""));
  CHECK(ParseCpuStatUsage("usage_usec 98765\nuser_usec 1\nsystem_usec 2\n") == 98765u);
  CHECK_FALSE(ParseCpuStatUsage("user_usec 1\n"));
}

TEST_CASE("/proc/meminfo and /proc/stat parse") {
  const char* meminfo = "MemTotal:        2048 kB\nMemFree:    100 kB\nMemAvailable:    1024 kB\n";
  CHECK(ParseMeminfoBytes(meminfo, "MemTotal") == 2048u * 1024);
  CHECK(ParseMeminfoBytes(meminfo, "MemAvailable") == 1024u * 1024);
  CHECK_FALSE(ParseMeminfoBytes(meminfo, "SwapTotal"));
  CHECK_FALSE(ParseMeminfoBytes("MemTotal: 12\n", "MemTotal"));
  // user nice system idle iowait irq softirq steal: non-idle = 10+1+5+2+3+4 = 25 ticks.
  const char* stat = "cpu  10 1 5 1000 7 2 3 4 0 0\ncpu0 10 1 5 1000 7 2 3 4 0 0\n";
  CHECK(ParseProcStatCpuUsec(stat, 100) == 250000u);
  CHECK_FALSE(ParseProcStatCpuUsec("cpu  1 2 3\n", 100));
  CHECK_FALSE(ParseProcStatCpuUsec(stat, 0));
  CHECK_FALSE(ParseProcStatCpuUsec("intr 1 2\n", 100));
}

TEST_CASE("ReadStats on this machine reports memory and cpu") {
  StatsSample s = ReadStats(7);
  CHECK(s.memory_usage_bytes > 0);
  CHECK(s.memory_limit_bytes > 0);
  CHECK(s.cpu_usage_usec > 0);
  CHECK(s.pids_current > 0);
}
