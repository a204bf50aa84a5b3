#include "vmm/vcpu/vcpu_thread.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "vmm/vcpu/breakpoint_injection.h"

namespace strato::vmm {

namespace {

constexpr uint64_t kRflagsInterruptEnable = 1u << 9;  // RFLAGS.IF
constexpr size_t kRipSamplesLogged = 200;              // --sample-rip: the most frequent RIPs

// Signal used to interrupt KVM_RUN: a real-time signal nobody else in strato uses.
int KickSignal() {
  return SIGRTMIN + 1;
}

std::string HexBytes(const std::string& bytes) {
  std::string out;
  char b[4];
  for (unsigned char c : bytes) {
    std::snprintf(b, sizeof b, "%02x ", c);
    out += b;
  }
  if (!out.empty()) out.pop_back();
  return out.empty() ? "(unreadable)" : out;
}

StopReason ErrorStop(std::string detail) {
  StopReason r;
  r.kind = StopKind::kError;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

void VcpuThread::InstallKickSignal() {
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
  if (::sigaction(KickSignal(), &sa, nullptr) != 0)
    ThrowErrno("sigaction for the vCPU kick signal");
}

VcpuThread::VcpuThread(std::unique_ptr<VcpuFd> vcpu, VcpuContext context)
    : vcpu_(std::move(vcpu)), ctx_(context) {}

VcpuThread::~VcpuThread() {
  Kick();
  Join();
}

void VcpuThread::Start() {
  thread_ = std::thread([this] {
    handle_ = pthread_self();
    started_.store(true, std::memory_order_release);
    // A stop requested before this thread existed must not be missed.
    if (ctx_.stop->stopping()) return;
    Loop();
  });
}

void VcpuThread::Kick() {
  // immediate_exit makes a KVM_RUN that has not started yet return at once; the signal
  // interrupts one that is running (or halted in the kernel).
  __atomic_store_n(&vcpu_->run()->immediate_exit, 1, __ATOMIC_SEQ_CST);
  if (started_.load(std::memory_order_acquire) && thread_.joinable()) {
    pthread_kill(handle_, KickSignal());
  }
}

void VcpuThread::Sample() {
  if (started_.load(std::memory_order_acquire) && thread_.joinable()) {
    pthread_kill(handle_, KickSignal());
  }
}

void VcpuThread::ProbeHalt() {
  probe_halt_.store(true);
  Sample();
}

void VcpuThread::Join() {
  if (thread_.joinable()) thread_.join();
}

void VcpuThread::CountExit(const std::string& what) {
  ++exit_counts_[what];
}

void VcpuThread::LogExitCounts() const {
  std::vector<std::pair<uint64_t, std::string>> top;
  for (const auto& [what, n] : exit_counts_) top.emplace_back(n, what);
  std::sort(top.rbegin(), top.rend());
  for (size_t i = 0; i < top.size() && i < 12; ++i) {
    spdlog::debug("vCPU {}: {} exits: {}", vcpu_->index(), top[i].first, top[i].second);
  }
}

void VcpuThread::Loop() {
  count_exits_ = spdlog::should_log(spdlog::level::debug);
  try {
    while (!ctx_.stop->stopping()) {
      if (!vcpu_->Run()) {  // interrupted: a sample or halt probe, or re-check stopping
        if (ctx_.stop->stopping()) continue;
        kvm_regs regs = vcpu_->GetRegs();
        if (probe_halt_.exchange(false)) {
          // Halted with interrupts off, or an AP that was never started (waiting for SIPI).
          uint32_t mp = vcpu_->GetMpState().mp_state;
          halted_for_good_.store(
              (mp == KVM_MP_STATE_HALTED && (regs.rflags & kRflagsInterruptEnable) == 0) ||
              mp == KVM_MP_STATE_UNINITIALIZED || mp == KVM_MP_STATE_INIT_RECEIVED);
        } else if (ctx_.sample_rip) {
          ++rip_samples_[regs.rip];
        }
        continue;
      }
      if (count_exits_) {
        const kvm_run* run = vcpu_->run();
        char what[48];
        if (run->exit_reason == KVM_EXIT_IO) {
          std::snprintf(what, sizeof what, "io %#x", run->io.port);
        } else if (run->exit_reason == KVM_EXIT_MMIO) {
          std::snprintf(what, sizeof what, "mmio %#llx",
                        static_cast<unsigned long long>(run->mmio.phys_addr & ~0xfffull));
        } else {
          std::snprintf(what, sizeof what, "exit reason %u", run->exit_reason);
        }
        CountExit(what);
      }
      if (!HandleExit()) break;
    }
  } catch (const std::exception& e) {
    ctx_.stop->Request(ErrorStop("vCPU " + std::to_string(vcpu_->index()) + ": " + e.what()));
  }
  if (count_exits_) LogExitCounts();
  if (!rip_samples_.empty()) {
    std::vector<std::pair<uint64_t, uint64_t>> top;
    for (const auto& [rip, n] : rip_samples_) top.emplace_back(n, rip);
    std::sort(top.rbegin(), top.rend());
    for (size_t i = 0; i < top.size() && i < kRipSamplesLogged; ++i) {
      spdlog::info("vCPU {}: {} samples at RIP {:#x}", vcpu_->index(), top[i].first, top[i].second);
    }
  }
}

void VcpuThread::HandleIo() {
  kvm_run* run = vcpu_->run();
  const uint64_t size = run->io.size;
  const uint64_t count = run->io.count;
  // The data offset comes from the kernel, but check it anyway: a bad one must not make us
  // touch memory outside the kvm_run mapping.
  if (size == 0 || size > 8 || run->io.data_offset > vcpu_->run_size() ||
      size * count > vcpu_->run_size() - run->io.data_offset) {
    throw Error("port I/O exit with an invalid data area");
  }
  uint8_t* data = reinterpret_cast<uint8_t*>(run) + run->io.data_offset;
  for (uint64_t i = 0; i < count; ++i) {
    std::span<uint8_t> access(data + i * size, size);
    if (run->io.direction == KVM_EXIT_IO_OUT) {
      ctx_.pio->Write(run->io.port, access);
    } else {
      ctx_.pio->Read(run->io.port, access);
    }
  }
}

void VcpuThread::HandleMmio() {
  kvm_run* run = vcpu_->run();
  uint32_t len = std::min<uint32_t>(run->mmio.len, sizeof(run->mmio.data));
  std::span<uint8_t> access(run->mmio.data, len);
  if (run->mmio.is_write) {
    ctx_.mmio->Write(run->mmio.phys_addr, access);
  } else {
    ctx_.mmio->Read(run->mmio.phys_addr, access);
  }
}

bool VcpuThread::HandleExit() {
  kvm_run* run = vcpu_->run();
  switch (run->exit_reason) {
    case KVM_EXIT_IO:
      HandleIo();
      return true;
    case KVM_EXIT_MMIO:
      HandleMmio();
      return true;
    case KVM_EXIT_INTR:
    case KVM_EXIT_IRQ_WINDOW_OPEN:
      return true;
    case KVM_EXIT_HLT:
      // Only without an in-kernel LAPIC; strato always has one. A halt here means the guest
      // stopped for good: after the kernel's power-down line that is a power-off.
      if (ctx_.stop->power_down_seen()) {
        ctx_.stop->Request(StopReason{StopKind::kPowerOff, 0, {}});
      } else {
        ctx_.stop->Request(ErrorStop("vCPU " + std::to_string(vcpu_->index()) + " halted"));
      }
      return false;
    case KVM_EXIT_SHUTDOWN:
      ctx_.stop->RequestReset(ResetSource::kTripleFault);
      return false;
    case KVM_EXIT_SYSTEM_EVENT:
      if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
        ctx_.stop->Request(StopReason{StopKind::kPowerOff, 0, {}});
      } else if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH) {
        ctx_.stop->Request(StopReason{StopKind::kPanic, 0, {}});
      } else {
        ctx_.stop->RequestReset(ResetSource::kSystemEvent);
      }
      return false;
    case KVM_EXIT_INTERNAL_ERROR:
      if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && ctx_.quirks.inject_breakpoint &&
          InjectBreakpointIfInt3(*vcpu_, *ctx_.memory)) {
        return true;
      }
      {
        kvm_regs regs = vcpu_->GetRegs();
        char what[160];
        std::snprintf(what, sizeof what,
                      "KVM internal error (suberror %u%s) at RIP %#llx, instruction bytes: ",
                      run->internal.suberror,
                      run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                          ? ": the host could not emulate an instruction"
                          : "",
                      static_cast<unsigned long long>(regs.rip));
        ctx_.stop->Request(ErrorStop("vCPU " + std::to_string(vcpu_->index()) + ": " + what +
                                     HexBytes(InstructionBytesAtRip(*vcpu_, *ctx_.memory))));
      }
      return false;
    case KVM_EXIT_FAIL_ENTRY: {
      char what[96];
      std::snprintf(what, sizeof what, "KVM_RUN entry failed, hardware reason %#llx",
                    static_cast<unsigned long long>(run->fail_entry.hardware_entry_failure_reason));
      ctx_.stop->Request(ErrorStop("vCPU " + std::to_string(vcpu_->index()) + ": " + what));
      return false;
    }
    default:
      ctx_.stop->Request(ErrorStop("vCPU " + std::to_string(vcpu_->index()) +
                                   ": unexpected KVM exit reason " +
                                   std::to_string(run->exit_reason)));
      return false;
  }
}

}  // namespace strato::vmm
