#include "vmm/devices/virtio_blk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace strato::vmm {

using namespace virtio_blk;

namespace {

bool ValidSerial(const std::string& s) {
  if (s.size() > kIdBytes) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Sequential access to the readable or the writable part of a validated chain.
class ChainCursor {
 public:
  ChainCursor(const GuestMemory& memory, const DescriptorChain& chain, bool writable)
      : memory_(memory), chain_(chain), writable_(writable) {}
  // Host pointer and length of the next piece of at most `max` bytes (length 0 at the end).
  std::pair<uint8_t*, uint64_t> Next(uint64_t max) {
    while (index_ < chain_.buffers.size()) {
      const VirtqBuffer& b = chain_.buffers[index_];
      if (b.device_writable != writable_ || offset_ == b.length) {
        ++index_;
        offset_ = 0;
        continue;
      }
      const uint64_t n = std::min<uint64_t>(max, b.length - offset_);
      uint8_t* p = memory_.HostRange(b.gpa + offset_, n);  // inside RAM: the walker checked
      offset_ += n;
      return {p, p == nullptr ? 0 : n};
    }
    return {nullptr, 0};
  }
  uint64_t Copy(void* out, uint64_t n) {  // readable -> out
    uint64_t done = 0;
    while (done < n) {
      auto [p, len] = Next(n - done);
      if (len == 0) break;
      std::memcpy(static_cast<uint8_t*>(out) + done, p, len);
      done += len;
    }
    return done;
  }
  uint64_t Fill(const void* in, uint64_t n) {  // in -> writable
    uint64_t done = 0;
    while (done < n) {
      auto [p, len] = Next(n - done);
      if (len == 0) break;
      std::memcpy(p, static_cast<const uint8_t*>(in) + done, len);
      done += len;
    }
    return done;
  }

 private:
  const GuestMemory& memory_;
  const DescriptorChain& chain_;
  bool writable_;
  size_t index_ = 0;
  uint64_t offset_ = 0;
};

}  // namespace

DiskConfig ParseDiskSpec(const std::string& spec) {
  DiskConfig d;
  size_t start = 0;
  bool first = true;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    const std::string part = spec.substr(start, comma - start);
    if (first) {
      d.path = part;
      first = false;
    } else if (part == "ro") {
      d.read_only = true;
    } else if (part.rfind("serial=", 0) == 0) {
      d.serial = part.substr(7);
      if (d.serial.empty() || !ValidSerial(d.serial)) {
        throw UsageError("--disk " + spec + ": serial must be 1-20 bytes of [A-Za-z0-9._-]");
      }
    } else {
      throw UsageError("--disk " + spec + ": unknown option \"" + part +
                       "\" (expected FILE[,ro][,serial=NAME])");
    }
    start = comma + 1;
  }
  if (d.path.empty()) throw UsageError("--disk needs a file: FILE[,ro][,serial=NAME]");
  return d;
}

VirtioBlk::VirtioBlk(const GuestMemory& memory, DiskConfig config)
    : memory_(memory), config_(std::move(config)) {
  if (!ValidSerial(config_.serial))
    throw Error("disk serial \"" + config_.serial + "\" is invalid");
  fd_ = OpenOrThrow(config_.path, (config_.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) ThrowErrno("stat " + config_.path);
  uint64_t bytes = static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    off_t end = ::lseek(fd_.get(), 0, SEEK_END);
    if (end < 0) ThrowErrno("seek " + config_.path);
    bytes = static_cast<uint64_t>(end);
  }
  capacity_sectors_ = bytes / kSectorSize;
}

uint64_t VirtioBlk::device_features() const {
  uint64_t f = virtio::kFeatureVersion1 | virtio::kFeatureEventIdx | kFeatureSegMax |
               kFeatureBlkSize | kFeatureFlush;
  if (config_.read_only) f |= kFeatureRo;
  return f;
}

void VirtioBlk::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  uint8_t config[kConfigSize] = {};
  const uint32_t seg_max = kQueueSize - 2;  // header and status take one descriptor each
  const uint32_t blk_size = kSectorSize;
  std::memcpy(config + kConfigCapacity, &capacity_sectors_, 8);
  std::memcpy(config + kConfigSegMax, &seg_max, 4);
  std::memcpy(config + kConfigBlkSize, &blk_size, 4);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = offset + i < kConfigSize ? config[offset + i] : 0;
  }
}

uint8_t VirtioBlk::Transfer(const DescriptorChain& chain, uint32_t type, uint64_t sector,
                            uint64_t data_bytes, uint64_t& written) {
  if (type == kRequestOut && config_.read_only) return kStatusIoErr;
  if (data_bytes % kSectorSize != 0) return kStatusIoErr;
  if (sector > capacity_sectors_ || data_bytes / kSectorSize > capacity_sectors_ - sector) {
    return kStatusIoErr;
  }
  // The data buffers: for IN the writable bytes before the status byte, for OUT the readable
  // bytes after the header.
  ChainCursor cursor(memory_, chain, type == kRequestIn);
  if (type == kRequestOut) {
    uint8_t header[kRequestHeaderSize];
    cursor.Copy(header, sizeof header);
  }
  uint64_t done = 0;
  while (done < data_bytes) {
    auto [p, len] = cursor.Next(data_bytes - done);
    if (len == 0) return kStatusIoErr;
    const off_t at = static_cast<off_t>(sector * kSectorSize + done);
    ssize_t n =
        type == kRequestIn ? ::pread(fd_.get(), p, len, at) : ::pwrite(fd_.get(), p, len, at);
    if (n != static_cast<ssize_t>(len)) return kStatusIoErr;
    done += len;
    if (type == kRequestIn) written += len;
  }
  return kStatusOk;
}

int64_t VirtioBlk::HandleChain(uint16_t, const DescriptorChain& chain) {
  // A request is a 16-byte readable header ... and a final writable status byte (5.2.6).
  if (chain.readable_bytes < kRequestHeaderSize || chain.writable_bytes < 1) return -1;
  uint8_t header[kRequestHeaderSize];
  ChainCursor(memory_, chain, false).Copy(header, sizeof header);
  uint32_t type;
  uint64_t sector;
  std::memcpy(&type, header, 4);
  std::memcpy(&sector, header + 8, 8);
  uint64_t written = 0;
  uint8_t status = kStatusOk;
  switch (type) {
    case kRequestIn:
      status = Transfer(chain, type, sector, chain.writable_bytes - 1, written);
      break;
    case kRequestOut:
      status = Transfer(chain, type, sector, chain.readable_bytes - kRequestHeaderSize, written);
      break;
    case kRequestFlush:
      if (!config_.read_only && ::fdatasync(fd_.get()) != 0) status = kStatusIoErr;
      break;
    case kRequestGetId: {
      uint8_t id[kIdBytes] = {};
      std::memcpy(id, config_.serial.data(), config_.serial.size());
      ChainCursor out(memory_, chain, true);
      written = out.Fill(id, std::min<uint64_t>(kIdBytes, chain.writable_bytes - 1));
      break;
    }
    default:
      status = kStatusUnsupported;
      break;
  }
  // The status byte is the chain's last writable byte.
  const VirtqBuffer* last = nullptr;
  for (const VirtqBuffer& b : chain.buffers) {
    if (b.device_writable) last = &b;
  }
  memory_.Write(last->gpa + last->length - 1, std::span<const uint8_t>(&status, 1));
  return static_cast<int64_t>(written + 1);
}

}  // namespace strato::vmm
