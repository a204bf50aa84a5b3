#pragma once
// Compares an expected tree with what a filesystem shows; returns readable mismatches.

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/rootfs/host_tools.h"

namespace strato::rootfs::testing {

struct CompareWhat {
  bool xattrs = true;
  bool nlink = true;
  bool mtime_nsec = true;
  // fsck.erofs 1.5 chowns after chmod when extracting, which clears set-id bits.
  bool setid_bits = true;
};

inline std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out.size() > 120 ? out.substr(0, 120) + "..." : out;
}

inline std::vector<std::string> CompareTrees(const std::map<std::string, FileState>& expected,
                                             const std::map<std::string, FileState>& actual,
                                             const CompareWhat& what) {
  std::vector<std::string> diffs;
  auto add = [&](const std::string& path, const std::string& msg) {
    diffs.push_back("/" + Printable(path) + ": " + msg);
  };
  for (const auto& [path, e] : expected) {
    auto it = actual.find(path);
    if (it == actual.end()) {
      add(path, "missing");
      continue;
    }
    const FileState& a = it->second;
    auto field = [&](const char* name, auto want, auto got) {
      if (want != got) {
        std::ostringstream m;
        m << name << " expected " << want << " got " << got;
        add(path, m.str());
      }
    };
    field("type", e.type, a.type);
    if (e.type != a.type) continue;
    uint32_t mode_mask = what.setid_bits ? 07777 : 01777;
    if (e.type != 'l') field("mode", e.mode & mode_mask, a.mode & mode_mask);
    field("uid", e.uid, a.uid);
    field("gid", e.gid, a.gid);
    if (!path.empty()) field("mtime", e.mtime, a.mtime);
    if (what.mtime_nsec && !path.empty()) field("mtime_nsec", e.mtime_nsec, a.mtime_nsec);
    if (what.nlink) field("nlink", e.nlink, a.nlink);
    if (e.type == 'f') {
      field("size", e.size, a.size);
      if (e.content != a.content) add(path, "content differs");
    }
    if (e.type == 'l' && e.target != a.target) {
      add(path, "symlink target expected " + Printable(e.target) + " got " + Printable(a.target));
    }
    if (e.type == 'c' || e.type == 'b') {
      field("rdev major", e.rdev_major, a.rdev_major);
      field("rdev minor", e.rdev_minor, a.rdev_minor);
    }
    if (what.xattrs && e.xattrs != a.xattrs) {
      std::string m = "xattrs expected {";
      for (auto& [k, v] : e.xattrs) m += k + "=" + Printable(v) + " ";
      m += "} got {";
      for (auto& [k, v] : a.xattrs) m += k + "=" + Printable(v) + " ";
      add(path, m + "}");
    }
  }
  for (const auto& [path, a] : actual) {
    if (expected.count(path) == 0) add(path, std::string("unexpected ") + a.type);
  }
  return diffs;
}

inline std::string FirstDiffs(const std::vector<std::string>& diffs, size_t n = 25) {
  std::string out;
  for (size_t i = 0; i < diffs.size() && i < n; ++i) out += diffs[i] + "\n";
  if (diffs.size() > n) out += "... and " + std::to_string(diffs.size() - n) + " more\n";
  return out;
}

}  // namespace strato::rootfs::testing
