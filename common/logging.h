#pragma once
// Project-wide logging setup: every strato binary calls SetupLogging() once at start. Text goes
// to stderr; the level comes from the --log-level flag, else STRATO_LOG_LEVEL, else "info".

#include <optional>
#include <string>

namespace strato {

// Returns false (and leaves the level unchanged) if `level` is not a spdlog level name
// (trace, debug, info, warn, err/error, critical, off).
bool SetLogLevel(const std::string& level);

// Installs the stderr logger as spdlog's default. `flag_level` overrides the environment.
// Throws strato::Error naming the bad value if a level is not recognised.
void SetupLogging(const std::optional<std::string>& flag_level = std::nullopt);

}  // namespace strato
