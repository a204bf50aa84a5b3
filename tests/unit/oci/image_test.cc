#include "oci/image.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/file_util.h"
#include "image_builder.h"

using nlohmann::json;
using strato::oci::Image;
using strato::oci::LayerFormat;
using strato::oci::OpenImage;
using strato::testing::Sha256Digest;
using strato::testing::TestImage;

namespace {
std::string TempPath(const std::string& tag) {
  return "/tmp/strato-oci-" + tag + "-" + std::to_string(::getpid());
}
}  // namespace

TEST_CASE("OCI layout directory: layers bottom-to-top, diffIDs and config") {
  TestImage img(TempPath("dir"));
  img.BuildSimple({"layer-one", "layer-two", "layer-three"});
  Image image = OpenImage(img.dir());
  CHECK(image.manifest_digest == img.manifest_digest);
  CHECK(image.config_digest == img.config_digest);
  REQUIRE(image.layers.size() == 3);
  CHECK(image.layers[0].diff_id == Sha256Digest("layer-one"));
  CHECK(image.layers[2].digest == Sha256Digest("layer-three"));
  CHECK(image.layers[1].format == LayerFormat::kTar);
  CHECK(image.layers[1].blob.size == 9);
  CHECK(image.layers[1].blob.file ==
        img.dir() + "/blobs/sha256/" + Sha256Digest("layer-two").substr(7));
  CHECK(image.config.entrypoint == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK(image.config.cmd == std::vector<std::string>{"echo hello"});
  CHECK(image.config.working_dir == "/srv");
  CHECK(image.config.user == "1000:1000");
  CHECK(image.config.env == std::vector<std::string>{"PATH=/usr/bin:/bin"});
}

TEST_CASE("OCI layout in a tar archive: blobs are read in place") {
  TestImage img(TempPath("tarsrc"));
  img.BuildSimple({"bottom", "top"});
  std::string tar = TempPath("archive") + ".tar";
  strato::testing::WriteTarOfDirectory(img.dir(), tar);
  Image image = OpenImage(tar);
  REQUIRE(image.layers.size() == 2);
  CHECK(image.layers[1].blob.file == tar);
  CHECK(strato::oci::ReadBlob(image.layers[1].blob, 100, "top") == "top");
  CHECK(image.layers[0].diff_id == Sha256Digest("bottom"));
  std::filesystem::remove(tar);
}

TEST_CASE("nested multi-platform index selects linux/amd64") {
  TestImage img(TempPath("multi"));
  img.BuildSimple({"amd64-layer"});
  json amd64_desc = img.index["manifests"][0];
  // An arm64 image beside it, listed first.
  json arm_config = {{"architecture", "arm64"},
                     {"os", "linux"},
                     {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  json arm_manifest = {
      {"schemaVersion", 2},
      {"config", img.Descriptor("application/vnd.oci.image.config.v1+json", arm_config.dump())},
      {"layers", json::array()}};
  json arm_desc = img.Descriptor("application/vnd.oci.image.manifest.v1+json", arm_manifest.dump());
  arm_desc["platform"] = {{"os", "linux"}, {"architecture", "arm64"}};
  json inner = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", {arm_desc, amd64_desc}}};
  img.index = {
      {"schemaVersion", 2},
      {"manifests", {img.Descriptor("application/vnd.oci.image.index.v1+json", inner.dump())}}};
  img.WriteIndex();
  Image image = OpenImage(img.dir());
  CHECK(image.manifest_digest == img.manifest_digest);
  CHECK(image.config.architecture == "amd64");
  CHECK(image.layers.size() == 1);
}

TEST_CASE("docker save archive (manifest.json) with uncompressed layers") {
  std::string config =
      json{{"architecture", "amd64"},
           {"os", "linux"},
           {"config", {{"Cmd", {"/bin/sh"}}}},
           {"rootfs", {{"type", "layers"}, {"diff_ids", {Sha256Digest("L1"), Sha256Digest("L2")}}}}}
          .dump();
  std::string config_name = Sha256Digest(config).substr(7) + ".json";
  json manifest = json::array({{{"Config", config_name},
                                {"RepoTags", {"example:1"}},
                                {"Layers", {"aaa/layer.tar", "bbb/layer.tar"}}}});
  std::string tar = TempPath("docker") + ".tar";
  strato::WriteFileAtomic(tar, strato::testing::MakeTar({{"manifest.json", manifest.dump()},
                                                         {config_name, config},
                                                         {"aaa/layer.tar", "L1"},
                                                         {"bbb/layer.tar", "L2"}}));
  Image image = OpenImage(tar, {.ref = "example:1"});
  REQUIRE(image.layers.size() == 2);
  CHECK(image.layers[1].diff_id == Sha256Digest("L2"));
  CHECK(strato::oci::ReadBlob(image.layers[0].blob, 10, "l") == "L1");
  CHECK(image.config.cmd == std::vector<std::string>{"/bin/sh"});
  CHECK(image.config_digest == Sha256Digest(config));
  CHECK_THROWS_WITH(OpenImage(tar, {.ref = "other"}), "manifest.json: no image tagged \"other\"");
  std::filesystem::remove(tar);
}

TEST_CASE("image ref selects among several manifests") {
  TestImage img(TempPath("refs"));
  img.BuildSimple({"v1-layer"});
  json first = img.index["manifests"][0];
  first["annotations"]["org.opencontainers.image.ref.name"] = "v1";
  img.BuildSimple({"v2-layer"});
  json second = img.index["manifests"][0];
  second["annotations"]["org.opencontainers.image.ref.name"] = "v2";
  img.index["manifests"] = {first, second};
  img.WriteIndex();
  CHECK(OpenImage(img.dir(), {.ref = "v2"}).layers[0].diff_id == Sha256Digest("v2-layer"));
  CHECK(OpenImage(img.dir(), {.ref = "v1"}).layers[0].diff_id == Sha256Digest("v1-layer"));
  CHECK(OpenImage(img.dir()).layers[0].diff_id == Sha256Digest("v1-layer"));
}
