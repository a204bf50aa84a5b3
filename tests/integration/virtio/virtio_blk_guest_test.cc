// Boots the virtio_blk test guest with N read-only disks (each with its own byte pattern) and
// checks what the guest and the VMM report: every disk read through its completion interrupt,
// IOERR for a write to a read-only disk, a hostile chain that breaks the device (and a VMM that
// survives it), and the irqchip mode the IRQ planner chose.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/file_util.h"
#include "vmm/irq/irq_planner.h"

namespace {

namespace fs = std::filesystem;
constexpr int kDiskSectors = 4;  // tests/guest/programs/virtio_blk.c: DISK_SECTORS

struct Result {
  int exit_code = -1;
  std::string out, err;
};

class DiskSet {
 public:
  explicit DiskSet(uint32_t count) {
    dir_ = fs::temp_directory_path() / ("strato-virtio-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (uint32_t i = 0; i < count; ++i) {
      std::ofstream f(Path(i), std::ios::binary);
      for (int s = 0; s < kDiskSectors; ++s) {
        std::string sector(512, static_cast<char>((i * 13 + s + 1) & 0xff));
        f << sector;
      }
    }
    count_ = count;
  }
  ~DiskSet() { fs::remove_all(dir_); }
  std::string Path(uint32_t i) const { return (dir_ / ("disk" + std::to_string(i))).string(); }
  std::string Flags() const {
    std::string f;
    for (uint32_t i = 0; i < count_; ++i) f += " --disk " + Path(i) + ",ro";
    return f;
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  uint32_t count_ = 0;
};

Result Run(const DiskSet& disks, const std::string& args, const std::string& input = "") {
  const std::string out = (disks.dir() / "out").string(), err = (disks.dir() / "err").string();
  std::string cmd = "timeout 120 " + std::string(STRATO_VMM) + " " + args;
  cmd = input.empty() ? cmd + " </dev/null" : "printf '" + input + "' | " + cmd;
  cmd += " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = strato::ReadFile(out);
  r.err = strato::ReadFile(err);
  return r;
}

Result RunGuest(uint32_t disks, uint32_t expect_pins, const std::string& extra = "") {
  DiskSet set(disks);
  return Run(set, "--kernel " + std::string(STRATO_GUEST_DIR) +
                      "/guest_virtio_blk.elf --memory 16" + set.Flags() +
                      " --cmdline 'expect_disks=" + std::to_string(disks) +
                      " expect_ioapic_pins=" + std::to_string(expect_pins) + "' " + extra);
}

void CheckGuestPassed(const Result& r, uint32_t disks) {
  INFO(r.out << r.err);
  CHECK(r.out == "read " + std::to_string(disks) +
                     " disks\nread-only write: IOERR\nhostile chain: device needs reset, "
                     "recovered\nvirtio_blk: ok\n");
  CHECK(r.err.find("buffer at 0xd0000000 (4096 bytes) is outside guest RAM: device needs reset") !=
        std::string::npos);
  CHECK(r.err.find("strato vm: guest stopped: test-passed") != std::string::npos);
  CHECK(r.exit_code == 0);
}

#define REQUIRE_KVM()                                       \
  do {                                                      \
    if (::access("/dev/kvm", R_OK | W_OK) != 0) {           \
      WARN("SKIP: /dev/kvm is not available to this user"); \
      return;                                               \
    }                                                       \
  } while (0)

constexpr uint32_t kBudget = strato::vmm::kInKernelDeviceBudget;

}  // namespace

TEST_CASE("virtio-blk test guest: 1 disk on the in-kernel irqchip") {
  REQUIRE_KVM();
  Result r = RunGuest(1, 24);
  CheckGuestPassed(r, 1);
  CHECK(r.err.find("split irqchip") == std::string::npos);
}

TEST_CASE("virtio-blk test guest: 1 disk with a forced split irqchip (userspace IOAPIC)") {
  REQUIRE_KVM();
  Result r = RunGuest(1, 24, "--irqchip split");
  CheckGuestPassed(r, 1);
  CHECK(r.err.find("split irqchip (forced)") != std::string::npos);
}

TEST_CASE("virtio-blk test guest: exactly the in-kernel budget stays in-kernel") {
  REQUIRE_KVM();
  Result r = RunGuest(kBudget, 24);
  CheckGuestPassed(r, kBudget);
  CHECK(r.err.find("split irqchip") == std::string::npos);
}

TEST_CASE("virtio-blk test guest: budget + 1 disks switch to the split irqchip by themselves") {
  REQUIRE_KVM();
  Result r = RunGuest(kBudget + 1, 25);
  CheckGuestPassed(r, kBudget + 1);
  CHECK(r.err.find("20 devices > in-kernel budget 19: enabling split irqchip") !=
        std::string::npos);
}

TEST_CASE("virtio-blk test guest: 200 disks through the userspace IOAPIC (pin 204)") {
  REQUIRE_KVM();
  Result r = RunGuest(200, 205);
  CheckGuestPassed(r, 200);
  CHECK(r.err.find("200 devices > in-kernel budget 19: enabling split irqchip") !=
        std::string::npos);
}

TEST_CASE("strato vm: forcing the in-kernel irqchip with too many disks is a clear error") {
  REQUIRE_KVM();
  Result r = RunGuest(kBudget + 1, 25, "--irqchip kernel");
  INFO(r.out << r.err);
  CHECK(r.err.find("strato vm: 20 devices > in-kernel budget 19: --irqchip kernel cannot serve "
                   "them (use --irqchip split or auto)") != std::string::npos);
  CHECK(r.exit_code == 5);
}

TEST_CASE("serial console input interrupts through the userspace IOAPIC (split irqchip)") {
  REQUIRE_KVM();
  DiskSet none(0);
  Result r = Run(none,
                 "--kernel " + std::string(STRATO_GUEST_DIR) +
                     "/guest_serial_input.elf --memory 16 --irqchip split",
                 "ping\\n");
  INFO(r.out << r.err);
  CHECK(r.out == "ready\ngot: ping\n");
  CHECK(r.exit_code == 0);
}
