// Boots the test guests with `strato vm` on the real /dev/kvm and checks the VMM's report: the
// last stderr line ("strato vm: guest stopped: <reason>"), the exit code, and the guest's console.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/file_util.h"

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
  std::string LastStderrLine() const {
    std::string s = stderr_text;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    size_t nl = s.rfind('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
  }
};

bool KvmUsable() {
  return ::access("/dev/kvm", R_OK | W_OK) == 0;
}

std::string Guest(const std::string& name) {
  return std::string(STRATO_GUEST_DIR) + "/guest_" + name + ".elf";
}

// Runs `strato vm <args>` with a 60 s limit; stdin from /dev/null unless `input` is given.
RunResult RunVm(const std::string& args, const std::string& input = "",
                const std::string& vmm = std::string(STRATO_CLI) + " vm") {
  fs::path dir = fs::temp_directory_path() / ("strato-vm-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string out = (dir / "out").string(), err = (dir / "err").string();
  std::string cmd = "timeout 60 " + vmm + " " + args;
  cmd = input.empty() ? cmd + " </dev/null" : "printf '" + input + "' | " + cmd;
  cmd += " >" + out + " 2>" + err;
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.stdout_text = strato::ReadFile(out);
  r.stderr_text = strato::ReadFile(err);
  fs::remove_all(dir);
  return r;
}

#define REQUIRE_KVM()                                       \
  do {                                                      \
    if (!KvmUsable()) {                                     \
      WARN("SKIP: /dev/kvm is not available to this user"); \
      return;                                               \
    }                                                       \
  } while (0)

}  // namespace

TEST_CASE("test guest sees the configured memory, CPUID and MP table on 1 vCPU") {
  REQUIRE_KVM();
  RunResult r = RunVm("--kernel " + Guest("cpu_mem_smp") +
                      " --memory 64 --cpus 1 --cmdline 'expect_mem_mib=64 expect_cpus=1'");
  INFO(r.stdout_text << r.stderr_text);
  CHECK(r.stdout_text.find("e820 RAM 66714624 bytes, ends at 0x4000000\n") != std::string::npos);
  CHECK(r.stdout_text.find("MP table: 1 CPUs, 24 IOAPIC pins\n") != std::string::npos);
  CHECK(r.stdout_text.find("cpu_mem_smp: ok\n") != std::string::npos);
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: test-passed");
  CHECK(r.exit_code == 0);
}

TEST_CASE("test guest starts every vCPU with INIT/SIPI (3 vCPUs, 96 MiB)") {
  REQUIRE_KVM();
  RunResult r = RunVm("--kernel " + Guest("cpu_mem_smp") +
                      " --memory 96 --cpus 3 --cmdline 'expect_mem_mib=96 expect_cpus=3'");
  INFO(r.stdout_text << r.stderr_text);
  CHECK(r.stdout_text.find("MP table: 3 CPUs, 24 IOAPIC pins\n") != std::string::npos);
  CHECK(r.stdout_text.find("APs started: 2\n") != std::string::npos);
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: test-passed");
  CHECK(r.exit_code == 0);
}

TEST_CASE("a mismatch between what the VMM says and what the test expects fails the guest") {
  REQUIRE_KVM();
  RunResult r = RunVm("--kernel " + Guest("cpu_mem_smp") +
                      " --memory 64 --cpus 1 --cmdline 'expect_mem_mib=64 expect_cpus=2'");
  INFO(r.stdout_text << r.stderr_text);
  CHECK(r.stdout_text.find("FAIL 31: MP table CPU count differs") != std::string::npos);
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: test-failed 31");
  CHECK(r.exit_code == 1);
}

TEST_CASE("PIT interrupts reach the test guest through the in-kernel IOAPIC") {
  REQUIRE_KVM();
  RunResult r = RunVm("--kernel " + Guest("pit_ioapic") + " --memory 16");
  INFO(r.stdout_text << r.stderr_text);
  CHECK(r.stdout_text.find("PIT ticks via IOAPIC: 5\n") != std::string::npos);
  CHECK(r.stdout_text.find("pit_ioapic: ok\n") != std::string::npos);
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: test-passed");
  CHECK(r.exit_code == 0);
}

TEST_CASE("every stop reason maps to its report and exit code") {
  REQUIRE_KVM();
  struct Case {
    int action;
    const char* reason;
    int exit_code;
  };
  const Case cases[] = {{1, "test-passed", 0}, {2, "test-failed 7", 1}, {3, "triple-fault", 3},
                        {4, "reboot", 0},      {5, "poweroff", 0},      {6, "panic", 4},
                        {7, "poweroff", 0}};
  for (const auto& c : cases) {
    RunResult r = RunVm("--kernel " + Guest("stop_reasons") +
                        " --memory 16 --cmdline action=" + std::to_string(c.action));
    INFO("action " << c.action << ": " << r.stdout_text << r.stderr_text);
    CHECK(r.LastStderrLine() == std::string("strato vm: guest stopped: ") + c.reason);
    CHECK(r.exit_code == c.exit_code);
  }
}

TEST_CASE("a missing kernel is a clear error with a non-zero exit") {
  REQUIRE_KVM();
  RunResult r = RunVm("--kernel /nonexistent/vmlinux --memory 16");
  CHECK(r.stderr_text.find("strato vm: open /nonexistent/vmlinux: No such file or directory\n") !=
        std::string::npos);
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: error");
  CHECK(r.exit_code == 5);
}

TEST_CASE("a garbage kernel is a clear error with a non-zero exit") {
  REQUIRE_KVM();
  fs::path garbage = fs::temp_directory_path() / ("strato-garbage-" + std::to_string(::getpid()));
  {
    std::ofstream f(garbage, std::ios::binary);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>((i * 131 + 7) & 0xff));
  }
  RunResult r = RunVm("--kernel " + garbage.string() + " --memory 16");
  fs::remove(garbage);
  CHECK(r.stderr_text.find(": not a kernel: neither an ELF executable nor a bzImage\n") !=
        std::string::npos);
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: error");
  CHECK(r.exit_code == 5);
}

TEST_CASE("bad flags are usage errors (exit 2)") {
  RunResult r = RunVm("--kernel x --memory 15");
  CHECK(r.exit_code == 2);
  CHECK(r.stderr_text.find("--memory must be an even number of MiB") != std::string::npos);
  RunResult q = RunVm("--kernel x --quirks maybe");
  CHECK(q.exit_code == 2);
  CHECK(q.stderr_text.find("--quirks: expected auto, on or off") != std::string::npos);
}

TEST_CASE("console input reaches the guest through the UART's interrupt") {
  REQUIRE_KVM();
  RunResult r = RunVm("--kernel " + Guest("serial_input") + " --memory 16", "ping\\n");
  INFO(r.stdout_text << r.stderr_text);
  CHECK(r.stdout_text == "ready\ngot: ping\n");
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: test-passed");
  CHECK(r.exit_code == 0);
}

TEST_CASE("hugepages without reserved ones are a clear error, not a crash") {
  REQUIRE_KVM();
  std::string reserved = strato::ReadFile("/proc/sys/vm/nr_hugepages");
  RunResult r =
      RunVm("--kernel " + Guest("stop_reasons") + " --memory 16 --hugepages --cmdline action=1");
  INFO(r.stdout_text << r.stderr_text);
  if (std::stoul(reserved) * 2 >= 16) {
    CHECK(r.LastStderrLine() == "strato vm: guest stopped: test-passed");
    return;
  }
  CHECK(r.stderr_text.find(
            "strato vm: mmap 16 MiB of guest memory with hugepages (are enough reserved "
            "in /proc/sys/vm/nr_hugepages?): Cannot allocate memory\n") != std::string::npos);
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: error");
  CHECK(r.exit_code == 5);
}

TEST_CASE("strato-vmm is the same VMM: same report and exit code") {
  REQUIRE_KVM();
  RunResult r = RunVm("--kernel " + Guest("stop_reasons") + " --memory 16 --cmdline action=2", "",
                      STRATO_VMM);
  INFO(r.stdout_text << r.stderr_text);
  CHECK(r.LastStderrLine() == "strato vm: guest stopped: test-failed 7");
  CHECK(r.exit_code == 1);
  RunResult usage = RunVm("--cpus 0", "", STRATO_VMM);
  CHECK(usage.exit_code == 2);
  CHECK(usage.stderr_text == "strato-vmm: --cpus: 0 is out of range [1, 32]\n");
}
