// Where the virtio-vsock device lands in a real VM (KVM needed, nothing boots): the virtio-mmio
// slot after the disks, announced on the guest command line with the next IOAPIC pin, counted by
// the IRQ planner (19 disks + vsock no longer fit the in-kernel irqchip).

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "vmm/irq/irq_planner.h"
#include "vmm/vm.h"

namespace fs = std::filesystem;
using namespace strato::vmm;

namespace {

struct Setup {
  fs::path dir;
  VmConfig config;
  explicit Setup(int disks) {
    dir = fs::temp_directory_path() / ("strato-vsock-slot-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    config.kernel_path = std::string(STRATO_GUEST_DIR) + "/guest_virtio_blk.elf";
    config.memory_mib = 32;
    config.console = "";
    for (int i = 0; i < disks; ++i) {
      const fs::path disk = dir / ("disk" + std::to_string(i));
      std::ofstream(disk, std::ios::binary) << std::string(512, 'd');
      config.disks.push_back({disk.string(), true, ""});
    }
    config.vsock_socket = (dir / "vsock.sock").string();
  }
  ~Setup() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("vsock takes the slot after the disks and the next pin") {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    WARN("SKIP: /dev/kvm is not available to this user");
    return;
  }
  SECTION("1 disk: in-kernel irqchip, pins 5 and 6") {
    Setup s(1);
    Vm vm(s.config);
    CHECK(vm.irq_plan().mode == IrqchipMode::kKernel);
    CHECK(vm.irq_plan().device_pins == std::vector<uint32_t>{5, 6});
    CHECK(vm.guest_cmdline().find("virtio_mmio.device=4K@0xd0000000:5 "
                                  "virtio_mmio.device=4K@0xd0001000:6") != std::string::npos);
    CHECK(fs::exists(s.config.vsock_socket));
  }
  SECTION("19 disks + vsock = 20 devices: split irqchip, vsock on pin 24") {
    Setup s(19);
    Vm vm(s.config);
    CHECK(vm.irq_plan().mode == IrqchipMode::kSplit);
    CHECK(vm.irq_plan().device_pins.size() == 20);
    CHECK(vm.guest_cmdline().find("virtio_mmio.device=4K@0xd0013000:24") != std::string::npos);
  }
  SECTION("no --vsock: no device") {
    Setup s(1);
    s.config.vsock_socket.clear();
    Vm vm(s.config);
    CHECK(vm.irq_plan().device_pins.size() == 1);
    CHECK(vm.guest_cmdline().find("0xd0001000") == std::string::npos);
  }
}

TEST_CASE("a vsock socket path that cannot work is a clear error") {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    WARN("SKIP: /dev/kvm is not available to this user");
    return;
  }
  Setup s(0);
  s.config.vsock_socket = (s.dir / std::string(100, 'x')).string();
  CHECK_THROWS_WITH(Vm(s.config), Catch::Contains("is empty or too long for a unix socket"));
  s.config.vsock_socket = (s.dir / "no-such-dir" / "vsock.sock").string();
  CHECK_THROWS_WITH(Vm(s.config), Catch::Contains("bind vsock socket"));
}
