// The static strato-init binary itself, on its PID 1 (VM) path, as far as a host can take it: in
// a chroot holding the unpacked base + config archives (/init, /strato/config.json), as PID 1 of
// fresh mount and PID namespaces. It leaves the initramfs root for a staging tmpfs, mounts
// devtmpfs, proc and sysfs, looks for its layer disks by virtio serial, finds none (a host has no
// strato disks), reports it, prints the exit status and powers off, which in a PID namespace ends
// the namespace (reboot(2) with RB_POWER_OFF in a child PID namespace kills its init with SIGINT).

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>

#include "common/file_util.h"
#include "guest/config/config_archive.h"
#include "guest/config/guest_config.h"
#include "rootfs/initramfs/cpio_writer.h"
#include "rootfs/initramfs/initramfs_builder.h"
#include "tests/integration/init/init_harness.h"

namespace strato::guest::test {
namespace {

const std::string kStratoInit = std::string(STRATO_BINARY_DIR) + "/guest/strato-init";

struct ProcessResult {
  int wait_status = 0;
  std::string output;
};

// Why the chroot cases cannot run here, or empty.
std::string ChrootSkipReason() {
  if (!STRATO_INIT_IS_STATIC) return "strato-init is not static in sanitizer builds";
  return HostSkipReason();
}

// Runs `/init` inside `root` as PID 1 of new namespaces; stdout+stderr go to a file.
ProcessResult RunAsNamespaceInit(const std::string& root, const std::string& output_file) {
  pid_t outer = ::fork();
  REQUIRE(outer >= 0);
  if (outer == 0) {
    if (::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) != 0) ::_exit(90);
    pid_t init = ::fork();
    if (init == 0) {
      int out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || ::mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(91);
      ::dup2(out, 1);
      ::dup2(out, 2);
      if (::chroot(root.c_str()) != 0 || ::chdir("/") != 0) ::_exit(92);
      char* argv[] = {const_cast<char*>("/init"), nullptr};
      char* envp[] = {nullptr};
      ::execve("/init", argv, envp);
      ::_exit(93);
    }
    int status = 0;
    ::waitpid(init, &status, 0);
    // Pass the wait status up: exit code, or 100 + signal.
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status));
  }
  int status = 0;
  ::waitpid(outer, &status, 0);
  return {status, ReadFile(output_file)};
}

TEST_CASE("strato-init binary: refuses to run outside PID 1") {
  REQUIRE(::access(kStratoInit.c_str(), X_OK) == 0);
  TempDir dir;
  std::string out = dir.path() + "/out";
  std::string cmd = kStratoInit + " > " + out + " 2>&1";
  int status = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(status) == 2);
  CHECK(ReadFile(out) == "strato-init: must run as PID 1 inside a strato VM\n");
}

// Lays out an "initramfs" the way the guest kernel would: the base archive (strato-init as
// /init, built with the initramfs builder) and the per-container config archive, each unpacked
// with GNU cpio into one directory; then boots it as PID 1 of fresh namespaces.
ProcessResult BootInitramfs(const std::string& config_archive) {
  TempDir dir;
  std::string root = dir.path() + "/initramfs";
  std::filesystem::create_directories(root);
  std::string base = initramfs::BuildArchive(
      {initramfs::InitramfsEntry::HostFile("init", kStratoInit, {.permissions = 0755})});
  for (const std::string* archive :
       std::initializer_list<const std::string*>{&base, &config_archive}) {
    WriteFileAtomic(dir.path() + "/part.cpio", *archive);
    std::string unpack = "cd " + root + " && cpio -idm --quiet < " + dir.path() + "/part.cpio";
    REQUIRE(std::system(unpack.c_str()) == 0);
  }
  return RunAsNamespaceInit(root, dir.path() + "/out");
}

TEST_CASE("strato-init binary: PID 1 path up to disk discovery, then power off") {
  if (std::string why = ChrootSkipReason(); !why.empty()) {
    WARN("SKIP: " << why);
    return;
  }
  ProcessResult r = BootInitramfs(BuildConfigArchive(ConfigFor(DefaultSpec({"true"}), 1)));
  CHECK_THAT(r.output, Catch::StartsWith("strato-init: error: layer disks not found by serial: "
                                         "strato-L0-test (present: "));
  CHECK_THAT(r.output, Catch::EndsWith("strato-init: exit-status 125\n"));
  // reboot(RB_POWER_OFF) in a child PID namespace: its init is killed by SIGINT.
  REQUIRE(WIFEXITED(r.wait_status));
  CHECK(WEXITSTATUS(r.wait_status) == 100 + SIGINT);
}

TEST_CASE("strato-init binary: a malformed config is reported, then power off") {
  if (std::string why = ChrootSkipReason(); !why.empty()) {
    WARN("SKIP: " << why);
    return;
  }
  initramfs::CpioWriter writer;
  writer.AddFile(kConfigArchiveEntry, R"({"strato":{"version":1,"layers":[]}})");
  ProcessResult r = BootInitramfs(writer.Finish());
  CHECK(r.output ==
        "strato-init: error: spec: required field missing\n"
        "strato-init: exit-status 125\n");
  REQUIRE(WIFEXITED(r.wait_status));
  CHECK(WEXITSTATUS(r.wait_status) == 100 + SIGINT);
}

}  // namespace
}  // namespace strato::guest::test
