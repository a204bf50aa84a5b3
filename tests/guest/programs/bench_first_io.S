/* The benchmark guest: its very first instructions write one byte to the serial port (the "first
 * port write" the benchmark times) and then report success on the test-status port (strato's
 * stop, QEMU's isa-debug-exit). Both entry paths (64-bit and PVH 32-bit) do the same. */
#include "pvh_note.h"

#define COM1 0x3f8
#define TEST_STATUS 0xf4

/* The same bytes assemble correctly in 32- and 64-bit mode. */
.macro FIRST_WRITE_THEN_EXIT
  mov $COM1, %dx
  mov $'!', %al
  out %al, %dx
  mov $TEST_STATUS, %dx
  xor %eax, %eax
  out %eax, %dx
1:
  cli
  hlt
  jmp 1b
.endm

  PVH_ENTRY_NOTE pvh_start32

  .section .text.entry, "ax"
  .code64
  .globl _start
_start:
  FIRST_WRITE_THEN_EXIT

  .code32
pvh_start32:
  FIRST_WRITE_THEN_EXIT
