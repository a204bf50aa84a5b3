// strato: run OCI containers in KVM microVMs. `strato <command> --help` documents each command.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/error.h"
#include "common/logging.h"

namespace {

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: strato [--log-level LEVEL] <command> [flags] [args]\n\n"
               "Run OCI containers, each in its own KVM microVM.\n\ncommands:\n");
  for (const auto& c : strato::cli::AllCommands()) {
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
  std::fprintf(out,
               "\nglobal flags:\n  --log-level LEVEL  trace, debug, info, warn, error, critical, "
               "off (default: $STRATO_LOG_LEVEL or info)\n\n"
               "Run 'strato <command> --help' for a command's flags.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::optional<std::string> log_level;
  size_t i = 0;
  // Global flags come before the command name.
  while (i < args.size() && args[i].starts_with("--")) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      PrintUsage(stdout);
      return 0;
    }
    if (a == "--log-level" && i + 1 < args.size()) {
      log_level = args[i + 1];
      i += 2;
    } else if (a.starts_with("--log-level=")) {
      log_level = a.substr(sizeof("--log-level=") - 1);
      i += 1;
    } else {
      std::fprintf(stderr, "strato: unknown global flag %s\n", a.c_str());
      PrintUsage(stderr);
      return strato::cli::kExitUsage;
    }
  }
  if (i < args.size() && args[i] == "-h") {
    PrintUsage(stdout);
    return 0;
  }
  try {
    strato::SetupLogging(log_level);
  } catch (const strato::Error& e) {
    std::fprintf(stderr, "strato: %s\n", e.what());
    return strato::cli::kExitUsage;
  }
  if (i >= args.size()) {
    PrintUsage(stderr);
    return strato::cli::kExitUsage;
  }
  const std::string name = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  for (const auto& c : strato::cli::AllCommands()) {
    if (c.name != name) continue;
    try {
      return c.run(rest);
    } catch (const strato::UsageError& e) {
      std::fprintf(stderr, "strato %s: %s\n", name.c_str(), e.what());
      return strato::cli::kExitUsage;
    } catch (const strato::Error& e) {
      std::fprintf(stderr, "strato %s: %s\n", name.c_str(), e.what());
      return 1;
    } catch (const std::exception& e) {
      spdlog::critical("strato {}: internal error: {}", name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "strato: unknown command \"%s\"\n", name.c_str());
  PrintUsage(stderr);
  return strato::cli::kExitUsage;
}
