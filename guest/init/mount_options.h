#pragma once
// OCI mount options ("nosuid", "mode=755", "rbind", "rprivate"...) split into what mount(2) takes:
// MS_* flags, a propagation change (applied with a second mount(2) call, as the kernel requires),
// and the filesystem-specific data string. Pure; unit tested.

#include <string>
#include <vector>

namespace strato::guest {

struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, ... (MS_BIND|MS_REC for rbind)
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SHARED/MS_SLAVE/MS_UNBINDABLE [| MS_REC]
  std::string data;               // "mode=755,size=65536k" (comma-joined, in order)
  bool bind = false;              // "bind" or "rbind"
};

MountOptions ParseMountOptions(const std::vector<std::string>& options);

}  // namespace strato::guest
