// Boots strato's guest kernel (packaging/kernel/build.sh) with `strato vm` and the static test
// user space from tests/guest/linux, then asserts the kernel log, every user-space line and how
// the VMM ended. Each boot takes 35-60 s on the nested KVM of the CI machines, so there
// are only two: 2 vCPUs ending with reboot(2), 1 vCPU ending with power-off.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Generous: "Run /init" arrives after ~40-60 s here; a hung guest must still fail the test.
constexpr int kBootTimeoutSeconds = 300;
constexpr int kGuestMemoryMiB = 128;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/strato-linux-boot-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Lines without the "\r" the serial console adds.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string KernelPath() {
  if (const char* env = std::getenv("STRATO_KERNEL")) return env;
  return "/var/cache/strato/kernel/vmlinux";
}

// The reason to skip, or "" when this machine can boot the guest.
std::string SkipReason() {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) return "/dev/kvm is not usable";
  if (!fs::exists(KernelPath())) {
    return "no guest kernel at " + KernelPath() + " (run packaging/kernel/build.sh)";
  }
  return "";
}

struct BootResult {
  int exit_code = -1;
  std::vector<std::string> console;  // the guest's serial output
  std::vector<std::string> stderr_lines;
  double seconds = 0;
};

BootResult Boot(int cpus, const std::string& extra_cmdline) {
  TempDir dir;
  fs::path console = dir.path / "console.log";
  fs::path err = dir.path / "stderr.log";
  // The VMM adds console=ttyS0 reboot=k panic=-1 and, on nested KVM (--quirks auto), the
  // options that avoid unemulatable instructions and slow paths (vmm/vcpu/quirks.cc).
  const std::string& cmdline = extra_cmdline;
  std::string command =
      "timeout --kill-after=10 " + std::to_string(kBootTimeoutSeconds) + " " + STRATO_CLI_BINARY +
      " vm --kernel " + KernelPath() + " --initrd " + STRATO_LINUX_TEST_INITRAMFS + " --cpus " +
      std::to_string(cpus) + " --memory " + std::to_string(kGuestMemoryMiB) + " --cmdline '" +
      cmdline + "' --console " + console.string() + " </dev/null >/dev/null 2>" + err.string();
  auto start = std::chrono::steady_clock::now();
  int status = std::system(command.c_str());
  BootResult result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.console = Lines(ReadText(console));
  result.stderr_lines = Lines(ReadText(err));
  return result;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all;
}

bool HasLineContaining(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& line : lines) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

// The guest's printk time of the first line containing `needle`, or -1.
double PrintkTimeOf(const std::vector<std::string>& lines, const std::string& needle) {
  static const std::regex kPrintkTime(R"(^\[\s*(\d+\.\d+)\] )");
  for (const auto& line : lines) {
    std::smatch m;
    if (line.find(needle) != std::string::npos && std::regex_search(line, m, kPrintkTime)) {
      return std::stod(m[1]);
    }
  }
  return -1;
}

// The user-space lines (from /init and /bin/child), in order.
std::vector<std::string> UserLines(const std::vector<std::string>& console) {
  std::vector<std::string> out;
  for (const auto& line : console) {
    if (line.starts_with("strato-test-")) out.push_back(line);
  }
  return out;
}

void CheckKernelLog(const BootResult& boot, int cpus) {
  const auto& log = boot.console;
  CHECK(HasLineContaining(log, "Linux version 6.1."));
  CHECK(HasLineContaining(log, "(strato@strato)"));  // our reproducible build, not a host kernel
  CHECK(HasLineContaining(log, cpus == 1 ? "Brought up 1 node, 1 CPU"
                                         : "Brought up 1 node, " + std::to_string(cpus) + " CPUs"));
  CHECK(HasLineContaining(log, "IOAPIC[0]: apic_id"));
  CHECK(HasLineContaining(log, "Run /init as init process"));
  CHECK_FALSE(HasLineContaining(log, "Kernel panic"));
  CHECK_FALSE(HasLineContaining(log, "segfault"));
}

void CheckUserSpace(const BootResult& boot, const std::string& ending) {
  std::vector<std::string> user = UserLines(boot.console);
  INFO("user-space lines:\n" << Joined(user));
  REQUIRE(user.size() == 10);
  CHECK(user[0] == "strato-test-init: start (pid 1)");
  CHECK(std::regex_match(user[1], std::regex(R"(strato-test-init: uptime \d+\.\d+ \d+\.\d+)")));
  CHECK(std::regex_match(user[2],
                         std::regex(R"(strato-test-init: /proc/version: Linux version 6\.1\.\d+ )"
                                    R"(\(strato@strato\) .*)")));
  CHECK(std::regex_match(user[3],
                         std::regex(R"(strato-test-init: 200 getppid calls took \d+\.\d ms)")));
  CHECK(user[4] == "strato-test-child: argc=2 argv[1]=hello env=1 ppid=1");
  CHECK(user[5] == "strato-test-init: child exited with status 7");
  CHECK(std::regex_match(user[6], std::regex(R"(strato-test-init: fork\+exec\+wait took \d+ ms)")));
  CHECK(user[7] == "strato-test-init: second child killed by signal 15");
  CHECK(user[8] == "strato-test-init: all checks passed");
  CHECK(user[9] == "strato-test-init: " + ending);
}

void Report(const BootResult& boot, int cpus) {
  // Figures for docs/benchmarks.md ("Linux boot"); shown with `ctest -V`.
  std::printf("linux boot (%d vCPU): host wall %.1f s, printk 'Run /init' at %.2f s\n", cpus,
              boot.seconds, PrintkTimeOf(boot.console, "Run /init as init process"));
}

}  // namespace

// One boot, all its assertions: kernel log, user space, and the VMM's exit.
void BootAndCheck(int cpus, const std::string& extra_cmdline, const std::string& init_ending,
                  const std::string& stop_reason) {
  if (std::string reason = SkipReason(); !reason.empty()) {
    WARN("SKIP: " << reason);
    return;
  }
  BootResult boot = Boot(cpus, extra_cmdline);
  Report(boot, cpus);
  INFO("VMM stderr:\n" << Joined(boot.stderr_lines));
  INFO("guest console:\n" << Joined(boot.console));
  CheckKernelLog(boot, cpus);
  CheckUserSpace(boot, init_ending);
  REQUIRE_FALSE(boot.stderr_lines.empty());
  CHECK(boot.stderr_lines.back() == "strato vm: guest stopped: " + stop_reason);
  CHECK(boot.exit_code == 0);
}

TEST_CASE("Linux boots on 2 vCPUs, runs the static /init and its children, and reboots") {
  BootAndCheck(2, "", "rebooting", "reboot");
}

TEST_CASE("Linux boots on 1 vCPU and powers off when /init asks for it") {
  BootAndCheck(1, "strato.test=poweroff", "powering off", "poweroff");
}
