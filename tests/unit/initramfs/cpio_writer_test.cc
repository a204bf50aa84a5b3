#include "rootfs/initramfs/cpio_writer.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "common/file_util.h"
#include "tests/unit/initramfs/cpio_test_support.h"

using strato::initramfs::CpioWriter;
using strato::initramfs::DeviceKind;
using strato::initramfs::test::RunShell;
using strato::initramfs::test::TempDir;
namespace fs = std::filesystem;

namespace {
// One newc header built by hand from the spec: magic + 13 fields of 8 hex digits.
std::string Header(const char* ino, const char* mode, const char* uid, const char* gid,
                   const char* nlink, const char* mtime, const char* size, const char* rmaj,
                   const char* rmin, const char* namesize) {
  return std::string("070701") + ino + mode + uid + gid + nlink + mtime + size + "00000000" +
         "00000000" + rmaj + rmin + namesize + "00000000";
}
std::string Bytes(const char* s, size_t n) {
  return std::string(s, n);
}
}  // namespace

TEST_CASE("newc archive of a directory, a file and a symlink has the exact expected bytes") {
  CpioWriter writer;
  writer.AddDirectory("bin", {.permissions = 0755, .mtime = 0x5f000000});
  writer.AddFile("/bin/hi", "hey\n", {.permissions = 0700, .uid = 1000, .gid = 100});
  writer.AddSymlink("sh", "bin/hi");
  std::string archive = writer.Finish();

  std::string expected;
  // "bin": 110-byte header + "bin\0" = 114 -> 2 bytes of padding to 116.
  expected += Header("00000001", "000041ED", "00000000", "00000000", "00000002", "5F000000",
                     "00000000", "00000000", "00000000", "00000004");
  expected += Bytes("bin\0\0\0", 6);
  // "bin/hi": 110 + 7 = 117 -> 3 bytes of padding; data "hey\n" already 4-aligned.
  expected += Header("00000002", "000081C0", "000003E8", "00000064", "00000001", "00000000",
                     "00000004", "00000000", "00000000", "00000007");
  expected += Bytes("bin/hi\0\0\0\0", 10);
  expected += "hey\n";
  // "sh" -> "bin/hi": 110 + 3 = 113 -> 3 bytes of padding; 6 data bytes -> 2 bytes of padding.
  expected += Header("00000003", "0000A1FF", "00000000", "00000000", "00000001", "00000000",
                     "00000006", "00000000", "00000000", "00000003");
  expected += Bytes("sh\0\0\0\0", 6);
  expected += Bytes("bin/hi\0\0", 8);
  // Trailer: 110 + 11 = 121 -> 3 bytes of padding.
  expected += Header("00000000", "00000000", "00000000", "00000000", "00000001", "00000000",
                     "00000000", "00000000", "00000000", "0000000B");
  expected += Bytes("TRAILER!!!\0\0\0\0", 14);

  CHECK(archive.size() == expected.size());
  CHECK(archive == expected);
  CHECK(archive.size() % 4 == 0);
}

TEST_CASE("device nodes carry their type and rdev numbers") {
  CpioWriter writer;
  writer.AddDevice("dev/console", DeviceKind::kCharacter, 5, 1, {.permissions = 0600});
  writer.AddDevice("dev/vda", DeviceKind::kBlock, 254, 0, {.permissions = 0660});
  std::string archive = writer.Finish();
  // Entry 1 is the implicit "dev" directory; entry 2 the console.
  size_t console = archive.find("070701", 1);
  REQUIRE(console != std::string::npos);
  CHECK(archive.substr(console + 14, 8) == "00002180");  // S_IFCHR | 0600
  CHECK(archive.substr(console + 78, 8) == "00000005");  // c_rdevmajor
  CHECK(archive.substr(console + 86, 8) == "00000001");  // c_rdevminor
  size_t disk = archive.find("070701", console + 1);
  REQUIRE(disk != std::string::npos);
  CHECK(archive.substr(disk + 14, 8) == "000061B0");  // S_IFBLK | 0660
  CHECK(archive.substr(disk + 78, 8) == "000000FE");
}

TEST_CASE("missing parent directories are added before the entry") {
  CpioWriter writer;
  writer.AddFile("a/b/c", "x");
  CHECK(writer.entry_count() == 3);
  std::string archive = writer.Finish();
  size_t a = archive.find(std::string("a\0", 2));
  size_t ab = archive.find(std::string("a/b\0", 4));
  size_t abc = archive.find(std::string("a/b/c\0", 6));
  REQUIRE(a != std::string::npos);
  CHECK(a < ab);
  CHECK(ab < abc);
}

TEST_CASE("the writer rejects bad paths, duplicates and bad permissions with clear errors") {
  CpioWriter writer;
  writer.AddFile("etc/hosts", "");
  CHECK_THROWS_WITH(writer.AddFile("etc/hosts", "again"),
                    "initramfs entry 'etc/hosts': added twice");
  CHECK_THROWS_WITH(writer.AddFile("../escape", ""),
                    "initramfs entry '../escape': empty, '.' or '..' path component");
  CHECK_THROWS_WITH(writer.AddFile("a//b", ""),
                    "initramfs entry 'a//b': empty, '.' or '..' path component");
  CHECK_THROWS_WITH(writer.AddFile("/", ""),
                    "initramfs entry: empty path (the root directory exists already)");
  CHECK_THROWS_WITH(writer.AddFile("x", "", {.permissions = 0100644}),
                    "initramfs entry 'x': permissions have bits outside 07777");
  CHECK_THROWS_WITH(writer.AddFile(std::string(4096, 'n'), ""),
                    Catch::Matchers::EndsWith("path longer than 4095 bytes"));
  CHECK_THROWS_WITH(writer.AddFile("TRAILER!!!", ""),
                    Catch::Matchers::EndsWith("reserved for the archive trailer"));
  CHECK_THROWS_WITH(writer.AddSymlink("l", ""),
                    "initramfs symlink 'l': target must be 1..4095 bytes without NUL");
}

TEST_CASE("output is deterministic and the writer is reusable after Finish") {
  auto build = [](CpioWriter& w) {
    w.AddDirectory("etc");
    w.AddFile("etc/motd", "hello");
    return w.Finish();
  };
  CpioWriter writer;
  std::string first = build(writer);
  std::string second = build(writer);
  CHECK(first == second);
}

TEST_CASE("GNU cpio lists and extracts our archive with names, modes, owners, data and links") {
  TempDir dir;
  CpioWriter writer;
  writer.AddDirectory("bin", {.permissions = 0751});
  writer.AddFile("bin/tool",
                 std::string("\x7f"
                             "ELF\0binary",
                             10),
                 {.permissions = 0755});
  writer.AddFile("etc/conf", "key=value\n",
                 {.permissions = 0640, .uid = 1000, .gid = 1001, .mtime = 1700000000});
  writer.AddFile("empty", "");
  writer.AddSymlink("bin/alias", "tool");
  writer.AddDevice("dev/null", DeviceKind::kCharacter, 1, 3, {.permissions = 0666});
  writer.AddFifo("run/fifo", {.permissions = 0620});
  std::string archive_path = dir / "test.cpio";
  writer.WriteTo(archive_path);

  auto listing = RunShell("cpio -t --quiet < " + archive_path);
  REQUIRE(listing.exit_code == 0);
  CHECK(listing.output ==
        "bin\nbin/tool\netc\netc/conf\nempty\nbin/alias\ndev\ndev/null\nrun\nrun/fifo\n");

  fs::create_directory(dir.path / "out");
  auto extract = RunShell("cd " + (dir / "out") +
                          " && cpio -idv --no-absolute-filenames --preserve-modification-time < " +
                          archive_path);
  REQUIRE(extract.exit_code == 0);
  INFO(extract.output);
  CHECK(strato::ReadFile(dir / "out/bin/tool") == std::string("\x7f"
                                                              "ELF\0binary",
                                                              10));
  CHECK(strato::ReadFile(dir / "out/etc/conf") == "key=value\n");
  CHECK(strato::ReadFile(dir / "out/empty").empty());
  CHECK(fs::read_symlink(dir.path / "out/bin/alias") == "tool");

  struct stat st {};
  REQUIRE(::stat((dir / "out/bin/tool").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  REQUIRE(::stat((dir / "out/etc/conf").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_mtime == 1700000000);
  if (::geteuid() == 0) {  // cpio restores owners and creates device nodes only as root
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);
    REQUIRE(::stat((dir / "out/dev/null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(major(st.st_rdev) == 1);
    CHECK(minor(st.st_rdev) == 3);
  } else {
    WARN("SKIP: owner and device-node checks need root");
  }
  REQUIRE(::lstat((dir / "out/run/fifo").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  REQUIRE(::stat((dir / "out/bin").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0751);
}
