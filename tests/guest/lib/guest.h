/* The test-guest library: everything a freestanding kernel-mode test program needs to talk to
 * strato's VMM (or QEMU): port and MMIO access, the serial console, the test-status port, the
 * zero page (command line, e820), the MP table, an IDT with C handlers, and LAPIC/IOAPIC/PIT
 * programming. A test program defines `int test_main(void)`: 0 = passed, else the failure code. */
#ifndef STRATO_TEST_GUEST_H
#define STRATO_TEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- addresses shared with the VMM (vmm/layout.h) ---- */
#define GUEST_PORT_COM1 0x3f8
#define GUEST_PORT_TEST_STATUS 0xf4
#define GUEST_LAPIC_BASE 0xfee00000ull
#define GUEST_IOAPIC_BASE 0xfec00000ull
#define GUEST_MP_TABLE 0x9fc00ull
#define GUEST_IDENTITY_MAPPED_END 0x100000000ull /* 4 GiB */

/* ---- the test program ---- */
int test_main(void);

/* ---- port I/O, MMIO, CPU ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
/* Returns a pointer for MMIO at [phys, phys + size): identity-mapped below 4 GiB; NULL beyond. */
volatile void *mmio_map(uint64_t phys, uint64_t size);

struct cpuid_result {
  uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_result cpuid(uint32_t leaf, uint32_t subleaf) {
  struct cpuid_result r;
  __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
/* sti; hlt as one step (no interrupt can slip in between). */
static inline void wait_for_interrupt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

/* ---- console (8250 at 0x3f8, polled) ---- */
void console_putc(char c);
void console_puts(const char *s);
void console_put_hex(uint64_t v);
void console_put_dec(uint64_t v);

/* ---- test status (never returns) ---- */
__attribute__((noreturn)) void test_pass(void);
__attribute__((noreturn)) void test_fail(uint32_t code);
/* Prints "FAIL <code>: <what>" and fails. */
__attribute__((noreturn)) void test_fail_msg(uint32_t code, const char *what);

/* ---- small libc-free helpers ---- */
size_t guest_strlen(const char *s);
bool guest_memeq(const void *a, const void *b, size_t n);
void guest_memcpy(void *dst, const void *src, size_t n);

/* ---- boot information (zero page, Linux 64-bit boot protocol) ---- */
/* The zero page the VMM passed in RSI, or NULL (PVH entry). */
const uint8_t *boot_params(void);
/* The kernel command line from the zero page ("" if none). */
const char *boot_cmdline(void);
/* Value of "name=<decimal>" on the command line; false if absent or malformed. */
bool cmdline_uint(const char *name, uint64_t *value);
struct e820_entry {
  uint64_t addr, size;
  uint32_t type;
} __attribute__((packed));
/* Number of e820 entries and a pointer to them (zero page offsets 0x1e8 / 0x2d0). */
size_t boot_e820(const struct e820_entry **entries);

/* ---- MP table ---- */
struct mp_info {
  uint32_t cpus;           /* processor entries */
  uint32_t bsp_apic_id;
  uint32_t ioapics;
  uint32_t ioapic_address;
  uint32_t io_interrupts;  /* IOAPIC interrupt-source entries */
  uint32_t lapic_address;
};
/* Finds "_MP_" at the EBDA address, checks both checksums and counts entries; false if absent
 * or corrupt. */
bool mp_table_read(struct mp_info *out);

/* ---- interrupts ---- */
struct isr_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;
};
typedef void (*isr_handler)(struct isr_frame *frame);
/* Loads an IDT whose every vector enters isr_dispatch; unhandled vectors fail the test (code
 * 0x100 + vector). */
void idt_init(void);
void idt_set_handler(uint8_t vector, isr_handler handler);

/* ---- local APIC (xAPIC MMIO) ---- */
#define LAPIC_REG_ID 0x20
#define LAPIC_REG_VERSION 0x30
#define LAPIC_REG_EOI 0xb0
#define LAPIC_REG_SPURIOUS 0xf0
#define LAPIC_REG_ICR_LOW 0x300
#define LAPIC_REG_ICR_HIGH 0x310
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t value);
/* Software-enables the LAPIC with the given spurious vector. */
void lapic_enable(uint8_t spurious_vector);
void lapic_eoi(void);
uint32_t lapic_id(void);
/* INIT then one SIPI to every other CPU; they start in real mode at page `vector` << 12. */
void lapic_start_aps(uint8_t sipi_vector);

/* ---- IOAPIC ---- */
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REDIRECT_MASKED (1u << 16)
#define IOAPIC_REDIRECT_LEVEL (1u << 15)
uint32_t ioapic_read(uint32_t index);
void ioapic_write(uint32_t index, uint32_t value);
/* Pins = max redirection entry + 1, from the version register. */
uint32_t ioapic_pins(void);
/* Routes `pin` to `vector` on LAPIC `dest` (fixed, physical, edge, active high) or masks it. */
void ioapic_route(uint32_t pin, uint8_t vector, uint8_t dest, bool masked);

/* ---- legacy PIC and PIT ---- */
void pic_mask_all(void);
/* PIT channel 0 as a rate generator (mode 2) at `hz`. */
void pit_start_periodic(uint32_t hz);

/* ---- AP start-up trampoline (lib/ap_trampoline.S) ---- */
extern const uint8_t ap_trampoline_start[], ap_trampoline_end[];
extern const uint32_t ap_trampoline_counter_offset;

#endif
