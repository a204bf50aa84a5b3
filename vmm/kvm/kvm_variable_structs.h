#pragma once
// The KVM structures that end in a zero-length array (kvm_cpuid2, kvm_msrs, kvm_irq_routing) are
// laid out differently by C++ compilers than by C: g++ and clang++ put `entries` at offset 12/16
// and make the struct 12/16 bytes, where the kernel (C) has 8. That changes both the data layout
// and the ioctl numbers (_IOWR encodes sizeof), so KVM rejects them with EINVAL. strato therefore
// builds these buffers itself: an 8-byte header, then the entries, with request numbers encoded
// for the kernel's 8-byte header.

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "common/error.h"

namespace strato::vmm {

inline constexpr size_t kKvmListHeaderSize = 8;  // u32 count + u32 padding, as the kernel sees it

inline constexpr unsigned long kKvmGetSupportedCpuid =
    _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, kKvmListHeaderSize);
inline constexpr unsigned long kKvmSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, kKvmListHeaderSize);
inline constexpr unsigned long kKvmSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, kKvmListHeaderSize);
inline constexpr unsigned long kKvmSetGsiRouting =
    _IOC(_IOC_WRITE, KVMIO, 0x6a, kKvmListHeaderSize);
static_assert(_IOC_NR(KVM_GET_SUPPORTED_CPUID) == 0x05 && _IOC_NR(KVM_SET_CPUID2) == 0x90 &&
              _IOC_NR(KVM_SET_MSRS) == 0x89 && _IOC_NR(KVM_SET_GSI_ROUTING) == 0x6a);
static_assert(sizeof(kvm_cpuid_entry2) == 40 && sizeof(kvm_msr_entry) == 16 &&
              sizeof(kvm_irq_routing_entry) == 48);

// A zeroed buffer: header (count in the first u32) followed by `count` entries of type Entry.
template <typename Entry>
class KvmEntryList {
 public:
  explicit KvmEntryList(size_t count)
      : bytes_(kKvmListHeaderSize + count * sizeof(Entry)),
        data_(static_cast<uint8_t*>(std::calloc(1, bytes_)), &std::free) {
    if (!data_) throw Error("out of memory for a KVM entry list");
    set_count(static_cast<uint32_t>(count));
  }
  void* get() { return data_.get(); }
  uint32_t count() const {
    uint32_t c;
    std::memcpy(&c, data_.get(), sizeof c);
    return c;
  }
  void set_count(uint32_t c) { std::memcpy(data_.get(), &c, sizeof c); }
  Entry* entries() { return reinterpret_cast<Entry*>(data_.get() + kKvmListHeaderSize); }

 private:
  size_t bytes_;
  std::unique_ptr<uint8_t, decltype(&std::free)> data_;
};

}  // namespace strato::vmm
