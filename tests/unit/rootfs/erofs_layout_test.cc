// EROFS layout pieces and whole-image properties that need no mount: checksum, directory block
// splitting, xattr encoding, determinism, superblock fields.

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "rootfs/convert.h"
#include "rootfs/erofs/crc32c.h"
#include "rootfs/erofs/dir_layout.h"
#include "rootfs/erofs/file_data_writer.h"
#include "rootfs/erofs/format.h"
#include "rootfs/erofs/xattr_layout.h"
#include "tests/unit/rootfs/tar_builder.h"

using namespace strato::rootfs;
using namespace strato::rootfs::erofs;
using namespace strato::rootfs::testing;

namespace {

std::string ImageOf(const std::string& tar, const std::string& digest,
                    ConvertResult* result = nullptr) {
  strato::UniqueFd fd(::memfd_create("img", 0));
  ConvertResult r = ConvertTarBytes(reinterpret_cast<const uint8_t*>(tar.data()), tar.size(),
                                    fd.get(), "/tmp", digest, {});
  if (result != nullptr) *result = r;
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  std::string out(static_cast<size_t>(size), '\0');
  REQUIRE(::pread(fd.get(), out.data(), out.size(), 0) == size);
  return out;
}

uint32_t Le32(const std::string& s, size_t off) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[off])) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[off + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[off + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[off + 3])) << 24;
}

}  // namespace

TEST_CASE("erofs: crc32c matches the Castagnoli check value") {
  const char* check = "123456789";
  // The standard check value 0xE3069283 includes the final XOR that EROFS leaves out.
  CHECK(Crc32c(~0u, reinterpret_cast<const uint8_t*>(check), 9) == ~0xE3069283u);
}

TEST_CASE("erofs: directory entries split across blocks without crossing them") {
  std::vector<std::string> names;
  for (int i = 0; i < 400; ++i) names.push_back("name_" + std::to_string(1000 + i));
  std::vector<DirEntry> entries;
  for (const auto& n : names) entries.push_back({n, 7, kFtRegular});
  DirPlan plan = PlanDirectory(entries);
  // 12-byte dirent + 9-byte name = 21 bytes: 195 entries per 4096-byte block.
  REQUIRE(plan.block_first.size() == 3);
  CHECK(plan.block_first[1] == 195);
  CHECK(plan.block_first[2] == 390);
  CHECK(plan.last_block_bytes == 10 * 21);
  CHECK(plan.size == 2 * 4096 + 210);
  std::string block = EncodeDirBlock(entries, plan, 0);
  CHECK(block.size() == 195 * 21);
  CHECK(static_cast<uint8_t>(block[8]) + (static_cast<uint8_t>(block[9]) << 8) == 195 * 12);
  CHECK(block.substr(195 * 12, 9) == "name_1000");
}

TEST_CASE("erofs: xattr ibody encoding") {
  std::vector<std::pair<std::string, std::string>> x = {
      {"security.selinux", "ctx"},
      {"system.posix_acl_access", std::string(28, 'a')},
      {"user.k", ""}};
  // 12 header + align4(4+7+3)=16 + align4(4+0+28)=32 + align4(4+1+0)=8
  CHECK(XattrIbodySize(x) == 12 + 16 + 32 + 8);
  CHECK(XattrInodeCount(68) == (68 - 12) / 4 + 1);
  std::string body;
  AppendXattrIbody(x, &body);
  REQUIRE(body.size() == 68);
  CHECK(body[12] == 7);                    // e_name_len "selinux"
  CHECK(body[13] == kXattrIndexSecurity);  // e_name_index
  CHECK(body[14] == 3);                    // e_value_size
  CHECK(body.substr(16, 10) == "selinuxctx");
  CHECK(body[28] == 0);  // ACL: empty suffix
  CHECK(body[29] == kXattrIndexPosixAclAccess);
  CHECK_FALSE(EncodeXattrName("system.other").has_value());
  CHECK_FALSE(EncodeXattrName("user.").has_value());
}

TEST_CASE("erofs: inline tail only when the record fits one block") {
  CHECK(TailCanBeInline(100, 0));
  CHECK_FALSE(TailCanBeInline(4096, 0));
  CHECK_FALSE(TailCanBeInline(0, 0));
  CHECK(TailCanBeInline(4096 + 4032, 0));  // 64 + 4032 = 4096
  CHECK_FALSE(TailCanBeInline(4096 + 4033, 0));
  CHECK_FALSE(TailCanBeInline(4000, 100));
}

TEST_CASE("erofs: same input gives the same bytes, UUID follows the digest") {
  std::string tar = TarBuilder()
                        .Dir("etc")
                        .File("etc/a", std::string(5000, 'a'))
                        .File("etc/b", "b")
                        .Link("etc/c", '2', "a")
                        .Finish();
  std::string one = ImageOf(tar, "sha256:aa");
  std::string two = ImageOf(tar, "sha256:aa");
  std::string other = ImageOf(tar, "sha256:bb");
  CHECK(one == two);
  CHECK(one.size() % kBlockSize == 0);
  CHECK(one.substr(kSuperblockOffset + kSbUuid, 16) !=
        other.substr(kSuperblockOffset + kSbUuid, 16));
  CHECK((static_cast<uint8_t>(one[kSuperblockOffset + kSbUuid + 6]) >> 4) == 5);
}

TEST_CASE("erofs: superblock fields and checksum") {
  std::string tar = TarBuilder().File("a", std::string(9000, 'a')).Finish();
  ConvertResult r;
  std::string img = ImageOf(tar, "", &r);
  CHECK(Le32(img, kSuperblockOffset + kSbMagic) == kSuperMagic);
  CHECK(static_cast<uint8_t>(img[kSuperblockOffset + kSbBlkSzBits]) == kBlockSizeBits);
  CHECK(Le32(img, kSuperblockOffset + kSbBlocks) * uint64_t{kBlockSize} == img.size());
  CHECK(Le32(img, kSuperblockOffset + kSbFeatureCompat) ==
        (kFeatureCompatSbChecksum | kFeatureCompatMtime));
  // Data starts at block 1: the first 8192 bytes of "a" are blocks 1 and 2.
  CHECK(img.substr(kBlockSize, 8192) == std::string(8192, 'a'));
  std::string sb = img.substr(0, kBlockSize);
  uint32_t stored = Le32(sb, kSuperblockOffset + kSbChecksum);
  std::memset(sb.data() + kSuperblockOffset + kSbChecksum, 0, 4);
  CHECK(Crc32c(~0u, reinterpret_cast<const uint8_t*>(sb.data()) + kSuperblockOffset,
               kBlockSize - kSuperblockOffset) == stored);
  CHECK(r.regular_files == 1);
  CHECK(r.directories == 1);
  CHECK(r.data_bytes == 9000);
  CHECK(r.image_bytes == img.size());
}
