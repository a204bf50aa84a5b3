/* Real-mode code an application processor runs after INIT/SIPI: it counts itself in, then halts
 * with interrupts off. The BSP copies it to a page below 1 MiB (SIPI vector = page number). */

  .section .rodata
  .globl ap_trampoline_start, ap_trampoline_end, ap_trampoline_counter_offset
  .code16
ap_trampoline_start:
  lock incw %cs:(ap_counter - ap_trampoline_start)
1:
  cli
  hlt
  jmp 1b
  .p2align 2
ap_counter:
  .word 0
ap_trampoline_end:
  .code64
  .p2align 2
ap_trampoline_counter_offset:
  .long ap_counter - ap_trampoline_start
