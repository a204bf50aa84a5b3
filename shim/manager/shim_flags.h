#pragma once
// The shim binary's command line, parsed with Go `flag` package rules because containerd
// builds it that way (runtime/v2/shim/shim.go): `-name value`, `-name=value`, `--name value`,
// boolean flags take no value (`-debug`, or `-debug=false`), and parsing stops at the first
// non-flag argument, which is the action (`start`, `delete`, or none for the daemon).

#include <string>
#include <vector>

namespace strato::shim {

struct ShimFlags {
  std::string ns;                  // -namespace
  std::string address;             // -address: containerd's grpc socket
  std::string publish_binary;      // -publish-binary
  std::string id;                  // -id
  std::string bundle;              // -bundle (delete); else the working directory
  std::string socket;              // -socket (daemon, optional)
  bool debug = false;              // -debug
  bool version = false;            // -v
  std::string action;              // "start", "delete", or "" (daemon)
  std::vector<std::string> extra;  // arguments after the action
};

// Throws strato::UsageError with Go's wording ("flag provided but not defined: -x",
// "flag needs an argument: -id", "invalid boolean value \"x\" for -debug").
ShimFlags ParseShimFlags(const std::vector<std::string>& args);

// The argument list that reproduces `flags` without the action (for the re-executed daemon).
std::vector<std::string> DaemonArgs(const ShimFlags& flags);

}  // namespace strato::shim
