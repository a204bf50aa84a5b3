/* The zero page: command line and e820 map (Documentation/x86/zero-page.rst offsets). */
#include "guest.h"

#define ZP_E820_ENTRIES 0x1e8 /* u8 */
#define ZP_CMD_LINE_PTR 0x228 /* u32 */
#define ZP_E820_TABLE 0x2d0
#define ZP_E820_MAX 128

const char *boot_cmdline(void) {
  const uint8_t *zp = boot_params();
  if (!zp) return "";
  uint32_t ptr = *(const uint32_t *)(zp + ZP_CMD_LINE_PTR);
  return ptr ? (const char *)(uintptr_t)ptr : "";
}

bool cmdline_uint(const char *name, uint64_t *value) {
  const char *s = boot_cmdline();
  size_t n = guest_strlen(name);
  while (*s) {
    while (*s == ' ') ++s;
    if (guest_memeq(s, name, n) && s[n] == '=') {
      const char *p = s + n + 1;
      uint64_t v = 0;
      if (*p < '0' || *p > '9') return false;
      while (*p >= '0' && *p <= '9') v = v * 10 + (uint64_t)(*p++ - '0');
      if (*p != ' ' && *p != 0) return false;
      *value = v;
      return true;
    }
    while (*s && *s != ' ') ++s;
  }
  return false;
}

size_t boot_e820(const struct e820_entry **entries) {
  const uint8_t *zp = boot_params();
  if (!zp) return 0;
  size_t n = zp[ZP_E820_ENTRIES];
  if (n > ZP_E820_MAX) n = ZP_E820_MAX;
  *entries = (const struct e820_entry *)(zp + ZP_E820_TABLE);
  return n;
}
