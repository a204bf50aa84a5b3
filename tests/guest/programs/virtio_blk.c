/* Drives every virtio-blk disk announced on the command line (tests/integration/virtio): each
 * disk i is read-only, DISK_SECTORS sectors, sector s filled with the byte (i * 13 + s + 1) & 0xff.
 * For every disk: initialize, route its IOAPIC pin to its own vector, read sector (i % 4), wait
 * for the completion interrupt (through the in-kernel IOAPIC or strato's userspace one), check
 * the bytes. Then: a write to disk 0 must fail with IOERR; a hostile chain (buffer in the MMIO
 * gap) on the last disk must make it DEVICE_NEEDS_RESET, and after a reset it must work again.
 * Command line: expect_disks=N expect_ioapic_pins=P. */
#include "guest.h"
#include "virtio.h"

#define FIRST_VECTOR 0x30
#define SPURIOUS_VECTOR 0xff
#define DISK_SECTORS 4
#define MAX_HALTS 100000
#define HOSTILE_ADDRESS 0xd0000000ull /* the MMIO gap: not guest RAM */

static struct virtio_dev g_dev[VIRTIO_MAX_DEVICES];
static volatile uint32_t g_interrupts[VIRTIO_MAX_DEVICES];
/* The used index each device's interrupt handler saw last: a request counts as completed only
 * when an interrupt arrived after its used element was published (a late interrupt of an earlier
 * event cannot pass for it). */
static volatile uint16_t g_used_seen[VIRTIO_MAX_DEVICES];
static uint8_t g_data[512] __attribute__((aligned(512)));
static struct virtio_blk_req g_hdr;
static volatile uint8_t g_status;

static void on_device_interrupt(struct isr_frame *frame) {
  uint32_t index = (uint32_t)(frame->vector - FIRST_VECTOR);
  uint32_t cause = virtio_read(&g_dev[index], VIRTIO_MMIO_INTERRUPT_STATUS);
  virtio_write(&g_dev[index], VIRTIO_MMIO_INTERRUPT_ACK, cause);
  ++g_interrupts[index];
  g_used_seen[index] = g_dev[index].used->idx;
  lapic_eoi();
}

static void on_spurious(struct isr_frame *frame) { (void)frame; }

/* Submits the prepared request on device i and halts until its interrupt arrived. */
static void run_request(uint32_t i) {
  irq_disable();
  virtio_submit(&g_dev[i], 0);
  uint16_t want = g_dev[i].avail_idx;
  for (int n = 0; n < MAX_HALTS && g_used_seen[i] != want; ++n) wait_for_interrupt();
  irq_disable();
  if (g_used_seen[i] != want) {
    console_puts("disk ");
    console_put_dec(i);
    test_fail_msg(10, ": no completion interrupt");
  }
}

static void read_sector(uint32_t i, uint64_t sector) {
  for (size_t b = 0; b < sizeof g_data; ++b) g_data[b] = 0;
  g_hdr = (struct virtio_blk_req){VIRTIO_BLK_T_IN, 0, sector};
  virtio_blk_prepare(&g_dev[i], &g_hdr, g_data, sizeof g_data, true, &g_status);
  run_request(i);
  if (g_status != VIRTIO_BLK_S_OK) test_fail_msg(11, "read status not OK");
  uint8_t want = (uint8_t)((i * 13 + sector + 1) & 0xff);
  for (size_t b = 0; b < sizeof g_data; ++b) {
    if (g_data[b] != want) {
      console_puts("disk ");
      console_put_dec(i);
      test_fail_msg(12, ": wrong data");
    }
  }
  if (g_dev[i].used->idx != g_dev[i].avail_idx) test_fail_msg(13, "used index not advanced");
}

int test_main(void) {
  uint64_t expect_disks = 0, expect_pins = 0;
  if (!cmdline_uint("expect_disks", &expect_disks) || !cmdline_uint("expect_ioapic_pins", &expect_pins))
    test_fail_msg(1, "command line lacks expect_disks= / expect_ioapic_pins=");
  size_t n = virtio_find_devices(g_dev, VIRTIO_MAX_DEVICES);
  if (n != expect_disks) test_fail_msg(2, "wrong number of virtio_mmio.device entries");
  if (n == 0 || n > 0xff - FIRST_VECTOR) test_fail_msg(3, "disk count out of range");
  if (ioapic_pins() != expect_pins) test_fail_msg(4, "IOAPIC pin count differs");

  idt_init();
  idt_set_handler(SPURIOUS_VECTOR, on_spurious);
  pic_mask_all();
  lapic_enable(SPURIOUS_VECTOR);
  uint8_t me = (uint8_t)lapic_id();
  for (uint32_t i = 0; i < n; ++i) {
    if (virtio_read(&g_dev[i], VIRTIO_MMIO_MAGIC) != 0x74726976 ||
        virtio_read(&g_dev[i], VIRTIO_MMIO_VERSION) != 2 ||
        virtio_read(&g_dev[i], VIRTIO_MMIO_DEVICE_ID) != 2)
      test_fail_msg(5, "not a virtio-mmio v2 block device");
    uint32_t capacity = virtio_read(&g_dev[i], VIRTIO_MMIO_CONFIG);
    if (capacity != DISK_SECTORS) test_fail_msg(6, "wrong capacity");
    if (!virtio_init(&g_dev[i], i, NULL)) test_fail_msg(7, "device refused initialization");
    idt_set_handler((uint8_t)(FIRST_VECTOR + i), on_device_interrupt);
    ioapic_route(g_dev[i].irq, (uint8_t)(FIRST_VECTOR + i), me, false);
  }
  for (uint32_t i = 0; i < n; ++i) read_sector(i, i % DISK_SECTORS);
  console_puts("read ");
  console_put_dec(n);
  console_puts(" disks\n");

  /* A write to a read-only disk. */
  g_hdr = (struct virtio_blk_req){VIRTIO_BLK_T_OUT, 0, 0};
  virtio_blk_prepare(&g_dev[0], &g_hdr, g_data, sizeof g_data, false, &g_status);
  run_request(0);
  if (g_status != VIRTIO_BLK_S_IOERR) test_fail_msg(20, "write to a read-only disk did not fail");
  read_sector(0, 1);
  console_puts("read-only write: IOERR\n");

  /* A hostile chain: the data buffer lies in the MMIO gap. */
  uint32_t last = (uint32_t)n - 1;
  g_hdr = (struct virtio_blk_req){VIRTIO_BLK_T_IN, 0, 0};
  virtio_blk_prepare(&g_dev[last], &g_hdr, (void *)(uintptr_t)HOSTILE_ADDRESS, 4096, true, &g_status);
  run_request(last);
  if (!(virtio_read(&g_dev[last], VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET))
    test_fail_msg(30, "hostile chain did not break the device");
  if (g_status != 0xee) test_fail_msg(31, "device wrote the status of a hostile request");
  if (!virtio_init(&g_dev[last], last, NULL)) test_fail_msg(32, "device did not come back after reset");
  g_used_seen[last] = 0; /* the rings start again at index 0 */
  read_sector(last, 2);
  console_puts("hostile chain: device needs reset, recovered\n");
  console_puts("virtio_blk: ok\n");
  return 0;
}
