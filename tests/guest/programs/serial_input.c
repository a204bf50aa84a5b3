/* Console input end to end: bytes the host writes to the VMM's stdin reach the guest through the
 * 8250's receive-data interrupt on GSI 4, routed by the in-kernel IOAPIC. The guest waits for the
 * line "ping" and answers "got: ping". */
#include "guest.h"

#define UART_VECTOR 0x41
#define SPURIOUS_VECTOR 0xff
#define COM1_GSI 4
#define UART_IER 1
#define UART_MCR 4
#define UART_LSR 5
#define IER_RECEIVE_DATA 0x01
#define MCR_OUT2 0x08 /* PC wiring: OUT2 gates the UART's interrupt line */
#define LSR_DATA_READY 0x01
#define MAX_HALTS 100000

static volatile char g_line[32];
static volatile uint32_t g_len;
static volatile bool g_done;

static void on_uart(struct isr_frame *frame) {
  (void)frame;
  while (inb(GUEST_PORT_COM1 + UART_LSR) & LSR_DATA_READY) {
    char c = (char)inb(GUEST_PORT_COM1);
    if (c == '\n') g_done = true;
    else if (g_len < sizeof(g_line) - 1) g_line[g_len++] = c;
  }
  lapic_eoi();
}

static void on_spurious(struct isr_frame *frame) { (void)frame; }

int test_main(void) {
  idt_init();
  idt_set_handler(UART_VECTOR, on_uart);
  idt_set_handler(SPURIOUS_VECTOR, on_spurious);
  pic_mask_all();
  lapic_enable(SPURIOUS_VECTOR);
  ioapic_route(COM1_GSI, UART_VECTOR, (uint8_t)lapic_id(), false);
  outb(GUEST_PORT_COM1 + UART_MCR, MCR_OUT2);
  outb(GUEST_PORT_COM1 + UART_IER, IER_RECEIVE_DATA);
  console_puts("ready\n");
  for (int i = 0; i < MAX_HALTS && !g_done; ++i) wait_for_interrupt();
  irq_disable();
  if (!g_done) test_fail_msg(1, "no input line arrived");
  g_line[g_len] = 0;
  console_puts("got: ");
  console_puts((const char *)g_line);
  console_putc('\n');
  return guest_memeq((const void *)g_line, "ping", 5) ? 0 : 2;
}
