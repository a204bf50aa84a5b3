// tar -> EROFS with the project's writer, verified by erofs-utils' fsck.erofs --extract and by
// the Linux kernel itself (loop mount), against the tree the tar describes.

#include <catch2/catch.hpp>
#include <fstream>

#include "common/file_util.h"
#include "rootfs/convert.h"
#include "tests/integration/rootfs/generated_layer.h"
#include "tests/integration/rootfs/host_tools.h"
#include "tests/integration/rootfs/tree_compare.h"
#include "tests/support/compress.h"

using namespace strato::rootfs;
using namespace strato::rootfs::testing;

namespace {

constexpr size_t kBigDirEntries = 10000;

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

// Fast levels: these layers are large and only their decompressed bytes matter.
std::string Gzip(const std::string& in) {
  return strato::testing::Gzip(in, 1);
}
std::string Zstd(const std::string& in) {
  return strato::testing::Zstd(in, 1);
}

std::string StratoBinary() {
  return std::string(STRATO_BINARY_DIR) + "/cli/strato";
}

const GeneratedLayer& Layer() {
  static const GeneratedLayer layer = LayerGenerator(20261125).Build(kBigDirEntries);
  return layer;
}

}  // namespace

TEST_CASE("erofs image: fsck.erofs --extract reproduces the tar") {
  if (RunCommand("command -v fsck.erofs").status != 0) {
    WARN("SKIP: fsck.erofs (erofs-utils) not installed");
    return;
  }
  TempDir tmp;
  WriteFile(tmp.path + "/layer.tar", Layer().tar);
  ConvertResult r =
      ConvertLayer(LayerSource::Tar(tmp.path + "/layer.tar"), tmp.path + "/l.erofs", {});
  CHECK(r.regular_files + r.hardlinks ==
        Layer().expected.size() - r.directories - r.symlinks - r.special_files);
  CHECK(r.hardlinks == 2);
  CommandResult fsck = RunCommand("fsck.erofs " + Quote(tmp.path + "/l.erofs"));
  INFO(fsck.output);
  REQUIRE(fsck.status == 0);
  CommandResult extract = RunCommand("fsck.erofs --extract=" + Quote(tmp.path + "/x") + " " +
                                     Quote(tmp.path + "/l.erofs"));
  INFO(extract.output);
  REQUIRE(extract.status == 0);
  // fsck.erofs 1.5 restores ownership, permissions (minus set-id bits, cleared by its chown) and
  // mtime seconds, not xattrs or hardlinks.
  auto diffs =
      CompareTrees(Layer().expected, SnapshotTree(tmp.path + "/x", false),
                   {.xattrs = false, .nlink = false, .mtime_nsec = false, .setid_bits = false});
  INFO(FirstDiffs(diffs));
  CHECK(diffs.empty());
}

TEST_CASE("erofs image: the kernel mounts it and shows exactly the tar") {
  if (std::string why = LoopMountUnavailableReason(); !why.empty()) {
    WARN("SKIP: " + why);
    return;
  }
  TempDir tmp;
  WriteFile(tmp.path + "/layer.tar", Layer().tar);
  ConvertLayer(LayerSource::Tar(tmp.path + "/layer.tar", "", "sha256:test"), tmp.path + "/l.erofs",
               {});
  LoopMount mount(tmp.path + "/l.erofs", tmp.path + "/mnt");
  auto diffs = CompareTrees(Layer().expected, SnapshotTree(tmp.path + "/mnt", true), {});
  INFO(FirstDiffs(diffs));
  CHECK(diffs.empty());
}

TEST_CASE("erofs image: gzip and zstd layers give the same image as the plain tar") {
  TempDir tmp;
  WriteFile(tmp.path + "/layer.tar", Layer().tar);
  WriteFile(tmp.path + "/layer.tar.gz", Gzip(Layer().tar));
  WriteFile(tmp.path + "/layer.tar.zst", Zstd(Layer().tar));
  const std::string digest = "sha256:same";
  ConvertLayer(LayerSource::Tar(tmp.path + "/layer.tar", "", digest), tmp.path + "/a.erofs", {});
  ConvertLayer(LayerSource::Tar(tmp.path + "/layer.tar.gz",
                                "application/vnd.oci.image.layer.v1.tar+gzip", digest),
               tmp.path + "/b.erofs", {});
  ConvertLayer(LayerSource::Tar(tmp.path + "/layer.tar.zst", "", digest), tmp.path + "/c.erofs",
               {});
  std::string a = strato::ReadFile(tmp.path + "/a.erofs", 1u << 30);
  CHECK(a == strato::ReadFile(tmp.path + "/b.erofs", 1u << 30));
  CHECK(a == strato::ReadFile(tmp.path + "/c.erofs", 1u << 30));
}

TEST_CASE("erofs image: directory source round trip through a mounted image") {
  if (std::string why = LoopMountUnavailableReason(); !why.empty()) {
    WARN("SKIP: " + why);
    return;
  }
  TempDir tmp;
  WriteFile(tmp.path + "/layer.tar", Layer().tar);
  ConvertLayer(LayerSource::Tar(tmp.path + "/layer.tar"), tmp.path + "/l.erofs", {});
  LoopMount first(tmp.path + "/l.erofs", tmp.path + "/mnt1");
  ConvertResult r =
      ConvertLayer(LayerSource::Directory(tmp.path + "/mnt1"), tmp.path + "/d.erofs", {});
  CHECK(r.hardlinks == 2);
  LoopMount second(tmp.path + "/d.erofs", tmp.path + "/mnt2");
  auto diffs = CompareTrees(Layer().expected, SnapshotTree(tmp.path + "/mnt2", true), {});
  INFO(FirstDiffs(diffs));
  CHECK(diffs.empty());
}

TEST_CASE("strato convert: summary, EROFS input refused, bad tar reported") {
  TempDir tmp;
  WriteFile(tmp.path + "/layer.tar", TarBuilder().File("a", "hello").Dir("d").Finish());
  CommandResult ok = RunCommand(StratoBinary() + " convert " + Quote(tmp.path + "/layer.tar") +
                                " -o " + Quote(tmp.path + "/out.erofs"));
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK(ok.output.find("1 files, 2 directories, 0 symlinks, 0 special, 0 hardlinks, 0 whiteouts") !=
        std::string::npos);
  CHECK(ok.output.find("MB/s") != std::string::npos);
  CommandResult again = RunCommand(StratoBinary() + " convert " + Quote(tmp.path + "/out.erofs") +
                                   " -o " + Quote(tmp.path + "/x.erofs"));
  CHECK(again.status == 1);
  CHECK(again.output ==
        "strato convert: " + tmp.path + "/out.erofs: already an EROFS image; attach it as it is\n");
  std::string bad = TarBuilder().File("../escape", "x").Finish();
  WriteFile(tmp.path + "/bad.tar", bad);
  CommandResult fail = RunCommand(StratoBinary() + " convert " + Quote(tmp.path + "/bad.tar") +
                                  " -o " + Quote(tmp.path + "/bad.erofs"));
  CHECK(fail.status == 1);
  CHECK(fail.output == "strato convert: " + tmp.path +
                           "/bad.tar: tar entry \"../escape\" at offset 0: path has a \"..\" "
                           "component (would leave the layer root)\n");
  CHECK_FALSE(std::filesystem::exists(tmp.path + "/bad.erofs"));
  CommandResult usage = RunCommand(StratoBinary() + " convert " + Quote(tmp.path + "/layer.tar"));
  CHECK(usage.status == 2);
}

TEST_CASE("strato convert: progress bar on a terminal only") {
  if (RunCommand("command -v script").status != 0) {
    WARN("SKIP: script (util-linux) not installed: no pseudo-terminal to test with");
    return;
  }
  TempDir tmp;
  WriteFile(tmp.path + "/layer.tar", Layer().tar);
  std::string cmd = StratoBinary() + " convert " + Quote(tmp.path + "/layer.tar") + " -o " +
                    Quote(tmp.path + "/out.erofs");
  CommandResult tty = RunCommand("script -qec " + Quote(cmd) + " /dev/null");
  INFO(tty.output);
  CHECK(tty.status == 0);
  CHECK(tty.output.find("\r[") != std::string::npos);  // redrawn in place
  CHECK(tty.output.find(" MB/s ETA ") != std::string::npos);
  CHECK(tty.output.find("\r\033[K") != std::string::npos);  // cleared before the summary
  CommandResult pipe = RunCommand(StratoBinary() + " convert " + Quote(tmp.path + "/layer.tar") +
                                  " -o " + Quote(tmp.path + "/out2.erofs"));
  CHECK(pipe.status == 0);
  CHECK(pipe.output.find("ETA") == std::string::npos);
  CHECK(pipe.output.find("MB/s") != std::string::npos);  // the summary still comes
}
