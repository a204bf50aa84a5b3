#pragma once
// A whole VM assembled from a VmConfig: KVM VM with in-kernel irqchip and PIT, guest memory,
// the kernel (ELF or bzImage), initrd and command line, zero page, MP table, vCPU threads and the
// legacy devices; Run() boots it and returns why it stopped. Later issues add virtio-mmio devices
// through mmio_bus() / irq lines before Run().

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vmm/bus/io_bus.h"
#include "vmm/devices/virtio_blk.h"
#include "vmm/irq/irq_planner.h"
#include "vmm/stop_reason.h"
#include "vmm/vcpu/quirks.h"

namespace strato::vmm {

struct VmConfig {
  std::string kernel_path;
  std::string initrd_path;  // empty: none
  std::string cmdline;      // user options, appended to the defaults (boot/cmdline.h)
  uint32_t cpus = 1;
  uint64_t memory_mib = 128;
  bool hugepages = false;
  // "-" = the VMM's stdout (input from stdin), "" = discard, else a file or FIFO path.
  std::string console = "-";
  QuirkMode quirks = QuirkMode::kAuto;
  // The test-status port (layout::kPortTestStatus): for test guests and `strato vm`.
  bool test_status_port = true;
  std::string kvm_device = "/dev/kvm";
  // Boot profiling: interrupt every vCPU this many times a second and log a RIP histogram at the
  // end (0 = off). Resolve the addresses with the kernel's System.map.
  uint32_t sample_rip_hz = 0;
  // Interrupt controller: auto = in-kernel while the devices fit its budget, else split
  // (vmm/irq/irq_planner.h).
  IrqchipMode irqchip = IrqchipMode::kAuto;
  // virtio-blk disks in order (the guest sees /dev/vda, vdb, ...): virtio-mmio slot i at
  // layout::kDeviceMmioStart + i * slot size, announced on the kernel command line.
  std::vector<DiskConfig> disks;
  // Hybrid vsock (vmm/devices/virtio_vsock.h): the unix socket the VMM listens on; "" = no
  // device. The device takes the virtio-mmio slot after the disks; the guest's CID is 3.
  std::string vsock_socket;
};

class Vm {
 public:
  // Builds everything (throws strato::Error with a clear message on any failure). Blocks SIGTERM,
  // SIGINT and SIGHUP in the calling thread (threads started later inherit it): they stop the VM
  // through a signalfd instead. Ignores SIGPIPE (the console reader may go away).
  explicit Vm(const VmConfig& config);
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  // Starts the vCPUs and runs the event loop until the guest stops.
  StopReason Run();
  const std::string& guest_cmdline() const;
  const Quirks& quirks() const;
  const IrqPlan& irq_plan() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace strato::vmm
