/* Reads the MP table the VMM placed at the top of base memory (MP spec 1.4, chapter 4). */
#include "guest.h"

#define MP_FLOATING_SIZE 16
#define MP_HEADER_SIZE 44
#define MP_ENTRY_PROCESSOR 0
#define MP_ENTRY_BUS 1
#define MP_ENTRY_IOAPIC 2
#define MP_ENTRY_IO_INTERRUPT 3
#define MP_ENTRY_LOCAL_INTERRUPT 4
#define MP_CPU_BSP 0x2
#define MP_MAX_TABLE 0x400

static uint8_t sum(const uint8_t *p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; ++i) s = (uint8_t)(s + p[i]);
  return s;
}

bool mp_table_read(struct mp_info *out) {
  const uint8_t *fp = (const uint8_t *)(uintptr_t)GUEST_MP_TABLE;
  if (!guest_memeq(fp, "_MP_", 4) || sum(fp, MP_FLOATING_SIZE) != 0) return false;
  uint32_t table = *(const uint32_t *)(fp + 4);
  if (table < GUEST_MP_TABLE || table >= GUEST_MP_TABLE + MP_MAX_TABLE) return false;
  const uint8_t *h = (const uint8_t *)(uintptr_t)table;
  uint16_t length = *(const uint16_t *)(h + 4);
  uint16_t count = *(const uint16_t *)(h + 34);
  if (!guest_memeq(h, "PCMP", 4) || length < MP_HEADER_SIZE || length > MP_MAX_TABLE ||
      sum(h, length) != 0)
    return false;
  struct mp_info info = {0};
  info.lapic_address = *(const uint32_t *)(h + 36);
  const uint8_t *e = h + MP_HEADER_SIZE, *end = h + length;
  for (uint16_t i = 0; i < count; ++i) {
    if (e >= end) return false;
    switch (e[0]) {
      case MP_ENTRY_PROCESSOR:
        if (e[3] & MP_CPU_BSP) info.bsp_apic_id = e[1];
        ++info.cpus;
        e += 20;
        break;
      case MP_ENTRY_IOAPIC:
        ++info.ioapics;
        info.ioapic_address = *(const uint32_t *)(e + 4);
        e += 8;
        break;
      case MP_ENTRY_IO_INTERRUPT:
        ++info.io_interrupts;
        e += 8;
        break;
      case MP_ENTRY_BUS:
      case MP_ENTRY_LOCAL_INTERRUPT:
        e += 8;
        break;
      default:
        return false;
    }
  }
  *out = info;
  return true;
}
