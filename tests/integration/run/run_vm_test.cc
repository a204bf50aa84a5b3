// Containers in real guests. A boot costs 30-60 s on the nested KVM of the CI machines, so there
// are three, each checking several things:
//   1. `strato run` of the 3-layer example image: a file from the top layer, the lower layer's
//      file deleted by a whiteout, 64 KiB of stdin echoed back byte for byte by `cat`, then 1 MiB
//      of stdout complete before the exit status, and exit code 42.
//   2. `strato run --tty` under a pseudo-terminal: the container's pty with the host's window
//      size, TERM, and a SIGTERM sent to `strato run` forwarded to the container (its trap runs).
//   3. One VM driven through ContainerVm and the agent: an exec whose output and exit code come
//      back, a second exec killed by SIGTERM (143), then the container process by SIGKILL (137).
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "runtime/container_vm.h"
#include "runtime/image_launch.h"
#include "tests/integration/run/run_harness.h"

namespace strato::run::test {
namespace {

constexpr std::chrono::seconds kBootTimeout{300};
constexpr size_t kStdinBytes = 64 * 1024;
constexpr size_t kStdoutBytes = 1024 * 1024;

// Bytes 0..255 repeated, minus newline handling concerns: `cat` copies them as they are.
std::string BinaryPattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
  return data;
}

TEST_CASE("strato run: layers and whiteout, 64 KiB stdin, 1 MiB stdout, exit code") {
  if (std::string why = GuestSkipReason(); !why.empty()) {
    WARN("SKIP: " << why);
    return;
  }
  TempDir dir;
  MakeExampleImage(dir / "image");
  std::string input = BinaryPattern(kStdinBytes);
  // `yes` writes "y\n"; head keeps exactly 1 MiB of it.
  std::string script =
      "cat /etc/strato-release; "
      "test -e /etc/obsolete.conf && echo whiteout-missing || echo whiteout-applied; "
      "cat; "
      "yes | head -c " +
      std::to_string(kStdoutBytes) +
      "; "
      "echo to-stderr >&2; exit 42";
  CommandResult r = RunStrato(dir / "cache", {dir / "image", "--", "sh", "-c", script}, input);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 42);
  CHECK(r.err == "to-stderr\n");
  std::string expected_head = "strato example image, layer 2\nwhiteout-applied\n";
  REQUIRE(r.out.size() == expected_head.size() + kStdinBytes + kStdoutBytes);
  CHECK(r.out.substr(0, expected_head.size()) == expected_head);
  CHECK(r.out.substr(expected_head.size(), kStdinBytes) == input);
  std::string yes_output;
  while (yes_output.size() < kStdoutBytes) yes_output += "y\n";
  yes_output.resize(kStdoutBytes);
  CHECK(r.out.substr(expected_head.size() + kStdinBytes) == yes_output);
}

TEST_CASE("strato run --tty: pty and window size, TERM, SIGTERM forwarded") {
  if (std::string why = GuestSkipReason(); !why.empty()) {
    WARN("SKIP: " << why);
    return;
  }
  TempDir dir;
  MakeExampleImage(dir / "image");
  winsize size{};
  size.ws_row = 30;
  size.ws_col = 100;
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::string cache = dir / "cache", image = dir / "image";
    const char* script =
        "tty; stty size; echo TERM=$TERM; trap 'echo got-TERM; exit 7' TERM; echo ready; "
        "while true; do sleep 1; done";
    ::execl(STRATO_CLI_BINARY, "strato", "run", "--layer-cache", cache.c_str(), "--tty",
            image.c_str(), "--", "sh", "-c", script, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string output;
  bool signalled = false;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once strato exited and the slave closed
    output.append(buf, static_cast<size_t>(n));
    if (!signalled && output.find("ready") != std::string::npos) {
      ::kill(pid, SIGTERM);
      signalled = true;
    }
  }
  ::close(master);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("terminal output: " << output);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
  CHECK(output.find("/dev/pts/0\r\n30 100\r\nTERM=xterm\r\n") != std::string::npos);
  CHECK(output.find("got-TERM\r\n") != std::string::npos);
}

// Reads a stream until the guest closes it.
std::string ReadToEof(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string ExecProcessJson(const std::vector<std::string>& args) {
  return nlohmann::json{
      {"args", args}, {"cwd", "/"}, {"env", {"PATH=/bin"}}, {"user", {{"uid", 0}, {"gid", 0}}}}
      .dump();
}

TEST_CASE("ContainerVm: exec output and exit code, signals to an exec and the container") {
  if (std::string why = GuestSkipReason(); !why.empty()) {
    WARN("SKIP: " << why);
    return;
  }
  TempDir dir;
  MakeExampleImage(dir / "image");
  runtime::ImageRunOptions options;
  options.image = dir / "image";
  options.command = {"sleep", "600"};
  options.layer_cache_dir = dir / "cache";
  options.id = "vmtest";
  options.state_dir = dir / "state";
  runtime::ContainerLaunch launch = runtime::PrepareImageLaunch(options);
  auto vm = runtime::ContainerVm::Boot(launch, kBootTimeout);
  REQUIRE(std::filesystem::exists(dir / "state/vmm.pid"));
  runtime::AgentClient& agent = vm->agent();

  // The container's own process, no stdio.
  agent.CreateProcess("", "", false, false, false, false);
  CHECK(agent.StartProcess("") > 0);

  // exec 1: output on stdout and stderr, exit code 7.
  agent.CreateProcess("exec1",
                      ExecProcessJson({"sh", "-c", "cat /etc/motd; echo oops >&2; exit 7"}), false,
                      false, true, true);
  UniqueFd out = vm->OpenStream("exec1", runtime::StdioStream::kStdout);
  UniqueFd err = vm->OpenStream("exec1", runtime::StdioStream::kStderr);
  agent.StartProcess("exec1");
  CHECK(ReadToEof(out.get()) == "Welcome to the strato example image.\n");
  CHECK(ReadToEof(err.get()) == "oops\n");
  CHECK(agent.WaitProcess("exec1").exit_status == 7);
  agent.DeleteProcess("exec1");

  // exec 2: a sleeper stopped by SIGTERM.
  agent.CreateProcess("exec2", ExecProcessJson({"sleep", "600"}), false, false, false, false);
  agent.StartProcess("exec2");
  agent.SignalProcess("exec2", SIGTERM, false);
  CHECK(agent.WaitProcess("exec2").exit_status == 128 + SIGTERM);

  // The container process, killed.
  agent.SignalProcess("", SIGKILL, false);
  CHECK(agent.WaitProcess("").exit_status == 128 + SIGKILL);
  try {
    agent.Shutdown();
  } catch (const Error&) {
    // The agent may already be powering off after the last exit status.
  }
  CHECK(vm->WaitVmmExitOrKill(std::chrono::seconds(30)) == 0);
  vm.reset();
  CHECK_FALSE(std::filesystem::exists(dir / "state"));
}

}  // namespace
}  // namespace strato::run::test
