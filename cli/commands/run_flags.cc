#include "cli/commands/run_flags.h"

#include "cli/flag_parser.h"
#include "common/error.h"

namespace strato::cli {
namespace {

constexpr uint64_t kMaxCpus = 64;
constexpr uint64_t kMinMemoryMib = 64;
constexpr uint64_t kMaxMemoryMib = 1u << 20;
constexpr uint64_t kMaxBootTimeoutSeconds = 3600;

const FlagParser& Parser() {
  static const FlagParser parser({
      {"cpus", true, false, "N", "vCPUs (default 1)"},
      {"memory", true, false, "MiB", "guest RAM in MiB (default 256)"},
      {"tty", false, false, "", "give the container a terminal (raw host terminal, resizes)"},
      {"env", true, true, "KEY=VALUE", "set an environment variable"},
      {"workdir", true, false, "DIR", "working directory in the container"},
      {"user", true, false, "UID[:GID]", "user (and group) the command runs as"},
      {"layer-cache", true, false, "DIR",
       "converted-layer cache (default: $STRATO_LAYER_CACHE or /var/lib/strato/layers)"},
      {"boot-timeout", true, false, "SECONDS", "give up when the guest is not up by then (300)"},
      {"help", false, false, "", "show this help"},
  });
  return parser;
}

}  // namespace

RunCommandOptions ParseRunFlags(const std::vector<std::string>& args) {
  RunCommandOptions options;
  ParsedFlags flags = Parser().Parse(args);
  if (flags.Has("help")) {
    options.help = true;
    options.help_text =
        "usage: strato run [flags] IMAGE [-- CMD ARGS...]\n\n"
        "Run a container from an OCI image (layout directory, OCI archive or docker-save archive)\n"
        "in its own microVM. The exit code is the container's; 125 means strato itself failed.\n\n"
        "flags:\n" +
        Parser().HelpText();
    return options;
  }
  if (flags.positionals().empty()) throw UsageError("missing IMAGE");
  if (flags.positionals().size() > 1) {
    throw UsageError("unexpected argument \"" + flags.positionals()[1] +
                     "\" (the command goes after \"--\")");
  }
  runtime::ImageRunOptions& run = options.run;
  run.image = flags.positionals()[0];
  run.command = flags.rest();
  run.tty = flags.Has("tty");
  run.env = flags.GetAll("env");
  for (const std::string& entry : run.env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      throw UsageError("--env: expected KEY=VALUE, got \"" + entry + "\"");
    }
  }
  run.workdir = flags.Get("workdir");
  run.user = flags.Get("user");
  run.layer_cache_dir = flags.Get("layer-cache").value_or("");
  run.resources.cpus = static_cast<uint32_t>(flags.GetUint("cpus", 1, kMaxCpus).value_or(1));
  run.resources.memory_mib =
      flags.GetUint("memory", kMinMemoryMib, kMaxMemoryMib).value_or(run.resources.memory_mib);
  if (auto seconds = flags.GetUint("boot-timeout", 1, kMaxBootTimeoutSeconds)) {
    options.boot_timeout = std::chrono::seconds(*seconds);
  }
  return options;
}

}  // namespace strato::cli
