// The rootfs mounts containerd gives Create -> the layer images the VM attaches.

#include "shim/backend/rootfs_layers.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rootfs/layer_cache.h"
#include "test_bundle.h"

namespace fs = std::filesystem;
using strato::shim::MaterializeRootfsLayers;
using strato::shim::PlanRootfsLayers;
using strato::shim::RootfsLayerSource;
using strato::shim::RootfsMount;
using Kind = strato::shim::RootfsLayerSource::Kind;

namespace {

RootfsLayerSource Dir(const std::string& path, bool user_xattrs = false) {
  return {Kind::kDirectory, path, user_xattrs};
}

}  // namespace

TEST_CASE("overlay rootfs: lowerdirs bottom first, an empty upperdir is skipped") {
  strato::shim::testing::TempBundle bundle;
  fs::create_directories(bundle.file("upper"));
  RootfsMount overlay{"overlay",
                      "overlay",
                      "",
                      {"index=off", "workdir=" + bundle.file("work"),
                       "upperdir=" + bundle.file("upper"), "lowerdir=/s/3/fs:/s/2/fs:/s/1/fs"}};
  auto plan = PlanRootfsLayers({overlay}, bundle.path(), "rootfs");
  CHECK(plan == std::vector<RootfsLayerSource>{Dir("/s/1/fs"), Dir("/s/2/fs"), Dir("/s/3/fs")});

  // Something already written in the upper dir becomes the top layer.
  std::ofstream(bundle.file("upper/changed")) << "x";
  plan = PlanRootfsLayers({overlay}, bundle.path(), "rootfs");
  REQUIRE(plan.size() == 4);
  CHECK(plan.back() == Dir(bundle.file("upper")));
}

TEST_CASE("overlay rootfs: userxattr and escaped colons") {
  RootfsMount overlay{"overlay", "overlay", "", {"userxattr", "lowerdir=/a\\:b:/c"}};
  auto plan = PlanRootfsLayers({overlay}, "/bundle", "");
  CHECK(plan == std::vector<RootfsLayerSource>{Dir("/c", true), Dir("/a:b", true)});
}

TEST_CASE("erofs and bind rootfs mounts, no mounts uses root.path") {
  auto plan = PlanRootfsLayers(
      {{"erofs", "/img/l0.erofs", "", {"ro"}}, {"erofs", "/img/l1.erofs", "", {"ro"}}}, "/bundle",
      "rootfs");
  CHECK(plan == std::vector<RootfsLayerSource>{{Kind::kErofsImage, "/img/l0.erofs", false},
                                               {Kind::kErofsImage, "/img/l1.erofs", false}});
  CHECK(PlanRootfsLayers({{"bind", "/snap/9/fs", "", {"rbind", "rw"}}}, "/bundle", "") ==
        std::vector<RootfsLayerSource>{Dir("/snap/9/fs")});
  CHECK(PlanRootfsLayers({{"none", "/snap/9/fs", "", {"rbind"}}}, "/bundle", "") ==
        std::vector<RootfsLayerSource>{Dir("/snap/9/fs")});
  CHECK(PlanRootfsLayers({}, "/bundle", "rootfs") ==
        std::vector<RootfsLayerSource>{Dir("/bundle/rootfs")});
  CHECK(PlanRootfsLayers({}, "/bundle", "/abs/root") ==
        std::vector<RootfsLayerSource>{Dir("/abs/root")});
  CHECK(PlanRootfsLayers({}, "/bundle", "") ==
        std::vector<RootfsLayerSource>{Dir("/bundle/rootfs")});
}

TEST_CASE("rootfs mounts strato cannot attach are refused by name") {
  CHECK_THROWS_WITH(
      PlanRootfsLayers({{"ext4", "/dev/sda1", "", {}}}, "/b", ""),
      "rootfs mount (type \"ext4\", source \"/dev/sda1\"): strato cannot attach this mount type "
      "to a VM (supported: overlay from the overlayfs snapshotter, erofs images, bind mounts of "
      "a directory)");
  CHECK_THROWS_WITH(PlanRootfsLayers({{"overlay", "overlay", "", {"upperdir=/u"}}}, "/b", ""),
                    "rootfs mount (type \"overlay\", source \"overlay\"): overlay mount without a "
                    "lowerdir option");
  CHECK_THROWS_WITH(
      PlanRootfsLayers({{"overlay", "overlay", "", {"lowerdir=/a:rel/b"}}}, "/b", ""),
      "rootfs mount (type \"overlay\", source \"overlay\"): lowerdir \"rel/b\" is not an "
      "absolute path");
  CHECK_THROWS_WITH(PlanRootfsLayers({{"erofs", "l0.erofs", "", {}}}, "/b", ""),
                    "rootfs mount (type \"erofs\", source \"l0.erofs\"): source \"l0.erofs\" is "
                    "not an absolute path");
}

TEST_CASE("rootfs layers are converted once through the layer cache, EROFS images pass through") {
  strato::shim::testing::TempBundle work;
  fs::create_directories(work.file("lower1/bin"));
  std::ofstream(work.file("lower1/bin/hello")) << "hello\n";
  fs::create_directories(work.file("lower2/etc"));
  std::ofstream(work.file("lower2/etc/motd")) << "motd\n";
  strato::rootfs::LayerCache cache(work.file("cache"));

  auto plan = PlanRootfsLayers(
      {{"overlay", "overlay", "", {"lowerdir=" + work.file("lower2") + ":" + work.file("lower1")}}},
      work.path(), "");
  auto images = MaterializeRootfsLayers(plan, cache);
  REQUIRE(images.size() == 2);
  for (const auto& image : images) {
    CHECK(strato::rootfs::HasErofsMagic(image.path));
    CHECK(image.path.rfind(work.file("cache") + "/", 0) == 0);
    CHECK(image.digest.rfind("sha256:", 0) == 0);
    CHECK(image.digest.size() == 7 + 64);
  }
  CHECK(images[0].path != images[1].path);
  CHECK(images[0].digest != images[1].digest);

  // Same directories again: the cached images, unchanged.
  auto again = MaterializeRootfsLayers(plan, cache);
  REQUIRE(again.size() == 2);
  CHECK(again[0].path == images[0].path);
  CHECK(again[0].digest == images[0].digest);
  CHECK(fs::last_write_time(again[1].path) == fs::last_write_time(images[1].path));

  // An erofs mount is attached as it is; something else under that name is refused.
  auto passthrough = MaterializeRootfsLayers({{Kind::kErofsImage, images[0].path, false}}, cache);
  REQUIRE(passthrough.size() == 1);
  CHECK(passthrough[0].path == images[0].path);
  CHECK_THROWS_WITH(
      MaterializeRootfsLayers({{Kind::kErofsImage, work.file("lower1/bin/hello"), false}}, cache),
      "rootfs erofs mount source " + work.file("lower1/bin/hello") +
          " is not an EROFS image (no EROFS superblock magic)");
  CHECK_THROWS_WITH(MaterializeRootfsLayers({Dir(work.file("missing"))}, cache),
                    Catch::StartsWith("converting rootfs layer " + work.file("missing") + ": "));
}
