#include "vmm/vm.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "vmm/boot/cmdline.h"
#include "vmm/boot/kernel_loader.h"
#include "vmm/boot/long_mode.h"
#include "vmm/boot/mptable.h"
#include "vmm/boot/zero_page.h"
#include "vmm/devices/cmos.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/post_port.h"
#include "vmm/devices/serial_8250.h"
#include "vmm/devices/test_status_port.h"
#include "vmm/event_loop.h"
#include "vmm/guest_console.h"
#include "vmm/irq/kvm_irq_line.h"
#include "vmm/kvm/host_probe.h"
#include "vmm/kvm/kvm_system.h"
#include "vmm/kvm/vm_fd.h"
#include "vmm/layout.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/stop_controller.h"
#include "vmm/vcpu/cpuid.h"
#include "vmm/vcpu/vcpu_thread.h"

namespace strato::vmm {

namespace {

// How long a guest that printed "reboot: Power down" may take to reset (panic=-1 after init
// exits) before the VMM decides it has halted for good and reports the power-off itself.
constexpr int kPowerDownGraceSeconds = 3;
constexpr size_t kConsoleInputChunk = 512;
// MSRs set on every vCPU at reset (Intel SDM vol. 4).
constexpr uint32_t kMsrMiscEnable = 0x1a0;
constexpr uint64_t kMiscEnableFastStrings = 1;
constexpr uint32_t kMsrMtrrDefType = 0x2ff;
constexpr uint64_t kMtrrEnableWriteBack = (1u << 11) | 6;  // MTRRs on, default type WB
// x87 control word and MXCSR after FNINIT / reset (what a BIOS hands over).
constexpr uint16_t kFpuControlWord = 0x37f;
constexpr uint32_t kMxcsrDefault = 0x1f80;

}  // namespace

struct Vm::State {
  VmConfig config;
  Quirks quirks;
  std::string cmdline;
  StopController stop;
  EventLoop loop;
  std::unique_ptr<KvmSystem> kvm;
  std::unique_ptr<VmFd> vm;
  std::unique_ptr<GuestMemory> memory;
  IoBus pio{"port I/O"};
  IoBus mmio{"MMIO"};
  UniqueFd console_file;
  int console_fd = -1;
  UniqueFd power_down_timer;
  std::unique_ptr<GuestConsole> console;
  std::shared_ptr<Serial8250> serial;
  std::vector<std::unique_ptr<VcpuThread>> vcpus;  // destroyed (joined) first: declared last
};

namespace {

void ValidateConfig(const VmConfig& c) {
  if (c.kernel_path.empty()) throw UsageError("no kernel given (--kernel FILE)");
  if (c.cpus == 0 || c.cpus > layout::kMaxVcpus) {
    throw UsageError("--cpus must be 1.." + std::to_string(layout::kMaxVcpus));
  }
  if (c.memory_mib < 8 || c.memory_mib % 2 != 0) {
    throw UsageError("--memory must be an even number of MiB, at least 8");
  }
}

}  // namespace

Vm::Vm(const VmConfig& config) : s_(std::make_unique<State>()) {
  ValidateConfig(config);
  State& s = *s_;
  s.config = config;
  s.kvm = std::make_unique<KvmSystem>(config.kvm_device);
  KvmFlavor flavor = KvmFlavor::kHardwareAssisted;
  if (config.quirks == QuirkMode::kAuto) flavor = ProbeKvmHost(config.kvm_device).flavor;
  s.quirks = ResolveQuirks(config.quirks, flavor);
  if (s.quirks.any()) spdlog::debug("nested/software KVM: quirks enabled");

  s.vm = std::make_unique<VmFd>(*s.kvm);
  s.vm->SetIdentityMapAddress(layout::kKvmIdentityMapStart);
  s.vm->SetTssAddress(layout::kKvmTssStart);
  s.vm->CreateIrqchip();
  s.vm->CreatePit();

  s.memory = std::make_unique<GuestMemory>(config.memory_mib << 20, config.hugepages);
  uint32_t slot = 0;
  for (const auto& r : s.memory->regions()) {
    s.vm->SetUserMemoryRegion(slot++, r.guest_base, r.size, r.host);
  }

  // Boot image and boot structures.
  LoadedKernel kernel = LoadKernelFile(config.kernel_path, *s.memory);
  std::pair<uint64_t, uint64_t> initrd{0, 0};
  if (!config.initrd_path.empty()) initrd = LoadInitrdFile(config.initrd_path, *s.memory, kernel);
  s.cmdline = BuildGuestCommandLine(config.cmdline, s.quirks);
  s.memory->Write(layout::kCmdlineStart,
                  std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.cmdline.c_str()),
                                           s.cmdline.size() + 1));
  ZeroPageInputs zp;
  zp.kernel = &kernel;
  zp.memory_size = s.memory->size();
  zp.cmdline_address = layout::kCmdlineStart;
  zp.cmdline_size = static_cast<uint32_t>(s.cmdline.size());
  zp.initrd_address = initrd.first;
  zp.initrd_size = initrd.second;
  s.memory->WriteObject(layout::kZeroPageStart, BuildZeroPage(zp));
  auto mptable = BuildMpTable(config.cpus, layout::kMpTableStart);
  s.memory->Write(layout::kMpTableStart, mptable);
  WriteLongModeBootTables(*s.memory);

  // Console and devices.
  if (config.console == "-") {
    s.console_fd = STDOUT_FILENO;
  } else if (!config.console.empty()) {
    s.console_file = OpenOrThrow(config.console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    s.console_fd = s.console_file.get();
  }
  s.power_down_timer = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!s.power_down_timer.valid()) ThrowErrno("timerfd_create");
  int timer_fd = s.power_down_timer.get();
  s.console = std::make_unique<GuestConsole>(s.console_fd, s.stop, [timer_fd] {
    itimerspec t{};
    t.it_value.tv_sec = kPowerDownGraceSeconds;
    ::timerfd_settime(timer_fd, 0, &t, nullptr);
  });
  s.loop.Add(timer_fd, EPOLLIN, [&s](uint32_t) { s.stop.Request({StopKind::kPowerOff, 0, {}}); });
  s.stop.SetOnStop([&s] { s.loop.Stop(); });

  GuestConsole* console = s.console.get();
  s.serial = std::make_shared<Serial8250>(std::make_shared<KvmIrqLine>(*s.vm, layout::kGsiCom1),
                                          [console](uint8_t b) { console->Put(b); });
  s.pio.Register(layout::kPortCom1, Serial8250::kRegisterCount, s.serial, "8250 UART (COM1)");
  StopController* stop = &s.stop;
  s.pio.Register(layout::kPortI8042Data, I8042::kPortSpan, std::make_shared<I8042>([stop] {
                   stop->RequestReset(ResetSource::kKeyboardController);
                 }),
                 "i8042");
  s.pio.Register(layout::kPortCmosIndex, Cmos::kPortSpan, std::make_shared<Cmos>(), "CMOS RTC");
  s.pio.Register(layout::kPortPost, 1, std::make_shared<PostPort>(), "POST port");
  if (config.test_status_port) {
    s.pio.Register(layout::kPortTestStatus, TestStatusPort::kPortSpan,
                   std::make_shared<TestStatusPort>([stop](uint32_t v) {
                     stop->Request(v == 0 ? StopReason{StopKind::kTestPassed, 0, {}}
                                          : StopReason{StopKind::kTestFailed, v, {}});
                   }),
                   "test-status port");
  }
  if (config.console == "-") {
    Serial8250* serial = s.serial.get();
    EventLoop* loop = &s.loop;
    // Stdin may be a file or /dev/null (epoll refuses those): then there is simply no input.
    s.loop.Add(STDIN_FILENO, EPOLLIN, [serial, loop](uint32_t) {
      uint8_t buf[kConsoleInputChunk];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) return;
        loop->Remove(STDIN_FILENO);
        return;
      }
      size_t taken = serial->EnqueueInput(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
      if (taken < static_cast<size_t>(n))
        spdlog::warn("console input: dropped {} bytes", n - taken);
    });
  }

  // vCPUs: all get CPUID and MSRs; the boot vCPU gets the 64-bit entry state, the others wait for
  // INIT/SIPI from the guest (in-kernel LAPIC).
  auto supported = s.kvm->SupportedCpuid();
  VcpuContext ctx{&s.pio, &s.mmio, s.memory.get(), &s.stop, s.quirks};
  const std::pair<uint32_t, uint64_t> msrs[] = {{kMsrMiscEnable, kMiscEnableFastStrings},
                                                {kMsrMtrrDefType, kMtrrEnableWriteBack}};
  for (uint32_t i = 0; i < config.cpus; ++i) {
    auto vcpu = std::make_unique<VcpuFd>(*s.kvm, *s.vm, i);
    vcpu->SetCpuid(VcpuCpuid(supported, i));
    vcpu->SetMsrs(msrs);
    if (i == 0) {
      kvm_sregs sregs = vcpu->GetSregs();
      ApplyLongModeSregs(sregs);
      vcpu->SetSregs(sregs);
      vcpu->SetRegs(LongModeRegs(kernel.entry, layout::kZeroPageStart));
      kvm_fpu fpu{};
      fpu.fcw = kFpuControlWord;
      fpu.mxcsr = kMxcsrDefault;
      vcpu->SetFpu(fpu);
    }
    s.vcpus.push_back(std::make_unique<VcpuThread>(std::move(vcpu), ctx));
  }
}

Vm::~Vm() {
  if (s_) {
    for (auto& v : s_->vcpus) v->Kick();
    s_->vcpus.clear();
  }
}

const std::string& Vm::guest_cmdline() const {
  return s_->cmdline;
}
const Quirks& Vm::quirks() const {
  return s_->quirks;
}

StopReason Vm::Run() {
  VcpuThread::InstallKickSignal();
  for (auto& v : s_->vcpus) v->Start();
  std::thread sampler;
  std::atomic<bool> sampling{s_->config.sample_rip_hz > 0};
  if (sampling) {
    sampler = std::thread([this, &sampling] {
      auto period = std::chrono::microseconds(1000000 / s_->config.sample_rip_hz);
      while (sampling.load()) {
        std::this_thread::sleep_for(period);
        for (auto& v : s_->vcpus) v->Sample();
      }
    });
  }
  s_->loop.Run();
  sampling.store(false);
  if (sampler.joinable()) sampler.join();
  for (auto& v : s_->vcpus) v->Kick();
  for (auto& v : s_->vcpus) v->Join();
  StopReason r = s_->stop.reason();
  if (r.kind == StopKind::kError) spdlog::error("{}", r.detail);
  if (uint64_t n = s_->pio.unclaimed_accesses()) spdlog::debug("{} unclaimed port accesses", n);
  if (uint64_t n = s_->mmio.unclaimed_accesses()) spdlog::debug("{} unclaimed MMIO accesses", n);
  return r;
}

}  // namespace strato::vmm
