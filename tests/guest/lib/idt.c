/* A 256-entry IDT whose gates all enter lib/isr.S; C handlers per vector. */
#include "guest.h"

#define IDT_GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define ISR_STUB_SIZE 16
#define UNHANDLED_VECTOR_FAILURE 0x100

struct idt_gate {
  uint16_t offset_low, selector;
  uint8_t ist, type;
  uint16_t offset_mid;
  uint32_t offset_high, reserved;
} __attribute__((packed));

extern const uint8_t isr_stubs[];
static struct idt_gate g_idt[256] __attribute__((aligned(16)));
static isr_handler g_handlers[256];

void isr_dispatch(struct isr_frame *frame) {
  uint8_t v = (uint8_t)frame->vector;
  if (g_handlers[v]) {
    g_handlers[v](frame);
    return;
  }
  console_puts("unexpected interrupt/exception vector ");
  console_put_dec(v);
  console_puts(" at rip ");
  console_put_hex(frame->rip);
  console_puts(" error ");
  console_put_hex(frame->error_code);
  console_putc('\n');
  test_fail(UNHANDLED_VECTOR_FAILURE + v);
}

void idt_init(void) {
  uint16_t cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  for (int v = 0; v < 256; ++v) {
    uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + v * ISR_STUB_SIZE);
    g_idt[v] = (struct idt_gate){(uint16_t)a, cs, 0, IDT_GATE_INTERRUPT, (uint16_t)(a >> 16),
                                 (uint32_t)(a >> 32), 0};
  }
  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) idtr = {sizeof(g_idt) - 1, (uint64_t)(uintptr_t)g_idt};
  __asm__ volatile("lidt %0" ::"m"(idtr));
}

void idt_set_handler(uint8_t vector, isr_handler handler) { g_handlers[vector] = handler; }
