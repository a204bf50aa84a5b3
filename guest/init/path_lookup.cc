#include "guest/init/path_lookup.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace strato::guest {

namespace {
constexpr std::string_view kPathPrefix = "PATH=";
constexpr mode_t kAnyExecuteBit = 0111;
}  // namespace

std::string PathFromEnv(const std::vector<std::string>& env) {
  // The first PATH= entry, as getenv(3) and Go's os.Getenv read it.
  for (const std::string& kv : env) {
    if (kv.compare(0, kPathPrefix.size(), kPathPrefix) == 0) return kv.substr(kPathPrefix.size());
  }
  return kDefaultPath;
}

ExecTarget ResolveExecutable(const std::string& name, const std::string& path_env,
                             const std::function<FileProbe(const std::string&)>& probe) {
  if (name.empty()) return {"", kExitNotFound, "exec \"\": empty command"};
  if (name.find('/') != std::string::npos) return {name, 0, ""};
  bool found_not_executable = false;
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t end = path_env.find(':', start);
    if (end == std::string::npos) end = path_env.size();
    std::string dir = path_env.substr(start, end - start);
    if (dir.empty()) dir = ".";  // POSIX: an empty PATH entry is the current directory
    std::string candidate = dir + "/" + name;
    switch (probe(candidate)) {
      case FileProbe::kExecutable:
        return {candidate, 0, ""};
      case FileProbe::kNotExecutable:
        found_not_executable = true;
        break;
      case FileProbe::kMissing:
        break;
    }
    start = end + 1;
  }
  if (found_not_executable) {
    return {"", kExitNotExecutable, "exec \"" + name + "\": permission denied"};
  }
  return {"", kExitNotFound, "exec \"" + name + "\": executable file not found in $PATH"};
}

FileProbe ProbeFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileProbe::kMissing;
  if (S_ISREG(st.st_mode) && (st.st_mode & kAnyExecuteBit)) return FileProbe::kExecutable;
  return FileProbe::kNotExecutable;
}

ExecTarget ExecFailure(const std::string& path, int err) {
  int code = (err == ENOENT || err == ENOTDIR) ? kExitNotFound : kExitNotExecutable;
  std::string reason = err == ENOENT ? "no such file or directory" : std::strerror(err);
  if (err == EACCES) reason = "permission denied";
  return {"", code, "exec \"" + path + "\": " + reason};
}

}  // namespace strato::guest
