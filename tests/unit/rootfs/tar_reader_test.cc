#include "rootfs/tar/tar_reader.h"

#include <catch2/catch.hpp>

#include "common/error.h"
#include "rootfs/tar/layer_format.h"
#include "rootfs/tar/pax.h"
#include "tests/support/compress.h"
#include "tests/unit/rootfs/rootfs_test_util.h"
#include "tests/unit/rootfs/tar_builder.h"

using namespace strato::rootfs;
using namespace strato::rootfs::testing;

namespace {

using strato::testing::Gzip;
using strato::testing::Zstd;

std::string ReadStream(const std::string& blob, const std::string& media_type) {
  MemorySource raw(reinterpret_cast<const uint8_t*>(blob.data()), blob.size());
  auto stream = OpenTarStream(raw, media_type, "layer");
  std::string out;
  uint8_t buf[777];
  for (size_t n; (n = stream->Read(buf, sizeof(buf))) > 0;)
    out.append(reinterpret_cast<char*>(buf), n);
  return out;
}

}  // namespace

TEST_CASE("tar: ustar entries with attributes and data") {
  TarItem f;
  f.name = "etc/hosts";
  f.mode = 04755;
  f.uid = 1000;
  f.gid = 100;
  f.mtime = 1700000000;
  f.data = std::string(1500, 'x');
  std::string tar = TarBuilder().Dir("etc/").Add(f).Link("etc/l", '2', "hosts").Finish();
  auto entries = ReadTar(tar);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].entry.type == TarEntryType::kDirectory);
  CHECK(entries[0].entry.path == "etc/");
  const TarEntry& e = entries[1].entry;
  CHECK(e.path == "etc/hosts");
  CHECK(e.mode == 04755);
  CHECK(e.uid == 1000);
  CHECK(e.gid == 100);
  CHECK(e.mtime_sec == 1700000000);
  CHECK(e.size == 1500);
  CHECK(e.offset == 512);
  CHECK(entries[1].data == f.data);
  CHECK(entries[2].entry.type == TarEntryType::kSymlink);
  CHECK(entries[2].entry.linkname == "hosts");
  CHECK(entries[2].entry.offset == 512 + 512 + 1536);
}

TEST_CASE("tar: ustar prefix field extends the name") {
  TarItem f;
  f.name = "file";
  std::string h = TarBuilder::Header(f, 0);
  std::memcpy(h.data() + 345, "some/long/prefix", 16);
  TarBuilder::Checksum(&h);
  auto entries = ReadTar(TarBuilder().Raw(h).Finish());
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].entry.path == "some/long/prefix/file");
}

TEST_CASE("tar: NUL and '7' typeflags are regular files, devices and fifos") {
  TarItem a;
  a.name = "old";
  a.type = '\0';
  a.data = "abc";
  TarItem b = a;
  b.name = "contig";
  b.type = '7';
  TarItem c;
  c.name = "dev/null";
  c.type = '3';
  c.devmajor = 1;
  c.devminor = 3;
  TarItem d;
  d.name = "dev/sda";
  d.type = '4';
  d.devmajor = 8;
  d.devminor = 300;
  TarItem p;
  p.name = "pipe";
  p.type = '6';
  auto entries = ReadTar(TarBuilder().Add(a).Add(b).Add(c).Add(d).Add(p).Finish());
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].entry.type == TarEntryType::kRegular);
  CHECK(entries[0].data == "abc");
  CHECK(entries[1].entry.type == TarEntryType::kRegular);
  CHECK(entries[2].entry.type == TarEntryType::kCharDevice);
  CHECK(entries[2].entry.dev_major == 1);
  CHECK(entries[2].entry.dev_minor == 3);
  CHECK(entries[3].entry.type == TarEntryType::kBlockDevice);
  CHECK(entries[3].entry.dev_minor == 300);
  CHECK(entries[4].entry.type == TarEntryType::kFifo);
}

TEST_CASE("tar: GNU long name and long link") {
  std::string long_name = std::string(150, 'n') + "/" + std::string(120, 'm');
  std::string long_link = std::string(200, 't');
  std::string tar = TarBuilder()
                        .GnuLong('L', long_name)
                        .GnuLong('K', long_link)
                        .Link("short", '2', "ignored")
                        .Finish();
  auto entries = ReadTar(tar);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].entry.path == long_name);
  CHECK(entries[0].entry.linkname == long_link);
  CHECK(entries[0].entry.offset == 0);
}

TEST_CASE("tar: GNU base-256 numbers") {
  TarItem f;
  f.name = "big-ids";
  std::string h = TarBuilder::Header(f, 0);
  // uid 0x01020304 in base-256: marker byte 0x80, big-endian value.
  std::memset(h.data() + 108, 0, 8);
  h[108] = static_cast<char>(0x80);
  h[112] = 1;
  h[113] = 2;
  h[114] = 3;
  h[115] = 4;
  TarBuilder::Checksum(&h);
  auto entries = ReadTar(TarBuilder().Raw(h).Finish());
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].entry.uid == 0x01020304u);
}

TEST_CASE("tar: pax records override the header") {
  TarItem f;
  f.name = "short";
  f.data = std::string(10, 'z');
  f.pax = {{"path", "very/long/" + std::string(200, 'p')},
           {"uid", "70000"},
           {"gid", "80000"},
           {"mtime", "1700000000.123456789123"},
           {"SCHILY.xattr.user.comment", std::string("bin\0ary", 7)},
           {"LIBARCHIVE.xattr.user.caf%C3%A9", "dmFsdWU="},
           {"atime", "1.5"}};
  auto entries = ReadTar(TarBuilder().Add(f).Finish());
  REQUIRE(entries.size() == 1);
  const TarEntry& e = entries[0].entry;
  CHECK(e.path == "very/long/" + std::string(200, 'p'));
  CHECK(e.uid == 70000);
  CHECK(e.gid == 80000);
  CHECK(e.mtime_sec == 1700000000);
  CHECK(e.mtime_nsec == 123456789);
  REQUIRE(e.xattrs.size() == 2);
  CHECK(e.xattrs[0].first == "user.comment");
  CHECK(e.xattrs[0].second == std::string("bin\0ary", 7));
  CHECK(e.xattrs[1].first == "user.caf\xc3\xa9");
  CHECK(e.xattrs[1].second == "value");
  CHECK(entries[0].data == f.data);
}

TEST_CASE("tar: pax size overrides the header size") {
  TarItem f;
  f.name = "sized";
  f.data = std::string(700, 'q');
  std::string body = PaxRecord("size", "700");
  TarItem x;
  x.name = "pax";
  x.type = 'x';
  // Header claims size 0; the pax record says 700.
  std::string tar = TarBuilder::Header(x, body.size()) + TarBuilder::Padded(body) +
                    TarBuilder::Header(f, 0) + TarBuilder::Padded(f.data) + std::string(1024, '\0');
  auto entries = ReadTar(tar);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].data == f.data);
}

TEST_CASE("tar: pax global header applies to every later entry") {
  std::string body = PaxRecord("uid", "4242") + PaxRecord("mtime", "99");
  TarItem g;
  g.name = "global";
  g.type = 'g';
  std::string tar = TarBuilder::Header(g, body.size()) + TarBuilder::Padded(body);
  tar += TarBuilder().File("a", "1").File("b", "2").Finish();
  auto entries = ReadTar(tar);
  REQUIRE(entries.size() == 2);
  for (const auto& r : entries) {
    CHECK(r.entry.uid == 4242);
    CHECK(r.entry.mtime_sec == 99);
  }
}

TEST_CASE("tar: checksum computed with signed chars is accepted") {
  TarItem f;
  f.name = "caf\xc3\xa9";  // bytes >= 0x80 make the signed and unsigned sums differ
  std::string h = TarBuilder::Header(f, 0);
  std::memset(h.data() + 148, ' ', 8);
  int sum = 0;
  for (char c : h) sum += static_cast<signed char>(c);
  TarBuilder::Octal(h.data() + 148, 7, static_cast<uint64_t>(sum));
  h[155] = ' ';
  auto entries = ReadTar(TarBuilder().Raw(h).Finish());
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].entry.path == "caf\xc3\xa9");
}

TEST_CASE("tar: archive ending without zero blocks is accepted") {
  auto entries = ReadTar(TarBuilder().File("a", "abc").Unterminated());
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].data == "abc");
}

TEST_CASE("tar: unread data is skipped by Next") {
  std::string tar = TarBuilder().File("a", std::string(5000, 'a')).File("b", "bee").Finish();
  MemorySource src(reinterpret_cast<const uint8_t*>(tar.data()), tar.size());
  TarReader reader(src);
  TarEntry e;
  REQUIRE(reader.Next(&e));
  CHECK(reader.ReadData().size() > 0);
  REQUIRE(reader.Next(&e));
  CHECK(e.path == "b");
  auto chunk = reader.ReadData();
  CHECK(std::string(reinterpret_cast<const char*>(chunk.data()), chunk.size()) == "bee");
  CHECK_FALSE(reader.Next(&e));
}

TEST_CASE("compression: gzip and zstd are detected from magic bytes") {
  std::string tar = TarBuilder().File("a", std::string(100000, 'a')).File("b", "b").Finish();
  CHECK(ReadStream(Gzip(tar), "") == tar);
  CHECK(ReadStream(Zstd(tar), "") == tar);
  CHECK(ReadStream(tar, "") == tar);
  CHECK(ReadStream(Gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip") == tar);
  CHECK(ReadStream(Zstd(tar), "application/vnd.oci.image.layer.v1.tar+zstd") == tar);
  CHECK(ReadStream(tar, "application/vnd.oci.image.layer.v1.tar") == tar);
  CHECK(ReadStream(Gzip(tar), "application/vnd.docker.image.rootfs.diff.tar.gzip") == tar);
  CHECK(ReadStream(Zstd(tar), "application/vnd.docker.image.rootfs.diff.tar.zstd") == tar);
  CHECK(ReadStream(tar, "application/vnd.docker.image.rootfs.diff.tar") == tar);
  CHECK(ReadStream(Gzip(tar), "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip") ==
        tar);
  // Concatenated gzip members read as one stream.
  CHECK(ReadStream(Gzip(tar.substr(0, 512)) + Gzip(tar.substr(512)), "") == tar);
}

TEST_CASE("compression: media type disagreeing with the data is an error") {
  std::string tar = TarBuilder().File("a", "a").Finish();
  CHECK_THROWS_WITH(ReadStream(tar, "application/vnd.oci.image.layer.v1.tar+gzip"),
                    "layer: media type \"application/vnd.oci.image.layer.v1.tar+gzip\" says gzip "
                    "but the data is uncompressed");
  CHECK_THROWS_WITH(ReadStream(tar, "application/json"),
                    "layer: unsupported layer media type \"application/json\"");
}

TEST_CASE("compression: truncated and corrupt streams are errors") {
  std::string tar = TarBuilder().File("a", std::string(100000, 'a')).Finish();
  std::string gz = Gzip(tar);
  CHECK_THROWS_WITH(ReadStream(gz.substr(0, gz.size() / 2), ""),
                    "gzip: compressed stream ends early (truncated layer)");
  std::string zs = Zstd(tar);
  CHECK_THROWS_WITH(ReadStream(zs.substr(0, zs.size() - 5), ""),
                    "zstd: compressed stream ends early (truncated layer)");
  std::string bad = gz;
  bad[20] = static_cast<char>(bad[20] ^ 0xff);
  bad[21] = static_cast<char>(bad[21] ^ 0xff);
  CHECK_THROWS_WITH(ReadStream(bad, ""), Catch::Matchers::StartsWith("gzip: "));
}

TEST_CASE("pax: record parsing and value decoders") {
  auto recs = tar::ParsePaxRecords(PaxRecord("path", "a=b") + PaxRecord("k", ""));
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].key == "path");
  CHECK(recs[0].value == "a=b");
  CHECK(recs[1].value.empty());
  CHECK_THROWS_WITH(tar::ParsePaxRecords("99 path=x\n"),
                    "malformed pax record at byte 0: length past the header");
  CHECK_THROWS_WITH(tar::ParsePaxRecords("8 pathx\n"), "malformed pax record at byte 0: no key");
  CHECK(tar::PercentDecode("a%2Fb") == "a/b");
  CHECK(tar::Base64Decode("AAEC") == std::string("\0\1\2", 3));
  int64_t s = 0;
  uint32_t ns = 0;
  tar::ParsePaxTime("12.5", &s, &ns);
  CHECK(s == 12);
  CHECK(ns == 500000000);
  CHECK_THROWS_WITH(tar::ParsePaxTime("-1.5", &s, &ns), "pax mtime: negative time");
}
