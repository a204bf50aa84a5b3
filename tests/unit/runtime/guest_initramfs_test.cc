// The container initrd: cached base archive (init + /dev/console) followed by the config archive.
#include "runtime/guest_initramfs.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/file_util.h"
#include "guest/config/config_archive.h"
#include "tests/unit/initramfs/cpio_test_support.h"

namespace strato::runtime {
namespace {

using initramfs::test::RunShell;
using initramfs::test::TempDir;
namespace fs = std::filesystem;

guest::GuestConfig SmallConfig(const std::string& hostname) {
  guest::GuestConfig config = guest::MakeGuestConfig(
      R"({"ociVersion":"1.1.0","root":{"path":"rootfs"},"process":{"user":{"uid":0,"gid":0},"args":["/bin/true"],"cwd":"/"}})");
  config.layers = {{"strato-L0-0123abcd", "sha256:0123abcd"}};
  config.hostname = hostname;
  return config;
}

TEST_CASE("the initrd is the cached base plus the container's config, cpio unpacks it") {
  TempDir dir;
  WriteFileAtomic(dir / "strato-init", "#!/bin/true\n", 0755);
  fs::create_directory(dir.path / "a");
  WriteGuestInitrd(SmallConfig("first"), dir / "strato-init", dir / "cache", dir / "a/initrd");
  fs::create_directory(dir.path / "b");
  WriteGuestInitrd(SmallConfig("second"), dir / "strato-init", dir / "cache", dir / "b/initrd");
  // One base archive serves both containers.
  CHECK(std::distance(fs::directory_iterator(dir.path / "cache"), fs::directory_iterator()) == 1);
  CHECK(guest::ReadConfigArchive(ReadFile(dir / "a/initrd")).hostname == "first");
  CHECK(guest::ReadConfigArchive(ReadFile(dir / "b/initrd")).hostname == "second");

  fs::create_directory(dir.path / "unpacked");
  // GNU cpio stops at the first trailer; the base comes first.
  auto listing =
      RunShell("cd " + (dir / "unpacked") + " && cpio -it --quiet < " + (dir / "a/initrd"));
  REQUIRE(listing.exit_code == 0);
  CHECK(listing.output == "dev\ndev/console\ninit\n");
}

TEST_CASE("a missing strato-init is named") {
  TempDir dir;
  CHECK_THROWS_WITH(WriteGuestInitrd(SmallConfig("x"), dir / "nope", dir / "cache", dir / "initrd"),
                    Catch::Contains(dir / "nope"));
  CHECK_FALSE(fs::exists(dir / "initrd"));
}

}  // namespace
}  // namespace strato::runtime
