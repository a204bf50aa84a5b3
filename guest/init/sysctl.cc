#include "guest/init/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file_util.h"
#include "guest/init/console_log.h"

namespace strato::guest {

std::string SysctlPath(const std::string& name) {
  std::string path = "/proc/sys/";
  bool component_empty = true;
  for (char c : name) {
    if (c == '/' || c == '\0') throw Error("sysctl name \"" + name + "\" contains '/' or NUL");
    if (c == '.') {
      if (component_empty) throw Error("sysctl name \"" + name + "\" has an empty component");
      component_empty = true;
      path += '/';
      continue;
    }
    component_empty = false;
    path += c;
  }
  if (component_empty) throw Error("sysctl name \"" + name + "\" has an empty component");
  return path;
}

void ApplySysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [name, value] : sysctls) {
    std::string path = SysctlPath(name);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC));
    if (!fd.valid()) ThrowErrno("sysctl " + name);
    if (!WriteAll(fd.get(), value)) ThrowErrno("sysctl " + name + " = " + value);
  }
}

}  // namespace strato::guest
