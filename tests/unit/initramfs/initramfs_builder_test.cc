#include "rootfs/initramfs/initramfs_builder.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "tests/unit/initramfs/cpio_test_support.h"

using strato::initramfs::BuildArchive;
using strato::initramfs::InitramfsEntry;
using strato::initramfs::WriteCachedArchive;
using strato::initramfs::WriteConcatenatedArchive;
using strato::initramfs::test::RunShell;
using strato::initramfs::test::TempDir;
using Kind = InitramfsEntry::Kind;
namespace fs = std::filesystem;

TEST_CASE("a base archive from host files keeps their permissions and is cached by content") {
  TempDir dir;
  std::string host_init = dir / "host-init";
  strato::WriteFileAtomic(host_init, "#!/bin/sh\necho hi\n", 0750);
  std::vector<InitramfsEntry> entries = {
      InitramfsEntry::Directory("dev"),
      InitramfsEntry::Device(Kind::kCharDevice, "dev/console", 5, 1),
      InitramfsEntry::HostFile("init", host_init),
      InitramfsEntry::Symlink("sbin/init", "/init"),
  };
  std::string cache = dir / "cache";
  std::string first = WriteCachedArchive(cache, entries);
  std::string second = WriteCachedArchive(cache, entries);
  CHECK(first == second);
  CHECK(fs::path(first).parent_path() == cache);
  CHECK(fs::path(first).filename().string().starts_with("initramfs-"));
  CHECK(strato::ReadFile(first) == BuildArchive(entries));

  fs::create_directory(dir.path / "out");
  auto extract = RunShell("cd " + (dir / "out") + " && cpio -id --quiet < " + first);
  REQUIRE(extract.exit_code == 0);
  CHECK(strato::ReadFile(dir / "out/init") == "#!/bin/sh\necho hi\n");
  struct stat st {};
  REQUIRE(::stat((dir / "out/init").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
  CHECK(fs::read_symlink(dir.path / "out/sbin/init") == "/init");
}

TEST_CASE("a per-container archive is appended after the base, each part intact") {
  TempDir dir;
  std::string base = WriteCachedArchive(dir / "cache", {InitramfsEntry::File("init", "base init")});
  std::string extra = BuildArchive({InitramfsEntry::File("etc/container.json", "{}")});
  std::string combined = dir / "initrd.cpio";
  WriteConcatenatedArchive(combined, {base}, extra);

  std::string bytes = strato::ReadFile(combined);
  std::string base_bytes = strato::ReadFile(base);
  CHECK(bytes == base_bytes + extra);
  // The kernel unpacks one archive after the other; cpio reads each part on its own.
  std::string tail = dir / "tail.cpio";
  strato::WriteFileAtomic(tail, bytes.substr(base_bytes.size()));
  auto first = RunShell("cpio -t --quiet < " + combined);
  auto second = RunShell("cpio -t --quiet < " + tail);
  CHECK(first.output == "init\n");
  CHECK(second.output == "etc\netc/container.json\n");
}

TEST_CASE("building from bad inputs fails with errors naming the entry or file") {
  TempDir dir;
  CHECK_THROWS_WITH(
      BuildArchive({InitramfsEntry::HostFile("init", dir / "missing")}),
      "initramfs entry 'init': stat " + (dir / "missing") + ": No such file or directory");
  CHECK_THROWS_WITH(BuildArchive({InitramfsEntry::HostFile("d", dir / "")}),
                    "initramfs entry 'd': " + (dir / "") + " is not a regular file");

  std::string not_cpio = dir / "not.cpio";
  strato::WriteFileAtomic(not_cpio, "garbage!");
  CHECK_THROWS_WITH(WriteConcatenatedArchive(dir / "out", {not_cpio}),
                    "initramfs part " + not_cpio + ": not a newc cpio archive (no 070701 magic)");
  std::string misaligned = dir / "misaligned.cpio";
  strato::WriteFileAtomic(misaligned, "070701x");
  CHECK_THROWS_WITH(WriteConcatenatedArchive(dir / "out", {misaligned}),
                    Catch::Matchers::EndsWith("is not a multiple of 4, the next archive would be "
                                              "misaligned"));
  CHECK_FALSE(fs::exists(dir.path / "out"));
}
