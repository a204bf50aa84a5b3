// containerd end to end with the VM backend: a private containerd (private_containerd.h) runs
// the offline three-layer example image (scripts/make-example-image.sh) with `--runtime
// io.containerd.strato.v2`, and every container is a real microVM. A guest boot costs ~30 s on
// the development machines, so scenarios share VMs: seven boots in all.
//   1. `ctr run --rm` with piped stdin: output (stdout and stderr), the overlay of three layers
//      with a whiteout, a non-zero exit code, `ctr events` in order, nothing left behind.
//   2. one long-running container: `ctr task exec` (output, exit code), `ctr task ps`,
//      `ctr task metrics`, containerd restarted while it runs (still managed, exec works),
//      `ctr task kill`, `ctr task delete`, no VMM left.
//   3. `ctr run -t` under a pty (script(1)): the process has a terminal of the right size.
//   4. the shim killed with SIGKILL: containerd's cleanup through `delete` kills the VMM and
//      removes the VM's state directory.
//   5. three containers started at once (three concurrent boots).
// Needs root, containerd, /dev/kvm and the guest kernel; otherwise each test reports SKIP.

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "common/paths.h"
#include "tests/integration/shim/private_containerd.h"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using namespace strato::shim::testing;

namespace {

constexpr const char* kRuntime = "io.containerd.strato.v2";
constexpr const char* kImageBaseName = "docker.io/library/strato-example";
constexpr const char* kImage = "docker.io/library/strato-example:latest";
// Longer than the shim's own boot timeout (VmSandboxOptions::boot_timeout, 300 s), so a boot
// that fails reports the shim's error with the console tail instead of a killed ctr. A boot is
// ~30-60 s here at light load, several times that when other VMs share the two cores.
constexpr auto kVmCommandTimeout = 420s;

bool KernelPresent() {
  if (const char* k = std::getenv(strato::paths::kKernelEnv); k && *k) return fs::exists(k);
  for (const char* candidate : strato::paths::kKernelCandidates) {
    if (fs::exists(candidate)) return true;
  }
  return false;
}

bool VmUsable() {
  if (!ContainerdUsable()) return false;
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    WARN("SKIP: needs /dev/kvm");
    return false;
  }
  if (!KernelPresent()) {
    WARN("SKIP: no guest kernel (bash packaging/kernel/build.sh, or set STRATO_KERNEL)");
    return false;
  }
  return true;
}

// A private containerd with the test image imported.
struct Setup {
  PrivateContainerd containerd;
  Setup() {
    REQUIRE(containerd.ready());
    // The example image as an OCI layout directory, then as the archive `ctr image import`
    // takes; its index names the manifest "latest".
    const std::string layout = containerd.dir() + "/image";
    const std::string archive = containerd.dir() + "/image.tar";
    auto [mk, mk_out] = Run({"bash", STRATO_EXAMPLE_IMAGE_SCRIPT, layout}, containerd.dir());
    INFO(mk_out);
    REQUIRE(mk == 0);
    REQUIRE(Run({"tar", "-C", layout, "-cf", archive, "."}, containerd.dir()).first == 0);
    auto [imp, imp_out] =
        containerd.Ctr({"image", "import", "--base-name", kImageBaseName, archive});
    INFO(imp_out);
    REQUIRE(imp == 0);
  }
  std::string BundleDir(const std::string& id) const {
    return containerd.dir() + "/state/io.containerd.runtime.v2.task/default/" + id;
  }
  // The task's pid as `ctr task ls` shows it (strato reports the VMM's host pid).
  pid_t TaskPid(const std::string& id) {
    auto [code, out] = containerd.Ctr({"task", "ls"});
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string task, pid, status;
      if (fields >> task >> pid >> status && task == id) return std::stoi(pid);
    }
    return -1;
  }
  std::string TaskStatus(const std::string& id) {
    auto [code, out] = containerd.Ctr({"task", "ls"});
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string task, pid, status;
      if (fields >> task >> pid >> status && task == id) return status;
    }
    return "";
  }
  // No VM state directory left under our state root.
  bool NoVmState() const {
    std::error_code ec;
    return !fs::exists(containerd.vm_state_root(), ec) ||
           fs::is_empty(containerd.vm_state_root(), ec);
  }
};

// The state letter of /proc/<pid>/stat (R, S, T for stopped...), or '?' when unreadable.
char ProcessState(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // the command name may hold spaces and parentheses
  return paren != std::string::npos && paren + 2 < text.size() ? text[paren + 2] : '?';
}

// The topics `ctr events` printed for container `id`, in order.
std::vector<std::string> TopicsFor(const std::string& events_text, const std::string& id) {
  std::vector<std::string> topics;
  std::istringstream lines(events_text);
  std::string line;
  static const std::regex topic(R"( (/tasks/[a-z-]+) )");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (line.find("\"container_id\":\"" + id + "\"") == std::string::npos) continue;
    if (std::regex_search(line, m, topic)) topics.push_back(m[1]);
  }
  return topics;
}

}  // namespace

TEST_CASE("ctr run --rm in a strato VM: output, stdin, layers, exit code, events, cleanup") {
  if (!VmUsable()) return;
  Setup s;
  const std::string events_log = s.containerd.dir() + "/events.out";
  Spawned watcher = Spawn({"ctr", "--address", s.containerd.socket(), "events"}, events_log, {});
  std::this_thread::sleep_for(500ms);  // let the subscription start

  auto [code, output] = s.containerd.Ctr(
      {"run", "--rm", "--runtime", kRuntime, kImage, "t1", "/bin/sh", "-c",
       "cat; cat /etc/motd /etc/strato-release; test -e /etc/obsolete.conf || echo whiteout-ok; "
       "echo to-stderr >&2; exit 7"},
      kVmCommandTimeout, std::string("piped line 1\npiped line 2\n"));
  INFO("ctr output: " << output << "\ncontainerd log tail: " << s.containerd.LogTail());
  CHECK(code == 7);
  // stdout and stderr are two streams that ctr writes to one log: the stderr line has no fixed
  // place among the stdout lines. Take it out, then the rest is stdout, exactly and in order.
  const std::string stderr_line = "to-stderr\n";
  std::string stdout_part = output;
  const size_t at = stdout_part.find(stderr_line);
  REQUIRE(at != std::string::npos);
  stdout_part.erase(at, stderr_line.size());
  CHECK(stdout_part.find(stderr_line) == std::string::npos);  // exactly once
  CHECK(stdout_part ==
        "piped line 1\npiped line 2\nWelcome to the strato example image.\n"
        "strato example image, layer 2\nwhiteout-ok\n");

  // containerd published our events in order; the exit carries the status.
  CHECK(WaitUntil([&] { return TopicsFor(strato::ReadFile(events_log), "t1").size() >= 4; }, 10s));
  ::kill(watcher.pid, SIGTERM);
  ::waitpid(watcher.pid, nullptr, 0);
  const std::string events = strato::ReadFile(events_log);
  INFO("ctr events: " << events);
  CHECK(TopicsFor(events, "t1") ==
        std::vector<std::string>{"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"});
  CHECK_THAT(events, Catch::Contains("\"exit_status\":7"));

  // Nothing left: bundle, shim, VM state.
  CHECK(WaitUntil([&] { return !fs::exists(s.BundleDir("t1")); }, 20s));
  CHECK(WaitUntil([&] { return s.containerd.ShimPids("t1").empty(); }, 20s));
  CHECK(WaitUntil([&] { return s.NoVmState(); }, 20s));
}

TEST_CASE(
    "a long-running strato container: exec, ps, metrics, pause, resume, containerd restart, kill, "
    "delete") {
  if (!VmUsable()) return;
  Setup s;
  auto [code, out] =
      s.containerd.Ctr({"run", "-d", "--runtime", kRuntime, kImage, "t2", "/bin/sleep", "100000"},
                       kVmCommandTimeout);
  INFO("ctr run -d: " << out << "\ncontainerd log tail: " << s.containerd.LogTail());
  REQUIRE(code == 0);
  REQUIRE(WaitUntil([&] { return s.TaskStatus("t2") == "RUNNING"; }, 30s));
  const pid_t vmm = s.TaskPid("t2");
  REQUIRE(vmm > 0);
  CHECK(strato::shim::IsStratoVmmProcess(vmm));  // the task pid is the VM's host process

  auto [ecode, eout] = s.containerd.Ctr(
      {"task", "exec", "--exec-id", "e1", "t2", "/bin/sh", "-c", "echo exec-out; exit 4"}, 60s);
  INFO("exec: " << eout);
  CHECK(ecode == 4);
  CHECK(eout == "exec-out\n");

  auto [pcode, pout] = s.containerd.Ctr({"task", "ps", "t2"});
  INFO("ps: " << pout);
  CHECK(pcode == 0);
  CHECK_THAT(pout, Catch::StartsWith("PID"));
  CHECK(std::count(pout.begin(), pout.end(), '\n') >= 2);  // header + the sleep

  auto [mcode, mout] = s.containerd.Ctr({"task", "metrics", "t2"});
  INFO("metrics: " << mout);
  CHECK(mcode == 0);
  // ctr decoded our io.containerd.cgroups.v2.Metrics: the guest's numbers, non-zero.
  CHECK(std::regex_search(mout, std::regex(R"(pids\.current\s+[1-9])")));
  CHECK(std::regex_search(mout, std::regex(R"(memory\.usage\s+[1-9])")));
  CHECK(std::regex_search(mout, std::regex(R"(cpu\.usage_usec\s+[0-9])")));

  // Pause freezes the VM's host process (state T, stopped), Resume thaws it.
  auto [pause_code, pause_out] = s.containerd.Ctr({"task", "pause", "t2"});
  INFO("pause: " << pause_out);
  CHECK(pause_code == 0);
  CHECK(s.TaskStatus("t2") == "PAUSED");
  CHECK(ProcessState(vmm) == 'T');
  auto [resume_code, resume_out] = s.containerd.Ctr({"task", "resume", "t2"});
  INFO("resume: " << resume_out);
  CHECK(resume_code == 0);
  CHECK(s.TaskStatus("t2") == "RUNNING");
  CHECK(ProcessState(vmm) != 'T');

  // containerd restarts; the shim and the VM live on and are managed again.
  s.containerd.Stop();
  s.containerd.Start();
  REQUIRE(s.containerd.ready());
  CHECK(s.TaskStatus("t2") == "RUNNING");
  auto [rcode, rout] =
      s.containerd.Ctr({"task", "exec", "--exec-id", "e2", "t2", "/bin/cat", "/etc/motd"}, 60s);
  INFO("exec after restart: " << rout);
  CHECK(rcode == 0);
  CHECK(rout == "Welcome to the strato example image.\n");

  auto [kcode, kout] = s.containerd.Ctr({"task", "kill", "-s", "SIGKILL", "t2"});
  INFO("kill: " << kout);
  CHECK(kcode == 0);
  CHECK(WaitUntil([&] { return s.TaskStatus("t2") == "STOPPED"; }, 30s));
  auto [dcode, dout] = s.containerd.Ctr({"task", "delete", "t2"});
  INFO("task delete: " << dout);
  CHECK(dcode == 0);
  CHECK(s.TaskStatus("t2").empty());
  CHECK(s.containerd.Ctr({"container", "delete", "t2"}).first == 0);
  CHECK(WaitUntil([&] { return !ProcessAlive(vmm); }, 30s));
  CHECK(WaitUntil([&] { return s.containerd.ShimPids("t2").empty(); }, 20s));
  CHECK(WaitUntil([&] { return s.NoVmState(); }, 20s));
}

TEST_CASE("ctr run -t in a strato VM: the process gets a terminal of the pty's size") {
  if (!VmUsable()) return;
  if (!OnPath("script")) {
    WARN("SKIP: needs script(1) (bsdutils)");
    return;
  }
  Setup s;
  // script(1) gives ctr a pty; stty sets its size first, which ctr passes on as the console
  // size.
  const std::string command = "stty rows 33 cols 101; ctr --address " + s.containerd.socket() +
                              " run -t --rm --runtime " + kRuntime + " " + kImage +
                              " t3 /bin/sh -c 'busybox tty; busybox stty size; exit 5'";
  auto [code, out] =
      Run({"script", "-qefc", command, "/dev/null"}, s.containerd.dir(), kVmCommandTimeout);
  INFO("script output: " << out << "\ncontainerd log tail: " << s.containerd.LogTail());
  CHECK(code == 5);
  CHECK_THAT(out, Catch::Contains("/dev/pts/"));
  CHECK_THAT(out, Catch::Contains("33 101"));
  CHECK(WaitUntil([&] { return s.NoVmState(); }, 20s));
}

TEST_CASE("a strato shim killed with SIGKILL: containerd's delete leaves no VMM") {
  if (!VmUsable()) return;
  Setup s;
  auto [code, out] =
      s.containerd.Ctr({"run", "-d", "--runtime", kRuntime, kImage, "t4", "/bin/sleep", "100000"},
                       kVmCommandTimeout);
  INFO("ctr run -d: " << out << "\ncontainerd log tail: " << s.containerd.LogTail());
  REQUIRE(code == 0);
  REQUIRE(WaitUntil([&] { return s.TaskStatus("t4") == "RUNNING"; }, 30s));
  const pid_t vmm = s.TaskPid("t4");
  REQUIRE(strato::shim::IsStratoVmmProcess(vmm));
  auto shims = s.containerd.ShimPids("t4");
  REQUIRE(shims.size() == 1);

  ::kill(shims[0], SIGKILL);
  // containerd notices the closed connection and runs `containerd-shim-strato-v2 delete`.
  CHECK(WaitUntil([&] { return !ProcessAlive(vmm); }, 30s));
  CHECK(WaitUntil([&] { return s.NoVmState(); }, 20s));
  CHECK(WaitUntil([&] { return s.TaskStatus("t4") != "RUNNING"; }, 20s));
  std::string log = s.containerd.LogText();
  INFO("containerd log tail: " << s.containerd.LogTail());
  CHECK_THAT(log, Catch::Contains("killed strato-vmm pid " + std::to_string(vmm)));
}

TEST_CASE("three strato containers started concurrently each run in their own VM") {
  if (!VmUsable()) return;
  Setup s;
  constexpr int kContainers = 3;
  std::vector<Started> runs;
  for (int i = 0; i < kContainers; ++i) {
    const std::string id = "c" + std::to_string(i);
    runs.push_back(
        s.containerd.StartCtr({"run", "--rm", "--runtime", kRuntime, kImage, id, "/bin/sh", "-c",
                               "echo " + id + "; exit " + std::to_string(10 + i)}));
  }
  std::vector<std::pair<int, std::string>> results;
  for (const auto& run : runs) results.push_back(Finish(run, 2 * kVmCommandTimeout));
  INFO("containerd log tail: " << s.containerd.LogTail());
  for (int i = 0; i < kContainers; ++i) {
    INFO("container c" << i << ": " << results[i].second);
    CHECK(results[i].first == 10 + i);
    CHECK(results[i].second == "c" + std::to_string(i) + "\n");
  }
  CHECK(WaitUntil([&] { return s.NoVmState(); }, 20s));
  CHECK(WaitUntil([&] { return s.containerd.ShimPids().empty(); }, 20s));
}
