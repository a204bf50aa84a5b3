#include "guest/init/container_runner.h"

#include <unistd.h>

#include <set>

#include "common/error.h"
#include "guest/init/container_mounts.h"
#include "guest/init/copied_files.h"
#include "guest/init/fs_ops.h"
#include "guest/init/process_launch.h"
#include "guest/init/root_switch.h"
#include "guest/init/supervisor.h"
#include "guest/init/sysctl.h"

namespace strato::guest {

void SetupContainer(const GuestConfig& config, const RootfsLayout& layout,
                    const std::string& work_dir) {
  const oci::RuntimeSpec& spec = config.spec;
  const oci::Linux* linux_spec = spec.linux ? &*spec.linux : nullptr;
  std::string root = MountContainerRootfs(layout, work_dir);
  const std::string& hostname = config.EffectiveHostname();
  if (!hostname.empty() && ::sethostname(hostname.data(), hostname.size()) != 0) {
    ThrowErrno("sethostname " + hostname);
  }
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0) {
    ThrowErrno("setdomainname " + spec.domainname);
  }
  std::vector<StagedFile> staged = StageCopiedFiles(config.files, work_dir + "/f");
  std::set<std::string> copied_paths;
  for (const CopiedFile& f : config.files) copied_paths.insert(f.path);
  PivotRoot(root);
  ApplySpecMounts(spec.mounts, copied_paths);
  CreateDevices(linux_spec ? linux_spec->devices : std::vector<oci::Device>{});
  AttachCopiedFiles(staged);
  if (linux_spec) {
    ApplySysctls(linux_spec->sysctl);
    MaskPaths(linux_spec->masked_paths);
    MakePathsReadonly(linux_spec->readonly_paths);
  }
  // runc creates a missing cwd too; later "/" may be read-only.
  if (spec.process) MkdirAll(spec.process->cwd);
  if (spec.root && spec.root->readonly) MakeRootReadonly();
}

int RunContainer(const GuestConfig& config, const RootfsLayout& layout,
                 const std::string& work_dir) {
  const oci::RuntimeSpec& spec = config.spec;
  if (!spec.process) throw Error("the spec has no process to run");
  // Everything that can be rejected without side effects first.
  PreparedProcess prepared =
      PrepareProcess(*spec.process, spec.linux ? spec.linux->seccomp : std::nullopt);
  SetupContainer(config, layout, work_dir);

  // Process launch, then supervision.
  Supervisor supervisor;
  pid_t main_pid = LaunchProcess(prepared, supervisor.child_mask());
  int status = supervisor.WaitForMain(main_pid);
  supervisor.KillRemaining();
  return status;
}

}  // namespace strato::guest
