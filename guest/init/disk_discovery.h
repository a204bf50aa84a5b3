#pragma once
// Finds strato's disks in the guest by their virtio-blk serial (guest/config/disk_serial.h):
// one readdir of /sys/block and one read of each vdX/serial.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "guest/config/guest_config.h"

namespace strato::guest {

// serial -> "/dev/vdX" for every virtio-blk disk under `sys_block_dir` (normally /sys/block).
std::map<std::string, std::string> ScanVirtioDiskSerials(const std::string& sys_block_dir,
                                                         const std::string& dev_dir = "/dev");

// Device paths of the layers, bottom to top, looked up in `serials`. Throws strato::Error naming
// every missing serial (a host/guest mismatch is a bug worth a clear message).
std::vector<std::string> ResolveLayerDevices(const std::vector<LayerDisk>& layers,
                                             const std::map<std::string, std::string>& serials);

}  // namespace strato::guest
