/* Entry from assembly, console, test status, string helpers. */
#include "guest.h"

#define COM1_LSR 5
#define LSR_THR_EMPTY 0x20

static const uint8_t *g_boot_params;

void guest_start(const uint8_t *zero_page) {
  g_boot_params = zero_page;
  int code = test_main();
  if (code == 0) test_pass();
  test_fail((uint32_t)code);
}

const uint8_t *boot_params(void) { return g_boot_params; }

void console_putc(char c) {
  /* Bounded wait: a VMM's THR is always empty, but never spin forever on a broken one. */
  for (int i = 0; i < 1000 && !(inb(GUEST_PORT_COM1 + COM1_LSR) & LSR_THR_EMPTY); ++i) cpu_relax();
  outb(GUEST_PORT_COM1, (uint8_t)c);
}

void console_puts(const char *s) {
  while (*s) console_putc(*s++);
}

void console_put_hex(uint64_t v) {
  char buf[19];
  int i = 18;
  buf[i] = 0;
  do {
    buf[--i] = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  } while (v && i > 2);
  buf[--i] = 'x';
  buf[--i] = '0';
  console_puts(&buf[i]);
}

void console_put_dec(uint64_t v) {
  char buf[21];
  int i = 20;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v && i > 0);
  console_puts(&buf[i]);
}

void test_pass(void) {
  outl(GUEST_PORT_TEST_STATUS, 0);
  for (;;) __asm__ volatile("cli; hlt");
}

void test_fail(uint32_t code) {
  outl(GUEST_PORT_TEST_STATUS, code == 0 ? 0xffffffffu : code);
  for (;;) __asm__ volatile("cli; hlt");
}

void test_fail_msg(uint32_t code, const char *what) {
  console_puts("FAIL ");
  console_put_dec(code);
  console_puts(": ");
  console_puts(what);
  console_putc('\n');
  test_fail(code);
}

size_t guest_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

bool guest_memeq(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return false;
  return true;
}

void guest_memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
}

volatile void *mmio_map(uint64_t phys, uint64_t size) {
  /* Both entry paths identity-map 0-4 GiB with 2 MiB pages. */
  if (size > GUEST_IDENTITY_MAPPED_END || phys > GUEST_IDENTITY_MAPPED_END - size) return 0;
  return (volatile void *)(uintptr_t)phys;
}
