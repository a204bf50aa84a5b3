/* The Xen ELF note that gives QEMU (and other PVH loaders) the 32-bit entry point of a test guest:
 * type XEN_ELFNOTE_PHYS32_ENTRY, name "Xen", descriptor = the entry address. For .S files. */
#ifndef STRATO_TEST_GUEST_PVH_NOTE_H
#define STRATO_TEST_GUEST_PVH_NOTE_H

#define XEN_ELFNOTE_PHYS32_ENTRY 18

.macro PVH_ENTRY_NOTE entry
  .pushsection .note.Xen, "a"
  .p2align 2
  .long 4                         /* name size ("Xen\0") */
  .long 4                         /* descriptor size */
  .long XEN_ELFNOTE_PHYS32_ENTRY
  .asciz "Xen"
  .long \entry
  .popsection
.endm

#endif
