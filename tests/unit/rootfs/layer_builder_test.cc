// OCI whiteouts -> overlayfs form, on the in-memory image tree.

#include <catch2/catch.hpp>

#include "rootfs/whiteout.h"
#include "tests/unit/rootfs/rootfs_test_util.h"
#include "tests/unit/rootfs/tar_builder.h"

using namespace strato::rootfs;
using namespace strato::rootfs::testing;

TEST_CASE("whiteout: names are classified") {
  std::string target;
  CHECK(ClassifyWhiteout("file", &target) == WhiteoutKind::kNone);
  CHECK(ClassifyWhiteout(".wh.file", &target) == WhiteoutKind::kFile);
  CHECK(target == "file");
  CHECK(ClassifyWhiteout(".wh..wh..opq", &target) == WhiteoutKind::kOpaque);
  CHECK(ClassifyWhiteout(".wh..wh.plnk", &target) == WhiteoutKind::kMeta);
  CHECK(ClassifyWhiteout(".wh.", &target) == WhiteoutKind::kMeta);
  CHECK(ClassifyWhiteout(".wh..", &target) == WhiteoutKind::kMeta);
  CHECK(OverlayOpaqueXattr(OverlayXattrNamespace::kTrusted) == "trusted.overlay.opaque");
  CHECK(OverlayOriginXattr(OverlayXattrNamespace::kUser) == "user.overlay.origin");
}

TEST_CASE("whiteout: .wh.NAME becomes a 0:0 character device and marks the parent") {
  TreeFromTar t(TarBuilder().Dir("etc").File("etc/.wh.passwd", "").File("etc/keep", "k").Finish());
  const Inode* w = t.Find("etc/passwd");
  REQUIRE(w != nullptr);
  CHECK(w->kind == FileKind::kCharDevice);
  CHECK(w->rdev_major == 0);
  CHECK(w->rdev_minor == 0);
  CHECK(t.Find("etc/.wh.passwd") == nullptr);
  CHECK(t.Xattr("etc", "trusted.overlay.origin") == "");
  CHECK(t.Xattr("etc", "trusted.overlay.opaque") == "<none>");
  CHECK(t.builder.whiteouts() == 1);
}

TEST_CASE("whiteout: opaque marker applies to its directory wherever it appears") {
  // Marker after the directory's contents and before the directory entry itself.
  TreeFromTar t(TarBuilder()
                    .File("d/a", "a")
                    .File("d/.wh..wh..opq", "")
                    .Dir("d", 0700)
                    .File("e/.wh..wh..opq", "")
                    .Finish());
  CHECK(t.Xattr("d", "trusted.overlay.opaque") == "y");
  CHECK(t.Find("d")->mode == 0700);  // the later directory entry merged, marker kept
  CHECK(t.Find("d/a") != nullptr);
  CHECK(t.Find("d/.wh..wh..opq") == nullptr);
  // Missing parents of a marker are created (0755).
  CHECK(t.Find("e")->mode == 0755);
  CHECK(t.Xattr("e", "trusted.overlay.opaque") == "y");
}

TEST_CASE("whiteout: userxattr mode writes user.overlay.*") {
  TreeFromTar t(TarBuilder().File("d/.wh..wh..opq", "").File("d/.wh.x", "").Finish(),
                OverlayXattrNamespace::kUser);
  CHECK(t.Xattr("d", "user.overlay.opaque") == "y");
  CHECK(t.Xattr("d", "user.overlay.origin") == "");
  CHECK(t.Xattr("d", "trusted.overlay.opaque") == "<none>");
}

TEST_CASE("whiteout: a name present in the same layer wins over its whiteout") {
  TreeFromTar t(TarBuilder()
                    .File("f", "new")
                    .File(".wh.f", "")  // after the real entry: ignored
                    .File(".wh.d", "")
                    .Dir("d")  // directory replacing a whiteout: opaque
                    .Dir("e")
                    .File(".wh.e", "")  // whiteout after a new directory: opaque too
                    .Finish());
  CHECK(t.Find("f")->kind == FileKind::kRegular);
  CHECK(t.Find("d")->kind == FileKind::kDirectory);
  CHECK(t.Xattr("d", "trusted.overlay.opaque") == "y");
  CHECK(t.Xattr("e", "trusted.overlay.opaque") == "y");
}

TEST_CASE("whiteout: aufs metadata entries are skipped") {
  TreeFromTar t(TarBuilder().File(".wh..wh.plnk/123.456", "").File(".wh..wh.aufs", "").Finish());
  CHECK(t.tree.at(t.tree.root()).children.size() == 0);
}

TEST_CASE("builder: hardlinks share one inode") {
  TreeFromTar t(TarBuilder().File("a", "data").Link("b", '1', "a").Link("c", '1', "/a").Finish());
  CHECK(t.Find("a") == t.Find("b"));
  CHECK(t.Find("a") == t.Find("c"));
  CHECK(t.counters.hardlinks == 2);
}
