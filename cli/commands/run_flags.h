#pragma once
// `strato run` flags -> what to run (pure: no image is opened; unit-tested).

#include <chrono>
#include <string>
#include <vector>

#include "runtime/image_launch.h"

namespace strato::cli {

// How long `strato run` waits for the guest agent: a boot takes 30-60 s on nested KVM.
inline constexpr std::chrono::seconds kDefaultBootTimeout{300};

struct RunCommandOptions {
  bool help = false;
  std::string help_text;  // usage + flags, for --help
  runtime::ImageRunOptions run;
  std::chrono::seconds boot_timeout = kDefaultBootTimeout;
};

// Parses the arguments after `run`. Throws strato::UsageError for bad flags, a missing or extra
// IMAGE, or an --env without "=".
RunCommandOptions ParseRunFlags(const std::vector<std::string>& args);

}  // namespace strato::cli
