#include "guest/init/copied_files.h"

#include <fcntl.h>
#include <sys/mount.h>

#include "common/error.h"
#include "guest/init/fs_ops.h"

namespace strato::guest {

std::vector<StagedFile> StageCopiedFiles(const std::vector<CopiedFile>& files,
                                         const std::string& staging_dir) {
  std::vector<StagedFile> out;
  if (files.empty()) return out;
  MkdirAll(staging_dir);
  for (size_t i = 0; i < files.size(); ++i) {
    std::string copy = staging_dir + "/" + std::to_string(i);
    WriteNewFile(copy, files[i].contents, files[i].mode);
    int tree = ::open_tree(AT_FDCWD, copy.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0) ThrowErrno("open_tree " + copy + " (copy of " + files[i].path + ")");
    out.push_back(StagedFile{files[i].path, UniqueFd(tree)});
  }
  return out;
}

void AttachCopiedFiles(std::vector<StagedFile>& staged) {
  for (StagedFile& f : staged) {
    EnsureFile(f.path);
    if (::move_mount(f.tree.get(), "", AT_FDCWD, f.path.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      ThrowErrno("bind the copied file " + f.path);
    }
    f.tree.reset();
  }
}

}  // namespace strato::guest
