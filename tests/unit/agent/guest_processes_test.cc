#include "guest/agent/guest_processes.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

using namespace strato::agent;

TEST_CASE("/proc/<pid>/stat lines parse, also with odd command names") {
  auto s = ParseProcStat("1234 (sleep) S 1 1234 1234 0 -1 4194560 0 0");
  REQUIRE(s);
  CHECK(s->pid == 1234);
  CHECK(s->ppid == 1);
  CHECK(s->session == 1234);
  s = ParseProcStat("77 (a) b) (c) R 5 6 7 8 9");
  REQUIRE(s);
  CHECK(s->pid == 77);
  CHECK(s->ppid == 5);
  CHECK(s->session == 7);
  CHECK_FALSE(ParseProcStat(""));
  CHECK_FALSE(ParseProcStat("x (sh) S 1 2 3"));
  CHECK_FALSE(ParseProcStat("12 (sh) S 1 2"));
  CHECK_FALSE(ParseProcStat("12 (sh) S one 2 3"));
  CHECK_FALSE(ParseProcStat("12 sh S 1 2 3"));
}

TEST_CASE("descendants follow parent chains to the root, not past it") {
  std::vector<ProcStat> all = {{1, 0, 1},    {2, 0, 0},  {10, 1, 10}, {11, 10, 10},
                               {12, 11, 10}, {20, 2, 0}, {30, 1, 30}};
  auto out = DescendantsOf(1, all);
  std::vector<pid_t> pids;
  for (const auto& p : out) pids.push_back(p.pid);
  std::sort(pids.begin(), pids.end());
  CHECK(pids == std::vector<pid_t>{10, 11, 12, 30});
  auto sub = DescendantsOf(10, all);
  CHECK(sub.size() == 2);
  // A cycle (malformed input) ends.
  std::vector<ProcStat> cyclic = {{5, 6, 5}, {6, 5, 5}};
  CHECK(DescendantsOf(1, cyclic).empty());
}

TEST_CASE("the real /proc lists this process under its parent") {
  auto all = ReadAllProcStats();
  bool found = false;
  for (const auto& s : all) {
    if (s.pid == ::getpid()) {
      found = true;
      CHECK(s.ppid == ::getppid());
      CHECK(s.session == ::getsid(0));
    }
  }
  CHECK(found);
}
