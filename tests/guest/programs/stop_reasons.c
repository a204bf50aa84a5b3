/* Ends the VM the way the command line says ("action=N"), so the tests can check every stop
 * reason and exit code of the VMM:
 *   1: test passed          2: test failed with code 7     3: triple fault (empty IDT + #UD)
 *   4: i8042 reset (reboot) 5: Linux's power-down line, then a reset (poweroff)
 *   6: Linux's panic line, then a reset (panic)
 *   7: Linux's "System halted" line, then halt with interrupts off for good (poweroff, found by
 *      probing the vCPUs: KVM reports no exit for it) */
#include "guest.h"

#define I8042_COMMAND 0x64
#define I8042_RESET 0xfe

static void i8042_reset(void) { outb(I8042_COMMAND, I8042_RESET); }

int test_main(void) {
  uint64_t action;
  if (!cmdline_uint("action", &action)) test_fail_msg(99, "no action= on the command line");
  switch (action) {
    case 1:
      test_pass();
    case 2:
      test_fail(7);
    case 3: {
      struct {
        uint16_t limit;
        uint64_t base;
      } __attribute__((packed)) empty = {0, 0};
      __asm__ volatile("lidt %0; ud2" ::"m"(empty));
      break;
    }
    case 4:
      i8042_reset();
      break;
    case 5:
      console_puts("[    1.000000] reboot: Power down\n");
      i8042_reset();
      break;
    case 6:
      console_puts("[    1.000000] Kernel panic - not syncing: test\n");
      i8042_reset();
      break;
    case 7:
      console_puts("[    1.000000] reboot: System halted\n");
      for (;;) __asm__ volatile("cli; hlt");
  }
  test_fail_msg(98, "the VM did not stop");
}
