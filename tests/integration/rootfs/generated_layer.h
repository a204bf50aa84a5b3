#pragma once
// A generated layer for the integration tests: a tar (via TarBuilder) together with the exact
// tree a correct image must show. Deterministic (fixed PRNG seed).

#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/rootfs/host_tools.h"
#include "tests/unit/rootfs/tar_builder.h"

namespace strato::rootfs::testing {

struct GeneratedLayer {
  std::string tar;
  std::map<std::string, FileState> expected;  // relative path -> state ("" = root)
};

class LayerGenerator {
 public:
  static constexpr uint64_t kBaseTime = 1700000000;

  explicit LayerGenerator(uint32_t seed) : rng_(seed) {}

  GeneratedLayer Build(size_t big_dir_entries) {
    Dir("", 0755);
    // Sizes around block boundaries (4096) and the inline-tail limits.
    Dir("sizes", 0755);
    for (uint64_t size : {0, 1, 100, 4031, 4032, 4033, 4095, 4096, 4097, 8191, 8192, 8193,
                          12288 + 17, 100000, 1 << 20}) {
      File("sizes/s" + std::to_string(size), RandomBytes(size), 0644);
    }
    // Names: long, unicode, odd bytes, names sorting before "." and "..".
    Dir("names", 0711);
    File("names/" + std::string(255, 'L'), "long", 0600);
    File("names/na\xc3\xafve-\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab-\xf0\x9f\x98\x80",
         "unicode", 0644);
    File("names/-dash", "d", 0644);
    File("names/!bang", "b", 0644);
    File("names/ space ", "s", 0644);
    File(
        "names/\x01"
        "ctl",
        "c", 0644);
    File("names/\xff\xfe", "hi", 0644);
    File("names/.hidden", "h", 0644);
    for (int i = 0; i < 40; ++i)
      File("names/" + RandomName(1 + rng_() % 60), RandomBytes(rng_() % 9000), 0644);
    // A directory with many entries spanning many directory blocks.
    Dir("big", 0755);
    for (size_t i = 0; i < big_dir_entries; ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), "entry-%06zu", i);
      File(std::string("big/") + name, i % 7 == 0 ? std::to_string(i) : "", 0644);
    }
    // Deep directories.
    std::string deep = "deep";
    Dir(deep, 0755);
    for (int i = 0; i < 60; ++i) {
      deep += "/d" + std::to_string(i);
      Dir(deep, 0755);
    }
    File(deep + "/bottom", "bottom of the well", 0644);
    // Attributes: ids and times that need extended inodes, set-id bits, xattrs.
    Dir("attrs", 01777);
    TarItem ids = Item("attrs/big-ids", "ids", 04755);
    ids.uid = 70000;
    ids.gid = 123456;
    Add(ids);
    TarItem t = Item("attrs/nsec", "t", 0644);
    t.pax.emplace_back("mtime", "1600000000.123456789");
    Add(t);
    TarItem old = Item("attrs/old", "o", 0644);
    old.mtime = 1;
    Add(old);
    TarItem x = Item("attrs/xattrs", RandomBytes(5000), 0640);
    x.pax.emplace_back("SCHILY.xattr.user.comment", "hello");
    x.pax.emplace_back("SCHILY.xattr.trusted.t", std::string("\0\1\2", 3));
    x.pax.emplace_back(
        "SCHILY.xattr.security.capability",
        std::string(
            "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            20));
    // Minimal valid POSIX ACL: version 2; USER_OBJ rw-, GROUP_OBJ r--, OTHER ---.
    x.pax.emplace_back("SCHILY.xattr.system.posix_acl_access",
                       std::string("\x02\0\0\0"
                                   "\x01\0\x06\0\xff\xff\xff\xff"
                                   "\x04\0\x04\0\xff\xff\xff\xff"
                                   "\x20\0\0\0\xff\xff\xff\xff",
                                   28));
    Add(x);
    TarItem fat = Item("attrs/fat-xattr", RandomBytes(2000), 0644);  // tail cannot be inline
    fat.pax.emplace_back("SCHILY.xattr.user.fat", std::string(3000, 'f'));
    Add(fat);
    TarItem dx = Item("attrs/dir-with-xattr", "", 0750);
    dx.type = '5';
    dx.pax.emplace_back("SCHILY.xattr.user.dir", "yes");
    Add(dx);
    // Links and special files.
    Dir("links", 0755);
    File("links/target", "shared content", 0644);
    Hardlink("links/hard1", "links/target");
    Hardlink("sizes/hard2", "links/target");
    Symlink("links/rel", "target");
    Symlink("links/abs", "/etc/passwd");
    Symlink("links/dangling", "nowhere/at/all");
    Symlink("links/long", std::string(4000, 'y'));
    TarItem far = SymlinkItem("links/long-extended", std::string(4050, 'z'));
    far.mtime = 5;  // extended inode: 64 + 4050 bytes do not fit inline
    Add(far);
    Dir("dev", 0755);
    Special("dev/null", '3', 1, 3);
    Special("dev/sda300", '4', 8, 300);
    Special("dev/big-minor", '3', 240, 70000);
    Special("dev/fifo", '6', 0, 0);
    Dir("empty", 0700);
    GeneratedLayer out;
    out.tar = builder_.Finish();
    out.expected = expected_;
    for (auto& [path, links] : link_counts_) out.expected[path].nlink = links;
    for (auto& [path, st] : out.expected) {
      if (st.type == 'f' && st.nlink == 0) st.nlink = 1;
      if (st.type != 'f') st.nlink = 1;
    }
    for (auto& [path, st] : out.expected) {
      if (st.type != 'd') continue;
      st.nlink = 2;
      for (auto& [child, cst] : out.expected) {
        if (cst.type == 'd' && !child.empty() && Parent(child) == path) ++st.nlink;
      }
    }
    return out;
  }

 private:
  static std::string Parent(const std::string& p) {
    size_t slash = p.rfind('/');
    return slash == std::string::npos ? "" : p.substr(0, slash);
  }

  std::string RandomBytes(uint64_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng_() & 0xff);
    return s;
  }

  std::string RandomName(size_t len) {
    static const char kChars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+=";
    std::string s;
    for (size_t i = 0; i < len; ++i) s += kChars[rng_() % (sizeof(kChars) - 1)];
    if (s == "." || s == ".." || s.starts_with(".wh.")) s = "n" + s;
    if (expected_.count("names/" + s) != 0) s += "_" + std::to_string(rng_());
    return s;
  }

  TarItem Item(const std::string& name, const std::string& data, uint32_t mode) {
    TarItem it;
    it.name = name;
    it.data = data;
    it.mode = mode;
    it.mtime = kBaseTime;
    return it;
  }

  TarItem SymlinkItem(const std::string& name, const std::string& target) {
    TarItem it = Item(name, "", 0777);
    it.type = '2';
    it.linkname = target;
    return it;
  }

  // Adds an item (pax "path" when the name does not fit the header) and records its state.
  void Add(TarItem it) {
    std::string rel = it.name;
    if (it.name.size() > 99 || it.linkname.size() > 99) {
      if (it.name.size() > 99) it.pax.emplace_back("path", it.name);
      if (it.linkname.size() > 99) it.pax.emplace_back("linkpath", it.linkname);
      it.name = it.name.substr(0, 99);
      it.linkname = it.linkname.substr(0, 99);
    }
    if (rel.empty()) it.name = "./";
    builder_.Add(it);
    if (it.type == '1') return;
    FileState st;
    st.mode = it.mode;
    st.uid = static_cast<uint32_t>(it.uid);
    st.gid = static_cast<uint32_t>(it.gid);
    st.mtime = static_cast<int64_t>(it.mtime);
    for (auto& [k, v] : it.pax) {
      if (k == "mtime") {
        st.mtime = std::stoll(v.substr(0, v.find('.')));
        st.mtime_nsec = static_cast<uint32_t>(std::stoul(v.substr(v.find('.') + 1)));
      }
      if (k.starts_with("SCHILY.xattr.")) st.xattrs[k.substr(13)] = v;
    }
    switch (it.type) {
      case '0':
        st.type = 'f';
        st.content = it.data;
        st.size = it.data.size();
        break;
      case '5':
        st.type = 'd';
        break;
      case '2':
        st.type = 'l';
        st.target = LinkOf(it);
        st.size = st.target.size();
        break;
      case '3':
      case '4':
        st.type = it.type == '3' ? 'c' : 'b';
        st.rdev_major = it.devmajor;
        st.rdev_minor = it.devminor;
        break;
      case '6':
        st.type = 'p';
        break;
    }
    expected_[rel] = st;
  }

  static std::string LinkOf(const TarItem& it) {
    for (auto& [k, v] : it.pax) {
      if (k == "linkpath") return v;
    }
    return it.linkname;
  }

  void Dir(const std::string& name, uint32_t mode) {
    TarItem it = Item(name, "", mode);
    it.type = '5';
    Add(it);
  }
  void File(const std::string& name, const std::string& data, uint32_t mode) {
    Add(Item(name, data, mode));
  }
  void Symlink(const std::string& name, const std::string& target) {
    Add(SymlinkItem(name, target));
  }
  void Special(const std::string& name, char type, uint32_t maj, uint32_t min) {
    TarItem it = Item(name, "", 0640);
    it.type = type;
    it.devmajor = maj;
    it.devminor = min;
    Add(it);
  }
  void Hardlink(const std::string& name, const std::string& target) {
    TarItem it = Item(name, "", 0644);
    it.type = '1';
    it.linkname = target;
    Add(it);
    expected_[name] = expected_[target];
    link_counts_[target] = link_counts_.count(target) ? link_counts_[target] + 1 : 2;
    link_names_[target].push_back(name);
    for (auto& n : link_names_[target]) link_counts_[n] = link_counts_[target];
  }

  std::mt19937 rng_;
  TarBuilder builder_;
  std::map<std::string, FileState> expected_;
  std::map<std::string, uint64_t> link_counts_;
  std::map<std::string, std::vector<std::string>> link_names_;
};

}  // namespace strato::rootfs::testing
