#pragma once
// One vCPU's thread: KVM_RUN in a loop, port I/O and MMIO exits dispatched to the buses, the
// quirks applied, and every other exit turned into a stop reason. Kick() interrupts KVM_RUN
// (immediate_exit + a signal) so the VM can stop a vCPU that is halted inside KVM.

#include <pthread.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "vmm/bus/io_bus.h"
#include "vmm/kvm/vcpu_fd.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/stop_controller.h"
#include "vmm/vcpu/quirks.h"

namespace strato::vmm {

struct VcpuContext {
  const IoBus* pio = nullptr;
  const IoBus* mmio = nullptr;
  const GuestMemory* memory = nullptr;
  StopController* stop = nullptr;
  Quirks quirks;
  bool sample_rip = false;  // record RIPs on sample kicks (--sample-rip)
};

class VcpuThread {
 public:
  VcpuThread(std::unique_ptr<VcpuFd> vcpu, VcpuContext context);
  ~VcpuThread();
  void Start();
  void Kick();
  // Interrupts KVM_RUN once without stopping: the vCPU records its RIP (boot-time profiling,
  // `strato vm --sample-rip HZ`; the histogram is logged when the thread ends).
  void Sample();
  // Asks the vCPU whether it is stopped for good: halted with interrupts disabled
  // (KVM_GET_MP_STATE + RFLAGS.IF) or never started; the answer is in halted_for_good() after
  // it handled the kick.
  void ProbeHalt();
  bool halted_for_good() const { return halted_for_good_.load(); }
  void Join();
  VcpuFd& vcpu() { return *vcpu_; }

  // Installs the (empty) handler of the kick signal; call once before starting vCPUs.
  static void InstallKickSignal();

 private:
  void Loop();
  // Handles one exit; returns false when the vCPU must stop.
  bool HandleExit();
  void HandleIo();
  void HandleMmio();

  // Exit counts by kind ("io 0x3f8", "mmio 0xfee00000", "hlt", ...), kept only at debug log
  // level (where boot time is investigated) and logged when the thread ends.
  void CountExit(const std::string& what);
  void LogExitCounts() const;

  std::unique_ptr<VcpuFd> vcpu_;
  VcpuContext ctx_;
  bool count_exits_ = false;
  std::map<uint64_t, uint64_t> rip_samples_;
  std::atomic<bool> probe_halt_{false};
  std::atomic<bool> halted_for_good_{false};
  std::map<std::string, uint64_t> exit_counts_;
  std::thread thread_;
  std::atomic<bool> started_{false};
  pthread_t handle_{};
};

}  // namespace strato::vmm
