// strato-vmm: the VMM as its own small executable (the `strato vm` command without the rest of the
// CLI). It links only the VMM and common code, so it starts faster and with less memory than the
// full `strato` binary (no libcrypto, zlib, zstd); the shim will fork/exec it. Same flags, output
// and exit codes as `strato vm` (docs/vmm.md).

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/error.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::optional<std::string> log_level;
  if (args.size() >= 2 && args[0] == "--log-level") {
    log_level = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  try {
    strato::SetupLogging(log_level);
    return strato::cli::RunVm(args);
  } catch (const strato::UsageError& e) {
    std::fprintf(stderr, "strato-vmm: %s\n", e.what());
    return strato::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strato-vmm: %s\n", e.what());
    return 1;
  }
}
