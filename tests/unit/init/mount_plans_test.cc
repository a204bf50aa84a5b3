// Mount option parsing, OCI mount classification, overlay options, disk discovery.

#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/file_util.h"
#include "guest/init/container_mounts.h"
#include "guest/init/disk_discovery.h"
#include "guest/init/mount_options.h"
#include "guest/init/rootfs_setup.h"
#include "guest/init/sysctl.h"

namespace strato::guest {
namespace {

TEST_CASE("mount options split into flags, propagation and data") {
  MountOptions o = ParseMountOptions({"nosuid", "strictatime", "mode=755", "size=65536k"});
  CHECK(o.flags == (MS_NOSUID | MS_STRICTATIME));
  CHECK(o.data == "mode=755,size=65536k");
  CHECK(o.propagation == 0);
  CHECK_FALSE(o.bind);

  o = ParseMountOptions({"rbind", "ro", "rprivate"});
  CHECK(o.flags == (MS_BIND | MS_REC | MS_RDONLY));
  CHECK(o.propagation == (MS_PRIVATE | MS_REC));
  CHECK(o.bind);
  CHECK(o.data.empty());

  // Later options undo earlier ones, as mount(8) does.
  o = ParseMountOptions({"ro", "rw", "noexec", "exec", "nodev", "tmpcopyup"});
  CHECK(o.flags == MS_NODEV);
  CHECK(o.data.empty());

  o = ParseMountOptions({"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  CHECK(o.data == "newinstance,ptmxmode=0666,mode=0620,gid=5");
}

TEST_CASE("OCI mounts: host binds are skipped unless a copied file covers them") {
  std::set<std::string> copied = {"/etc/hosts"};
  oci::Mount proc{"/proc", "proc", "proc", {}};
  oci::Mount hosts{"/etc/hosts", "bind", "/var/lib/x/hosts", {"rbind", "ro"}};
  oci::Mount hosts_by_option{"/etc/hosts", "", "/var/lib/x/hosts", {"bind"}};
  oci::Mount data{"/data", "none", "/srv/data", {"rbind"}};
  CHECK(ClassifyMount(proc, copied) == MountAction::kMount);
  CHECK(ClassifyMount(hosts, copied) == MountAction::kCopiedFile);
  CHECK(ClassifyMount(hosts_by_option, copied) == MountAction::kCopiedFile);
  CHECK(ClassifyMount(data, copied) == MountAction::kSkipHostBind);
  CHECK(GuestMountType("cgroup") == "cgroup2");
  CHECK(GuestMountType("cgroup2") == "cgroup2");
  CHECK(GuestMountType("tmpfs") == "tmpfs");
}

TEST_CASE("overlay options list lower layers top first, relative to the work dir") {
  CHECK(OverlayMountData(1) == "lowerdir=l/0,upperdir=u/upper,workdir=u/work");
  CHECK(OverlayMountData(3) == "lowerdir=l/2:l/1:l/0,upperdir=u/upper,workdir=u/work");
  // 127 layers still fit one page of mount options.
  CHECK(OverlayMountData(127).size() < 4096);
}

TEST_CASE("layer disks are found by serial in sysfs") {
  char tmpl[] = "/tmp/strato-init-sysfs-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::filesystem::path sys = tmpl;
  auto add = [&](const std::string& disk, const std::string& serial) {
    std::filesystem::create_directories(sys / disk);
    if (!serial.empty()) WriteFileAtomic((sys / disk / "serial").string(), serial);
  };
  add("vda", "strato-L0-aaaaaaaa\n");
  add("vdb", "strato-scratch");
  add("vdc", "");                    // no serial attribute
  add("sda", "strato-L1-bbbbbbbb");  // not virtio-blk: ignored
  auto serials = ScanVirtioDiskSerials(sys.string(), "/dev");
  std::filesystem::remove_all(sys);
  CHECK(serials == std::map<std::string, std::string>{{"strato-L0-aaaaaaaa", "/dev/vda"},
                                                      {"strato-scratch", "/dev/vdb"}});
  CHECK(ResolveLayerDevices({{"strato-L0-aaaaaaaa", ""}}, serials) ==
        std::vector<std::string>{"/dev/vda"});
  CHECK_THROWS_WITH(
      ResolveLayerDevices({{"strato-L0-aaaaaaaa", ""}, {"strato-L1-bbbbbbbb", ""}}, serials),
      "layer disks not found by serial: strato-L1-bbbbbbbb (present: "
      "strato-L0-aaaaaaaa=/dev/vda, strato-scratch=/dev/vdb)");
  CHECK_THROWS_WITH(ScanVirtioDiskSerials("/nonexistent/sys/block"),
                    "open /nonexistent/sys/block: No such file or directory");
}

}  // namespace
}  // namespace strato::guest

namespace strato::guest {
namespace {

TEST_CASE("sysctl names map under /proc/sys and cannot leave it") {
  CHECK(SysctlPath("net.ipv4.ip_forward") == "/proc/sys/net/ipv4/ip_forward");
  CHECK(SysctlPath("kernel.msgmax") == "/proc/sys/kernel/msgmax");
  CHECK_THROWS_WITH(SysctlPath("kernel/../../etc"),
                    "sysctl name \"kernel/../../etc\" contains '/' or NUL");
  CHECK_THROWS_WITH(SysctlPath("kernel..x"), "sysctl name \"kernel..x\" has an empty component");
  CHECK_THROWS_WITH(SysctlPath(""), "sysctl name \"\" has an empty component");
  CHECK_THROWS_WITH(SysctlPath("kernel."), "sysctl name \"kernel.\" has an empty component");
}

}  // namespace
}  // namespace strato::guest
