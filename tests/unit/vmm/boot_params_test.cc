#include <catch2/catch.hpp>

#include "common/error.h"
#include "vmm/boot/cmdline.h"
#include "vmm/boot/e820.h"
#include "vmm/boot/zero_page.h"
#include "vmm/layout.h"
#include "vmm/memory/guest_memory.h"

using namespace strato::vmm;

namespace {
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
bool Same(const boot_e820_entry& e, uint64_t addr, uint64_t size, uint32_t type) {
  return e.addr == addr && e.size == size && e.type == type;
}
}  // namespace

TEST_CASE("e820 for 128 MiB: base memory, the reserved EBDA/legacy hole, RAM from 1 MiB") {
  auto map = BuildE820(128 * kMiB);
  REQUIRE(map.size() == 3);
  CHECK(Same(map[0], 0, 0x9fc00, kE820Ram));
  CHECK(Same(map[1], 0x9fc00, 0x100000 - 0x9fc00, kE820Reserved));
  CHECK(Same(map[2], 0x100000, 127 * kMiB, kE820Ram));
}

TEST_CASE("e820 for 4 GiB: RAM is split around the MMIO gap") {
  auto map = BuildE820(4 * kGiB);
  REQUIRE(map.size() == 4);
  CHECK(Same(map[2], 0x100000, layout::kMmioGapStart - 0x100000, kE820Ram));
  CHECK(Same(map[3], layout::kMmioGapEnd, 4 * kGiB - layout::kMmioGapStart, kE820Ram));
  auto ranges = RamRanges(4 * kGiB);
  REQUIRE(ranges.size() == 2);
  CHECK(ranges[0] == std::make_pair(uint64_t{0}, layout::kMmioGapStart));
}

TEST_CASE("zero page for an ELF vmlinux carries the boot-protocol fields") {
  LoadedKernel k;
  ZeroPageInputs in{&k, 64 * kMiB, layout::kCmdlineStart, 11, 0x3000000, 0x1234};
  boot_params bp = BuildZeroPage(in);
  CHECK(bp.hdr.boot_flag == 0xaa55);
  CHECK(bp.hdr.header == 0x53726448);
  CHECK(bp.hdr.type_of_loader == 0xff);
  CHECK(bp.hdr.kernel_alignment == 0x1000000);
  CHECK(bp.hdr.cmd_line_ptr == layout::kCmdlineStart);
  CHECK(bp.hdr.cmdline_size == 11);
  CHECK(bp.hdr.ramdisk_image == 0x3000000);
  CHECK(bp.hdr.ramdisk_size == 0x1234);
  CHECK(bp.e820_entries == 3);
  CHECK(bp.e820_table[2].size == 63 * kMiB);
}

TEST_CASE("initrd goes page-aligned at the top of low RAM, above the kernel, or fails clearly") {
  CHECK(PlaceInitrd(0x1801, 64 * kMiB, 20 * kMiB, 0x7fffffff) == 64 * kMiB - 0x2000);
  CHECK(PlaceInitrd(4096, 64 * kMiB, 20 * kMiB, 32 * kMiB - 1) == 32 * kMiB - 4096);
  CHECK_THROWS_WITH(PlaceInitrd(60 * kMiB, 64 * kMiB, 20 * kMiB, 0x7fffffff),
                    "initrd of 62914560 bytes does not fit between the kernel (ends at 20 MiB) and "
                    "64 MiB: give the VM more memory");
  CHECK_THROWS(PlaceInitrd(~0ull, 64 * kMiB, 20 * kMiB, 0x7fffffff));
}

TEST_CASE("guest command line: defaults, quirk options only when enabled, user options last") {
  CHECK(BuildGuestCommandLine("", Quirks{}) == kDefaultCmdline);
  CHECK(BuildGuestCommandLine("quiet", Quirks{true, true}) ==
        std::string(kDefaultCmdline) + " noxsave clearcpuid=smap,popcnt,cx16,erms,fsrm no-kvmclock tsc=reliable quiet");
  CHECK_THROWS_WITH(BuildGuestCommandLine(std::string(layout::kCmdlineMaxSize, 'x'), Quirks{}),
                    Catch::Contains("more than 16383"));
  CHECK_THROWS_WITH(BuildGuestCommandLine(std::string("a\0b", 3), Quirks{}),
                    "kernel command line contains a NUL byte");
}

TEST_CASE("guest memory accessors are bounds-checked") {
  GuestMemory m(4 * kMiB);
  CHECK(m.HostRange(0, 4 * kMiB) != nullptr);
  CHECK(m.HostRange(4 * kMiB - 1, 1) != nullptr);
  CHECK(m.HostRange(4 * kMiB - 1, 2) == nullptr);
  CHECK(m.HostRange(~0ull, 2) == nullptr);
  CHECK(m.HostRange(1, ~0ull) == nullptr);
  CHECK_THROWS_WITH(m.WriteObject(4 * kMiB - 2, uint32_t{1}),
                    "guest write of 4 bytes at 0x3ffffe is outside guest RAM (4 MiB)");
  CHECK_THROWS_WITH(GuestMemory(3 * kMiB),
                    "guest memory size 3145728 is not a non-zero multiple of 2 MiB");
}
