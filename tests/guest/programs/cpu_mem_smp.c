/* Checks what the VMM told this guest against what the test expects (command line
 * "expect_mem_mib=N expect_cpus=M"): CPUID (hypervisor bit and KVM signature, APIC id of the boot
 * CPU), the e820 memory map (RAM total and end), the MP table (checksums, one processor entry per
 * vCPU, the IOAPIC and its 24 pins) and that every other vCPU really starts (INIT/SIPI through the
 * in-kernel LAPIC; each AP counts itself in from a real-mode trampoline). */
#include "guest.h"

#define AP_TRAMPOLINE_PAGE 0x10 /* SIPI vector: the trampoline runs at 0x10000 */
#define AP_WAIT_SPINS 2000000
#define BASE_MEMORY_END 0x9fc00ull
#define LOW_HOLE_BYTES (0x100000ull - BASE_MEMORY_END)
#define E820_RAM 1
#define IOAPIC_PINS 24

int test_main(void) {
  uint64_t mem_mib, cpus;
  if (!cmdline_uint("expect_mem_mib", &mem_mib) || !cmdline_uint("expect_cpus", &cpus))
    test_fail_msg(1, "command line lacks expect_mem_mib= / expect_cpus=");

  struct cpuid_result leaf1 = cpuid(1, 0);
  if (!(leaf1.ecx & (1u << 31))) test_fail_msg(10, "CPUID.1:ECX hypervisor bit clear");
  if ((leaf1.ebx >> 24) != 0) test_fail_msg(11, "boot CPU's CPUID APIC id is not 0");
  struct cpuid_result hv = cpuid(0x40000000, 0);
  if (!guest_memeq(&hv.ebx, "KVMK", 4) || !guest_memeq(&hv.ecx, "VMKV", 4) || !guest_memeq(&hv.edx, "M\0\0\0", 4))
    test_fail_msg(12, "CPUID 0x40000000 is not the KVM signature");

  const struct e820_entry *e820;
  size_t n = boot_e820(&e820);
  uint64_t ram = 0, ram_end = 0;
  for (size_t i = 0; i < n; ++i) {
    if (e820[i].type != E820_RAM) continue;
    ram += e820[i].size;
    if (e820[i].addr + e820[i].size > ram_end) ram_end = e820[i].addr + e820[i].size;
  }
  console_puts("e820 RAM ");
  console_put_dec(ram);
  console_puts(" bytes, ends at ");
  console_put_hex(ram_end);
  console_putc('\n');
  if (n == 0) test_fail_msg(20, "no e820 map");
  if (ram_end != (mem_mib << 20)) test_fail_msg(21, "e820 RAM does not end at the configured size");
  if (ram != (mem_mib << 20) - LOW_HOLE_BYTES) test_fail_msg(22, "e820 RAM total is wrong");

  struct mp_info mp;
  if (!mp_table_read(&mp)) test_fail_msg(30, "MP table missing or corrupt");
  console_puts("MP table: ");
  console_put_dec(mp.cpus);
  console_puts(" CPUs, ");
  console_put_dec(mp.io_interrupts);
  console_puts(" IOAPIC pins\n");
  if (mp.cpus != cpus) test_fail_msg(31, "MP table CPU count differs from the expected vCPUs");
  if (mp.bsp_apic_id != 0 || lapic_id() != 0) test_fail_msg(32, "boot CPU APIC id is not 0");
  if (mp.ioapics != 1 || mp.ioapic_address != GUEST_IOAPIC_BASE) test_fail_msg(33, "IOAPIC entry wrong");
  if (mp.io_interrupts != IOAPIC_PINS || ioapic_pins() != IOAPIC_PINS)
    test_fail_msg(34, "not every IOAPIC pin is described");
  if (mp.lapic_address != GUEST_LAPIC_BASE) test_fail_msg(35, "LAPIC address wrong");

  if (cpus > 1) {
    uint8_t *page = (uint8_t *)(uintptr_t)(AP_TRAMPOLINE_PAGE << 12);
    guest_memcpy(page, ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));
    volatile uint16_t *counter = (volatile uint16_t *)(page + ap_trampoline_counter_offset);
    lapic_enable(0xff);
    lapic_start_aps(AP_TRAMPOLINE_PAGE);
    for (int i = 0; i < AP_WAIT_SPINS && *counter < cpus - 1; ++i) cpu_relax();
    console_puts("APs started: ");
    console_put_dec(*counter);
    console_putc('\n');
    if (*counter != cpus - 1) test_fail_msg(40, "not every AP started");
  }
  console_puts("cpu_mem_smp: ok\n");
  return 0;
}
