// Host tool: packs the Linux boot test's user space into an initramfs with strato's own newc
// cpio writer (rootfs/initramfs). Usage: make_test_initramfs OUTPUT INIT CHILD
#include <cstdio>
#include <exception>

#include "common/file_util.h"
#include "rootfs/initramfs/initramfs_builder.h"

namespace initramfs = strato::initramfs;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s OUTPUT INIT CHILD\n", argv[0]);
    return 2;
  }
  using Entry = initramfs::InitramfsEntry;
  try {
    std::string archive = initramfs::BuildArchive({
        Entry::Directory("dev"),
        // The kernel opens /dev/console for init's stdin/stdout/stderr; without it init prints
        // nothing (devtmpfs is not mounted automatically on an initramfs root).
        Entry::Device(Entry::Kind::kCharDevice, "dev/console", 5, 1),
        Entry::Directory("proc"),
        Entry::HostFile("init", argv[2]),
        Entry::HostFile("bin/child", argv[3]),
    });
    strato::WriteFileAtomic(argv[1], archive);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_test_initramfs: %s\n", e.what());
    return 1;
  }
  return 0;
}
