// `strato vm`: boot a kernel (ELF vmlinux or bzImage, Linux 64-bit boot protocol) or a
// freestanding test guest in a microVM, for tests and debugging. The last line on stderr is
// "strato vm: guest stopped: <reason>"; the exit code follows StopReason::ExitCode() (0 reboot,
// poweroff, test-passed; 1 test-failed; 2 usage; 3 triple-fault; 4 panic; 5 other error).

#include "vmm/vm.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "cli/command.h"
#include "cli/flag_parser.h"
#include "common/error.h"
#include "common/paths.h"
#include "vmm/layout.h"

namespace strato::cli {

namespace {

constexpr int kExitVmError = 5;  // StopKind::kError

// $STRATO_KERNEL, else the first installed candidate (common/paths.h), else the build cache path
// (so the "not found" error names where the kernel is expected).
std::string DefaultKernel() {
  if (const char* env = std::getenv(paths::kKernelEnv); env != nullptr && *env != '\0') return env;
  for (const char* candidate : paths::kKernelCandidates) {
    if (::access(candidate, R_OK) == 0) return candidate;
  }
  return paths::kKernelCandidates[std::size(paths::kKernelCandidates) - 1];
}

void PrintStopped(const std::string& reason) {
  std::fflush(stdout);
  std::fprintf(stderr, "strato vm: guest stopped: %s\n", reason.c_str());
}

}  // namespace

int RunVm(const std::vector<std::string>& args) {
  FlagParser parser({
      {"kernel", true, false, "FILE",
       "ELF vmlinux, bzImage or test-guest ELF (default: $STRATO_KERNEL or the built kernel)"},
      {"initrd", true, false, "FILE", "initramfs (newc cpio, optionally compressed)"},
      {"cmdline", true, false, "STR",
       "extra kernel command-line options (after strato's defaults)"},
      {"cpus", true, false, "N", "vCPUs (default 1)"},
      {"memory", true, false, "MiB", "guest RAM in MiB, even (default 128)"},
      {"console", true, false, "PATH|-",
       "serial console: - = stdout/stdin (default), or a file/FIFO"},
      {"quirks", true, false, "MODE", "nested-KVM workarounds: auto (detect), on, off"},
      {"hugepages", false, false, "", "back guest RAM with hugepages"},
      {"sample-rip", true, false, "HZ",
       "profile: sample each vCPU's RIP HZ times a second, log the top addresses"},
      {"disk", true, true, "FILE[,ro][,serial=NAME]",
       "virtio-blk disk backed by FILE, in order /dev/vda, vdb, ..."},
      {"vsock", true, false, "PATH",
       "virtio-vsock device (guest CID 3): host clients connect to unix socket PATH and send "
       "\"CONNECT <port>\\n\"; guest connections to host port P go to PATH_P"},
      {"irqchip", true, false, "MODE",
       "interrupt controller: auto (in-kernel while the devices fit, else split), kernel, split"},
      {"help", false, false, "", "show this help"},
  });
  ParsedFlags flags = parser.Parse(args);
  if (flags.Has("help")) {
    std::printf(
        "usage: strato vm --kernel FILE [flags]\n\nBoot a kernel or test guest in a "
        "microVM and report why it stopped.\n\nflags:\n%s",
        parser.HelpText().c_str());
    return 0;
  }
  if (!flags.positionals().empty()) {
    throw UsageError("unexpected argument \"" + flags.positionals()[0] + "\"");
  }
  vmm::VmConfig config;
  config.kernel_path = flags.Get("kernel").value_or(DefaultKernel());
  config.initrd_path = flags.Get("initrd").value_or("");
  config.cmdline = flags.Get("cmdline").value_or("");
  config.cpus = static_cast<uint32_t>(flags.GetUint("cpus", 1, vmm::layout::kMaxVcpus).value_or(1));
  config.memory_mib = flags.GetUint("memory", 8, 1u << 20).value_or(config.memory_mib);
  config.console = flags.Get("console").value_or("-");
  config.quirks = vmm::ParseQuirkMode(flags.Get("quirks").value_or("auto"));
  config.hugepages = flags.Has("hugepages");
  for (const std::string& spec : flags.GetAll("disk"))
    config.disks.push_back(vmm::ParseDiskSpec(spec));
  config.vsock_socket = flags.Get("vsock").value_or("");
  config.irqchip = vmm::ParseIrqchipMode(flags.Get("irqchip").value_or("auto"));
  config.sample_rip_hz = static_cast<uint32_t>(flags.GetUint("sample-rip", 1, 1000).value_or(0));

  vmm::StopReason reason;
  try {
    vmm::Vm vm(config);
    reason = vm.Run();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    std::fprintf(stderr, "strato vm: %s\n", e.what());
    PrintStopped("error");
    return kExitVmError;
  }
  if (reason.kind == vmm::StopKind::kError && !reason.detail.empty()) {
    std::fprintf(stderr, "strato vm: %s\n", reason.detail.c_str());
  }
  PrintStopped(reason.Describe());
  return reason.ExitCode();
}

}  // namespace strato::cli
