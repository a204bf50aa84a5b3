#include "rootfs/layer_cache.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "tests/unit/rootfs/tar_builder.h"

using namespace strato::rootfs;
using namespace strato::rootfs::testing;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    std::string templ = fs::temp_directory_path() / "strato-cache-XXXXXX";
    path = ::mkdtemp(templ.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("layer cache: converts once, then serves the cached image") {
  TempDir tmp;
  std::string tar_path = tmp.path + "/layer.tar";
  WriteFile(tar_path, TarBuilder().File("a", "hello").Finish());
  LayerCache cache(tmp.path + "/cache/layers");
  auto source = LayerSource::Tar(tar_path, "", kDigest);
  CachedLayer first = cache.GetOrConvert(source, {});
  CHECK(first.converted);
  CHECK(first.path == tmp.path + "/cache/layers/sha256-" + std::string(kDigest + 7) + ".erofs");
  CHECK(HasErofsMagic(first.path));
  CHECK(first.result.regular_files == 1);
  CachedLayer second = cache.GetOrConvert(source, {});
  CHECK_FALSE(second.converted);
  CHECK(second.path == first.path);
  ConvertOptions user;
  user.overlay_xattrs = OverlayXattrNamespace::kUser;
  CHECK(cache.KeyFor(source, user) == "sha256-" + std::string(kDigest + 7) + "-userxattr");
}

TEST_CASE("layer cache: stale temporaries are never served and get cleaned") {
  TempDir tmp;
  std::string tar_path = tmp.path + "/layer.tar";
  WriteFile(tar_path, TarBuilder().File("a", "hello").Finish());
  LayerCache cache(tmp.path + "/c");
  auto source = LayerSource::Tar(tar_path, "", kDigest);
  std::string key = cache.KeyFor(source, {});
  // A conversion that died half way left this behind.
  std::string stale = cache.ImagePath(key) + ".tmp.99999";
  WriteFile(stale, "partial");
  // A torn final image (no magic) is not served either.
  CachedLayer got = cache.GetOrConvert(source, {});
  CHECK(got.converted);
  CHECK_FALSE(fs::exists(stale));
}

TEST_CASE("layer cache: EROFS input is passed through, bad digests are rejected") {
  TempDir tmp;
  std::string tar_path = tmp.path + "/layer.tar";
  WriteFile(tar_path, TarBuilder().File("a", "x").Finish());
  LayerCache cache(tmp.path + "/c");
  CachedLayer img = cache.GetOrConvert(LayerSource::Tar(tar_path, "", kDigest), {});
  CachedLayer again = cache.GetOrConvert(LayerSource::Tar(img.path), {});
  CHECK(again.passthrough);
  CHECK(again.path == img.path);
  CHECK_THROWS_WITH(cache.KeyFor(LayerSource::Tar(tar_path, "", "sha256:XYZ"), {}),
                    "layer digest \"sha256:XYZ\" is not sha256:<64 lower-case hex digits>");
  // Without a digest the file is hashed.
  CHECK(cache.KeyFor(LayerSource::Tar(tar_path), {}).size() == 7 + 64);
}

TEST_CASE("layer cache: directory key changes when the directory is replaced") {
  TempDir tmp;
  std::string dir = tmp.path + "/snap";
  fs::create_directory(dir);
  LayerCache cache(tmp.path + "/c");
  std::string k1 = cache.KeyFor(LayerSource::Directory(dir), {});
  CHECK(k1 == cache.KeyFor(LayerSource::Directory(dir), {}));
  CHECK(k1.rfind("dir-", 0) == 0);
  fs::rename(dir, tmp.path + "/old");
  fs::create_directory(dir);
  CHECK(cache.KeyFor(LayerSource::Directory(dir), {}) != k1);
}

TEST_CASE("layer cache: concurrent requests for one layer convert once") {
  TempDir tmp;
  std::string tar_path = tmp.path + "/layer.tar";
  TarBuilder b;
  for (int i = 0; i < 200; ++i) b.File("f" + std::to_string(i), std::string(20000, 'x'));
  WriteFile(tar_path, b.Finish());
  std::string cache_dir = tmp.path + "/c";
  LayerCache create_dir(cache_dir);
  constexpr int kProcs = 4;
  std::vector<pid_t> pids;
  for (int i = 0; i < kProcs; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      try {
        LayerCache cache(cache_dir);
        CachedLayer l = cache.GetOrConvert(LayerSource::Tar(tar_path, "", kDigest), {});
        ::_exit(l.converted ? 10 : 11);
      } catch (...) {
        ::_exit(1);
      }
    }
    pids.push_back(pid);
  }
  int converted = 0, served = 0;
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 10) ++converted;
    if (WEXITSTATUS(status) == 11) ++served;
  }
  CHECK(converted == 1);
  CHECK(served == kProcs - 1);
}

TEST_CASE("convert: an EROFS image given as a tar is refused, not read as an empty archive") {
  TempDir tmp;
  std::string tar_path = tmp.path + "/layer.tar";
  WriteFile(tar_path, TarBuilder().File("a", "x").Finish());
  ConvertLayer(LayerSource::Tar(tar_path), tmp.path + "/a.erofs", {});
  CHECK_THROWS_WITH(
      ConvertLayer(LayerSource::Tar(tmp.path + "/a.erofs"), tmp.path + "/b.erofs", {}),
      tmp.path + "/a.erofs: already an EROFS image, not a tar");
  CHECK_FALSE(fs::exists(tmp.path + "/b.erofs"));
}

namespace {

std::string Sha256Of(const std::string& data) {
  return "sha256:" + strato::Sha256::HexOf(data);
}

std::string FileBytes(const std::string& path) {
  return strato::ReadFile(path, 1u << 30);
}

}  // namespace

TEST_CASE("convert: a layer blob inside a larger file (image archive member)") {
  TempDir tmp;
  std::string tar = TarBuilder().File("etc/os-release", "ID=test\n").Finish();
  std::string archive = std::string(1000, 'P') + tar + std::string(777, 'S');
  WriteFile(tmp.path + "/archive.tar", archive);
  WriteFile(tmp.path + "/plain.tar", tar);
  ConvertLayer(LayerSource::TarRange(tmp.path + "/archive.tar", 1000, tar.size(), "", Sha256Of(tar),
                                     Sha256Of(tar), true),
               tmp.path + "/a.erofs", {});
  ConvertLayer(LayerSource::Tar(tmp.path + "/plain.tar", "", Sha256Of(tar)), tmp.path + "/b.erofs",
               {});
  CHECK(FileBytes(tmp.path + "/a.erofs") == FileBytes(tmp.path + "/b.erofs"));
  // A descriptor longer than the file: the short read is an error.
  CHECK_THROWS_WITH(
      ConvertLayer(LayerSource::TarRange(tmp.path + "/archive.tar", 1000, archive.size(), "", ""),
                   tmp.path + "/c.erofs", {}),
      Catch::Matchers::Contains("file shorter than its descriptor"));
  CHECK_FALSE(fs::exists(tmp.path + "/c.erofs"));
}

TEST_CASE("convert: digest and diffID are verified while converting") {
  TempDir tmp;
  std::string tar = TarBuilder().File("a", "payload").Finish();
  WriteFile(tmp.path + "/l.tar", tar);
  std::string wrong = Sha256Of("something else");
  auto source = LayerSource::TarRange(tmp.path + "/l.tar", 0, tar.size(), "", wrong, "", true);
  CHECK_THROWS_WITH(
      ConvertLayer(source, tmp.path + "/x.erofs", {}),
      tmp.path + "/l.tar: layer blob has digest " + Sha256Of(tar) + ", expected " + wrong);
  source.digest = Sha256Of(tar);
  source.diff_id = wrong;
  CHECK_THROWS_WITH(ConvertLayer(source, tmp.path + "/x.erofs", {}),
                    tmp.path + "/l.tar: uncompressed layer has digest " + Sha256Of(tar) +
                        ", expected diffID " + wrong);
  CHECK_FALSE(fs::exists(tmp.path + "/x.erofs"));
  source.diff_id = Sha256Of(tar);
  CHECK(ConvertLayer(source, tmp.path + "/x.erofs", {}).regular_files == 1);
  // Without `verify` nothing is hashed.
  source.verify = false;
  source.digest = wrong;
  CHECK(ConvertLayer(source, tmp.path + "/y.erofs", {}).regular_files == 1);
}

TEST_CASE("layer cache: an EROFS blob inside an archive is copied into the cache once") {
  TempDir tmp;
  WriteFile(tmp.path + "/l.tar", TarBuilder().File("a", "x").Finish());
  ConvertLayer(LayerSource::Tar(tmp.path + "/l.tar"), tmp.path + "/img.erofs", {});
  std::string image = FileBytes(tmp.path + "/img.erofs");
  WriteFile(tmp.path + "/archive", std::string(512, 'h') + image + "trailer");
  LayerCache cache(tmp.path + "/c");
  auto source = LayerSource::TarRange(tmp.path + "/archive", 512, image.size(),
                                      "application/vnd.erofs", Sha256Of(image), "", true);
  CachedLayer got = cache.GetOrConvert(source, {});
  CHECK(got.passthrough);
  CHECK_FALSE(got.converted);
  CHECK(got.path == cache.ImagePath("sha256-" + Sha256Of(image).substr(7)));
  CHECK(FileBytes(got.path) == image);
  source.digest = Sha256Of("other");
  CHECK_THROWS_WITH(cache.GetOrConvert(source, {}),
                    tmp.path + "/archive: EROFS layer blob has digest " + Sha256Of(image) +
                        ", expected " + Sha256Of("other"));
}
