/* Takes PIT interrupts through the in-kernel IOAPIC: the 8259 PICs are masked, the PIT (GSI 0)
 * is routed by IOAPIC pin 0 to vector 0x40 on this CPU, and the guest halts until it has seen
 * TICKS of them. Then it masks the pin and checks that no more arrive while the PIT keeps running
 * (so the IOAPIC, not another path, delivered them). */
#include "guest.h"

#define TIMER_VECTOR 0x40
#define SPURIOUS_VECTOR 0xff
#define PIT_PIN 0
#define PIT_HZ 100
#define TICKS 5
#define MAX_HALTS 1000
#define DRAIN_EXITS 3
#define POST_PORT 0x80
#define QUIET_SPINS 20000 /* several PIT periods at ~0.57 us per emulated instruction */

static volatile uint32_t g_ticks;

static void on_timer(struct isr_frame *frame) {
  (void)frame;
  ++g_ticks;
  lapic_eoi();
}

static void on_spurious(struct isr_frame *frame) { (void)frame; }

int test_main(void) {
  idt_init();
  idt_set_handler(TIMER_VECTOR, on_timer);
  idt_set_handler(SPURIOUS_VECTOR, on_spurious);
  pic_mask_all();
  lapic_enable(SPURIOUS_VECTOR);
  if (ioapic_pins() != 24) test_fail_msg(1, "IOAPIC does not report 24 pins");
  ioapic_route(PIT_PIN, TIMER_VECTOR, (uint8_t)lapic_id(), false);
  pit_start_periodic(PIT_HZ);
  for (int i = 0; i < MAX_HALTS && g_ticks < TICKS; ++i) wait_for_interrupt();
  irq_disable();
  console_puts("PIT ticks via IOAPIC: ");
  console_put_dec(g_ticks);
  console_putc('\n');
  if (g_ticks < TICKS) test_fail_msg(2, "too few PIT interrupts");

  ioapic_route(PIT_PIN, TIMER_VECTOR, (uint8_t)lapic_id(), true);
  irq_enable();
  /* A tick the IOAPIC delivered before the mask may still wait to be injected: a VM exit (port
   * 0x80) with interrupts enabled lets KVM deliver it before the quiet period starts. */
  for (int i = 0; i < DRAIN_EXITS; ++i) outb(POST_PORT, 0);
  uint32_t before = g_ticks;
  for (volatile int i = 0; i < QUIET_SPINS; ++i) cpu_relax();
  irq_disable();
  if (g_ticks != before) test_fail_msg(3, "PIT interrupts arrived with the IOAPIC pin masked");
  console_puts("pit_ioapic: ok\n");
  return 0;
}
