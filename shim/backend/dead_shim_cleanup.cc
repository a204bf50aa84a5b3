#include "shim/backend/dead_shim_cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "shim/backend/vm_state_dir.h"

namespace strato::shim {

namespace {

using namespace std::chrono_literals;

constexpr size_t kMaxPidFileBytes = 64;
constexpr size_t kMaxCmdlineBytes = 64 * 1024;
// How long to wait for a SIGKILLed VMM to disappear (it may need to tear down guest memory).
constexpr auto kKillWait = 10s;
constexpr auto kPollInterval = 20ms;
// readlink(/proc/<pid>/exe) of a binary replaced on disk (a package upgrade).
constexpr std::string_view kDeletedSuffix = " (deleted)";

std::string Basename(std::string path) {
  if (path.ends_with(kDeletedSuffix)) path.resize(path.size() - kDeletedSuffix.size());
  return std::filesystem::path(path).filename().string();
}

// Gone, or a zombie waiting for its parent: either way no longer running a VM.
bool ProcessGone(int pid) {
  std::string stat;
  try {
    stat = ReadFile("/proc/" + std::to_string(pid) + "/stat", kMaxCmdlineBytes);
  } catch (const Error&) {
    return true;
  }
  // "<pid> (<comm>) <state> ...": comm may contain anything, so look after the last ')'.
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

std::optional<int> ReadPid(const std::string& path, std::vector<std::string>& lines) {
  std::string text;
  try {
    text = ReadFile(path, kMaxPidFileBytes);
  } catch (const Error& e) {
    lines.push_back(std::string("cannot read the VMM pid file: ") + e.what());
    return std::nullopt;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  int pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 1) {
    lines.push_back(path + ": not a process id: \"" + text + "\"");
    return std::nullopt;
  }
  return pid;
}

void KillVmm(int pid, std::vector<std::string>& lines) {
  if (ProcessGone(pid)) return;
  if (!IsStratoVmmProcess(pid)) {
    lines.push_back("pid " + std::to_string(pid) +
                    " from vmm.pid is not strato-vmm any more (pid reused): left alone");
    return;
  }
  if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
    lines.push_back("kill strato-vmm pid " + std::to_string(pid) + ": " + std::strerror(errno));
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + kKillWait;
  while (!ProcessGone(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  lines.push_back("killed strato-vmm pid " + std::to_string(pid) +
                  (ProcessGone(pid) ? "" : " (still exiting)"));
}

}  // namespace

bool IsStratoVmmProcess(int pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink(proc + "/exe", ec);
  if (!ec) return Basename(exe.string()) == kVmmBinaryName;
  std::string cmdline;
  try {
    cmdline = ReadFile(proc + "/cmdline", kMaxCmdlineBytes);
  } catch (const Error&) {
    return false;
  }
  return Basename(cmdline.substr(0, cmdline.find('\0'))) == kVmmBinaryName;
}

std::vector<std::string> CleanupAfterDeadShim(const std::string& bundle, const std::string& id) {
  std::vector<std::string> lines;
  std::optional<std::string> state_dir;
  try {
    state_dir = ReadRecordedVmStateDir(bundle);
  } catch (const Error& e) {
    lines.push_back(std::string("container ") + id + ": " + e.what() + " (ignored)");
    return lines;
  }
  if (!state_dir) return lines;  // the shim never booted a VM for this bundle

  const std::string pid_file = *state_dir + "/" + kVmmPidFile;
  std::error_code ec;
  if (std::filesystem::exists(pid_file, ec)) {
    if (auto pid = ReadPid(pid_file, lines)) KillVmm(*pid, lines);
  }
  if (std::filesystem::remove_all(*state_dir, ec) > 0) {
    lines.push_back("container " + id + ": removed VM state directory " + *state_dir);
  } else if (ec) {
    lines.push_back("remove " + *state_dir + ": " + ec.message());
  }
  std::filesystem::remove(bundle + "/" + kVmStateRecordFile, ec);
  return lines;
}

}  // namespace strato::shim
