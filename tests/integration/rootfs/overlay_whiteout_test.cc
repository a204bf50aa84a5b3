// Multi-layer whiteout semantics: layers converted to EROFS and stacked with overlayfs on the
// host (lowerdir=top:...:bottom) must show what a reference extraction that applies the OCI
// changeset rules produces.

#include <catch2/catch.hpp>
#include <fstream>

#include "rootfs/convert.h"
#include "rootfs/tar/tar_path.h"
#include "rootfs/whiteout.h"
#include "tests/integration/rootfs/host_tools.h"
#include "tests/integration/rootfs/tree_compare.h"
#include "tests/unit/rootfs/tar_builder.h"

using namespace strato::rootfs;
using namespace strato::rootfs::testing;

namespace {

constexpr uint64_t kTime = 1700000000;

// One layer: its entries in archive order.
struct Layer {
  std::vector<TarItem> items;
  Layer& Dir(const std::string& name, uint32_t mode = 0755) {
    TarItem it;
    it.name = name;
    it.type = '5';
    it.mode = mode;
    it.mtime = kTime;
    items.push_back(it);
    return *this;
  }
  Layer& File(const std::string& name, const std::string& data) {
    TarItem it;
    it.name = name;
    it.data = data;
    it.mtime = kTime;
    items.push_back(it);
    return *this;
  }
  Layer& Whiteout(const std::string& name) { return File(name, ""); }
  std::string Tar() const {
    TarBuilder b;
    for (const auto& it : items) b.Add(it);
    return b.Finish();
  }
};

bool IsUnder(const std::string& path, const std::string& dir) {
  return dir.empty() ? !path.empty() : path.size() > dir.size() && path.starts_with(dir + "/");
}

// The reference: applies the OCI changeset rules (image-spec layer.md "Applying Changesets")
// to a plain map of paths. Whiteouts of a layer act on the layers below it only.
void ApplyReference(const Layer& layer, std::map<std::string, FileState>* tree) {
  std::map<std::string, FileState> lower = *tree;
  for (const auto& it : layer.items) {
    std::string path = JoinPath(NormalizeLayerPath(it.name)).substr(1);
    std::string dir = path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/'));
    std::string base = path.substr(path.rfind('/') + 1);
    std::string target;
    WhiteoutKind kind = ClassifyWhiteout(base, &target);
    if (kind == WhiteoutKind::kOpaque) {
      for (const auto& [p, st] : lower) {
        if (IsUnder(p, dir)) tree->erase(p);
      }
    } else if (kind == WhiteoutKind::kFile) {
      std::string victim = dir.empty() ? target : dir + "/" + target;
      for (const auto& [p, st] : lower) {
        if (p == victim || IsUnder(p, victim)) tree->erase(p);
      }
    }
  }
  for (const auto& it : layer.items) {
    std::string path = JoinPath(NormalizeLayerPath(it.name)).substr(1);
    std::string base = path.substr(path.rfind('/') + 1);
    std::string target;
    if (ClassifyWhiteout(base, &target) != WhiteoutKind::kNone) continue;
    FileState st;
    st.type = it.type == '5' ? 'd' : 'f';
    st.mode = it.mode;
    st.mtime = static_cast<int64_t>(it.mtime);
    st.content = it.data;
    st.size = it.data.size();
    auto existing = tree->find(path);
    if (existing != tree->end() && !(existing->second.type == 'd' && st.type == 'd')) {
      for (auto p = tree->begin(); p != tree->end();) {
        p = IsUnder(p->first, path) ? tree->erase(p) : std::next(p);
      }
    }
    (*tree)[path] = st;
  }
}

std::vector<Layer> Layers() {
  Layer bottom;
  bottom.Dir("a").File("a/x", "x1").File("a/y", "y1");
  bottom.Dir("b").File("b/1", "1").File("b/2", "2");
  bottom.File("c", "c1");
  bottom.Dir("d").File("d/keep", "k");
  bottom.Dir("e").Dir("e/sub").File("e/sub/deep", "deep");
  bottom.Dir("f").File("f/old", "old");
  bottom.Dir("only-lower").File("only-lower/z", "z");
  Layer middle;
  middle.Whiteout(".wh.c");
  middle.Dir("a").Whiteout("a/.wh.x");
  middle.Dir("b").File("b/3", "3").Whiteout("b/.wh..wh..opq");  // marker after content
  middle.Dir("d").File("d/new", "n");
  middle.Dir("e").Whiteout("e/.wh.sub");
  middle.Whiteout(".wh.f").Dir("f").File("f/new", "fresh");  // directory replaced
  middle.Dir("g").Whiteout("g/.wh.nothing");  // whiteout in a directory new in this layer
  middle.File("h", "h2");
  middle.Whiteout(".wh.never-existed");
  Layer top;
  top.Dir("c", 0700).File("c/z", "now a dir");
  top.Dir("a").File("a/y", "y3");
  top.Whiteout(".wh.h");
  top.Dir("b").File("b/4", "4");
  top.Dir("only-lower").Whiteout("only-lower/.wh..wh..opq");
  return {bottom, middle, top};
}

void CheckStack(OverlayXattrNamespace ns, const std::string& extra_options) {
  if (std::string why = LoopMountUnavailableReason(); !why.empty()) {
    WARN("SKIP: " + why);
    return;
  }
  TempDir tmp;
  std::vector<Layer> layers = Layers();
  std::map<std::string, FileState> expected;
  FileState root;
  root.type = 'd';
  root.mode = 0755;
  expected[""] = root;
  ConvertOptions options;
  options.overlay_xattrs = ns;
  std::vector<std::unique_ptr<LoopMount>> mounts;
  std::string lowerdirs;
  for (size_t i = 0; i < layers.size(); ++i) {
    ApplyReference(layers[i], &expected);
    std::string n = std::to_string(i);
    std::ofstream(tmp.path + "/l" + n + ".tar", std::ios::binary) << layers[i].Tar();
    ConvertLayer(LayerSource::Tar(tmp.path + "/l" + n + ".tar"), tmp.path + "/l" + n + ".erofs",
                 options);
    mounts.push_back(
        std::make_unique<LoopMount>(tmp.path + "/l" + n + ".erofs", tmp.path + "/m" + n));
    lowerdirs = tmp.path + "/m" + n + (lowerdirs.empty() ? "" : ":" + lowerdirs);
  }
  GenericMount overlay("-t overlay overlay -o " + Quote("lowerdir=" + lowerdirs + extra_options),
                       tmp.path + "/merged");
  auto actual = SnapshotTree(tmp.path + "/merged", true);
  auto diffs = CompareTrees(expected, actual, {.xattrs = true, .nlink = false, .mtime_nsec = true});
  INFO(FirstDiffs(diffs));
  CHECK(diffs.empty());
  // Spot checks of the rules the reference encodes.
  CHECK(actual.count("b/1") == 0);
  CHECK(actual.count("b/3") == 1);
  CHECK(actual.count("f/old") == 0);
  CHECK(actual.count("g") == 1);
  CHECK(actual.count("g/nothing") == 0);
  CHECK(actual.count("only-lower/z") == 0);
  CHECK(actual.at("c").type == 'd');
  CHECK(actual.at("a/y").content == "y3");
}

}  // namespace

TEST_CASE("overlay: stacked EROFS layers apply OCI whiteouts (trusted.overlay.*)") {
  CheckStack(OverlayXattrNamespace::kTrusted, "");
}

TEST_CASE("overlay: user.overlay.* markers work with an overlay mounted with userxattr") {
  CheckStack(OverlayXattrNamespace::kUser, ",userxattr");
}
