#pragma once
// Which file execve(2) runs for process.args[0], the way runc does it (Go's exec.LookPath): a
// name containing "/" is used as it is; otherwise each $PATH entry is tried in order and the
// first regular file with an execute bit wins. Exit codes follow the shells: 127 when nothing is
// found, 126 when something is found but cannot be executed. Pure (the file probe is passed in);
// unit tested.

#include <functional>
#include <string>
#include <vector>

namespace strato::guest {

inline constexpr int kExitNotFound = 127;       // POSIX sh "command not found"
inline constexpr int kExitNotExecutable = 126;  // POSIX sh "found but not executable"
// PATH when the process env has none (runc and Docker use the same list).
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

enum class FileProbe { kMissing, kExecutable, kNotExecutable };

struct ExecTarget {
  std::string path;   // what to pass to execve (valid when exit_code == 0)
  int exit_code = 0;  // 0, kExitNotFound or kExitNotExecutable
  std::string error;  // for the message on stderr when exit_code != 0
};

// PATH from a "KEY=VALUE" environment, or kDefaultPath.
std::string PathFromEnv(const std::vector<std::string>& env);

ExecTarget ResolveExecutable(const std::string& name, const std::string& path_env,
                             const std::function<FileProbe(const std::string&)>& probe);

// The real probe: stat(2); a regular file with any execute bit is executable.
FileProbe ProbeFile(const std::string& path);

// Exit code and error text for an execve(2) failure with errno `err`.
ExecTarget ExecFailure(const std::string& path, int err);

}  // namespace strato::guest
