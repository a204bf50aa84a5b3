// containerd-shim-strato-v2: containerd's runtime v2 shim for strato (runtime name
// io.containerd.strato.v2). containerd runs it as `... start`, `... delete`, and `start`
// re-executes it as the daemon; see shim/manager/commands.h.

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/logging.h"
#include "shim/manager/commands.h"
#include "shim/manager/shim_flags.h"

namespace {
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  strato::shim::ShimFlags flags;
  try {
    flags = strato::shim::ParseShimFlags(args);
  } catch (const strato::UsageError& e) {
    std::fprintf(stderr, "containerd-shim-strato-v2: %s\n", e.what());
    return kExitUsage;
  }
  if (flags.version) {
    std::printf("%s:\n  Version: %s\n", argv[0], strato::shim::ShimVersion().c_str());
    return 0;
  }
  try {
    // Logs go to stderr (never stdout: `start` prints the address there and `delete` the
    // DeleteResponse); the daemon points stderr at the bundle's log FIFO.
    strato::SetupLogging(flags.debug ? std::optional<std::string>("debug") : std::nullopt);
    if (flags.action == "start") return strato::shim::RunStart(flags, std::cout);
    if (flags.action == "delete") return strato::shim::RunDelete(flags, std::cout);
    if (flags.action.empty()) return strato::shim::RunDaemon(flags);
    std::fprintf(stderr, "containerd-shim-strato-v2: unknown action \"%s\"\n",
                 flags.action.c_str());
    return kExitUsage;
  } catch (const strato::UsageError& e) {
    std::fprintf(stderr, "containerd-shim-strato-v2: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "containerd-shim-strato-v2 %s: %s\n",
                 flags.action.empty() ? "daemon" : flags.action.c_str(), e.what());
    return kExitFailure;
  }
}
