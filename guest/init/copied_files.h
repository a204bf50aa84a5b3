#pragma once
// Small host files copied into the container (/etc/hosts, /etc/resolv.conf, /etc/hostname): each
// is written to the staging area and cloned as a detached bind mount (open_tree) before
// pivot_root; after pivot_root each clone is attached at its path (move_mount), so the path is
// resolved inside the container root: a symlink in the image cannot point it outside.

#include <string>
#include <vector>

#include "common/file_util.h"
#include "guest/config/guest_config.h"

namespace strato::guest {

struct StagedFile {
  std::string path;  // inside the container
  UniqueFd tree;     // detached bind mount of the staged copy
};

// Writes the files under `staging_dir` (which must exist and be empty of these names).
std::vector<StagedFile> StageCopiedFiles(const std::vector<CopiedFile>& files,
                                         const std::string& staging_dir);

// After pivot_root: creates each mount point and attaches the staged copy there.
void AttachCopiedFiles(std::vector<StagedFile>& staged);

}  // namespace strato::guest
