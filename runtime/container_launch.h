#pragma once
// What it takes to boot one container's VM (runtime/container_vm.h): the guest config, the layer
// images, the VM's size and where its state lives. Kept apart from container_vm.h so image
// preparation (runtime/image_launch.h) does not depend on the agent client.

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "guest/config/guest_config.h"

namespace strato::runtime {

// Thrown by a caller's cancellation hook (Ctrl-C) to abandon an image preparation or a boot;
// PrepareImageLaunch and ContainerVm::Boot pass it on unchanged.
class Cancelled : public Error {
 public:
  using Error::Error;
};

struct VmResources {
  uint32_t cpus = 1;
  uint64_t memory_mib = 256;
};

struct ContainerLaunch {
  std::string id;                         // container id (logs, names)
  guest::GuestConfig config;              // spec, hostname, files; layers filled by the caller
  std::vector<std::string> layer_images;  // EROFS image paths, bottom to top (= config.layers)
  VmResources resources;
  std::string state_dir;    // created by Boot: vsock socket, vmm.pid, console.log, initrd
  std::string kernel_path;  // empty: common/paths.h kernel candidates
  std::string vmm_binary;   // empty: strato-vmm beside the running executable, else installed
  std::string init_binary;  // empty: strato-init likewise (runtime/helper_binaries.h)
  std::string initramfs_cache_dir;  // empty: runtime::DefaultInitramfsCacheDir()
};

}  // namespace strato::runtime
