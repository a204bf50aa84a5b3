#include "vmm/memory/guest_memory.h"

#include <sys/mman.h>

#include <cstring>

#include "common/error.h"
#include "vmm/layout.h"

namespace strato::vmm {

namespace {
std::string Hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
  return b;
}
}  // namespace

std::vector<std::pair<uint64_t, uint64_t>> RamRanges(uint64_t size) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  uint64_t low = std::min(size, layout::kMmioGapStart);
  ranges.emplace_back(0, low);
  if (size > low) ranges.emplace_back(layout::kMmioGapEnd, size - low);
  return ranges;
}

GuestMemory::GuestMemory(uint64_t size, bool hugepages) : size_(size) {
  if (size == 0 || size % kSizeAlignment != 0) {
    throw Error("guest memory size " + std::to_string(size) +
                " is not a non-zero multiple of 2 MiB");
  }
  // Hugepages are reserved at mmap time (no MAP_NORESERVE): without enough of them the mmap fails
  // with a clear error, instead of a SIGBUS at the first touch of an unbacked page.
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | (hugepages ? MAP_HUGETLB : MAP_NORESERVE);
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (p == MAP_FAILED) {
    ThrowErrno(
        "mmap " + std::to_string(size >> 20) + " MiB of guest memory" +
        (hugepages ? " with hugepages (are enough reserved in /proc/sys/vm/nr_hugepages?)" : ""));
  }
  mapping_ = static_cast<uint8_t*>(p);
  uint64_t offset = 0;
  for (auto [base, length] : RamRanges(size)) {
    regions_.push_back({base, length, mapping_ + offset});
    offset += length;
  }
}

GuestMemory::~GuestMemory() {
  if (mapping_ != nullptr) ::munmap(mapping_, size_);
}

uint8_t* GuestMemory::HostRange(uint64_t gpa, uint64_t length) const {
  for (const auto& r : regions_) {
    // Overflow-safe: gpa >= base, and length fits in what remains of the region.
    if (gpa >= r.guest_base && gpa - r.guest_base <= r.size &&
        length <= r.size - (gpa - r.guest_base)) {
      return r.host + (gpa - r.guest_base);
    }
  }
  return nullptr;
}

void GuestMemory::Write(uint64_t gpa, std::span<const uint8_t> data) const {
  uint8_t* dst = HostRange(gpa, data.size());
  if (dst == nullptr) {
    throw Error("guest write of " + std::to_string(data.size()) + " bytes at " + Hex(gpa) +
                " is outside guest RAM (" + std::to_string(size_ >> 20) + " MiB)");
  }
  if (!data.empty()) std::memcpy(dst, data.data(), data.size());
}

void GuestMemory::Read(uint64_t gpa, std::span<uint8_t> out) const {
  const uint8_t* src = HostRange(gpa, out.size());
  if (src == nullptr) {
    throw Error("guest read of " + std::to_string(out.size()) + " bytes at " + Hex(gpa) +
                " is outside guest RAM");
  }
  if (!out.empty()) std::memcpy(out.data(), src, out.size());
}

}  // namespace strato::vmm
