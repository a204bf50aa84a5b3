#include "shim/backend/vm_state_dir.h"

#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"

namespace strato::shim {

namespace {
constexpr size_t kStateDirHashDigits = 16;
constexpr size_t kMaxRecordBytes = 4096;  // PATH_MAX
}  // namespace

std::string VmStateDirFor(const std::string& ns, const std::string& container_id) {
  const char* root = std::getenv(kVmStateRootEnv);
  std::string base = root && *root ? root : kDefaultVmStateRoot;
  return base + "/" + Sha256::HexOf(ns + "/" + container_id).substr(0, kStateDirHashDigits);
}

void RecordVmStateDir(const std::string& bundle, const std::string& state_dir) {
  WriteFileAtomic(bundle + "/" + kVmStateRecordFile, state_dir + "\n");
}

std::optional<std::string> ReadRecordedVmStateDir(const std::string& bundle) {
  const std::string record = bundle + "/" + kVmStateRecordFile;
  std::error_code ec;
  if (!std::filesystem::exists(record, ec)) return std::nullopt;
  std::string dir = ReadFile(record, kMaxRecordBytes);
  while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
  // Only a path of the shape VmStateDirFor makes is acted upon (`delete` removes it): absolute,
  // normal, and ending in the 16 hex digits of a state directory.
  const std::filesystem::path p(dir);
  const std::string name = p.filename().string();
  const bool plain = !dir.empty() && dir[0] == '/' && p.lexically_normal() == p &&
                     name.size() == kStateDirHashDigits &&
                     name.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!plain) throw Error(record + ": not a strato VM state directory: \"" + dir + "\"");
  return dir;
}

}  // namespace strato::shim
