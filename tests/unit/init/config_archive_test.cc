// The per-container initramfs archive: newc cpio holding strato/config.json.

#include "guest/config/config_archive.h"

#include <catch2/catch.hpp>

#include "init_test_support.h"
#include "rootfs/initramfs/cpio_writer.h"

namespace strato::guest {
namespace {

TEST_CASE("config archive round trip") {
  GuestConfig c = test::MinimalConfig();
  c.hostname = "box";
  c.files = {{"/etc/hostname", "box\n", 0644}};
  std::string archive = BuildConfigArchive(c);
  CHECK(archive.size() % 4 == 0);
  CHECK(archive.compare(0, 6, "070701") == 0);
  CHECK(ExtractConfigFromArchive(archive) == SerializeGuestConfig(c));
  GuestConfig back = ReadConfigArchive(archive);
  CHECK(back.hostname == "box");
  REQUIRE(back.files.size() == 1);
  CHECK(back.files[0].contents == "box\n");
  // Same config, same bytes (the archive is cached by content elsewhere).
  CHECK(BuildConfigArchive(c) == archive);
}

TEST_CASE("config archive after a base archive: the last config wins") {
  initramfs::CpioWriter base;
  base.AddFile("init", "#!binary", {.permissions = 0755});
  base.AddFile("strato/config.json", "stale");
  GuestConfig c = test::MinimalConfig();
  std::string both = base.Finish() + BuildConfigArchive(c);
  CHECK(ExtractConfigFromArchive(both) == SerializeGuestConfig(c));
  // Zero padding between concatenated archives is allowed, as the kernel allows it.
  std::string padded =
      initramfs::CpioWriter().Finish() + std::string(512, '\0') + BuildConfigArchive(c);
  CHECK(ExtractConfigFromArchive(padded) == SerializeGuestConfig(c));
}

TEST_CASE("malformed config archives are rejected with the offset") {
  std::string good = BuildConfigArchive(test::MinimalConfig());
  CHECK_THROWS_WITH(ExtractConfigFromArchive(""),
                    "config archive: no TRAILER!!! entry (truncated archive)");
  CHECK_THROWS_WITH(ExtractConfigFromArchive(good.substr(0, 50)),
                    "config archive: truncated header at offset 0");
  // Entry 0 is the "strato" directory (120 bytes); the config entry starts at 120.
  CHECK_THROWS_WITH(ExtractConfigFromArchive(good.substr(0, 300)),
                    "config archive: entry at offset 120 runs past the end of the archive");
  std::string bad_magic = good;
  bad_magic[5] = '2';
  CHECK_THROWS_WITH(ExtractConfigFromArchive(bad_magic),
                    "config archive: no newc magic at offset 0");
  std::string bad_hex = good;
  bad_hex[6 + 6 * 8] = 'z';  // first digit of filesize
  CHECK_THROWS_WITH(ExtractConfigFromArchive(bad_hex),
                    "config archive: bad hex digit in the header at offset 0");
  std::string huge = good;
  huge.replace(6 + 6 * 8, 8, "ffffffff");
  CHECK_THROWS_WITH(ExtractConfigFromArchive(huge),
                    "config archive: entry at offset 0 runs past the end of the archive");
  std::string no_trailer = good.substr(0, good.size() - 124);
  CHECK_THROWS_WITH(ExtractConfigFromArchive(no_trailer), Catch::StartsWith("config archive:"));
  initramfs::CpioWriter other;
  other.AddFile("etc/hosts", "x");
  CHECK_THROWS_WITH(ExtractConfigFromArchive(other.Finish()),
                    "config archive: no strato/config.json entry");
  initramfs::CpioWriter garbage;
  garbage.AddFile("strato/config.json", "{\"strato\":1}");
  CHECK_THROWS_WITH(ReadConfigArchive(garbage.Finish()),
                    Catch::StartsWith("strato: expected an object"));
}

}  // namespace
}  // namespace strato::guest
