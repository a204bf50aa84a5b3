#pragma once
// Runs strato-init's real code on the host: EROFS layers made by our writer from tars built in
// the test, attached to loop devices, and InitMain in test mode as PID 1 of fresh mount, PID, UTS
// and IPC namespaces. Everything the run mounts lives in those namespaces and disappears with
// them; loop devices and temporary files are released by destructors, also on failure.

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "guest/config/guest_config.h"
#include "tests/unit/rootfs/tar_builder.h"

namespace strato::guest::test {

// Why these tests cannot run here (not root, no loop devices, no erofs/overlay, no busybox), or
// empty when they can.
std::string HostSkipReason();

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A read-only loop device over an image file, detached on destruction.
class LoopDevice {
 public:
  explicit LoopDevice(const std::string& image, bool read_only = true);
  ~LoopDevice();
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// A tar with busybox as /bin/busybox, applet links in /bin, and a few directories.
rootfs::testing::TarBuilder BusyboxTar();

// Writes `tar` under `dir` and converts it with the EROFS writer; returns the image path.
std::string MakeErofsLayer(const std::string& dir, const std::string& name, const std::string& tar);

struct InitRun {
  int exit_status = -1;  // what InitMain returned (the container's exit status)
  std::string out;       // container stdout
  std::string err;       // container stderr
  std::string log;       // strato-init's own lines
};

// Runs strato-init (test mode) over the given layer images (bottom to top). `on_started`, when
// set, is called with the host PID of the namespace's PID 1 once it runs (to send it signals).
// `scratch_image`, when not empty, is an ext4 image attached read-write as the scratch disk.
InitRun RunInit(
    const GuestConfig& config, const std::vector<std::string>& layer_images,
    const std::function<void(pid_t init_pid, const std::string& out_path)>& on_started = {},
    const std::string& scratch_image = "");

// A spec for busybox with the mounts, maskedPaths and readonlyPaths containerd's default spec
// has, and the given args. Callers edit the returned JSON before building a config.
nlohmann::json DefaultSpec(const std::vector<std::string>& args);

// A guest config for `spec` with `layers` layer serials.
GuestConfig ConfigFor(const nlohmann::json& spec, size_t layers);

}  // namespace strato::guest::test
