#include "guest/init/mount_options.h"

#include <sys/mount.h>

#include <string_view>

namespace strato::guest {

namespace {

struct FlagOption {
  std::string_view name;
  bool clear;  // "rw" clears MS_RDONLY, "suid" clears MS_NOSUID...
  unsigned long flag;
};

// The mount(8) option names with a MS_* meaning (mount(8) "FILESYSTEM-INDEPENDENT MOUNT OPTIONS",
// the same table runc uses).
constexpr FlagOption kFlagOptions[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// Options some runtimes accept that have no meaning here ("tmpcopyup" asks runc to copy the
// image's directory into a new tmpfs; the overlay already shows it beneath).
constexpr std::string_view kIgnoredOptions[] = {"tmpcopyup", "defaults"};

}  // namespace

MountOptions ParseMountOptions(const std::vector<std::string>& options) {
  MountOptions out;
  for (const std::string& o : options) {
    bool handled = false;
    for (const FlagOption& f : kFlagOptions) {
      if (o != f.name) continue;
      if (f.clear) {
        out.flags &= ~f.flag;
      } else {
        out.flags |= f.flag;
      }
      handled = true;
      break;
    }
    for (const PropagationOption& p : kPropagationOptions) {
      if (handled || o != p.name) continue;
      out.propagation = p.flags;
      handled = true;
    }
    for (std::string_view ignored : kIgnoredOptions) handled = handled || o == ignored;
    if (handled) continue;
    if (!out.data.empty()) out.data += ',';
    out.data += o;
  }
  out.bind = (out.flags & MS_BIND) != 0;
  return out;
}

}  // namespace strato::guest
