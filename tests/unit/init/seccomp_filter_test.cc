// OCI seccomp profile -> libseccomp rules -> BPF (compiled in memory; loaded only in a child).

#include "guest/init/seccomp_filter.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>

namespace strato::guest {
namespace {

constexpr size_t kBpfInstructionBytes = 8;  // struct sock_filter

oci::SeccompSyscall Rule(std::vector<std::string> names, std::string action,
                         std::vector<oci::SeccompArg> args = {},
                         std::optional<uint32_t> errno_ret = std::nullopt) {
  oci::SeccompSyscall s;
  s.names = std::move(names);
  s.action = std::move(action);
  s.args = std::move(args);
  s.errno_ret = errno_ret;
  return s;
}

TEST_CASE("seccomp actions map to libseccomp values") {
  CHECK(SeccompAction("SCMP_ACT_ALLOW", std::nullopt) == SCMP_ACT_ALLOW);
  CHECK(SeccompAction("SCMP_ACT_ERRNO", std::nullopt) == SCMP_ACT_ERRNO(EPERM));
  CHECK(SeccompAction("SCMP_ACT_ERRNO", 38) == SCMP_ACT_ERRNO(38));
  CHECK(SeccompAction("SCMP_ACT_TRACE", std::nullopt) == SCMP_ACT_TRACE(EPERM));
  CHECK(SeccompAction("SCMP_ACT_KILL", std::nullopt) == SCMP_ACT_KILL_THREAD);
  CHECK(SeccompAction("SCMP_ACT_KILL_PROCESS", std::nullopt) == SCMP_ACT_KILL_PROCESS);
  CHECK(SeccompAction("SCMP_ACT_TRAP", std::nullopt) == SCMP_ACT_TRAP);
  CHECK(SeccompAction("SCMP_ACT_LOG", std::nullopt) == SCMP_ACT_LOG);
  CHECK_THROWS_WITH(SeccompAction("SCMP_ACT_NOTIFY", std::nullopt),
                    Catch::StartsWith("seccomp: SCMP_ACT_NOTIFY needs a seccomp agent"));
}

TEST_CASE("seccomp plan: rules, skipped names, argument grouping") {
  oci::Seccomp p;
  p.default_action = "SCMP_ACT_ERRNO";
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  p.flags = {"SECCOMP_FILTER_FLAG_LOG"};
  p.syscalls = {
      Rule({"read", "write", "no_such_syscall_strato"}, "SCMP_ACT_ALLOW"),
      // Same action as the default: dropped, as runc does.
      Rule({"mkdir"}, "SCMP_ACT_ERRNO"),
      // Two conditions on different arguments: one rule (AND).
      Rule({"personality"}, "SCMP_ACT_ALLOW",
           {{0, 8, 0, "SCMP_CMP_EQ"}, {1, 0xff, 0x10, "SCMP_CMP_MASKED_EQ"}}),
      // Two conditions on the same argument: one rule each (OR).
      Rule({"socket"}, "SCMP_ACT_ALLOW", {{0, 1, 0, "SCMP_CMP_EQ"}, {0, 2, 0, "SCMP_CMP_EQ"}}),
  };
  SeccompPlan plan = PlanSeccomp(p);
  CHECK(plan.default_action == SCMP_ACT_ERRNO(EPERM));
  CHECK(plan.architectures == std::vector<uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86});
  CHECK(plan.log);
  CHECK_FALSE(plan.tsync);
  CHECK(plan.unknown_syscalls == std::vector<std::string>{"no_such_syscall_strato"});
  REQUIRE(plan.rules.size() == 5);
  CHECK(plan.rules[0].name == "read");
  CHECK(plan.rules[0].syscall == SYS_read);
  CHECK(plan.rules[1].syscall == SYS_write);
  CHECK(plan.rules[2].name == "personality");
  REQUIRE(plan.rules[2].conditions.size() == 2);
  CHECK(plan.rules[2].conditions[1].arg == 1);
  CHECK(plan.rules[2].conditions[1].op == SCMP_CMP_MASKED_EQ);
  CHECK(plan.rules[2].conditions[1].datum_a == 0xff);
  CHECK(plan.rules[2].conditions[1].datum_b == 0x10);
  CHECK(plan.rules[3].name == "socket");
  CHECK(plan.rules[3].conditions.size() == 1);
  CHECK(plan.rules[3].conditions[0].datum_a == 1);
  CHECK(plan.rules[4].conditions[0].datum_a == 2);
}

TEST_CASE("seccomp plan rejects what cannot be honoured") {
  oci::Seccomp p;
  p.default_action = "SCMP_ACT_ALLOW";
  p.architectures = {"SCMP_ARCH_NOPE"};
  CHECK_THROWS_WITH(PlanSeccomp(p), "seccomp: architecture SCMP_ARCH_NOPE unknown to libseccomp");
  p.architectures = {};
  p.syscalls = {Rule({"read"}, "SCMP_ACT_NOTIFY")};
  CHECK_THROWS_WITH(PlanSeccomp(p), Catch::StartsWith("seccomp: SCMP_ACT_NOTIFY"));
}

TEST_CASE("seccomp filter compiles to BPF in memory") {
  oci::Seccomp p;
  p.default_action = "SCMP_ACT_ALLOW";
  SeccompFilter empty = CompileSeccomp(PlanSeccomp(p));
  std::string small = ExportSeccompBpf(empty);
  p.syscalls = {Rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO"),
                Rule({"personality"}, "SCMP_ACT_ERRNO", {{0, 8, 0, "SCMP_CMP_NE"}})};
  SeccompFilter filter = CompileSeccomp(PlanSeccomp(p));
  std::string bpf = ExportSeccompBpf(filter);
  CHECK(small.size() % kBpfInstructionBytes == 0);
  CHECK(bpf.size() % kBpfInstructionBytes == 0);
  CHECK(bpf.size() > small.size());        // the rules added instructions
  CHECK(ExportSeccompBpf(filter) == bpf);  // deterministic
}

// Runs `fn` in a child with `filter` loaded; returns the child's exit code.
int InFilteredChild(const SeccompFilter& filter, int (*fn)()) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(100);
    try {
      LoadSeccomp(filter);
    } catch (...) {
      ::_exit(101);
    }
    ::_exit(fn());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

TEST_CASE("a loaded filter makes mkdir fail with the configured errno") {
  oci::Seccomp p;
  p.default_action = "SCMP_ACT_ALLOW";
  p.syscalls = {Rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO"),
                Rule({"rmdir"}, "SCMP_ACT_ERRNO", {}, ENOTSUP)};
  SeccompFilter filter = CompileSeccomp(PlanSeccomp(p));
  CHECK(InFilteredChild(filter, [] {
          return ::mkdir("/nonexistent-dir/strato-x", 0755) == -1 ? errno : 0;
        }) == EPERM);
  CHECK(InFilteredChild(filter, [] {
          return ::rmdir("/nonexistent-dir/strato-x") == -1 ? errno : 0;
        }) == ENOTSUP);
  // Unfiltered calls still reach the kernel.
  CHECK(InFilteredChild(filter, [] {
          return ::access("/nonexistent-dir/strato-x", F_OK) == -1 ? errno : 0;
        }) == ENOENT);
}

}  // namespace
}  // namespace strato::guest
