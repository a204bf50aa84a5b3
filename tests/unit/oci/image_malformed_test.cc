// Malformed images: each case breaks one thing in a valid layout and asserts the exact error.

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "image_builder.h"
#include "oci/image.h"

using nlohmann::json;
using strato::oci::OpenImage;
using strato::testing::Sha256Digest;
using strato::testing::TestImage;

namespace {

std::string Dir() {
  return "/tmp/strato-oci-bad-" + std::to_string(::getpid());
}

std::string BlobPath(const TestImage& img, const std::string& digest) {
  return img.dir() + "/blobs/sha256/" + digest.substr(7);
}

// Rewrites the manifest (and so its digest) after `edit`, keeping index.json consistent.
template <typename Edit>
void RewriteManifest(TestImage& img, Edit edit) {
  edit(img.manifest);
  json desc = img.Descriptor("application/vnd.oci.image.manifest.v1+json", img.manifest.dump());
  desc["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
  img.manifest_digest = desc["digest"];
  img.index["manifests"] = {desc};
  img.WriteIndex();
}

void ExpectError(const std::string& path, const std::string& message) {
  CHECK_THROWS_MATCHES(OpenImage(path), strato::Error, Catch::Message(message));
}

}  // namespace

TEST_CASE("malformed image: neither index.json nor manifest.json", "[malformed]") {
  TestImage img(Dir());
  ExpectError(img.dir(),
              "image layout " + img.dir() +
                  ": neither index.json (OCI layout) nor manifest.json (docker archive) found");
}

TEST_CASE("malformed image: missing oci-layout", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  std::filesystem::remove(img.dir() + "/oci-layout");
  ExpectError(img.dir(), "image layout " + img.dir() + ": oci-layout file missing");
}

TEST_CASE("malformed image: corrupt index.json", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  strato::WriteFileAtomic(img.dir() + "/index.json", "{\"schemaVersion\": 2, \"manifests\": [");
  CHECK_THROWS_WITH(
      OpenImage(img.dir()),
      Catch::StartsWith("index.json: invalid JSON: parse error at line 1, column 36"));
}

TEST_CASE("malformed image: manifest blob missing", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  std::filesystem::remove(BlobPath(img, img.manifest_digest));
  ExpectError(img.dir(), "index.json: manifests[0]: blob " + img.manifest_digest +
                             " missing from image layout " + img.dir());
}

TEST_CASE("malformed image: manifest digest mismatch", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  std::string path = BlobPath(img, img.manifest_digest);
  std::string text = strato::ReadFile(path);
  text[text.size() - 1] = ' ';  // same size, different bytes
  strato::WriteFileAtomic(path, text);
  ExpectError(img.dir(), "index.json: manifests[0]: digest mismatch: expected " +
                             img.manifest_digest + ", content is " + Sha256Digest(text));
}

TEST_CASE("malformed image: manifest size mismatch", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  img.index["manifests"][0]["size"] = 3;
  img.WriteIndex();
  ExpectError(img.dir(), "index.json: manifests[0]: size mismatch for " + img.manifest_digest +
                             ": descriptor says 3 bytes, blob has " +
                             std::to_string(img.manifest.dump().size()));
}

TEST_CASE("malformed image: unsupported digest algorithm", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  img.index["manifests"][0]["digest"] = "sha512:abcd";
  img.WriteIndex();
  ExpectError(img.dir(),
              "index.json: manifests[0].digest: unsupported digest algorithm \"sha512\" "
              "(strato verifies sha256)");
}

TEST_CASE("malformed image: digest that is a path trick", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  img.index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd";
  img.WriteIndex();
  ExpectError(img.dir(),
              "index.json: manifests[0].digest: malformed digest "
              "\"sha256:../../../../etc/passwd\" (sha256 needs 64 lower-case hex digits)");
}

TEST_CASE("malformed image: descriptor without digest", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  img.index["manifests"][0].erase("digest");
  img.WriteIndex();
  ExpectError(img.dir(), "index.json: manifests[0].digest: required field missing");
}

TEST_CASE("malformed image: unsupported layer media type", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  RewriteManifest(img, [](json& m) {
    m["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+lz4";
  });
  ExpectError(img.dir(), "manifest " + img.manifest_digest +
                             ": layers[0].mediaType: unsupported layer media type "
                             "\"application/vnd.oci.image.layer.v1.tar+lz4\"");
}

TEST_CASE("malformed image: layer blob corrupted", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"good-bytes"});
  std::string digest = Sha256Digest("good-bytes");
  strato::WriteFileAtomic(BlobPath(img, digest), "evil-bytes");
  ExpectError(img.dir(), "manifest " + img.manifest_digest + ": layers[0] (" + digest +
                             "): digest mismatch: expected " + digest + ", content is " +
                             Sha256Digest("evil-bytes"));
}

TEST_CASE("malformed image: layer blob missing", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a", "b"});
  std::string digest = Sha256Digest("b");
  std::filesystem::remove(BlobPath(img, digest));
  ExpectError(img.dir(), "manifest " + img.manifest_digest + ": layers[1]: blob " + digest +
                             " missing from image layout " + img.dir());
}

TEST_CASE("malformed image: diff_ids count differs from layers", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a", "b"});
  RewriteManifest(img, [](json& m) { m["layers"].erase(1); });
  ExpectError(img.dir(), "manifest " + img.manifest_digest +
                             ": layers: 1 layers but the config lists 2 diff_ids");
}

TEST_CASE("malformed image: uncompressed layer whose digest is not its diffID", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  RewriteManifest(img, [&](json& m) {
    m["layers"][0] = img.Descriptor("application/vnd.oci.image.layer.v1.tar", "other");
  });
  ExpectError(img.dir(), "manifest " + img.manifest_digest +
                             ": layers[0]: uncompressed layer digest " + Sha256Digest("other") +
                             " differs from its diffID " + Sha256Digest("a"));
}

TEST_CASE("malformed image: only an arm64 image", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"}, "arm64");
  ExpectError(img.dir(), "image layout " + img.dir() + ": no linux/amd64 image in index.json");
}

TEST_CASE("malformed image: config says arm64 though the index has no platform", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"}, "arm64");
  img.index["manifests"][0].erase("platform");
  img.WriteIndex();
  ExpectError(img.dir(), "config " + img.config_digest +
                             ": image is for linux/arm64, strato needs linux/amd64");
}

TEST_CASE("malformed image: manifest schemaVersion 1", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  RewriteManifest(img, [](json& m) { m["schemaVersion"] = 1; });
  ExpectError(img.dir(), "manifest " + img.manifest_digest +
                             ": schemaVersion: unsupported schemaVersion 1 (expected 2)");
}

TEST_CASE("malformed image: config with a bad diff_id", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  img.config["rootfs"]["diff_ids"][0] = "sha256:xyz";
  std::string config_text = img.config.dump();
  RewriteManifest(img, [&](json& m) {
    m["config"] = img.Descriptor("application/vnd.oci.image.config.v1+json", config_text);
  });
  ExpectError(img.dir(), "config " + Sha256Digest(config_text) +
                             ": rootfs.diff_ids[0]: malformed digest \"sha256:xyz\" (sha256 needs "
                             "64 lower-case hex digits)");
}

TEST_CASE("malformed image: indexes nested too deep", "[malformed]") {
  TestImage img(Dir());
  img.BuildSimple({"a"});
  json desc = img.index["manifests"][0];
  for (int i = 0; i < 5; ++i) {
    json inner = {{"schemaVersion", 2}, {"manifests", {desc}}};
    desc = img.Descriptor("application/vnd.oci.image.index.v1+json", inner.dump());
  }
  img.index["manifests"] = {desc};
  img.WriteIndex();
  CHECK_THROWS_WITH(OpenImage(img.dir()),
                    Catch::EndsWith("manifests[0]: indexes nested more than 4 deep"));
}

namespace {
std::string DockerArchive(const std::string& config_name, const std::string& config,
                          const json& layers,
                          std::vector<std::pair<std::string, std::string>> extra = {}) {
  json manifest = json::array({{{"Config", config_name}, {"Layers", layers}}});
  extra.insert(extra.begin(), {{"manifest.json", manifest.dump()}, {config_name, config}});
  std::string tar = Dir() + ".tar";
  strato::WriteFileAtomic(tar, strato::testing::MakeTar(extra));
  return tar;
}
std::string OneLayerConfig() {
  return json{{"architecture", "amd64"},
              {"os", "linux"},
              {"rootfs", {{"type", "layers"}, {"diff_ids", {Sha256Digest("L1")}}}}}
      .dump();
}
}  // namespace

TEST_CASE("malformed image: docker archive layer path climbs out", "[malformed]") {
  std::string tar = DockerArchive("c.json", OneLayerConfig(), {"../../etc/passwd"});
  ExpectError(tar,
              "manifest.json: [0].Layers[0]: unsafe path \"../../etc/passwd\": component \"..\" "
              "not allowed");
  std::filesystem::remove(tar);
}

TEST_CASE("malformed image: docker archive absolute layer path", "[malformed]") {
  std::string tar = DockerArchive("c.json", OneLayerConfig(), {"/etc/passwd"});
  ExpectError(tar, "manifest.json: [0].Layers[0]: unsafe path \"/etc/passwd\": absolute");
  std::filesystem::remove(tar);
}

TEST_CASE("malformed image: docker archive config digest mismatch", "[malformed]") {
  std::string name = std::string(64, 'a') + ".json";
  std::string tar = DockerArchive(name, OneLayerConfig(), {"l.tar"}, {{"l.tar", "L1"}});
  ExpectError(tar, "manifest.json: [0].Config: digest mismatch: file name says sha256:" +
                       std::string(64, 'a') + ", content is " + Sha256Digest(OneLayerConfig()));
  std::filesystem::remove(tar);
}

TEST_CASE("malformed image: docker archive layer not matching its diffID", "[malformed]") {
  std::string tar = DockerArchive("c.json", OneLayerConfig(), {"l.tar"}, {{"l.tar", "XX"}});
  ExpectError(tar, "manifest.json: [0].Layers[0] (l.tar): digest mismatch: expected " +
                       Sha256Digest("L1") + ", content is " + Sha256Digest("XX"));
  std::filesystem::remove(tar);
}

TEST_CASE("malformed image: tar archive with a corrupt header", "[malformed]") {
  std::string tar = DockerArchive("c.json", OneLayerConfig(), {"l.tar"}, {{"l.tar", "L1"}});
  std::string bytes = strato::ReadFile(tar);
  bytes[512 * 2 + 10] ^= 0x20;  // a name byte of the second member's header
  strato::WriteFileAtomic(tar, bytes);
  ExpectError(tar, "image archive " + tar + ": header at offset 1024: bad header checksum");
  std::filesystem::remove(tar);
}

TEST_CASE("malformed image: tar member running past end of file", "[malformed]") {
  std::string tar = DockerArchive("c.json", OneLayerConfig(), {"l.tar"}, {{"l.tar", "L1"}});
  std::string bytes = strato::ReadFile(tar);
  strato::WriteFileAtomic(tar, bytes.substr(0, 512 + 20));  // header of manifest.json, data cut
  CHECK_THROWS_WITH(OpenImage(tar), Catch::Contains("header at offset 0: entry size") &&
                                        Catch::EndsWith("runs past end of file"));
  strato::WriteFileAtomic(tar, bytes.substr(0, 2048 + 100));  // a header cut short
  ExpectError(tar, "image archive " + tar + ": header at offset 2048: truncated");
  std::filesystem::remove(tar);
}

namespace {

// Rewrites the checksum of the header at `offset` so that only the field the test broke is wrong.
void FixTarChecksum(std::string& bytes, size_t offset) {
  constexpr size_t kChecksumOffset = 148, kChecksumLength = 8;  // ustar header field
  std::fill_n(bytes.begin() + static_cast<long>(offset + kChecksumOffset), kChecksumLength, ' ');
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += static_cast<uint8_t>(bytes[offset + i]);
  char field[kChecksumLength + 1];
  std::snprintf(field, sizeof field, "%06o", sum);
  bytes.replace(offset + kChecksumOffset, 7, field, 7);  // six digits, NUL, then the space
}

}  // namespace

TEST_CASE("malformed image: tar member with a size that is not octal", "[malformed]") {
  std::string tar = DockerArchive("c.json", OneLayerConfig(), {"l.tar"}, {{"l.tar", "L1"}});
  std::string bytes = strato::ReadFile(tar);
  bytes[124] = '9';  // first digit of the first member's size field
  FixTarChecksum(bytes, 0);
  strato::WriteFileAtomic(tar, bytes);
  ExpectError(tar, "image archive " + tar + ": header at offset 0: invalid size field (not octal)");
  std::filesystem::remove(tar);
}

TEST_CASE("malformed image: a file that is not a tar archive", "[malformed]") {
  std::string path = Dir() + ".junk";
  strato::WriteFileAtomic(path, std::string(2048, 'x'));
  ExpectError(path, "image archive " + path +
                        ": header at offset 0: not a tar archive (bad header checksum)");
  std::filesystem::remove(path);
}

TEST_CASE("malformed image: path that does not exist", "[malformed]") {
  ExpectError("/nonexistent/image", "open image /nonexistent/image: No such file or directory");
}
