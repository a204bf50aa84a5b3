#pragma once
// virtio-blk serials that name strato's disks in the guest. The device's serial is at most
// VIRTIO_BLK_ID_BYTES = 20 bytes (virtio spec 5.2.6 "VIRTIO_BLK_T_GET_ID"); Linux shows it in
// /sys/block/vdX/serial. Formats (docs/guest-init.md "Disk serials"):
//   layer:   "strato-L<index>-<first 8 hex digits of the layer digest>"  e.g. strato-L0-1a2b3c4d
//   scratch: "strato-scratch"
// The config carries the exact serials; strato-init matches them exactly, so the format is a
// convention for humans and the host side, checked only for length and charset.

#include <cstddef>
#include <string>

namespace strato::guest {

inline constexpr size_t kMaxDiskSerialBytes = 20;  // VIRTIO_BLK_ID_BYTES
inline constexpr const char* kScratchDiskSerial = "strato-scratch";

// The serial of layer `index` (0 = bottom) with digest "sha256:<hex>" (or bare hex). Throws
// strato::Error if the index has more than 3 digits or the digest has fewer than 8 hex digits.
std::string LayerDiskSerial(size_t index, const std::string& digest);

// True for 1..20 bytes of [A-Za-z0-9._-].
bool IsValidDiskSerial(const std::string& serial);

}  // namespace strato::guest
