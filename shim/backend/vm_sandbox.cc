#include "shim/backend/vm_sandbox.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/error.h"
#include "guest/config/disk_serial.h"
#include "oci/runtime_spec.h"
#include "rootfs/layer_cache.h"
#include "shim/backend/rootfs_layers.h"
#include "shim/backend/vm_state_dir.h"
#include "ttrpc/status.h"

namespace strato::shim {

namespace {

constexpr const char* kConsoleLogFile = "console.log";  // runtime/container_vm.h state_dir
constexpr size_t kConsoleTailBytes = 2048;
constexpr size_t kMaxConfigJsonBytes = 16u << 20;  // guest::kMaxConfigBytes

std::string Name(const std::string& container_id, const std::string& exec_id) {
  return exec_id.empty() ? container_id : container_id + "/" + exec_id;
}

// The last bytes of the VM's console log, for an error message.
std::string ConsoleTail(const std::string& state_dir) {
  std::string text;
  try {
    text = ReadFile(state_dir + "/" + kConsoleLogFile, 64u << 20);
  } catch (const Error&) {
    return "";
  }
  if (text.size() > kConsoleTailBytes) text = text.substr(text.size() - kConsoleTailBytes);
  return text;
}

// A stream the process wants, bound in the guest, with a pump to or from the shim's fd.
std::unique_ptr<FdPump> PumpToGuest(const std::string& name, UniqueFd from_shim,
                                    UniqueFd guest_stream) {
  return std::make_unique<FdPump>(name, std::move(from_shim), std::move(guest_stream),
                                  FdPump::AtEof::kShutdownWrite);
}

std::unique_ptr<FdPump> PumpFromGuest(const std::string& name, UniqueFd guest_stream,
                                      UniqueFd to_shim) {
  return std::make_unique<FdPump>(name, std::move(guest_stream), std::move(to_shim));
}

}  // namespace

VmSandbox::VmSandbox(VmSandboxOptions options) : options_(std::move(options)) {}

VmSandbox::~VmSandbox() {
  Shutdown();
}

GuestVm& VmSandbox::Vm(const std::string& container_id) {
  if (!vm_ || container_id != container_id_) throw ttrpc::NotFound("container " + container_id);
  if (shutting_down_) throw ttrpc::Unavailable("the VM of " + container_id_ + " is shutting down");
  return *vm_;
}

std::shared_ptr<VmSandbox::Proc> VmSandbox::Find(const std::string& exec_id) {
  auto it = procs_.find(exec_id);
  if (it == procs_.end()) throw ttrpc::NotFound("process " + Name(container_id_, exec_id));
  return it->second;
}

std::string VmSandbox::VmmFailure() const {
  std::string message = "the VM of container " + container_id_ + " stopped (strato-vmm pid " +
                        std::to_string(vmm_pid_) + " exited with code " +
                        std::to_string(vmm_exit_code_) + ")";
  std::string tail = ConsoleTail(state_dir_);
  if (!tail.empty()) message += "; console log tail:\n" + tail;
  return message;
}

uint32_t VmSandbox::Create(const ContainerConfig& config, ProcessStdio stdio) {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) throw ttrpc::Unavailable("shim is shutting down");
    if (vm_ || creating_) {
      throw ttrpc::FailedPrecondition(
          "this shim already runs container " + container_id_ +
          "; strato runs one container per VM (several containers in one pod VM are not "
          "supported yet)");
    }
    creating_ = true;
  }
  struct Unmark {
    VmSandbox* self;
    ~Unmark() {
      std::lock_guard lock(self->mu_);
      self->creating_ = false;
    }
  } unmark{this};

  GuestVmLaunch launch;
  launch.id = config.id;
  launch.config =
      guest::MakeGuestConfig(ReadFile(config.bundle + "/config.json", kMaxConfigJsonBytes));
  const std::string root_path =
      launch.config.spec.root ? launch.config.spec.root->path : std::string();
  auto plan = PlanRootfsLayers(config.rootfs, config.bundle, root_path);
  rootfs::LayerCache cache(options_.layer_cache_dir.empty() ? rootfs::LayerCache::DefaultDir()
                                                            : options_.layer_cache_dir);
  auto images = MaterializeRootfsLayers(plan, cache);
  for (size_t i = 0; i < images.size(); ++i) {
    launch.config.layers.push_back({guest::LayerDiskSerial(i, images[i].digest), images[i].digest});
    launch.layer_images.push_back(images[i].path);
  }
  launch.cpus = options_.cpus;
  launch.memory_mib = options_.memory_mib;
  launch.boot_timeout = options_.boot_timeout;
  launch.state_dir = VmStateDirFor(options_.ns, config.id);
  launch.check_cancel = [this] {
    std::lock_guard lock(mu_);
    if (shutting_down_) throw ttrpc::Unavailable("shim is shutting down");
  };
  // Recorded before the boot: a shim that dies while booting still leaves `delete` a trail.
  RecordVmStateDir(config.bundle, launch.state_dir);
  spdlog::info("container {}: booting its VM ({} layer(s), state {})", config.id, images.size(),
               launch.state_dir);

  std::unique_ptr<GuestVm> vm;
  try {
    vm = options_.booter(launch);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(config.bundle + "/" + kVmStateRecordFile, ec);
    throw;
  }
  std::unique_ptr<GuestVm> cancelled;
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) {
      cancelled = std::move(vm);  // Shutdown ran during the boot and found no VM to stop
    } else {
      container_id_ = config.id;
      bundle_ = config.bundle;
      state_dir_ = launch.state_dir;
      vm_ = std::move(vm);
      vmm_pid_ = static_cast<uint32_t>(vm_->vmm_pid());
      // Started under the lock: a Shutdown that follows always finds the watcher to join.
      vmm_watcher_ = std::thread([this] { WatchVmm(); });
    }
  }
  if (cancelled) {
    cancelled.reset();  // kills the VMM, removes the state directory
    std::error_code ec;
    std::filesystem::remove(config.bundle + "/" + kVmStateRecordFile, ec);
    throw ttrpc::Unavailable("shim is shutting down");
  }
  CreateGuestProcess("", "", std::move(stdio));
  return vmm_pid_;
}

void VmSandbox::CreateGuestProcess(const std::string& exec_id, const std::string& process_json,
                                   ProcessStdio stdio) {
  GuestVm* vm;
  {
    std::lock_guard lock(mu_);
    vm = &Vm(container_id_);
    if (procs_.count(exec_id)) throw ttrpc::AlreadyExists("process " + exec_id);
  }
  const std::string name = Name(container_id_, exec_id);
  const bool want_stderr = stdio.stderr_fd.valid() && !stdio.terminal;
  vm->CreateProcess(exec_id, process_json, stdio.terminal, stdio.stdin_fd.valid(),
                    stdio.stdout_fd.valid(), want_stderr);
  auto proc = std::make_shared<Proc>();
  try {
    if (stdio.stdin_fd.valid()) {
      proc->stdin_pump = PumpToGuest(name + " stdin", std::move(stdio.stdin_fd),
                                     vm->OpenStream(exec_id, GuestStream::kStdin));
    }
    if (stdio.stdout_fd.valid()) {
      proc->stdout_pump =
          PumpFromGuest(name + " stdout", vm->OpenStream(exec_id, GuestStream::kStdout),
                        std::move(stdio.stdout_fd));
    }
    if (want_stderr) {
      proc->stderr_pump =
          PumpFromGuest(name + " stderr", vm->OpenStream(exec_id, GuestStream::kStderr),
                        std::move(stdio.stderr_fd));
    }
  } catch (...) {
    try {
      vm->DeleteProcess(exec_id);
    } catch (const std::exception& e) {
      spdlog::warn("{}: removing the half-created process: {}", name, e.what());
    }
    throw;
  }
  std::lock_guard lock(mu_);
  procs_.emplace(exec_id, std::move(proc));
}

void VmSandbox::Exec(const std::string& container_id, const std::string& exec_id,
                     const std::string& process_spec_json, ProcessStdio stdio) {
  {
    std::lock_guard lock(mu_);
    Vm(container_id);
  }
  if (exec_id.empty()) throw ttrpc::InvalidArgument("exec id must not be empty");
  CreateGuestProcess(exec_id, process_spec_json, std::move(stdio));
}

uint32_t VmSandbox::Start(const std::string& container_id, const std::string& exec_id) {
  GuestVm* vm;
  {
    std::lock_guard lock(mu_);
    vm = &Vm(container_id);
    if (Find(exec_id)->started)
      throw ttrpc::FailedPrecondition(Name(container_id, exec_id) + " already started");
  }
  uint32_t guest_pid = vm->StartProcess(exec_id);
  spdlog::info("{} started (guest pid {})", Name(container_id, exec_id), guest_pid);
  std::lock_guard lock(mu_);
  std::shared_ptr<Proc> p = Find(exec_id);
  p->started = true;
  p->agent_waiter = std::thread([this, vm, exec_id, proc = p.get()] {
    std::optional<ExitInfo> exit;
    std::string failure;
    try {
      exit = vm->WaitProcess(exec_id);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    std::lock_guard lock(mu_);
    proc->waiter_done = true;
    if (exit) {
      proc->exit = exit;
    } else {
      proc->failure = "waiting for " + Name(container_id_, exec_id) + " in the VM: " + failure;
    }
    cv_.notify_all();
  });
  return vmm_pid_;
}

ExitInfo VmSandbox::Wait(const std::string& container_id, const std::string& exec_id) {
  std::unique_lock lock(mu_);
  if (container_id != container_id_) throw ttrpc::NotFound("container " + container_id);
  // Held by value: Delete may drop the process from the table while this waits.
  std::shared_ptr<Proc> p = Find(exec_id);
  cv_.wait(lock, [&] {
    return p->exit || p->deleted || shut_down_ || (vmm_exited_ && (!p->started || p->waiter_done));
  });
  if (p->exit) return *p->exit;
  if (vmm_exited_) throw SandboxFailure(VmmFailure());
  if (p->deleted) {
    throw SandboxFailure(Name(container_id, exec_id) + " was deleted before it exited");
  }
  if (!p->failure.empty()) throw SandboxFailure(p->failure);
  throw SandboxFailure("the VM of container " + container_id + " was shut down");
}

void VmSandbox::Kill(const std::string& container_id, const std::string& exec_id, uint32_t signal,
                     bool all) {
  GuestVm* vm;
  {
    std::lock_guard lock(mu_);
    vm = &Vm(container_id);
    if (Find(exec_id)->exit || vmm_exited_) throw ttrpc::NotFound("process already finished");
  }
  vm->SignalProcess(exec_id, static_cast<int>(signal), all);
}

void VmSandbox::Delete(const std::string& container_id, const std::string& exec_id) {
  GuestVm* vm;
  bool vm_gone;
  {
    std::lock_guard lock(mu_);
    if (!vm_ || container_id != container_id_) throw ttrpc::NotFound("container " + container_id);
    vm = vm_.get();
    Find(exec_id);
    vm_gone = vmm_exited_ || shutting_down_;
  }
  if (!vm_gone) {
    try {
      vm->DeleteProcess(exec_id);
    } catch (const std::exception& e) {
      // The guest powers off by itself once every process exited and was waited for; a
      // process whose exit is known is deleted whatever the agent says then.
      std::lock_guard lock(mu_);
      if (!Find(exec_id)->exit && !vmm_exited_) throw;
      spdlog::debug("{}: agent delete after exit: {}", Name(container_id, exec_id), e.what());
    }
  }
  std::thread waiter;
  std::shared_ptr<FdPump> stdin_pump;
  std::unique_ptr<FdPump> output_pumps[2];
  {
    std::lock_guard lock(mu_);
    std::shared_ptr<Proc> p = Find(exec_id);
    p->deleted = true;
    cv_.notify_all();
    stdin_pump = std::move(p->stdin_pump);
    output_pumps[0] = std::move(p->stdout_pump);
    output_pumps[1] = std::move(p->stderr_pump);
    if (p->waiter_done || !p->started) {
      waiter = std::move(p->agent_waiter);
      procs_.erase(exec_id);
    }
    // else: the agent waiter still runs (the VM is gone or going); Shutdown joins it.
  }
  if (waiter.joinable()) waiter.join();
  // Output reaches the shim's pipes before the pumps stop (they end by themselves once the
  // guest closed the streams, which it does before reporting the exit).
  for (auto& pump : output_pumps) {
    if (pump && !pump->WaitDone(options_.drain_timeout)) {
      spdlog::warn("{}: output still flowing at delete; stopped", Name(container_id, exec_id));
    }
  }
}

void VmSandbox::Pause(const std::string& container_id) {
  std::lock_guard lock(mu_);
  Vm(container_id).PauseVm();
}

void VmSandbox::Resume(const std::string& container_id) {
  std::lock_guard lock(mu_);
  Vm(container_id).ResumeVm();
}

void VmSandbox::ResizePty(const std::string& container_id, const std::string& exec_id,
                          uint32_t width, uint32_t height) {
  GuestVm* vm;
  {
    std::lock_guard lock(mu_);
    vm = &Vm(container_id);
    Find(exec_id);
  }
  vm->ResizePty(exec_id, width, height);
}

void VmSandbox::CloseIO(const std::string& container_id, const std::string& exec_id) {
  GuestVm* vm;
  std::shared_ptr<FdPump> stdin_pump;
  {
    std::lock_guard lock(mu_);
    vm = &Vm(container_id);
    stdin_pump = Find(exec_id)->stdin_pump;
  }
  // What the client wrote before closing goes in first: the pump reaches EOF once the shim's
  // stdin ends (the Task service dropped its keep-alive writer), and half-closes the stream.
  if (stdin_pump && !stdin_pump->WaitDone(options_.drain_timeout)) {
    spdlog::warn("{}: stdin still open at CloseIO (another writer?); closing it",
                 Name(container_id, exec_id));
    stdin_pump->Stop();
  }
  vm->CloseStdin(exec_id);
}

std::vector<ProcessInfo> VmSandbox::Pids(const std::string& container_id) {
  GuestVm* vm;
  {
    std::lock_guard lock(mu_);
    vm = &Vm(container_id);
  }
  std::vector<ProcessInfo> out;
  for (uint32_t pid : vm->ListPids()) out.push_back(ProcessInfo{pid});
  return out;
}

AnyBlob VmSandbox::Stats(const std::string& container_id) {
  GuestVm* vm;
  {
    std::lock_guard lock(mu_);
    vm = &Vm(container_id);
  }
  return CgroupsV2Metrics(vm->Stats());
}

void VmSandbox::Update(const std::string& container_id, const std::string&) {
  {
    std::lock_guard lock(mu_);
    Vm(container_id);
  }
  throw ttrpc::NotImplemented(
      "updating the resources of a running strato container: the VM's CPUs and memory are "
      "fixed at boot");
}

void VmSandbox::WatchVmm() {
  int code;
  try {
    code = vm_->WaitVmmExit();
  } catch (const std::exception& e) {
    spdlog::error("container {}: waiting for strato-vmm: {}", container_id_, e.what());
    code = -1;
  }
  std::lock_guard lock(mu_);
  vmm_exited_ = true;
  vmm_exit_code_ = code;
  bool pending = false;
  for (const auto& [id, p] : procs_) pending |= !p->exit && !p->deleted;
  if (pending && !shutting_down_) spdlog::error("{}", VmmFailure());
  cv_.notify_all();
}

void VmSandbox::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    cv_.notify_all();
    if (!vm_) {
      shut_down_ = true;
      return;
    }
  }
  bool vmm_running;
  {
    std::lock_guard lock(mu_);
    vmm_running = !vmm_exited_;
  }
  if (vmm_running) {
    try {
      vm_->ShutdownGuest();
    } catch (const std::exception& e) {
      spdlog::debug("agent Shutdown: {}", e.what());
    }
  }
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, options_.shutdown_grace, [&] { return vmm_exited_; })) {
      spdlog::warn("container {}: the VM did not power off within {} ms; killing strato-vmm",
                   container_id_, options_.shutdown_grace.count());
      lock.unlock();
      vm_->KillVmm();
    }
  }
  if (vmm_watcher_.joinable()) vmm_watcher_.join();
  std::vector<std::thread> waiters;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    cv_.notify_all();
    for (auto& [id, p] : procs_) {
      if (p->agent_waiter.joinable()) waiters.push_back(std::move(p->agent_waiter));
    }
  }
  // The VMM is gone, so the agent connection is closed and every WaitProcess has failed.
  for (auto& t : waiters) t.join();
  std::map<std::string, std::shared_ptr<Proc>> procs;
  {
    std::lock_guard lock(mu_);
    procs.swap(procs_);
  }
  procs.clear();  // stops the pumps
  vm_.reset();    // removes the state directory
  std::error_code ec;
  std::filesystem::remove(bundle_ + "/" + kVmStateRecordFile, ec);
  spdlog::info("container {}: VM stopped", container_id_);
}

}  // namespace strato::shim
