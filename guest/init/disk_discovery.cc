#include "guest/init/disk_discovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file_util.h"

namespace strato::guest {

namespace {
// The kernel names virtio-blk disks vda, vdb, ... (drivers/block/virtio_blk.c, "vd" prefix).
constexpr std::string_view kVirtioDiskPrefix = "vd";
constexpr size_t kSerialReadBytes = 64;  // the attribute holds at most 20 bytes and a newline

std::optional<std::string> ReadSerial(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  char buf[kSerialReadBytes];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return std::nullopt;
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

std::map<std::string, std::string> ScanVirtioDiskSerials(const std::string& sys_block_dir,
                                                         const std::string& dev_dir) {
  std::map<std::string, std::string> out;
  DIR* dir = ::opendir(sys_block_dir.c_str());
  if (dir == nullptr) ThrowErrno("open " + sys_block_dir);
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.compare(0, kVirtioDiskPrefix.size(), kVirtioDiskPrefix) != 0) continue;
    if (auto serial = ReadSerial(sys_block_dir + "/" + name + "/serial")) {
      if (!serial->empty()) out.emplace(*serial, dev_dir + "/" + name);
    }
  }
  ::closedir(dir);
  return out;
}

std::vector<std::string> ResolveLayerDevices(const std::vector<LayerDisk>& layers,
                                             const std::map<std::string, std::string>& serials) {
  std::vector<std::string> devices;
  std::string missing;
  for (const LayerDisk& layer : layers) {
    auto it = serials.find(layer.serial);
    if (it == serials.end()) {
      missing += (missing.empty() ? "" : ", ") + layer.serial;
      continue;
    }
    devices.push_back(it->second);
  }
  if (!missing.empty()) {
    std::string present;
    for (const auto& [serial, dev] : serials) {
      present += (present.empty() ? "" : ", ") + serial + "=" + dev;
    }
    throw Error("layer disks not found by serial: " + missing +
                " (present: " + (present.empty() ? "none" : present) + ")");
  }
  return devices;
}

}  // namespace strato::guest
