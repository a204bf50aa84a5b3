#pragma once
// Where `strato run` and the shim find the programs they start: strato-init (put into the guest's
// initramfs), strato-vmm (one process per VM) and the guest kernel. Order for each binary:
// its environment variable, then beside the running executable in a build tree
// (<build>/guest/strato-init, <build>/vmm/strato-vmm), then the installed copy in /usr/lib/strato.
// Names and variables: common/paths.h.

#include <string>

namespace strato::runtime {

// The path of strato-init / strato-vmm; throws strato::Error saying where it looked.
std::string FindInitBinary();
std::string FindVmmBinary();

// $STRATO_KERNEL, else the first existing kernel candidate (common/paths.h); throws when none.
std::string FindGuestKernel();

// Lower level: `env_name`'s value if set; else <ancestor>/<build_subdir>/<name> or
// <ancestor>/<name> for the running executable's directory and up to three of its parents; else
// <installed_dir>/<name>. Throws strato::Error when none is executable.
std::string FindHelperBinary(const char* env_name, const char* name, const char* build_subdir,
                             const std::string& installed_dir);

}  // namespace strato::runtime
