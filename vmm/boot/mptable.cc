#include "vmm/boot/mptable.h"

#include <cstring>
#include <string>

#include "common/error.h"
#include "vmm/layout.h"

namespace strato::vmm {

namespace {

constexpr uint8_t kMpSpecRevision = 4;      // 1.4
constexpr uint8_t kLapicVersion = 0x14;     // integrated APIC
constexpr uint8_t kIoapicVersion = 0x11;    // 82093AA-compatible, as KVM's IOAPIC reports
constexpr uint8_t kCpuEnabled = 1u << 0;    // processor entry: CPU flags EN
constexpr uint8_t kCpuBootstrap = 1u << 1;  // processor entry: CPU flags BP
constexpr uint32_t kCpuSignature = 0x600;   // family 6 (values only informative to Linux)
constexpr uint32_t kCpuFeatureFpuApic = (1u << 0) | (1u << 9);
constexpr uint8_t kIoapicEnabled = 1;
constexpr uint8_t kIrqTypeInt = 0;  // vectored interrupt from the IOAPIC
constexpr uint8_t kIrqTypeNmi = 1;
constexpr uint8_t kIrqTypeExtInt = 3;  // 8259-compatible
constexpr uint16_t kIrqFlagsConformToBus =
    0;  // polarity and trigger as the bus defines (ISA: edge, high)
constexpr uint8_t kIsaBusId = 0;
constexpr uint8_t kAllLapics = 0xff;
constexpr char kOemId[9] = "STRATO  ";
constexpr char kProductId[13] = "MICROVM     ";

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { Bytes(&v, 2); }
  void U32(uint32_t v) { Bytes(&v, 4); }
  void Bytes(const void* p, size_t n) {
    auto b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void Zeros(size_t n) { out_.insert(out_.end(), n, 0); }

 private:
  std::vector<uint8_t>& out_;
};

uint8_t Checksum(const uint8_t* p, size_t n) {
  uint8_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum = static_cast<uint8_t>(sum + p[i]);
  return static_cast<uint8_t>(-sum);
}

}  // namespace

uint8_t MpIoapicId(uint32_t cpus) {
  return static_cast<uint8_t>(cpus);
}

std::vector<uint8_t> BuildMpTable(uint32_t cpus, uint64_t table_address) {
  if (cpus == 0 || cpus > layout::kMaxVcpus) {
    throw Error("MP table: " + std::to_string(cpus) + " vCPUs (1.." +
                std::to_string(layout::kMaxVcpus) + " supported)");
  }
  const uint64_t config_address = table_address + kMpFloatingPointerSize;
  std::vector<uint8_t> t;
  Writer w(t);
  // Floating pointer structure (MP spec 4.1).
  w.Bytes("_MP_", 4);
  w.U32(static_cast<uint32_t>(config_address));
  w.U8(1);  // length in 16-byte paragraphs
  w.U8(kMpSpecRevision);
  w.U8(0);     // checksum, patched below
  w.Zeros(5);  // feature bytes: 0 = a configuration table is present; no IMCR
  // Configuration table header (MP spec 4.2).
  const size_t header = t.size();
  w.Bytes("PCMP", 4);
  w.U16(0);  // base table length, patched below
  w.U8(kMpSpecRevision);
  w.U8(0);  // checksum, patched below
  w.Bytes(kOemId, 8);
  w.Bytes(kProductId, 12);
  w.U32(0);  // OEM table pointer
  w.U16(0);  // OEM table size
  w.U16(0);  // entry count, patched below
  w.U32(static_cast<uint32_t>(layout::kLapicStart));
  w.U16(0);  // extended table length
  w.U8(0);   // extended table checksum
  w.U8(0);   // reserved
  uint16_t entries = 0;
  for (uint32_t cpu = 0; cpu < cpus; ++cpu, ++entries) {
    w.U8(kMpEntryProcessor);
    w.U8(static_cast<uint8_t>(cpu));  // LAPIC id = vCPU index (CPUID leaf 1 says the same)
    w.U8(kLapicVersion);
    w.U8(kCpuEnabled | (cpu == 0 ? kCpuBootstrap : 0));
    w.U32(kCpuSignature);
    w.U32(kCpuFeatureFpuApic);
    w.Zeros(8);
  }
  w.U8(kMpEntryBus);
  w.U8(kIsaBusId);
  w.Bytes("ISA   ", 6);
  ++entries;
  const uint8_t ioapic_id = MpIoapicId(cpus);
  w.U8(kMpEntryIoapic);
  w.U8(ioapic_id);
  w.U8(kIoapicVersion);
  w.U8(kIoapicEnabled);
  w.U32(static_cast<uint32_t>(layout::kIoapicStart));
  ++entries;
  for (uint32_t pin = 0; pin < layout::kIoapicPins; ++pin, ++entries) {
    w.U8(kMpEntryIoInterrupt);
    w.U8(kIrqTypeInt);
    w.U16(kIrqFlagsConformToBus);
    w.U8(kIsaBusId);
    w.U8(static_cast<uint8_t>(
        pin));  // source bus IRQ = pin: the in-kernel irqchip routes GSI n to pin n
    w.U8(ioapic_id);
    w.U8(static_cast<uint8_t>(pin));
  }
  for (uint8_t lint = 0; lint < 2; ++lint, ++entries) {
    w.U8(kMpEntryLocalInterrupt);
    w.U8(lint == 0 ? kIrqTypeExtInt : kIrqTypeNmi);
    w.U16(kIrqFlagsConformToBus);
    w.U8(kIsaBusId);
    w.U8(0);
    w.U8(lint == 0 ? 0 : kAllLapics);
    w.U8(lint);
  }
  if (t.size() > layout::kMpTableMaxSize) {
    throw Error("MP table for " + std::to_string(cpus) + " vCPUs is " + std::to_string(t.size()) +
                " bytes, more than the " + std::to_string(layout::kMpTableMaxSize) + " reserved");
  }
  const uint16_t length = static_cast<uint16_t>(t.size() - header);
  std::memcpy(&t[header + 4], &length, 2);
  std::memcpy(&t[header + 34], &entries, 2);
  t[header + 7] = Checksum(&t[header], length);
  t[10] = Checksum(t.data(), kMpFloatingPointerSize);
  return t;
}

}  // namespace strato::vmm
