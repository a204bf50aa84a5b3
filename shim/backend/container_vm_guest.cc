#include "shim/backend/container_vm_guest.h"

#include <signal.h>

#include <string>

#include "common/error.h"
#include "runtime/agent_client.h"
#include "runtime/container_vm.h"

namespace strato::shim {

namespace {

runtime::StdioStream ToRuntime(GuestStream s) {
  switch (s) {
    case GuestStream::kStdin:
      return runtime::StdioStream::kStdin;
    case GuestStream::kStdout:
      return runtime::StdioStream::kStdout;
    case GuestStream::kStderr:
      break;
  }
  return runtime::StdioStream::kStderr;
}

class ContainerVmGuest : public GuestVm {
 public:
  explicit ContainerVmGuest(std::unique_ptr<runtime::ContainerVm> vm) : vm_(std::move(vm)) {}

  void CreateProcess(const std::string& id, const std::string& process_json, bool terminal,
                     bool want_stdin, bool want_stdout, bool want_stderr) override {
    vm_->agent().CreateProcess(id, process_json, terminal, want_stdin, want_stdout, want_stderr);
  }
  uint32_t StartProcess(const std::string& id) override { return vm_->agent().StartProcess(id); }
  ExitInfo WaitProcess(const std::string& id) override {
    auto exit = vm_->agent().WaitProcess(id);
    return ExitInfo{static_cast<uint32_t>(exit.exit_status), exit.exited_at};
  }
  void SignalProcess(const std::string& id, int signal, bool all) override {
    vm_->agent().SignalProcess(id, signal, all);
  }
  void CloseStdin(const std::string& id) override { vm_->agent().CloseStdin(id); }
  void ResizePty(const std::string& id, uint32_t columns, uint32_t rows) override {
    vm_->agent().ResizePty(id, columns, rows);
  }
  void DeleteProcess(const std::string& id) override { vm_->agent().DeleteProcess(id); }
  std::vector<uint32_t> ListPids() override {
    std::vector<uint32_t> pids;
    for (const auto& p : vm_->agent().ListProcesses()) pids.push_back(p.pid);
    return pids;
  }
  GuestUsage Stats() override {
    auto s = vm_->agent().Stats();
    return GuestUsage{s.memory_usage_bytes, s.memory_limit_bytes, s.cpu_usage_usec, s.pids_current};
  }
  void ShutdownGuest() override { vm_->agent().Shutdown(); }
  UniqueFd OpenStream(const std::string& id, GuestStream stream) override {
    return vm_->OpenStream(id, ToRuntime(stream));
  }
  // SIGSTOP/SIGCONT on the VMM process: the guest stops as a whole (vCPUs, virtqueues, vsock),
  // as a frozen cgroup stops a runc container. Guest time jumps forward on resume.
  void PauseVm() override { SignalVmm(SIGSTOP, "pause"); }
  void ResumeVm() override { SignalVmm(SIGCONT, "resume"); }

  int vmm_pid() const override { return vm_->vmm_pid(); }
  int WaitVmmExit() override { return vm_->WaitVmmExit(); }
  // Only the signal: the VMM is reaped by the thread blocked in WaitVmmExit (ContainerVm's own
  // KillVmm reaps too, and two threads reaping one pid would race).
  void KillVmm() override { ::kill(vm_->vmm_pid(), SIGKILL); }

 private:
  void SignalVmm(int signal, const char* what) {
    if (::kill(vm_->vmm_pid(), signal) != 0) {
      ThrowErrno(std::string(what) + " the VM: signal strato-vmm pid " +
                 std::to_string(vm_->vmm_pid()));
    }
  }

  std::unique_ptr<runtime::ContainerVm> vm_;
};

}  // namespace

std::unique_ptr<GuestVm> BootContainerVm(const GuestVmLaunch& launch) {
  runtime::ContainerLaunch l;
  l.id = launch.id;
  l.config = launch.config;
  l.layer_images = launch.layer_images;
  l.resources.cpus = launch.cpus;
  l.resources.memory_mib = launch.memory_mib;
  l.state_dir = launch.state_dir;
  l.kernel_path = launch.kernel_path;
  l.vmm_binary = launch.vmm_binary;
  return std::make_unique<ContainerVmGuest>(
      runtime::ContainerVm::Boot(l, launch.boot_timeout, launch.check_cancel));
}

}  // namespace strato::shim
