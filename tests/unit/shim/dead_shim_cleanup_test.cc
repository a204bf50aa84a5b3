// `delete` after a dead shim: the VMM recorded in the bundle's state directory is killed only
// when it really is strato-vmm, and the state directory and record are removed. A copy of
// sleep(1) named strato-vmm plays the VMM.

#include "shim/backend/dead_shim_cleanup.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "shim/backend/vm_state_dir.h"
#include "test_bundle.h"

namespace fs = std::filesystem;
using strato::shim::CleanupAfterDeadShim;
using strato::shim::testing::TempBundle;

namespace {

pid_t SpawnSleep(const std::string& binary) {
  std::string arg0 = binary;
  std::string arg1 = "600";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  REQUIRE(::posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv, environ) == 0);
  return pid;
}

// The exit of our child `pid`: the signal that ended it, or 0 if it is still running.
int EndSignal(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return 0;
  return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
}

struct DeadShimState {
  TempBundle bundle;
  TempBundle state_root;
  std::string state_dir;
  DeadShimState() {
    ::setenv(strato::shim::kVmStateRootEnv, state_root.path().c_str(), 1);
    state_dir = strato::shim::VmStateDirFor("default", "c1");
    ::unsetenv(strato::shim::kVmStateRootEnv);
    fs::create_directories(state_dir);
    std::ofstream(state_dir + "/vsock.sock") << "";
    strato::shim::RecordVmStateDir(bundle.path(), state_dir);
  }
  void WritePid(pid_t pid) { std::ofstream(state_dir + "/vmm.pid") << pid << "\n"; }
};

}  // namespace

TEST_CASE("the state directory is short, per namespace and id, and recorded in the bundle") {
  ::setenv(strato::shim::kVmStateRootEnv, "/run/x", 1);
  std::string a = strato::shim::VmStateDirFor("default", "c1");
  std::string b = strato::shim::VmStateDirFor("k8s.io", "c1");
  ::unsetenv(strato::shim::kVmStateRootEnv);
  CHECK(a.size() == std::string("/run/x/").size() + 16);
  CHECK(a.rfind("/run/x/", 0) == 0);
  CHECK(a != b);
  CHECK(strato::shim::VmStateDirFor("default", "c1").rfind("/run/strato/", 0) == 0);

  TempBundle bundle;
  CHECK_FALSE(strato::shim::ReadRecordedVmStateDir(bundle.path()).has_value());
  strato::shim::RecordVmStateDir(bundle.path(), a);
  CHECK(strato::shim::ReadRecordedVmStateDir(bundle.path()) == a);
  for (std::string bad : {"/etc", "relative/0123456789abcdef", "/x/../0123456789abcdef",
                          "/x/0123456789ABCDEF", "/"}) {
    std::ofstream(bundle.file(strato::shim::kVmStateRecordFile)) << bad << "\n";
    CHECK_THROWS_WITH(strato::shim::ReadRecordedVmStateDir(bundle.path()),
                      Catch::Contains("not a strato VM state directory: \"" + bad + "\""));
  }
}

TEST_CASE("delete kills the dead shim's strato-vmm and removes its state") {
  DeadShimState s;
  const std::string fake_vmm = s.bundle.file(strato::shim::kVmmBinaryName);
  fs::copy_file("/bin/sleep", fake_vmm);
  pid_t vmm = SpawnSleep(fake_vmm);
  s.WritePid(vmm);
  CHECK(strato::shim::IsStratoVmmProcess(vmm));

  auto lines = CleanupAfterDeadShim(s.bundle.path(), "c1");
  CHECK(EndSignal(vmm) == SIGKILL);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "killed strato-vmm pid " + std::to_string(vmm));
  CHECK(lines[1] == "container c1: removed VM state directory " + s.state_dir);
  CHECK_FALSE(fs::exists(s.state_dir));
  CHECK_FALSE(fs::exists(s.bundle.file(strato::shim::kVmStateRecordFile)));
  // A second delete finds nothing to do.
  CHECK(CleanupAfterDeadShim(s.bundle.path(), "c1").empty());
}

TEST_CASE("delete leaves a process alone whose pid is in vmm.pid but is not strato-vmm") {
  DeadShimState s;
  pid_t other = SpawnSleep("/bin/sleep");
  s.WritePid(other);
  CHECK_FALSE(strato::shim::IsStratoVmmProcess(other));

  auto lines = CleanupAfterDeadShim(s.bundle.path(), "c1");
  CHECK(EndSignal(other) == 0);  // still running
  ::kill(other, SIGKILL);
  ::waitpid(other, nullptr, 0);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "pid " + std::to_string(other) +
                        " from vmm.pid is not strato-vmm any more (pid reused): left alone");
  CHECK_FALSE(fs::exists(s.state_dir));
}

TEST_CASE("delete reports a broken pid file or record and still answers") {
  DeadShimState s;
  std::ofstream(s.state_dir + "/vmm.pid") << "12ab";
  auto lines = CleanupAfterDeadShim(s.bundle.path(), "c1");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == s.state_dir + "/vmm.pid: not a process id: \"12ab\"");
  CHECK_FALSE(fs::exists(s.state_dir));

  std::ofstream(s.bundle.file(strato::shim::kVmStateRecordFile)) << "/etc\n";
  lines = CleanupAfterDeadShim(s.bundle.path(), "c1");
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Contains("not a strato VM state directory: \"/etc\" (ignored)"));
  CHECK(fs::exists("/etc"));
}
