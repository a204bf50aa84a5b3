#include "vmm/vm.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
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
#include "vmm/devices/virtio_vsock.h"
#include "vmm/event_loop.h"
#include "vmm/guest_console.h"
#include "vmm/irq/ioapic_irq_line.h"
#include "vmm/irq/irq_planner.h"
#include "vmm/irq/kvm_ioapic_routes.h"
#include "vmm/irq/kvm_irq_line.h"
#include "vmm/irq/userspace_ioapic.h"
#include "vmm/kvm/host_probe.h"
#include "vmm/kvm/kvm_system.h"
#include "vmm/kvm/vm_fd.h"
#include "vmm/layout.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/stop_controller.h"
#include "vmm/vcpu/cpuid.h"
#include "vmm/vcpu/vcpu_thread.h"
#include "vmm/virtio/mmio_announcement.h"
#include "vmm/virtio/mmio_transport.h"

namespace strato::vmm {

namespace {

// After the kernel's power-down/halt line, every vCPU is probed this often; when all are halted
// with interrupts off (KVM reports no exit for that), the VM has powered off. A guest that neither
// halts nor resets within the grace period is reported as powered off anyway.
constexpr long kHaltProbeIntervalNs = 20'000'000;  // 20 ms
constexpr uint64_t kPowerDownGraceProbes = 250;    // 5 s
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
  uint64_t halt_probes = 0;
  UniqueFd signal_fd;
  std::unique_ptr<GuestConsole> console;
  std::shared_ptr<Serial8250> serial;
  IrqPlan irq_plan;
  std::shared_ptr<UserspaceIoapic> ioapic;  // split irqchip only
  struct VirtioSlot {
    std::shared_ptr<VirtioMmioTransport> transport;
    UniqueFd irqfd;
    std::vector<UniqueFd> notify;  // one ioeventfd per queue
  };
  std::vector<VirtioSlot> virtio;
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

// Interrupt-raising devices that need an IOAPIC pin of their own.
uint32_t DeviceCount(const VmConfig& c) {
  return static_cast<uint32_t>(c.disks.size() + (c.vsock_socket.empty() ? 0 : 1));
}

UniqueFd MakeEventFd() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd.valid()) ThrowErrno("eventfd");
  return fd;
}

void SignalEventFd(int fd) {
  const uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);
}

}  // namespace

Vm::Vm(const VmConfig& config) : s_(std::make_unique<State>()) {
  ValidateConfig(config);
  State& s = *s_;
  s.config = config;
  s.kvm = std::make_unique<KvmSystem>(config.kvm_device);
  KvmFlavor flavor = KvmFlavor::kHardwareAssisted;
  if (config.quirks == QuirkMode::kAuto) flavor = DetectKvmFlavor();
  s.quirks = ResolveQuirks(config.quirks, flavor);
  if (s.quirks.any()) spdlog::debug("nested/software KVM: quirks enabled");

  s.vm = std::make_unique<VmFd>(*s.kvm);
  s.vm->SetIdentityMapAddress(layout::kKvmIdentityMapStart);
  s.vm->SetTssAddress(layout::kKvmTssStart);
  s.irq_plan = PlanIrqs(DeviceCount(config), config.irqchip);
  if (s.irq_plan.mode == IrqchipMode::kSplit) {
    spdlog::info("{}", s.irq_plan.reason);
    // No PIC and no PIT with a split irqchip (KVM needs its PIC for the PIT): the guest uses
    // the LAPIC timer.
    s.vm->EnableSplitIrqchip(s.irq_plan.ioapic_pins);
    VmFd* vm = s.vm.get();
    s.ioapic = std::make_shared<UserspaceIoapic>(
        s.irq_plan.ioapic_pins, MpIoapicId(config.cpus),
        [vm](const std::vector<IoapicMsiRoute>& routes) { InstallIoapicRoutes(*vm, routes); },
        [vm](const IoapicMsiRoute& r) { vm->SignalMsi(r.address, r.data); });
    s.mmio.Register(layout::kIoapicStart, layout::kIoapicSize, s.ioapic, "userspace IOAPIC");
  } else {
    spdlog::debug("{}", s.irq_plan.reason);
    s.vm->CreateIrqchip();
    s.vm->CreatePit();
  }

  s.memory = std::make_unique<GuestMemory>(config.memory_mib << 20, config.hugepages);
  // Registering the first memory slot costs ~5 ms on the nested hosts (an RCU grace period in the
  // host kernel), whatever the size: do it on a helper thread while the rest of the VM is built.
  // Nothing below runs the guest before the join at the end.
  std::exception_ptr memslot_error;
  std::thread memslots([&s, &memslot_error] {
    try {
      uint32_t slot = 0;
      for (const auto& r : s.memory->regions()) {
        s.vm->SetUserMemoryRegion(slot++, r.guest_base, r.size, r.host);
      }
    } catch (...) {
      memslot_error = std::current_exception();
    }
  });
  struct JoinOnExit {
    std::thread& t;
    ~JoinOnExit() {
      if (t.joinable()) t.join();
    }
  } join_memslots{memslots};

  // Boot image and boot structures.
  LoadedKernel kernel = LoadKernelFile(config.kernel_path, *s.memory);
  std::pair<uint64_t, uint64_t> initrd{0, 0};
  if (!config.initrd_path.empty()) initrd = LoadInitrdFile(config.initrd_path, *s.memory, kernel);
  // virtio-mmio devices: slot i, pin from the IRQ plan; announced before the user's options (an
  // option after "--" would go to init).
  std::string announcements;
  auto AddVirtioSlot = [&s, &announcements](std::shared_ptr<VirtioDevice> device,
                                            const std::string& name) -> VirtioMmioTransport& {
    const size_t index = s.virtio.size();
    const uint64_t base = layout::kDeviceMmioStart + index * layout::kDeviceMmioSlotSize;
    const uint32_t pin = s.irq_plan.device_pins[index];
    State::VirtioSlot slot;
    slot.irqfd = MakeEventFd();
    s.vm->AddIrqfd(slot.irqfd.get(), pin);
    const int irqfd = slot.irqfd.get();
    slot.transport = std::make_shared<VirtioMmioTransport>(
        *s.memory, device, [irqfd] { SignalEventFd(irqfd); }, nullptr);
    for (uint16_t q = 0; q < device->queue_count(); ++q) {
      UniqueFd notify = MakeEventFd();
      const int fd = notify.get();
      s.vm->AddIoeventfd(fd, base + virtio_mmio::kQueueNotify, 4, false, true, q);
      VirtioMmioTransport* t = slot.transport.get();
      s.loop.Add(fd, EPOLLIN, [fd, t, q](uint32_t) {
        uint64_t count = 0;
        (void)!::read(fd, &count, sizeof count);
        t->Notify(q);
      });
      slot.notify.push_back(std::move(notify));
    }
    s.mmio.Register(base, layout::kDeviceMmioSlotSize, slot.transport, name);
    announcements += VirtioMmioCmdlineEntry(base, pin);
    s.virtio.push_back(std::move(slot));
    return *s.virtio.back().transport;
  };
  for (const DiskConfig& disk : config.disks) {
    AddVirtioSlot(std::make_shared<VirtioBlk>(*s.memory, disk), "virtio-blk " + disk.path);
  }
  if (!config.vsock_socket.empty()) {
    auto vsock = std::make_shared<VirtioVsock>(*s.memory, config.vsock_socket);
    VirtioMmioTransport* t = &AddVirtioSlot(vsock, "virtio-vsock " + config.vsock_socket);
    // The device's sockets: the transport runs its work (and completes rx buffers) when ready.
    s.loop.Add(vsock->poll_fd(), EPOLLIN, [t](uint32_t) { t->ServiceDevice(); });
  }
  // A split irqchip has no PIT, against which Linux calibrates the TSC (and with it the LAPIC
  // timer): tell it the frequency KVM gives the guest instead.
  if (s.irq_plan.mode == IrqchipMode::kSplit) {
    if (const uint32_t khz = s.vm->TscKhz()) {
      announcements += " tsc_early_khz=" + std::to_string(khz);
    }
  }
  std::string user_cmdline = config.cmdline;
  if (!announcements.empty()) {
    user_cmdline = announcements.substr(1) + (user_cmdline.empty() ? "" : " " + user_cmdline);
  }
  s.cmdline = BuildGuestCommandLine(user_cmdline, s.quirks);
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
  {
    const uint32_t pins = s.irq_plan.ioapic_pins;
    uint64_t address = layout::kMpTableStart;
    uint64_t room = layout::kMpTableMaxSize;
    if (pins > layout::kIoapicPins) {
      address = layout::kMpTableBiosAreaStart;
      room = layout::kMpTableBiosAreaMaxSize;
    }
    s.memory->Write(address, BuildMpTable(config.cpus, address, pins, room));
  }
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
    t.it_value.tv_nsec = kHaltProbeIntervalNs;
    t.it_interval.tv_nsec = kHaltProbeIntervalNs;
    ::timerfd_settime(timer_fd, 0, &t, nullptr);
  });
  s.loop.Add(timer_fd, EPOLLIN, [&s, timer_fd](uint32_t) {
    uint64_t expirations = 0;
    (void)!::read(timer_fd, &expirations, sizeof expirations);
    // The answers of the previous probe round decide; then ask again.
    bool all_halted = s.halt_probes > 0;
    for (auto& v : s.vcpus) all_halted = all_halted && v->halted_for_good();
    if (all_halted || ++s.halt_probes > kPowerDownGraceProbes) {
      s.stop.Request({StopKind::kPowerOff, 0, {}});
      return;
    }
    for (auto& v : s.vcpus) v->ProbeHalt();
  });
  // A console reader that goes away must not kill the VMM (writes then fail with EPIPE).
  ::signal(SIGPIPE, SIG_IGN);
  // SIGTERM / SIGINT / SIGHUP end the VM cleanly (threads joined, console flushed).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, sig);
  if (::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0)
    throw Error("pthread_sigmask failed");
  s.signal_fd = UniqueFd(::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!s.signal_fd.valid()) ThrowErrno("signalfd");
  int signal_fd = s.signal_fd.get();
  s.loop.Add(signal_fd, EPOLLIN, [&s, signal_fd](uint32_t) {
    signalfd_siginfo info{};
    (void)!::read(signal_fd, &info, sizeof info);
    s.stop.Request(
        {StopKind::kError, 0,
         std::string("VMM terminated by signal ") + strsignal(static_cast<int>(info.ssi_signo))});
  });
  s.stop.SetOnStop([&s] { s.loop.Stop(); });

  // A VMM-side interrupt source on `pin`: the in-kernel irqchip's line, or the userspace IOAPIC's.
  auto IrqLineFor = [](State& st, uint32_t pin) -> std::shared_ptr<IrqLine> {
    if (st.ioapic) return std::make_shared<IoapicIrqLine>(st.ioapic, pin);
    return std::make_shared<KvmIrqLine>(*st.vm, pin);
  };
  GuestConsole* console = s.console.get();
  s.serial = std::make_shared<Serial8250>(IrqLineFor(s, layout::kGsiCom1),
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
  VcpuContext ctx{&s.pio, &s.mmio, s.memory.get(), &s.stop, s.quirks, config.sample_rip_hz > 0, {}};
  if (s.ioapic) {
    UserspaceIoapic* ioapic = s.ioapic.get();
    ctx.ioapic_eoi = [ioapic](uint8_t vector) { ioapic->EndOfInterrupt(vector); };
  }
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
  memslots.join();
  if (memslot_error) std::rethrow_exception(memslot_error);
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
const IrqPlan& Vm::irq_plan() const {
  return s_->irq_plan;
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
