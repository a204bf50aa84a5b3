// strato-init's setup, process launch and supervisor, run for real on the host (as root, in fresh
// namespaces, over loop-mounted EROFS layers from our writer). Exact bytes and exit codes.

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "common/file_util.h"
#include "tests/integration/init/init_harness.h"

namespace strato::guest::test {
namespace {

using nlohmann::json;

#define STRATO_SKIP_UNLESS_HOST_READY()                     \
  do {                                                      \
    if (std::string why = HostSkipReason(); !why.empty()) { \
      WARN("SKIP: " << why);                                \
      return;                                               \
    }                                                       \
  } while (0)

// One busybox layer, converted once per test case.
struct BusyboxImage {
  TempDir dir;
  std::string layer;
  BusyboxImage() {
    auto tar = BusyboxTar();
    tar.File("etc/notexec", "#!/bin/sh\necho should not run\n", 0644);
    layer = MakeErofsLayer(dir.path(), "busybox", tar.Finish());
  }
};

InitRun RunShell(const std::string& script, const std::function<void(json&)>& edit = {}) {
  BusyboxImage image;
  json spec = DefaultSpec({"sh", "-c", script});
  if (edit) edit(spec);
  return RunInit(ConfigFor(spec, 1), {image.layer});
}

const std::string kExitZeroLog = "strato-init: exit-status 0\n";

TEST_CASE("init: echo output and exit 0") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("echo hello from strato");
  CHECK(r.out == "hello from strato\n");
  CHECK(r.err == "");
  CHECK(r.log == kExitZeroLog);
  CHECK(r.exit_status == 0);
}

TEST_CASE("init: exit 42 -> 42") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("echo out; echo err >&2; exit 42");
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK(r.log == "strato-init: exit-status 42\n");
  CHECK(r.exit_status == 42);
}

TEST_CASE("init: SIGKILL -> 137") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("kill -9 $$; echo not reached");
  CHECK(r.out == "");
  CHECK(r.log == "strato-init: exit-status 137\n");
  CHECK(r.exit_status == 137);
}

TEST_CASE("init: env and cwd") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("echo \"$FOO|$SPACED\"; pwd", [](json& spec) {
    spec["process"]["env"].push_back("FOO=bar");
    spec["process"]["env"].push_back("SPACED=a b  c");
    spec["process"]["cwd"] = "/work/dir";  // not in the image: created, as runc does
  });
  CHECK(r.out == "bar|a b  c\n/work/dir\n");
  CHECK(r.exit_status == 0);
}

TEST_CASE("init: user, additional groups and umask") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r =
      RunShell("id -u; id -g; id -G; umask; touch /dev/shm/f; ls -ln /dev/shm/f", [](json& spec) {
        spec["process"]["user"] = {
            {"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}, {"umask", 077}};
      });
  CHECK(r.out.substr(0, r.out.find("-rw")) == "1000\n1000\n1000 10 20\n0077\n");
  CHECK(r.out.find("-rw-------    1 1000     1000             0 ") != std::string::npos);
  CHECK(r.exit_status == 0);
}

TEST_CASE("init: domainname, namespaced sysctl and oomScoreAdj") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r =
      RunShell("cat /proc/sys/kernel/domainname /proc/sys/kernel/msgmax /proc/self/oom_score_adj",
               [](json& spec) {
                 spec["domainname"] = "strato.test";
                 spec["linux"]["sysctl"] = {{"kernel.msgmax", "12345"}};
                 spec["process"]["oomScoreAdj"] = 250;
               });
  CHECK(r.out == "strato.test\n12345\n250\n");
  CHECK(r.log == kExitZeroLog);
}

TEST_CASE("init: hostname and copied files") {
  STRATO_SKIP_UNLESS_HOST_READY();
  BusyboxImage image;
  GuestConfig config =
      ConfigFor(DefaultSpec({"sh", "-c", "hostname; cat /etc/hosts /etc/hostname"}), 1);
  config.hostname = "strato-box";
  config.files.push_back({"/etc/hostname", "strato-box\n", 0644});
  InitRun r = RunInit(config, {image.layer});
  CHECK(r.out == "strato-box\n127.0.0.1 localhost strato\nstrato-box\n");
  CHECK(r.log == kExitZeroLog);
  CHECK(r.exit_status == 0);
}

TEST_CASE("init: a host bind mount is skipped with a warning") {
  STRATO_SKIP_UNLESS_HOST_READY();
  BusyboxImage image;
  json spec = DefaultSpec({"sh", "-c", "ls /data 2>&1; hostname"});
  spec["mounts"].push_back({{"destination", "/data"},
                            {"type", "bind"},
                            {"source", "/srv/data"},
                            {"options", {"rbind"}}});
  GuestConfig config = ConfigFor(spec, 1);
  config.files.clear();  // /etc/hosts is a host bind now, too
  InitRun r = RunInit(config, {image.layer});
  CHECK(r.out == "ls: /data: No such file or directory\nspec-host\n");
  CHECK(r.log ==
        "strato-init: warning: skipping bind mount of host path /var/lib/strato/hosts on "
        "/etc/hosts: host paths do not exist in the VM\n"
        "strato-init: warning: skipping bind mount of host path /srv/data on /data: host paths do "
        "not exist in the VM\n"
        "strato-init: exit-status 0\n");
}

TEST_CASE("init: rlimits") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("ulimit -n; ulimit -Hn", [](json& spec) {
    spec["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 123}, {"hard", 456}}};
  });
  CHECK(r.out == "123\n456\n");
  CHECK(r.exit_status == 0);
}

TEST_CASE("init: read-only root") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("touch /x; echo $?; touch /dev/shm/ok && echo tmpfs writable",
                       [](json& spec) { spec["root"]["readonly"] = true; });
  CHECK(r.out == "1\ntmpfs writable\n");
  CHECK(r.err == "touch: /x: Read-only file system\n");
  CHECK(r.exit_status == 0);
}

TEST_CASE("init: seccomp profile makes mkdir fail with EPERM") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r =
      RunShell("mkdir /newdir; echo mkdir=$?; touch /newfile && echo touch ok", [](json& spec) {
        spec["linux"]["seccomp"] = {
            {"defaultAction", "SCMP_ACT_ALLOW"},
            {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
            {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
      });
  CHECK(r.out == "mkdir=1\ntouch ok\n");
  CHECK(r.err == "mkdir: can't create directory '/newdir': Operation not permitted\n");
  CHECK(r.exit_status == 0);
}

TEST_CASE("init: seccomp without noNewPrivileges is loaded while still privileged") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("mkdir /newdir; echo mkdir=$?", [](json& spec) {
    spec["process"]["noNewPrivileges"] = false;
    spec["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    spec["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"mkdir", "mkdirat"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", 30}}}}};  // EROFS, to tell it from a permission error
  });
  CHECK(r.out == "mkdir=1\n");
  CHECK(r.err == "mkdir: can't create directory '/newdir': Read-only file system\n");
}

TEST_CASE("init: capabilities are dropped") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("grep Cap /proc/self/status; mount -t tmpfs none /mnt; echo mount=$?",
                       [](json& spec) {
                         json caps = {"CAP_CHOWN", "CAP_KILL"};
                         spec["process"]["capabilities"] = {{"bounding", caps},
                                                            {"effective", caps},
                                                            {"permitted", caps},
                                                            {"inheritable", json::array()},
                                                            {"ambient", json::array()}};
                       });
  CHECK(r.out ==
        "CapInh:\t0000000000000000\n"
        "CapPrm:\t0000000000000021\n"
        "CapEff:\t0000000000000021\n"
        "CapBnd:\t0000000000000021\n"
        "CapAmb:\t0000000000000000\n"
        "mount=1\n");
  CHECK(r.err == "mount: permission denied (are you root?)\n");
}

TEST_CASE("init: ambient capabilities reach a non-root user") {
  STRATO_SKIP_UNLESS_HOST_READY();
  InitRun r = RunShell("grep -E 'Cap(Eff|Amb)' /proc/self/status", [](json& spec) {
    json caps = {"CAP_NET_BIND_SERVICE"};
    spec["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    spec["process"]["capabilities"] = {{"bounding", caps},
                                       {"effective", caps},
                                       {"permitted", caps},
                                       {"inheritable", caps},
                                       {"ambient", caps}};
  });
  CHECK(r.out == "CapEff:\t0000000000000400\nCapAmb:\t0000000000000400\n");
}

TEST_CASE("init: masked and read-only paths") {
  STRATO_SKIP_UNLESS_HOST_READY();
  TempDir dir;
  auto tar = BusyboxTar();
  tar.File("etc/secret", "secret\n").Dir("etc/secrets/").File("etc/secrets/key", "key\n");
  tar.Dir("etc/fixed/").File("etc/fixed/conf", "conf\n");
  std::string layer = MakeErofsLayer(dir.path(), "image", tar.Finish());
  json spec = DefaultSpec(
      {"sh", "-c",
       "cat /etc/secret; ls -A /etc/secrets; touch /etc/secrets/x; "
       "cat /etc/fixed/conf; echo new > /etc/fixed/conf; "
       "echo 1 > /proc/sys/kernel/domainname; ls /sys/fs/cgroup/cgroup.controllers; echo done"});
  spec["linux"]["maskedPaths"].push_back("/etc/secret");
  spec["linux"]["maskedPaths"].push_back("/etc/secrets");
  spec["linux"]["maskedPaths"].push_back("/etc/not-there");  // skipped
  spec["linux"]["readonlyPaths"].push_back("/etc/fixed");
  InitRun r = RunInit(ConfigFor(spec, 1), {layer});
  CHECK(r.out == "conf\n/sys/fs/cgroup/cgroup.controllers\ndone\n");
  CHECK(r.err ==
        "touch: /etc/secrets/x: Read-only file system\n"
        "sh: can't create /etc/fixed/conf: Read-only file system\n"
        "sh: can't create /proc/sys/kernel/domainname: Read-only file system\n");
  CHECK(r.log == kExitZeroLog);
}

TEST_CASE("init: multi-layer image with whiteouts and an opaque directory") {
  STRATO_SKIP_UNLESS_HOST_READY();
  TempDir dir;
  auto base = BusyboxTar();
  base.Dir("data/").File("data/keep", "old keep\n").File("data/gone", "gone\n");
  base.Dir("dir/").File("dir/old1", "1\n").File("dir/old2", "2\n");
  std::string bottom = MakeErofsLayer(dir.path(), "bottom", base.Finish());
  rootfs::testing::TarBuilder middle;
  middle.File("data/.wh.gone", "").File("data/keep", "new keep\n").File("data/added", "added\n");
  std::string mid = MakeErofsLayer(dir.path(), "middle", middle.Finish());
  rootfs::testing::TarBuilder top;
  top.Dir("dir/").File("dir/.wh..wh..opq", "").File("dir/fresh", "fresh\n");
  std::string upper = MakeErofsLayer(dir.path(), "top", top.Finish());
  InitRun r = RunInit(ConfigFor(DefaultSpec({"sh", "-c",
                                             "ls /data; ls /dir; cat /data/keep /dir/fresh; "
                                             "echo x > /data/gone && cat /data/gone"}),
                                3),
                      {bottom, mid, upper});
  CHECK(r.out == "added\nkeep\nfresh\nnew keep\nfresh\nx\n");
  CHECK(r.err == "");
  CHECK(r.exit_status == 0);
}

TEST_CASE("init: an ext4 scratch disk holds the upper directory") {
  STRATO_SKIP_UNLESS_HOST_READY();
  if (::access("/sbin/mkfs.ext4", X_OK) != 0 || ::access("/sbin/debugfs", X_OK) != 0) {
    WARN("SKIP: needs mkfs.ext4 and debugfs (e2fsprogs)");
    return;
  }
  BusyboxImage image;
  std::string scratch = image.dir.path() + "/scratch.ext4";
  std::string mkfs = "/sbin/mkfs.ext4 -q -F " + scratch + " 16M > /dev/null";
  REQUIRE(std::system(mkfs.c_str()) == 0);
  GuestConfig config =
      ConfigFor(DefaultSpec({"sh", "-c", "mkdir /data && echo persisted > /data/file"}), 1);
  config.upper.scratch_disk_serial = "strato-scratch";
  InitRun r = RunInit(config, {image.layer}, {}, scratch);
  CHECK(r.log == kExitZeroLog);
  REQUIRE(r.exit_status == 0);
  // The write went to <scratch>/upper, as overlayfs's upper directory.
  TempDir out;
  std::string cat = "/sbin/debugfs -R 'cat /upper/data/file' " + scratch + " > " + out.path() +
                    "/file 2>/dev/null";
  REQUIRE(std::system(cat.c_str()) == 0);
  CHECK(ReadFile(out.path() + "/file") == "persisted\n");
}

TEST_CASE("init: missing binary -> 127") {
  STRATO_SKIP_UNLESS_HOST_READY();
  BusyboxImage image;
  InitRun r = RunInit(ConfigFor(DefaultSpec({"no-such-command", "arg"}), 1), {image.layer});
  CHECK(r.err == "strato-init: exec \"no-such-command\": executable file not found in $PATH\n");
  CHECK(r.log == "strato-init: exit-status 127\n");
  CHECK(r.exit_status == 127);
  InitRun abs = RunInit(ConfigFor(DefaultSpec({"/bin/no-such"}), 1), {image.layer});
  CHECK(abs.err == "strato-init: exec \"/bin/no-such\": no such file or directory\n");
  CHECK(abs.exit_status == 127);
}

TEST_CASE("init: not executable -> 126") {
  STRATO_SKIP_UNLESS_HOST_READY();
  BusyboxImage image;
  InitRun r = RunInit(ConfigFor(DefaultSpec({"/etc/notexec"}), 1), {image.layer});
  CHECK(r.err == "strato-init: exec \"/etc/notexec\": permission denied\n");
  CHECK(r.exit_status == 126);
  json spec = DefaultSpec({"notexec"});
  spec["process"]["env"] = {"PATH=/etc"};
  InitRun in_path = RunInit(ConfigFor(spec, 1), {image.layer});
  CHECK(in_path.err == "strato-init: exec \"notexec\": permission denied\n");
  CHECK(in_path.exit_status == 126);
}

TEST_CASE("init: leftover processes are killed when the main process exits") {
  STRATO_SKIP_UNLESS_HOST_READY();
  auto start = std::chrono::steady_clock::now();
  InitRun r = RunShell("sleep 1000 & (sleep 1000 &); echo started; exit 7");
  CHECK(r.out == "started\n");
  CHECK(r.exit_status == 7);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
}

TEST_CASE("init: SIGTERM to PID 1 is forwarded to the container process") {
  STRATO_SKIP_UNLESS_HOST_READY();
  BusyboxImage image;
  GuestConfig config = ConfigFor(DefaultSpec({"sh", "-c",
                                              "trap 'echo got TERM; exit 3' TERM; echo ready; "
                                              "while true; do sleep 0.05; done"}),
                                 1);
  InitRun r = RunInit(config, {image.layer}, [](pid_t init, const std::string& out_path) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (ReadFile(out_path).find("ready") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(init, SIGTERM);
  });
  CHECK(r.out == "ready\ngot TERM\n");
  CHECK(r.log == "strato-init: exit-status 3\n");
  CHECK(r.exit_status == 3);
}

TEST_CASE("init: a setup failure is reported as 125 with the reason") {
  STRATO_SKIP_UNLESS_HOST_READY();
  BusyboxImage image;
  TempDir dir;
  std::string not_erofs = dir.path() + "/garbage.img";
  WriteFileAtomic(not_erofs, std::string(1 << 16, 'x'));
  InitRun r = RunInit(ConfigFor(DefaultSpec({"true"}), 2), {image.layer, not_erofs});
  CHECK_THAT(r.log, Catch::StartsWith("strato-init: error: layer 1: mount erofs /dev/loop"));
  CHECK_THAT(r.log, Catch::EndsWith("strato-init: exit-status 125\n"));
  CHECK(r.out == "");
  CHECK(r.exit_status == 125);
}

}  // namespace
}  // namespace strato::guest::test
