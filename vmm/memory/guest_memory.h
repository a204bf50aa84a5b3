#pragma once
// Guest RAM: one anonymous private mapping (MAP_NORESERVE, so untouched guest pages cost
// nothing; or MAP_HUGETLB, reserved up front from /proc/sys/vm/nr_hugepages), split into guest-physical regions around the MMIO gap
// (layout.h). Every access from VMM code goes through bounds-checked helpers: a guest-provided
// address or length can never reach outside the mapping.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace strato::vmm {

struct MemoryRegion {
  uint64_t guest_base = 0;
  uint64_t size = 0;
  uint8_t* host = nullptr;
};

class GuestMemory {
 public:
  // `size` must be a non-zero multiple of 2 MiB (so hugepages and the page tables line up).
  explicit GuestMemory(uint64_t size, bool hugepages = false);
  ~GuestMemory();
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;

  uint64_t size() const { return size_; }
  const std::vector<MemoryRegion>& regions() const { return regions_; }
  // End of RAM below the MMIO gap (the first region's end).
  uint64_t LowMemoryEnd() const { return regions_.front().guest_base + regions_.front().size; }

  // Host pointer to [gpa, gpa + length) if the whole range is RAM in one region, else nullptr.
  uint8_t* HostRange(uint64_t gpa, uint64_t length) const;
  // Copies in or out; throws strato::Error naming the range if it is not RAM.
  void Write(uint64_t gpa, std::span<const uint8_t> data) const;
  void Read(uint64_t gpa, std::span<uint8_t> out) const;
  template <typename T>
  void WriteObject(uint64_t gpa, const T& value) const {
    Write(gpa, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
  }

  static constexpr uint64_t kSizeAlignment = 2ull << 20;

 private:
  uint64_t size_ = 0;
  uint8_t* mapping_ = nullptr;
  std::vector<MemoryRegion> regions_;
};

// Splits `size` bytes of RAM into guest-physical ranges around the MMIO gap (pure; unit tested).
std::vector<std::pair<uint64_t, uint64_t>> RamRanges(uint64_t size);

}  // namespace strato::vmm
