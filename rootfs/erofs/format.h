#pragma once
// EROFS on-disk constants for uncompressed images readable by Linux 6.1 (fs/erofs/erofs_fs.h).
// Every multi-byte field on disk is little-endian. Only what the writer produces is listed.

#include <cstdint>

namespace strato::rootfs::erofs {

// Block size: Linux 6.1 requires block size == page size (4 KiB on x86-64).
inline constexpr uint32_t kBlockSizeBits = 12;
inline constexpr uint32_t kBlockSize = 1u << kBlockSizeBits;

// Superblock (struct erofs_super_block), 128 bytes at byte 1024 of block 0.
inline constexpr uint32_t kSuperblockOffset = 1024;  // EROFS_SUPER_OFFSET
inline constexpr uint32_t kSuperblockSize = 128;
inline constexpr uint32_t kSuperMagic = 0xE0F5E1E2;        // EROFS_SUPER_MAGIC_V1
inline constexpr uint32_t kFeatureCompatSbChecksum = 0x1;  // EROFS_FEATURE_COMPAT_SB_CHKSUM
inline constexpr uint32_t kFeatureCompatMtime = 0x2;       // EROFS_FEATURE_COMPAT_MTIME
// Field offsets inside the superblock.
inline constexpr uint32_t kSbMagic = 0;
inline constexpr uint32_t kSbChecksum = 4;
inline constexpr uint32_t kSbFeatureCompat = 8;
inline constexpr uint32_t kSbBlkSzBits = 12;
inline constexpr uint32_t kSbRootNid = 14;  // u16 on 6.1
inline constexpr uint32_t kSbInodeCount = 16;
inline constexpr uint32_t kSbBuildTime = 24;
inline constexpr uint32_t kSbBuildTimeNsec = 32;
inline constexpr uint32_t kSbBlocks = 36;
inline constexpr uint32_t kSbMetaBlkAddr = 40;
inline constexpr uint32_t kSbXattrBlkAddr = 44;
inline constexpr uint32_t kSbUuid = 48;
inline constexpr uint32_t kSbUuidSize = 16;
inline constexpr uint32_t kSbVolumeName = 64;
inline constexpr uint32_t kSbVolumeNameSize = 16;
inline constexpr uint32_t kMaxRootNid = 0xFFFF;  // root_nid is 16 bits wide on 6.1

// Inodes: NID = (byte offset - meta_blkaddr * block size) / 32.
inline constexpr uint32_t kInodeSlotBits = 5;  // EROFS_ISLOTBITS
inline constexpr uint32_t kInodeSlotSize = 1u << kInodeSlotBits;
inline constexpr uint32_t kCompactInodeSize = 32;   // struct erofs_inode_compact
inline constexpr uint32_t kExtendedInodeSize = 64;  // struct erofs_inode_extended
// i_format: bit 0 = layout version (compact/extended), bits 1..3 = data layout.
inline constexpr uint16_t kInodeLayoutCompact = 0;    // EROFS_INODE_LAYOUT_COMPACT
inline constexpr uint16_t kInodeLayoutExtended = 1;   // EROFS_INODE_LAYOUT_EXTENDED
inline constexpr uint16_t kDataLayoutBit = 1;         // EROFS_I_DATALAYOUT_BIT
inline constexpr uint16_t kDataLayoutFlatPlain = 0;   // EROFS_INODE_FLAT_PLAIN
inline constexpr uint16_t kDataLayoutFlatInline = 2;  // EROFS_INODE_FLAT_INLINE

// Directory entries (struct erofs_dirent): u64 nid, u16 nameoff, u8 file_type, u8 reserved.
inline constexpr uint32_t kDirentSize = 12;
inline constexpr uint32_t kMaxNameLength = 255;  // EROFS_NAME_LEN
enum FileType : uint8_t {                        // EROFS_FT_*
  kFtUnknown = 0,
  kFtRegular = 1,
  kFtDirectory = 2,
  kFtCharDevice = 3,
  kFtBlockDevice = 4,
  kFtFifo = 5,
  kFtSocket = 6,
  kFtSymlink = 7,
};

// Inline xattrs: struct erofs_xattr_ibody_header (12 bytes) then erofs_xattr_entry records
// {u8 e_name_len, u8 e_name_index, u16 e_value_size, name suffix, value}, each 4-byte aligned.
inline constexpr uint32_t kXattrIbodyHeaderSize = 12;
inline constexpr uint32_t kXattrEntryHeaderSize = 4;
inline constexpr uint32_t kXattrAlign = 4;                // EROFS_XATTR_ALIGN
inline constexpr uint8_t kXattrIndexUser = 1;             // EROFS_XATTR_INDEX_USER
inline constexpr uint8_t kXattrIndexPosixAclAccess = 2;   // EROFS_XATTR_INDEX_POSIX_ACL_ACCESS
inline constexpr uint8_t kXattrIndexPosixAclDefault = 3;  // EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT
inline constexpr uint8_t kXattrIndexTrusted = 4;          // EROFS_XATTR_INDEX_TRUSTED
inline constexpr uint8_t kXattrIndexSecurity = 6;         // EROFS_XATTR_INDEX_SECURITY

}  // namespace strato::rootfs::erofs
