// One Linux boot (the project kernel, ~4 minutes on the nested test machines): 200 read-only
// virtio-blk disks, so the split irqchip with strato's userspace IOAPIC; the kernel reads every
// disk at probe, which needs working completion interrupts. Disk 0 is an EROFS image the kernel
// mounts as its root. The guest then finds no init and panics, which ends the VM.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/file_util.h"
#include "common/paths.h"

namespace {

namespace fs = std::filesystem;
constexpr int kDisks = 200;
constexpr int kDataDiskSectors = 4;

// Linux's virtio_blk names: vda..vdz, vdaa..vdzz, ...
std::string DiskName(int index) {
  std::string suffix;
  for (int i = index + 1; i > 0; i = (i - 1) / 26) {
    suffix.insert(suffix.begin(), static_cast<char>('a' + (i - 1) % 26));
  }
  return "vd" + suffix;
}

std::string FindKernel() {
  if (const char* env = std::getenv(strato::paths::kKernelEnv); env && *env) return env;
  for (const char* candidate : strato::paths::kKernelCandidates) {
    if (::access(candidate, R_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

TEST_CASE("Linux registers 200 virtio-blk disks in split mode and mounts an EROFS root") {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    WARN("SKIP: /dev/kvm is not available to this user");
    return;
  }
  const std::string kernel = FindKernel();
  if (kernel.empty()) {
    WARN("SKIP: no guest kernel built (packaging/kernel; or set STRATO_KERNEL)");
    return;
  }
  CHECK(DiskName(0) == "vda");
  CHECK(DiskName(25) == "vdz");
  CHECK(DiskName(26) == "vdaa");
  CHECK(DiskName(199) == "vdgr");
  const fs::path dir =
      fs::temp_directory_path() / ("strato-virtio-linux-" + std::to_string(::getpid()));
  fs::create_directories(dir / "root");
  struct RemoveOnExit {
    fs::path p;
    ~RemoveOnExit() { fs::remove_all(p); }
  } cleanup{dir};
  std::ofstream(dir / "root" / "hello") << "hello\n";
  const std::string image = (dir / "root.erofs").string();
  REQUIRE(std::system(("mkfs.erofs --quiet " + image + " " + (dir / "root").string() + " >/dev/null")
                          .c_str()) == 0);
  const uint64_t root_sectors = fs::file_size(image) / 512;
  std::string args = " --disk " + image + ",ro,serial=strato-L0-root";
  for (int i = 1; i < kDisks; ++i) {
    const std::string path = (dir / ("disk" + std::to_string(i))).string();
    std::ofstream(path, std::ios::binary) << std::string(kDataDiskSectors * 512, 'x');
    args += " --disk " + path + ",ro";
  }
  const std::string console = (dir / "console").string(), err = (dir / "err").string();
  const std::string cmd = "timeout 900 " + std::string(STRATO_VMM) + " --kernel " + kernel +
                          " --memory 128 --console " + console + args +
                          " --cmdline 'root=/dev/vda rootfstype=erofs ro' </dev/null 2>" + err;
  std::system(cmd.c_str());
  const std::string log = strato::ReadFile(console);
  const std::string vmm = strato::ReadFile(err);
  INFO(vmm);
  CHECK(vmm.find("200 devices > in-kernel budget 19: enabling split irqchip") != std::string::npos);
  CHECK(log.find("IOAPIC[0]: apic_id 1, version 32, address 0xfec00000, GSI 0-204") !=
        std::string::npos);
  int registered = 0;
  for (int i = 0; i < kDisks; ++i) {
    const uint64_t sectors = i == 0 ? root_sectors : kDataDiskSectors;
    const std::string line = "[" + DiskName(i) + "] " + std::to_string(sectors) +
                             " 512-byte logical blocks";
    if (log.find(line) != std::string::npos) {
      ++registered;
    } else {
      UNSCOPED_INFO("missing: " << line);
    }
  }
  CHECK(registered == kDisks);
  CHECK(log.find("VFS: Mounted root (erofs filesystem) readonly") != std::string::npos);
}
