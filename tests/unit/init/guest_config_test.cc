// The guest config (/strato/config.json): serialization, parsing, validation.

#include "guest/config/guest_config.h"

#include <catch2/catch.hpp>

#include "guest/config/disk_serial.h"
#include "init_test_support.h"
#include "oci/json_reader.h"

namespace strato::guest {
namespace {

using test::MinimalConfig;

std::string ErrorOf(const std::string& text) {
  try {
    ParseGuestConfig(text);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

// A valid document with one field of the strato section replaced.
std::string WithStrato(const std::string& strato_fields) {
  return R"({"strato":{"version":1,)" + strato_fields + R"(},"spec":)" + test::MinimalSpecJson() +
         "}";
}

TEST_CASE("guest config round-trips every field") {
  GuestConfig c = MinimalConfig();
  c.upper.tmpfs_size_bytes = 123456789;
  c.upper.scratch_disk_serial = "strato-scratch";
  c.hostname = "web-1";
  c.files = {{"/etc/hosts", "127.0.0.1 localhost\n", 0644},
             {"/etc/resolv.conf", "nameserver 10.0.0.1\n", 0600}};
  std::string text = SerializeGuestConfig(c);
  GuestConfig back = ParseGuestConfig(text);
  REQUIRE(back.layers.size() == 2);
  CHECK(back.layers[0].serial == "strato-L0-00000000");
  CHECK(back.layers[0].digest == "sha256:00000000aa");
  CHECK(back.layers[1].serial == "strato-L1-11111111");
  CHECK(back.upper.tmpfs_size_bytes == 123456789);
  CHECK(back.upper.scratch_disk_serial == std::optional<std::string>("strato-scratch"));
  CHECK(back.hostname == "web-1");
  CHECK(back.EffectiveHostname() == "web-1");
  REQUIRE(back.files.size() == 2);
  CHECK(back.files[1].path == "/etc/resolv.conf");
  CHECK(back.files[1].contents == "nameserver 10.0.0.1\n");
  CHECK(back.files[1].mode == 0600);
  REQUIRE(back.spec.process);
  CHECK(back.spec.process->args == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
  CHECK(back.spec.hostname == "spec-host");
  // Deterministic: serializing the parsed config gives the same bytes.
  CHECK(SerializeGuestConfig(back) == text);
}

TEST_CASE("guest config defaults: tmpfs upper, spec hostname") {
  GuestConfig back = ParseGuestConfig(
      R"({"strato":{"version":1,"layers":[{"serial":"strato-L0-abcdef01"}]},"spec":)" +
      test::MinimalSpecJson() + "}");
  CHECK(back.upper.tmpfs_size_bytes == kDefaultUpperTmpfsBytes);
  CHECK_FALSE(back.upper.scratch_disk_serial);
  CHECK(back.files.empty());
  CHECK(back.EffectiveHostname() == "spec-host");
}

TEST_CASE("guest config rejects malformed input with the JSON path") {
  const std::string layer = R"("layers":[{"serial":"strato-L0-abcdef01"}])";
  CHECK(ErrorOf("{").find("guest config: invalid JSON") != std::string::npos);
  CHECK(ErrorOf("[]") == "expected an object, got array");
  CHECK(ErrorOf(R"({"spec":{}})") == "strato: required field missing");
  CHECK(ErrorOf(R"({"strato":{"version":2},"spec":{}})") ==
        "strato.version: unsupported guest config version 2 (this strato-init reads version 1)");
  CHECK(ErrorOf(WithStrato(R"("layers":[])")) == "strato.layers: must list at least one layer");
  CHECK(ErrorOf(WithStrato(R"("layers":[{"serial":"has space"}])")) ==
        "strato.layers[0].serial: \"has space\" is not a valid disk serial");
  CHECK(ErrorOf(WithStrato(R"("layers":[{"serial":"a"},{"serial":"a"}])")) ==
        "strato.layers[1].serial: duplicate disk serial \"a\"");
  CHECK(ErrorOf(WithStrato(R"("layers":[{"serial":"123456789012345678901"}])")) ==
        "strato.layers[0].serial: \"123456789012345678901\" is not a valid disk serial");
  CHECK(ErrorOf(WithStrato(layer + R"(,"upper":{"tmpfsSizeBytes":0})")) ==
        "strato.upper.tmpfsSizeBytes: must not be 0");
  CHECK(ErrorOf(WithStrato(layer + R"(,"upper":{"scratchDiskSerial":"strato-L0-abcdef01"})")) ==
        "strato.upper.scratchDiskSerial: \"strato-L0-abcdef01\" is also a layer");
  CHECK(ErrorOf(WithStrato(layer + R"(,"files":[{"path":"etc/hosts","contents":""}])")) ==
        "strato.files[0].path: \"etc/hosts\" is not a clean absolute path");
  CHECK(ErrorOf(WithStrato(layer + R"(,"files":[{"path":"/etc/../x","contents":""}])")) ==
        "strato.files[0].path: \"/etc/../x\" is not a clean absolute path");
  CHECK(ErrorOf(WithStrato(layer + R"(,"files":[{"path":"/a","contents":"","mode":4096}])")) ==
        "strato.files[0].mode: larger than 07777");
  CHECK(ErrorOf(WithStrato(layer + R"(,"files":[{"path":"/a","contents":1}])")) ==
        "strato.files[0].contents: expected a string, got number 1");
  CHECK(ErrorOf(WithStrato(layer + R"(,"hostname":")" + std::string(65, 'h') + "\"")) ==
        "strato.hostname: longer than 64 bytes");
  // Errors inside the OCI spec are anchored under "spec".
  CHECK(ErrorOf(R"({"strato":{"version":1,)" + layer +
                R"(},"spec":{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},)"
                R"("args":[],"cwd":"/"}}})") == "spec.process.args: must not be empty");
  CHECK(ErrorOf(R"({"strato":{"version":1,)" + layer + R"(},"spec":{"ociVersion":"1.0.2"}})") ==
        "spec.process: required field missing (the container's process)");
  CHECK(ErrorOf(std::string(kMaxConfigBytes + 1, ' ')).find("larger than") != std::string::npos);
}

TEST_CASE("writer refuses what the reader would refuse") {
  GuestConfig c = MinimalConfig();
  c.files = {{"/etc/hosts", std::string(kMaxCopiedFileBytes + 1, 'x'), 0644}};
  CHECK_THROWS_WITH(SerializeGuestConfig(c),
                    "strato.files[0].contents: 1048577 bytes, at most 1048576 allowed");
  c = MinimalConfig();
  c.files = {{"/etc/hosts", "\xff\xfe not utf-8", 0644}};
  CHECK_THROWS_WITH(SerializeGuestConfig(c),
                    Catch::Contains("a copied file or the spec is not UTF-8 text"));
  c = MinimalConfig();
  c.layers.clear();
  CHECK_THROWS_WITH(SerializeGuestConfig(c), "strato.layers: must list at least one layer");
}

TEST_CASE("layer disk serials fit virtio-blk's 20 bytes") {
  CHECK(LayerDiskSerial(0, "sha256:1a2b3c4d5e6f") == "strato-L0-1a2b3c4d");
  CHECK(LayerDiskSerial(999, "0123456789") == "strato-L999-01234567");
  CHECK(LayerDiskSerial(999, "0123456789").size() == kMaxDiskSerialBytes);
  CHECK(IsValidDiskSerial(LayerDiskSerial(12, "sha256:abcdef0123")));
  CHECK(IsValidDiskSerial(kScratchDiskSerial));
  CHECK_THROWS_WITH(LayerDiskSerial(1000, "sha256:abcdef0123"),
                    "layer index 1000 does not fit a disk serial (max 999)");
  CHECK_THROWS_WITH(LayerDiskSerial(0, "sha256:abc"),
                    "layer digest \"sha256:abc\" has fewer than 8 hex digits");
  CHECK_THROWS_WITH(LayerDiskSerial(0, "sha256:ABCDEF0123"),
                    "layer digest \"sha256:ABCDEF0123\" is not lowercase hex");
  CHECK_FALSE(IsValidDiskSerial(""));
  CHECK_FALSE(IsValidDiskSerial("a/b"));
}

}  // namespace
}  // namespace strato::guest
