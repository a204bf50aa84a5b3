#include "oci/runtime_spec.h"

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/file_util.h"

using namespace strato::oci;

namespace {
std::string Fixture(const std::string& name) {
  return strato::ReadFile(std::string(STRATO_FIXTURES_DIR) + "/oci/runtime/" + name);
}
}  // namespace

TEST_CASE("config.json as containerd 1.6 writes it for ctr run") {
  RuntimeSpec s = ParseRuntimeSpec(Fixture("ctr-run.json"));
  CHECK(s.oci_version == "1.0.2-dev");
  REQUIRE(s.root);
  CHECK(s.root->path == "rootfs");
  CHECK_FALSE(s.root->readonly);
  REQUIRE(s.process);
  const Process& p = *s.process;
  CHECK_FALSE(p.terminal);
  CHECK(p.args == std::vector<std::string>{"/bin/echo", "hi"});
  CHECK(p.cwd == "/");
  CHECK(p.user.uid == 0);
  CHECK(p.user.additional_gids.size() == 11);
  CHECK(p.user.additional_gids.back() == 27);
  REQUIRE(p.capabilities);
  CHECK(p.capabilities->bounding.size() == 14);
  CHECK(p.capabilities->bounding.front() == "CAP_CHOWN");
  CHECK(p.capabilities->ambient.empty());
  REQUIRE(p.rlimits.size() == 1);
  CHECK(p.rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(p.rlimits[0].soft == 1024);
  CHECK(p.no_new_privileges);
  REQUIRE(s.mounts.size() == 7);
  CHECK(s.mounts[2].destination == "/dev/pts");
  CHECK(s.mounts[2].type == "devpts");
  CHECK(s.mounts[2].options[3] == "ptmxmode=0666");
  REQUIRE(s.linux);
  CHECK(s.linux->cgroups_path == "/default/t1");
  CHECK(s.linux->namespaces.size() == 5);
  CHECK(s.linux->namespaces[4].type == "network");
  CHECK(s.linux->masked_paths.size() == 10);
  CHECK(s.linux->readonly_paths.back() == "/proc/sysrq-trigger");
  REQUIRE(s.linux->resources);
  REQUIRE(s.linux->resources->devices.size() == 1);
  CHECK_FALSE(s.linux->resources->devices[0].allow);
  CHECK(s.linux->resources->devices[0].access == "rwm");
  CHECK_FALSE(s.linux->seccomp);
  CHECK_FALSE(s.hooks);
}

TEST_CASE("config.json of a CRI container (pod member, seccomp, resources)") {
  RuntimeSpec s = ParseRuntimeSpec(Fixture("cri-container.json"));
  CHECK(s.hostname == "web-0");
  CHECK(s.root->readonly);
  CHECK(s.process->user.uid == 1000);
  CHECK(s.process->cwd == "/app");
  CHECK(s.process->oom_score_adj == 1000);
  CHECK(s.process->apparmor_profile == "cri-containerd.apparmor.d");
  CHECK(s.process->capabilities->effective.empty());
  CHECK(s.annotations.at("io.kubernetes.cri.sandbox-id") == "8e4f2b7d1c9a");
  CHECK(s.annotations.at("io.kubernetes.cri.container-type") == "container");
  const auto& r = *s.linux->resources;
  CHECK(r.memory->limit == 268435456);
  CHECK(r.cpu->shares == 256u);
  CHECK(r.cpu->quota == 50000);
  CHECK(r.cpu->period == 100000u);
  CHECK(r.pids->limit == 4096);
  CHECK(s.linux->namespaces[4].path == "/var/run/netns/cni-5c1d");
  const Seccomp& sc = *s.linux->seccomp;
  CHECK(sc.default_action == "SCMP_ACT_ERRNO");
  CHECK(sc.default_errno_ret == 1u);
  CHECK(sc.architectures ==
        std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  REQUIRE(sc.syscalls.size() == 4);
  CHECK(sc.syscalls[0].names.size() == 5);
  CHECK(sc.syscalls[2].args[0].op == "SCMP_CMP_MASKED_EQ");
  CHECK(sc.syscalls[2].args[0].value == 2114060288u);
  CHECK(sc.syscalls[3].errno_ret == 38u);
  CHECK(s.linux->sysctl.at("net.ipv4.ping_group_range") == "0 2147483647");
  CHECK(s.mounts[6].type == "bind");
}

TEST_CASE("config.json example from the runtime spec (hooks, devices, mappings, extensions)") {
  RuntimeSpec s = ParseRuntimeSpec(Fixture("spec-example.json"));
  const Process& p = *s.process;
  CHECK(p.terminal);
  CHECK(p.console_size->height == 25);
  CHECK(p.console_size->width == 80);
  CHECK(p.user.umask == 63u);
  CHECK(p.capabilities->ambient == std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  CHECK(p.rlimits[0].resource == RLIMIT_CORE);
  CHECK(p.selinux_label == "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
  REQUIRE(s.hooks);
  CHECK(s.hooks->prestart.size() == 2);
  CHECK(s.hooks->prestart[0].args[2] == "arg2");
  CHECK(s.hooks->poststart[0].timeout == 5);
  CHECK(s.hooks->poststop[0].path == "/usr/sbin/cleanup.sh");
  const Linux& l = *s.linux;
  REQUIRE(l.devices.size() == 2);
  CHECK(l.devices[0].major == 10);
  CHECK(l.devices[0].file_mode == 438u);
  CHECK(l.uid_mappings[0].host_id == 1000);
  CHECK(l.gid_mappings[0].size == 32000);
  CHECK(l.resources->cpu->cpus == "2-3");
  CHECK(l.resources->memory->swappiness == 0u);
  CHECK(l.resources->devices[2].type == "b");
  CHECK(l.rootfs_propagation == "slave");
  CHECK(l.mount_label == "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
  CHECK(l.namespaces.size() == 7);
  CHECK(s.annotations.size() == 2);
}

TEST_CASE("config.json minimal document and nulls as absent values") {
  RuntimeSpec s = ParseRuntimeSpec(R"({"ociVersion": "1.2.0", "root": null, "mounts": null})");
  CHECK(s.oci_version == "1.2.0");
  CHECK_FALSE(s.root);
  CHECK_FALSE(s.process);
  CHECK(s.mounts.empty());
}

TEST_CASE("exec Process JSON parses on its own") {
  Process p = ParseProcess(
      R"({"args": ["/bin/sh", "-c", "id"], "cwd": "/tmp", "user": {"uid": 5, "gid": 6}, "terminal": true})");
  CHECK(p.args.size() == 3);
  CHECK(p.user.gid == 6);
  CHECK(p.terminal);
  CHECK_THROWS_WITH(ParseProcess(R"({"args": [], "cwd": "/", "user": {"uid": 0, "gid": 0}})"),
                    "process.args: must not be empty");
}

TEST_CASE("LoadRuntimeSpec names the file in errors") {
  std::string dir = "/tmp/strato-bundle-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  strato::WriteFileAtomic(dir + "/config.json", R"({"ociVersion": 1})");
  CHECK_THROWS_WITH(LoadRuntimeSpec(dir),
                    dir + "/config.json: ociVersion: expected a string, got number 1");
  std::filesystem::remove_all(dir);
  CHECK_THROWS_WITH(LoadRuntimeSpec(dir),
                    "open " + dir + "/config.json: No such file or directory");
}
