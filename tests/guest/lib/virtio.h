/* A minimal virtio-mmio (version 2) driver for test guests: finds the devices announced on the
 * kernel command line, negotiates VERSION_1, sets up one small split queue per device in static
 * memory, and submits virtio-blk requests. Interrupts are the test program's business. */
#ifndef STRATO_TEST_GUEST_VIRTIO_H
#define STRATO_TEST_GUEST_VIRTIO_H

#include "guest.h"

#define VIRTIO_MAX_DEVICES 256
#define VIRTQ_SIZE 4

/* virtio-mmio registers (virtio 1.2, 4.2.2.1) */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG 0x100
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1

struct virtq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;
};
struct virtq_avail {
  uint16_t flags, idx, ring[VIRTQ_SIZE], used_event;
};
struct virtq_used_elem {
  uint32_t id, len;
};
struct virtq_used {
  uint16_t flags, idx;
  struct virtq_used_elem ring[VIRTQ_SIZE];
  uint16_t avail_event;
};

struct virtio_dev {
  uint64_t base;
  uint32_t irq;
  struct virtq_desc *desc;
  struct virtq_avail *avail;
  struct virtq_used *used;
  uint16_t avail_idx, used_seen;
};

/* Parses "virtio_mmio.device=4K@0x<base>:<irq>" entries; returns how many (at most max). */
size_t virtio_find_devices(struct virtio_dev *out, size_t max);
uint32_t virtio_read(const struct virtio_dev *d, uint32_t reg);
void virtio_write(const struct virtio_dev *d, uint32_t reg, uint32_t v);
/* Resets and initializes device `index` (queue memory slot `index`) with VERSION_1 only; returns
 * false (and the status read back) if the device refused. */
bool virtio_init(struct virtio_dev *d, size_t index, uint32_t *status_out);
/* Posts the chain starting at descriptor `head` and notifies queue 0. */
void virtio_submit(struct virtio_dev *d, uint16_t head);
/* A virtio-blk request (header, one data buffer unless data_len is 0, status byte) built in
 * descriptors 0..2; the caller submits and waits. */
struct virtio_blk_req {
  uint32_t type, reserved;
  uint64_t sector;
};
void virtio_blk_prepare(struct virtio_dev *d, struct virtio_blk_req *hdr, void *data,
                        uint32_t data_len, bool device_writes_data, volatile uint8_t *status);

#endif
