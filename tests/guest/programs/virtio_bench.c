/* Benchmark guest (bench/virtio/run.sh): on the first virtio-blk disk, ROUND_TRIPS single-sector
 * reads each waited for by its completion interrupt (interrupt round-trip latency), then a
 * sequential read of the whole disk in CHUNK-byte requests (throughput). Prints TSC cycles; the
 * script converts with tsc_khz=<kHz> from the command line. */
#include "guest.h"
#include "virtio.h"

#define VECTOR 0x30
#define SPURIOUS_VECTOR 0xff
#define ROUND_TRIPS 1000
#define CHUNK (256u * 1024u)
#define MAX_HALTS 100000

static struct virtio_dev g_dev;
static volatile uint16_t g_used_seen;
static uint8_t g_data[CHUNK] __attribute__((aligned(4096)));
static struct virtio_blk_req g_hdr;
static volatile uint8_t g_status;

static void on_interrupt(struct isr_frame *frame) {
  (void)frame;
  virtio_write(&g_dev, VIRTIO_MMIO_INTERRUPT_ACK, virtio_read(&g_dev, VIRTIO_MMIO_INTERRUPT_STATUS));
  g_used_seen = g_dev.used->idx;
  lapic_eoi();
}
static void on_spurious(struct isr_frame *frame) { (void)frame; }

static void request(uint64_t sector, uint32_t bytes) {
  g_hdr = (struct virtio_blk_req){VIRTIO_BLK_T_IN, 0, sector};
  virtio_blk_prepare(&g_dev, &g_hdr, g_data, bytes, true, &g_status);
  irq_disable();
  virtio_submit(&g_dev, 0);
  for (int n = 0; n < MAX_HALTS && g_used_seen != g_dev.avail_idx; ++n) wait_for_interrupt();
  irq_disable();
  if (g_used_seen != g_dev.avail_idx || g_status != VIRTIO_BLK_S_OK) test_fail_msg(3, "request failed");
}

int test_main(void) {
  if (virtio_find_devices(&g_dev, 1) != 1) test_fail_msg(1, "no virtio disk");
  idt_init();
  idt_set_handler(VECTOR, on_interrupt);
  idt_set_handler(SPURIOUS_VECTOR, on_spurious);
  pic_mask_all();
  lapic_enable(SPURIOUS_VECTOR);
  uint64_t sectors = virtio_read(&g_dev, VIRTIO_MMIO_CONFIG) | (uint64_t)virtio_read(&g_dev, VIRTIO_MMIO_CONFIG + 4) << 32;
  if (!virtio_init(&g_dev, 0, NULL)) test_fail_msg(2, "device refused initialization");
  ioapic_route(g_dev.irq, VECTOR, (uint8_t)lapic_id(), false);
  uint64_t t0 = rdtsc();
  for (int i = 0; i < ROUND_TRIPS; ++i) request(0, 512);
  uint64_t t1 = rdtsc();
  uint64_t bytes = 0;
  for (uint64_t s = 0; s + CHUNK / 512 <= sectors; s += CHUNK / 512, bytes += CHUNK) request(s, CHUNK);
  uint64_t t2 = rdtsc();
  console_puts("round_trip_cycles ");
  console_put_dec((t1 - t0) / ROUND_TRIPS);
  console_puts("\nseq_read_bytes ");
  console_put_dec(bytes);
  console_puts("\nseq_read_cycles ");
  console_put_dec(t2 - t1);
  console_putc('\n');
  return 0;
}
