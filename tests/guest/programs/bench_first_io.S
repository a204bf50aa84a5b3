/* The benchmark guest: its very first instructions write one byte to the serial port (the "first
 * port write" the benchmark times) and then report success on the test-status port (strato's
 * stop, QEMU's isa-debug-exit). Both entry paths (64-bit and PVH 32-bit) do the same. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define COM1 0x3f8
#define TEST_STATUS 0xf4

  .section .note.Xen, "a"
  .p2align 2
  .long 4
  .long 4
  .long XEN_ELFNOTE_PHYS32_ENTRY
  .asciz "Xen"
  .long pvh_start32

  .section .text.entry, "ax"
  .code64
  .globl _start
_start:
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

  .code32
pvh_start32:
  mov $COM1, %dx
  mov $'!', %al
  out %al, %dx
  mov $TEST_STATUS, %dx
  xor %eax, %eax
  out %eax, %dx
2:
  cli
  hlt
  jmp 2b
