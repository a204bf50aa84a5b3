/* Entry points of a test guest.
 *  _start      64-bit entry (strato's loader, Linux 64-bit boot protocol): long mode, identity map
 *              of 0-4 GiB, RSI = zero page (struct boot_params).
 *  pvh_start32 32-bit PVH entry (QEMU -M microvm): protected mode, paging off, EBX = hvm_start_info.
 *              Builds its own identity map of 0-4 GiB, enters long mode, continues as _start with
 *              no zero page (boot_params = 0).
 * Both end in guest_start(boot_params) (lib/runtime.c). */

#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define PTE_PRESENT_RW 0x3
#define PDE_2M_PAGE 0x83
#include "pvh_note.h"

  PVH_ENTRY_NOTE pvh_start32

  .section .text.entry, "ax"
  .code64
  .globl _start
_start:
  lea guest_stack_top(%rip), %rsp
  mov %rsi, %rdi                  /* boot_params */
  call guest_start
1:
  cli
  hlt
  jmp 1b

  .code32
  .globl pvh_start32
pvh_start32:
  cli
  /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; PDn[i] -> 2 MiB pages (4 GiB identity map). */
  mov $pvh_pdpt, %eax
  or $PTE_PRESENT_RW, %eax
  mov %eax, pvh_pml4
  xor %ecx, %ecx
2:
  mov %ecx, %eax
  shl $12, %eax
  add $pvh_pd, %eax
  or $PTE_PRESENT_RW, %eax
  mov %eax, pvh_pdpt(, %ecx, 8)
  inc %ecx
  cmp $4, %ecx
  jne 2b
  xor %ecx, %ecx
3:
  mov %ecx, %eax
  shl $21, %eax
  or $PDE_2M_PAGE, %eax
  mov %eax, pvh_pd(, %ecx, 8)
  inc %ecx
  cmp $2048, %ecx
  jne 3b
  lgdt pvh_gdt_ptr
  mov %cr4, %eax
  or $CR4_PAE, %eax
  mov %eax, %cr4
  mov $pvh_pml4, %eax
  mov %eax, %cr3
  mov $MSR_EFER, %ecx
  rdmsr
  or $EFER_LME, %eax
  wrmsr
  mov %cr0, %eax
  or $(CR0_PG | CR0_PE), %eax
  mov %eax, %cr0
  ljmp $0x08, $pvh_start64

  .code64
pvh_start64:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  xor %esi, %esi                  /* no zero page on the PVH path */
  jmp _start

  .section .rodata
  .p2align 3
pvh_gdt:
  .quad 0
  .quad 0x00af9b000000ffff        /* 0x08: 64-bit code */
  .quad 0x00cf93000000ffff        /* 0x10: data */
pvh_gdt_ptr:
  .word pvh_gdt_ptr - pvh_gdt - 1
  .long pvh_gdt

  .section .bss
  .p2align 12
pvh_pml4: .skip 4096
pvh_pdpt: .skip 4096
pvh_pd: .skip 4096 * 4
  .p2align 4
guest_stack: .skip 65536
  .globl guest_stack_top
guest_stack_top:
