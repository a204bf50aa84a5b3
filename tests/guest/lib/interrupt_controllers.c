/* LAPIC (xAPIC MMIO), IOAPIC (IOREGSEL/IOWIN), 8259 PIC and 8254 PIT. */
#include "guest.h"

#define LAPIC_SVR_ENABLE (1u << 8)
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_ALL_EXCLUDING_SELF (3u << 18)
#define ICR_DELIVERY_PENDING (1u << 12)
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_REDIRECT_BASE 0x10
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1
#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43
#define PIT_CH0_LOHI_RATE_GENERATOR 0x34 /* channel 0, lobyte/hibyte, mode 2, binary */
#define PIT_INPUT_HZ 1193182u

uint32_t lapic_read(uint32_t reg) { return mmio_read32(GUEST_LAPIC_BASE + reg); }
void lapic_write(uint32_t reg, uint32_t value) { mmio_write32(GUEST_LAPIC_BASE + reg, value); }
void lapic_enable(uint8_t spurious_vector) { lapic_write(LAPIC_REG_SPURIOUS, LAPIC_SVR_ENABLE | spurious_vector); }
void lapic_eoi(void) { lapic_write(LAPIC_REG_EOI, 0); }
uint32_t lapic_id(void) { return lapic_read(LAPIC_REG_ID) >> 24; }

static void lapic_send_ipi(uint32_t icr_low) {
  lapic_write(LAPIC_REG_ICR_HIGH, 0);
  lapic_write(LAPIC_REG_ICR_LOW, icr_low);
  for (int i = 0; i < 100000 && (lapic_read(LAPIC_REG_ICR_LOW) & ICR_DELIVERY_PENDING); ++i) cpu_relax();
}

void lapic_start_aps(uint8_t sipi_vector) {
  lapic_send_ipi(ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_INIT);
  lapic_send_ipi(ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_STARTUP | sipi_vector);
}

uint32_t ioapic_read(uint32_t index) {
  mmio_write32(GUEST_IOAPIC_BASE + IOAPIC_IOREGSEL, index);
  return mmio_read32(GUEST_IOAPIC_BASE + IOAPIC_IOWIN);
}

void ioapic_write(uint32_t index, uint32_t value) {
  mmio_write32(GUEST_IOAPIC_BASE + IOAPIC_IOREGSEL, index);
  mmio_write32(GUEST_IOAPIC_BASE + IOAPIC_IOWIN, value);
}

uint32_t ioapic_pins(void) { return ((ioapic_read(IOAPIC_REG_VERSION) >> 16) & 0xff) + 1; }

void ioapic_route(uint32_t pin, uint8_t vector, uint8_t dest, bool masked) {
  ioapic_write(IOAPIC_REDIRECT_BASE + 2 * pin + 1, (uint32_t)dest << 24);
  ioapic_write(IOAPIC_REDIRECT_BASE + 2 * pin, vector | (masked ? IOAPIC_REDIRECT_MASKED : 0));
}

void pic_mask_all(void) {
  outb(PIC1_DATA, 0xff);
  outb(PIC2_DATA, 0xff);
}

void pit_start_periodic(uint32_t hz) {
  uint32_t divisor = PIT_INPUT_HZ / hz;
  outb(PIT_COMMAND, PIT_CH0_LOHI_RATE_GENERATOR);
  outb(PIT_CHANNEL0, (uint8_t)divisor);
  outb(PIT_CHANNEL0, (uint8_t)(divisor >> 8));
}
