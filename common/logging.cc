#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "common/error.h"

namespace strato {

namespace {
constexpr const char* kLevelEnv = "STRATO_LOG_LEVEL";
constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v";

std::optional<spdlog::level::level_enum> ParseLevel(const std::string& name) {
  if (name == "error") return spdlog::level::err;
  auto level = spdlog::level::from_str(name);
  // from_str() answers "off" for unknown names; only accept "off" when it was asked for.
  if (level == spdlog::level::off && name != "off") return std::nullopt;
  return level;
}
}  // namespace

bool SetLogLevel(const std::string& level) {
  auto parsed = ParseLevel(level);
  if (!parsed) return false;
  spdlog::set_level(*parsed);
  return true;
}

void SetupLogging(const std::optional<std::string>& flag_level) {
  auto logger = spdlog::stderr_color_mt("strato");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern(kPattern);
  spdlog::set_level(spdlog::level::info);
  if (const char* env = std::getenv(kLevelEnv); env != nullptr && !flag_level) {
    if (!SetLogLevel(env)) {
      throw Error(std::string(kLevelEnv) + ": unknown log level \"" + env + "\"");
    }
  }
  if (flag_level && !SetLogLevel(*flag_level)) {
    throw Error("--log-level: unknown log level \"" + *flag_level + "\"");
  }
}

}  // namespace strato
