#include "virtio.h"

/* Queue memory for every device: descriptor table (16-aligned), avail ring, used ring. */
static struct virtq_desc g_desc[VIRTIO_MAX_DEVICES][VIRTQ_SIZE] __attribute__((aligned(16)));
static struct virtq_avail g_avail[VIRTIO_MAX_DEVICES] __attribute__((aligned(4)));
static struct virtq_used g_used[VIRTIO_MAX_DEVICES] __attribute__((aligned(4)));

static const char kPrefix[] = "virtio_mmio.device=4K@0x";

static bool hex_digit(char c, uint64_t *v) {
  if (c >= '0' && c <= '9') *v = (uint64_t)(c - '0');
  else if (c >= 'a' && c <= 'f') *v = (uint64_t)(c - 'a' + 10);
  else return false;
  return true;
}

size_t virtio_find_devices(struct virtio_dev *out, size_t max) {
  const char *s = boot_cmdline();
  size_t n = 0;
  const size_t plen = sizeof kPrefix - 1;
  for (; *s && n < max; ++s) {
    if ((s != boot_cmdline() && s[-1] != ' ') || !guest_memeq(s, kPrefix, plen)) continue;
    const char *p = s + plen;
    uint64_t base = 0, digit;
    while (hex_digit(*p, &digit)) base = base * 16 + digit, ++p;
    if (*p++ != ':') continue;
    uint32_t irq = 0;
    while (*p >= '0' && *p <= '9') irq = irq * 10 + (uint32_t)(*p++ - '0');
    out[n].base = base;
    out[n].irq = irq;
    ++n;
  }
  return n;
}

uint32_t virtio_read(const struct virtio_dev *d, uint32_t reg) { return mmio_read32(d->base + reg); }
void virtio_write(const struct virtio_dev *d, uint32_t reg, uint32_t v) { mmio_write32(d->base + reg, v); }

bool virtio_init(struct virtio_dev *d, size_t index, uint32_t *status_out) {
  d->desc = g_desc[index];
  d->avail = &g_avail[index];
  d->used = &g_used[index];
  d->avail_idx = d->used_seen = 0;
  guest_memcpy(d->avail, &(struct virtq_avail){0}, sizeof *d->avail);
  guest_memcpy(d->used, &(struct virtq_used){0}, sizeof *d->used);
  virtio_write(d, VIRTIO_MMIO_STATUS, 0);
  uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
  virtio_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
  virtio_write(d, VIRTIO_MMIO_STATUS, st);
  virtio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  virtio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
  virtio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  virtio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, 0);
  st |= VIRTIO_STATUS_FEATURES_OK;
  virtio_write(d, VIRTIO_MMIO_STATUS, st);
  if (!(virtio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) goto refused;
  virtio_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
  virtio_write(d, VIRTIO_MMIO_QUEUE_NUM, VIRTQ_SIZE);
  virtio_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)d->desc);
  virtio_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((uintptr_t)d->desc >> 32));
  virtio_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)d->avail);
  virtio_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((uintptr_t)d->avail >> 32));
  virtio_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)d->used);
  virtio_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((uintptr_t)d->used >> 32));
  virtio_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
  if (virtio_read(d, VIRTIO_MMIO_QUEUE_READY) != 1) goto refused;
  st |= VIRTIO_STATUS_DRIVER_OK;
  virtio_write(d, VIRTIO_MMIO_STATUS, st);
  if (status_out) *status_out = virtio_read(d, VIRTIO_MMIO_STATUS);
  return true;
refused:
  if (status_out) *status_out = virtio_read(d, VIRTIO_MMIO_STATUS);
  return false;
}

void virtio_submit(struct virtio_dev *d, uint16_t head) {
  d->avail->ring[d->avail_idx % VIRTQ_SIZE] = head;
  __asm__ volatile("" ::: "memory"); /* x86: stores are ordered; keep the compiler in line */
  d->avail->idx = ++d->avail_idx;
  __asm__ volatile("mfence" ::: "memory");
  virtio_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

void virtio_blk_prepare(struct virtio_dev *d, struct virtio_blk_req *hdr, void *data,
                        uint32_t data_len, bool device_writes_data, volatile uint8_t *status) {
  *status = 0xee;
  d->desc[0] = (struct virtq_desc){(uint64_t)(uintptr_t)hdr, sizeof *hdr, VIRTQ_DESC_F_NEXT, data_len ? 1 : 2};
  d->desc[1] = (struct virtq_desc){(uint64_t)(uintptr_t)data, data_len,
                                   (uint16_t)(VIRTQ_DESC_F_NEXT | (device_writes_data ? VIRTQ_DESC_F_WRITE : 0)), 2};
  d->desc[2] = (struct virtq_desc){(uint64_t)(uintptr_t)status, 1, VIRTQ_DESC_F_WRITE, 0};
}
