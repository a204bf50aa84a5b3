#include "runtime/container_vm.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/error.h"
#include "guest/agent/agent_ports.h"
#include "runtime/guest_initramfs.h"
#include "runtime/helper_binaries.h"
#include "runtime/vsock_dialer.h"

namespace strato::runtime {
namespace {

// Kernel options for a container VM: no kernel chatter on the slow serial console (two VM exits
// per character); warnings and panics still show.
constexpr const char* kGuestCmdline = "quiet";
// A stdio stream is dialled after the agent answered: the port is up, so a short deadline.
constexpr std::chrono::seconds kStreamDialTimeout{30};

std::string JoinPath(const std::string& dir, const char* name) {
  return dir + "/" + name;
}

std::vector<std::string> VmmArguments(const ContainerLaunch& launch, const std::string& kernel,
                                      const std::string& initrd, const std::string& vsock) {
  std::vector<std::string> args = {
      "--kernel",  kernel,
      "--initrd",  initrd,
      "--cpus",    std::to_string(launch.resources.cpus),
      "--memory",  std::to_string(launch.resources.memory_mib),
      "--cmdline", kGuestCmdline,
      "--console", "-",  // stdout, which VmmProcess sends to console.log
      "--vsock",   vsock,
  };
  for (size_t i = 0; i < launch.layer_images.size(); ++i) {
    args.push_back("--disk");
    args.push_back(launch.layer_images[i] + ",ro,serial=" + launch.config.layers[i].serial);
  }
  return args;
}

}  // namespace

std::unique_ptr<ContainerVm> ContainerVm::Boot(const ContainerLaunch& launch,
                                               std::chrono::seconds timeout,
                                               const std::function<void()>& check_cancel) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (launch.layer_images.size() != launch.config.layers.size()) {
    throw Error("container " + launch.id + ": " + std::to_string(launch.layer_images.size()) +
                " layer images for " + std::to_string(launch.config.layers.size()) +
                " layers in the config");
  }
  if (launch.state_dir.empty()) throw Error("container " + launch.id + ": no state directory");
  std::unique_ptr<ContainerVm> vm(new ContainerVm());
  std::error_code ec;
  std::filesystem::create_directories(launch.state_dir, ec);
  if (ec) throw Error("create state directory " + launch.state_dir + ": " + ec.message());
  ::chmod(launch.state_dir.c_str(), 0700);
  vm->state_dir_ = launch.state_dir;  // from here on the destructor removes it

  std::string init = launch.init_binary.empty() ? FindInitBinary() : launch.init_binary;
  std::string kernel = launch.kernel_path.empty() ? FindGuestKernel() : launch.kernel_path;
  std::string vmm = launch.vmm_binary.empty() ? FindVmmBinary() : launch.vmm_binary;
  std::string initrd = JoinPath(launch.state_dir, kInitrdName);
  WriteGuestInitrd(
      launch.config, init,
      launch.initramfs_cache_dir.empty() ? DefaultInitramfsCacheDir() : launch.initramfs_cache_dir,
      initrd);
  std::string vsock = JoinPath(launch.state_dir, kVsockSocketName);
  vm->vmm_ = std::make_unique<VmmProcess>(vmm, VmmArguments(launch, kernel, initrd, vsock),
                                          JoinPath(launch.state_dir, kConsoleLogName),
                                          JoinPath(launch.state_dir, kVmmPidFileName));
  spdlog::debug("container {}: strato-vmm pid {} started", launch.id, vm->vmm_->pid());
  try {
    UniqueFd agent_fd = DialVsock(vsock, agent::kAgentPort, deadline, [&vm, &check_cancel] {
      if (check_cancel) check_cancel();
      vm->CheckVmmAlive();
    });
    vm->agent_ = std::make_unique<AgentClient>(std::move(agent_fd));
  } catch (const BootCancelled&) {
    throw;  // the destructor kills the VMM and removes the state directory
  } catch (const Error& e) {
    vm->vmm_->Kill();
    std::string tail = vm->ConsoleTail();
    std::string message =
        std::string("container ") + launch.id + ": the guest agent did not answer: " + e.what();
    if (!tail.empty()) message += "\nlast console lines:\n" + tail;
    throw Error(message);
  }
  return vm;
}

ContainerVm::~ContainerVm() {
  agent_.reset();
  if (vmm_) vmm_->Kill();
  std::error_code ec;
  if (!state_dir_.empty()) std::filesystem::remove_all(state_dir_, ec);
}

void ContainerVm::CheckVmmAlive() {
  if (auto code = vmm_->Poll()) {
    throw Error("strato-vmm exited with code " + std::to_string(*code));
  }
}

UniqueFd ContainerVm::OpenStream(const std::string& process_id, StdioStream stream) {
  UniqueFd fd =
      DialVsock(JoinPath(state_dir_, kVsockSocketName), agent::kStdioPort,
                std::chrono::steady_clock::now() + kStreamDialTimeout, [this] { CheckVmmAlive(); });
  return BindStdioStream(std::move(fd), process_id, stream);
}

int ContainerVm::WaitVmmExitOrKill(std::chrono::milliseconds grace) {
  if (auto code = vmm_->WaitFor(grace)) return *code;
  spdlog::warn("strato-vmm {} still running {} ms after the guest was told to stop: killing it",
               vmm_->pid(), grace.count());
  vmm_->Kill();
  return vmm_->Wait();
}

std::string ContainerVm::ConsoleTail(size_t lines) const {
  return LogTail(JoinPath(state_dir_, kConsoleLogName), lines);
}

}  // namespace strato::runtime
