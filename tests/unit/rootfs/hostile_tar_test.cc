// The hostile-input corpus: every case is either normalised the way the OCI image spec says or
// rejected with an error naming the entry and its offset.

#include <catch2/catch.hpp>

#include "common/error.h"
#include "tests/unit/rootfs/rootfs_test_util.h"
#include "tests/unit/rootfs/tar_builder.h"

using namespace strato::rootfs;
using namespace strato::rootfs::testing;
using Catch::Matchers::Equals;

namespace {

void Apply(const std::string& tar) {
  TreeFromTar t(tar);
}

std::string WithField(TarItem it, size_t offset, const std::string& bytes, uint64_t size = 0) {
  std::string h = TarBuilder::Header(it, size);
  std::memcpy(h.data() + offset, bytes.data(), bytes.size());
  TarBuilder::Checksum(&h);
  return h;
}

TarItem Item(const std::string& name, char type = '0') {
  TarItem it;
  it.name = name;
  it.type = type;
  return it;
}

}  // namespace

TEST_CASE("hostile: header checksum mismatch") {
  std::string tar = TarBuilder().File("ok", "1").File("bad", "2").Finish();
  tar[1024 + 148] = '7';  // second header's checksum field
  CHECK_THROWS_WITH(Apply(tar), "tar entry \"bad\" at offset 1024: header checksum mismatch");
}

TEST_CASE("hostile: size past the end of the archive") {
  std::string tar = TarBuilder::Header(Item("cut"), 100000) + std::string(2048, 'a');
  CHECK_THROWS_WITH(Apply(tar),
                    "tar entry \"cut\" at offset 0: data runs past the end of the "
                    "archive (97952 bytes missing)");
}

TEST_CASE("hostile: archive cut inside a header") {
  std::string tar = TarBuilder().File("a", "1").Unterminated() + std::string(100, 'x');
  CHECK_THROWS_WITH(Apply(tar),
                    "tar entry \"\" at offset 1024: truncated header (archive ends mid-block)");
}

TEST_CASE("hostile: negative base-256 size") {
  std::string neg(12, '\xff');
  CHECK_THROWS_WITH(Apply(WithField(Item("neg"), 124, neg) + std::string(1024, '\0')),
                    "tar entry \"neg\" at offset 0: negative size (base-256)");
}

TEST_CASE("hostile: huge size and uid") {
  std::string huge = "\x80" + std::string(3, '\0') + std::string(8, '\xff');
  CHECK_THROWS_WITH(Apply(WithField(Item("huge"), 124, huge) + std::string(1024, '\0')),
                    "tar entry \"huge\" at offset 0: size too large (18446744073709551615)");
  CHECK_THROWS_WITH(Apply(WithField(Item("uid"), 108, std::string("\x80\0\0\x01\0\0\0\0", 8)) +
                          std::string(1024, '\0')),
                    "tar entry \"uid\" at offset 0: uid too large (4294967296)");
  TarItem p = Item("paxuid");
  p.pax = {{"uid", "99999999999"}};
  CHECK_THROWS_WITH(Apply(TarBuilder().Add(p).Finish()),
                    "tar entry \"paxuid\" at offset 0: pax uid: value too large");
}

TEST_CASE("hostile: garbage in an octal field") {
  CHECK_THROWS_WITH(Apply(WithField(Item("m"), 100, "07z5   ") + std::string(1024, '\0')),
                    "tar entry \"m\" at offset 0: invalid mode field (not octal)");
}

TEST_CASE("hostile: names with NUL bytes") {
  TarItem p = Item("x");
  p.pax = {{"path", std::string("evil\0name", 9)}};
  CHECK_THROWS_WITH(Apply(TarBuilder().Add(p).Finish()),
                    "tar entry \"x\" at offset 0: pax path contains a NUL byte");
  // In a header a NUL simply ends the name.
  std::string h = WithField(Item("abc"), 1, std::string("\0def", 4));
  TreeFromTar t(h + std::string(1024, '\0'));
  CHECK(t.Find("a") != nullptr);
}

TEST_CASE("hostile: .. components are rejected") {
  CHECK_THROWS_WITH(Apply(TarBuilder().File("../../etc/passwd", "x").Finish()),
                    "tar entry \"../../etc/passwd\" at offset 0: path has a \"..\" component "
                    "(would leave the layer root)");
  CHECK_THROWS_WITH(Apply(TarBuilder().File("a/../b", "x").Finish()),
                    Catch::Matchers::Contains("path has a \"..\" component"));
  CHECK_THROWS_WITH(Apply(TarBuilder().File("a", "x").Link("b", '1', "../a").Finish()),
                    "tar entry \"b\" at offset 1024: hardlink target: path has a \"..\" "
                    "component (would leave the layer root)");
}

TEST_CASE("hostile: absolute paths are made relative to the layer root") {
  TreeFromTar t(TarBuilder().File("/etc/passwd", "root").File("./a//b/./c", "c").Finish());
  REQUIRE(t.Find("etc/passwd") != nullptr);
  CHECK(t.Find("etc/passwd")->size == 4);
  CHECK(t.Find("a/b/c") != nullptr);
}

TEST_CASE("hostile: entries climbing through symlinks") {
  std::string tar = TarBuilder().Link("etc", '2', "/etc").File("etc/passwd", "x").Finish();
  CHECK_THROWS_WITH(Apply(tar),
                    "tar entry \"etc/passwd\" at offset 512: parent \"/etc\" is a "
                    "symlink, not a directory");
  std::string via_file = TarBuilder().File("f", "x").File("f/g", "y").Finish();
  CHECK_THROWS_WITH(Apply(via_file),
                    "tar entry \"f/g\" at offset 1024: parent \"/f\" is a "
                    "regular file, not a directory");
}

TEST_CASE("hostile: deeply nested paths") {
  std::string deep;
  for (int i = 0; i < 1500; ++i) deep += "d/";
  TarItem ok = Item("x");
  ok.pax = {{"path", deep + "leaf"}};  // 3004 bytes: accepted
  TreeFromTar t(TarBuilder().Add(ok).Finish());
  CHECK(t.Find(deep + "leaf") != nullptr);
  std::string too_deep;
  for (int i = 0; i < 2100; ++i) too_deep += "d/";
  TarItem p = Item("x");
  p.pax = {{"path", too_deep + "leaf"}};
  CHECK_THROWS_WITH(Apply(TarBuilder().Add(p).Finish()),
                    Catch::Matchers::EndsWith(
                        "at offset 0: path is 4204 bytes, longer than the 4095-byte limit"));
  TarItem n = Item("x");
  n.pax = {{"path", std::string(256, 'n')}};
  CHECK_THROWS_WITH(Apply(TarBuilder().Add(n).Finish()),
                    Catch::Matchers::EndsWith("name component of 256 bytes exceeds 255"));
}

TEST_CASE("hostile: hardlinks to missing targets or directories") {
  CHECK_THROWS_WITH(Apply(TarBuilder().Link("l", '1', "nope").Finish()),
                    "tar entry \"l\" at offset 0: hardlink target \"/nope\" does not exist "
                    "earlier in the layer");
  CHECK_THROWS_WITH(Apply(TarBuilder().Link("l", '1', "a/b").File("a/b", "x").Finish()),
                    "tar entry \"l\" at offset 0: hardlink target \"/a/b\" does not exist "
                    "earlier in the layer");
  CHECK_THROWS_WITH(Apply(TarBuilder().Dir("d").Link("l", '1', "d").Finish()),
                    "tar entry \"l\" at offset 512: hardlink target \"/d\" is a directory");
}

TEST_CASE("hostile: duplicate entries follow the OCI rules") {
  TarItem d1 = Item("d", '5');
  d1.mode = 0700;
  d1.uid = 1;
  TarItem d2 = Item("d/", '5');
  d2.mode = 0750;
  d2.uid = 2;
  std::string tar = TarBuilder()
                        .File("f", "first")
                        .File("f", "second!")  // file over file: replaced
                        .Add(d1)
                        .File("d/inner", "i")
                        .Add(d2)  // dir over dir: attributes merged, contents kept
                        .Dir("x")
                        .File("x/y", "y")
                        .File("x", "now a file")  // file over dir: replaced
                        .Finish();
  TreeFromTar t(tar);
  CHECK(t.Find("f")->size == 7);
  CHECK(t.Find("d")->mode == 0750);
  CHECK(t.Find("d")->uid == 2);
  CHECK(t.Find("d/inner") != nullptr);
  CHECK(t.Find("x")->kind == FileKind::kRegular);
  CHECK(t.Find("x/y") == nullptr);
}

TEST_CASE("hostile: the root cannot be replaced by a non-directory") {
  CHECK_THROWS_WITH(Apply(TarBuilder().File("./", "x").Finish()),
                    "tar entry \"./\" at offset 0: replaces the layer root with a regular file");
  TarItem root = Item("./", '5');
  root.mode = 0700;
  TreeFromTar t(TarBuilder().File("a", "1").Add(root).Finish());
  CHECK(t.tree.at(t.tree.root()).mode == 0700);
  CHECK(t.Find("a") != nullptr);
}

TEST_CASE("hostile: unsupported entry types and GNU sparse files") {
  CHECK_THROWS_WITH(Apply(TarBuilder().Add(Item("v", 'V')).Finish()),
                    "tar entry \"v\" at offset 0: unsupported entry type 'V'");
  TarItem s = Item("sparse");
  s.pax = {{"GNU.sparse.major", "1"}};
  CHECK_THROWS_WITH(Apply(TarBuilder().Add(s).Finish()),
                    "tar entry \"sparse\" at offset 0: GNU sparse files are not supported");
}

TEST_CASE("hostile: malformed and oversized pax headers") {
  TarItem x = Item("PaxHeaders/x", 'x');
  std::string body = "5 a=b\n";  // length says 5, record is 6 bytes
  std::string tar = TarBuilder::Header(x, body.size()) + TarBuilder::Padded(body) +
                    TarBuilder().File("x", "1").Finish();
  CHECK_THROWS_WITH(Apply(tar),
                    "tar entry \"PaxHeaders/x\" at offset 0: malformed pax record "
                    "at byte 0: no newline");
  std::string huge = TarBuilder::Header(x, 9u << 20) + std::string(1024, '\0');
  CHECK_THROWS_WITH(Apply(huge),
                    "tar entry \"PaxHeaders/x\" at offset 0: extended header of "
                    "9437184 bytes exceeds the 8388608-byte limit");
  std::string dangling = TarBuilder::Header(x, 0) + std::string(1024, '\0');
  CHECK_THROWS_WITH(Apply(dangling),
                    "tar entry \"\" at offset 512: extended header not followed by an entry");
}

TEST_CASE("hostile: overlay control xattrs inside the tar are dropped") {
  TarItem f = Item("f");
  f.pax = {{"SCHILY.xattr.trusted.overlay.opaque", "y"},
           {"SCHILY.xattr.user.overlay.redirect", "/x"},
           {"SCHILY.xattr.user.keep", "1"},
           {"SCHILY.xattr.system.nfs4_acl", "zz"}};
  TreeFromTar t(TarBuilder().Add(f).Finish());
  REQUIRE(t.Find("f")->xattrs.size() == 1);
  CHECK(t.Find("f")->xattrs[0].first == "user.keep");
  CHECK(t.counters.dropped_xattrs == 3);
}

TEST_CASE("hostile: xattr values too large for EROFS") {
  TarItem f = Item("f");
  f.pax = {{"SCHILY.xattr.user.big", std::string(70000, 'v')}};
  CHECK_THROWS_WITH(Apply(TarBuilder().Add(f).Finish()),
                    "tar entry \"f\" at offset 0: xattr \"user.big\": value of 70000 bytes "
                    "exceeds 65535");
}

TEST_CASE("hostile: empty symlink target") {
  CHECK_THROWS_WITH(Apply(TarBuilder().Link("s", '2', "").Finish()),
                    "tar entry \"s\" at offset 0: symlink with an empty target");
}
