#include "vmm/boot/kernel_loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"
#include "common/file_util.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/elf_loader.h"
#include "vmm/boot/zero_page.h"

namespace strato::vmm {

namespace {

class ReadOnlyMapping {
 public:
  explicit ReadOnlyMapping(const std::string& path) {
    UniqueFd fd = OpenOrThrow(path, O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) ThrowErrno("stat " + path);
    if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
    size_ = static_cast<size_t>(st.st_size);
    if (size_ == 0) throw Error(path + ": file is empty");
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (p == MAP_FAILED) ThrowErrno("mmap " + path);
    data_ = static_cast<const uint8_t*>(p);
  }
  ~ReadOnlyMapping() { ::munmap(const_cast<uint8_t*>(data_), size_); }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

LoadedKernel LoadKernelFile(const std::string& path, const GuestMemory& memory) {
  ReadOnlyMapping file(path);
  auto bytes = file.bytes();
  if (LooksLikeElf(bytes)) return LoadElf(bytes, memory, path);
  // A bzImage has "HdrS" at 0x202; anything else gets the ELF-or-bzImage message.
  uint32_t magic = 0;
  if (bytes.size() >= 0x206) std::memcpy(&magic, bytes.data() + 0x202, sizeof magic);
  if (magic == kHdrSMagic) return LoadBzImage(bytes, memory, path);
  throw Error(path + ": not a kernel: neither an ELF executable nor a bzImage");
}

std::pair<uint64_t, uint64_t> LoadInitrdFile(const std::string& path, const GuestMemory& memory,
                                             const LoadedKernel& kernel) {
  UniqueFd fd = OpenOrThrow(path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) ThrowErrno("stat " + path);
  if (!S_ISREG(st.st_mode)) throw Error("initrd " + path + ": not a regular file");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t address =
      PlaceInitrd(size, memory.LowMemoryEnd(), kernel.image_end, kernel.initrd_addr_max);
  uint8_t* dst = memory.HostRange(address, size);
  if (dst == nullptr) throw Error("initrd " + path + ": placement outside guest RAM");
  if (PreadFull(fd.get(), dst, size, 0, "read initrd " + path) != size) {
    throw Error("initrd " + path + ": file shrank while reading");
  }
  return {address, size};
}

}  // namespace strato::vmm
