#include "runtime/helper_binaries.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iterator>

#include "common/error.h"
#include "common/paths.h"

namespace strato::runtime {
namespace {

// build/cli/strato and build/tests/integration/<area>/<test> both reach build/ within this many
// parent directories.
constexpr int kMaxAncestorLevels = 3;

bool IsExecutableFile(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string FindHelperBinary(const char* env_name, const char* name, const char* build_subdir,
                             const std::string& installed_dir) {
  if (const char* env = std::getenv(env_name); env != nullptr && *env != '\0') {
    if (!IsExecutableFile(env)) {
      throw Error(std::string("$") + env_name + " names " + env +
                  ", which is not an executable file");
    }
    return env;
  }
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path dir = exe.parent_path();
    for (int level = 0; level <= kMaxAncestorLevels && !dir.empty(); ++level) {
      for (const auto& candidate : {dir / build_subdir / name, dir / name}) {
        if (IsExecutableFile(candidate)) return candidate.string();
      }
      if (dir == dir.parent_path()) break;
      dir = dir.parent_path();
    }
  }
  std::filesystem::path installed = std::filesystem::path(installed_dir) / name;
  if (IsExecutableFile(installed)) return installed.string();
  throw Error(std::string(name) + " not found: set $" + env_name + ", or install it as " +
              installed.string() + " (also looked beside " + exe.string() + ")");
}

std::string FindInitBinary() {
  return FindHelperBinary(paths::kInitBinaryEnv, paths::kInitBinaryName, paths::kInitBuildSubdir,
                          paths::kHelperBinaryDir);
}

std::string FindVmmBinary() {
  return FindHelperBinary(paths::kVmmBinaryEnv, paths::kVmmBinaryName, paths::kVmmBuildSubdir,
                          paths::kHelperBinaryDir);
}

std::string FindGuestKernel() {
  if (const char* env = std::getenv(paths::kKernelEnv); env != nullptr && *env != '\0') return env;
  std::string tried;
  for (const char* candidate : paths::kKernelCandidates) {
    if (::access(candidate, R_OK) == 0) return candidate;
    tried += (tried.empty() ? "" : ", ") + std::string(candidate);
  }
  throw Error("no guest kernel found (tried " + tried + "): set $" + paths::kKernelEnv +
              " or run packaging/kernel/build.sh");
}

}  // namespace strato::runtime
