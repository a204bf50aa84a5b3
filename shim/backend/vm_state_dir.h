#pragma once
// Where a container's VM keeps its runtime state (vsock socket, vmm.pid, console.log, initrd),
// and how `delete` finds it after the shim died: the shim records the directory in the bundle.
//
// The directory is /run/strato/<first 16 hex digits of sha256("<namespace>/<id>")>: short,
// because the vsock socket inside it must fit a unix socket path (sun_path is 108 bytes), and
// stable, so a shim restarted for the same container finds the same place.
// $STRATO_SHIM_STATE_ROOT overrides /run/strato (tests).

#include <optional>
#include <string>

namespace strato::shim {

inline constexpr const char* kDefaultVmStateRoot = "/run/strato";
inline constexpr const char* kVmStateRootEnv = "STRATO_SHIM_STATE_ROOT";
// The record in the bundle: one line, the state directory's absolute path.
inline constexpr const char* kVmStateRecordFile = "strato-state-dir";
// Written by the runtime library (runtime/container_vm.h): the VMM's pid, in decimal.
inline constexpr const char* kVmmPidFile = "vmm.pid";

std::string VmStateDirFor(const std::string& ns, const std::string& container_id);

void RecordVmStateDir(const std::string& bundle, const std::string& state_dir);

// The recorded directory; nullopt when there is no record. Throws strato::Error for a record
// that is not an absolute, normal path ending in 16 hex digits (never acted upon: `delete`
// removes the directory).
std::optional<std::string> ReadRecordedVmStateDir(const std::string& bundle);

}  // namespace strato::shim
