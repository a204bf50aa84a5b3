#pragma once
// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as EROFS uses it for the superblock
// checksum: seed 0xFFFFFFFF (~0), no final XOR (erofs-utils / fs/erofs/super.c crc32c(~0, ...)).

#include <cstddef>
#include <cstdint>

namespace strato::rootfs::erofs {

uint32_t Crc32c(uint32_t seed, const uint8_t* data, size_t size);

}  // namespace strato::rootfs::erofs
