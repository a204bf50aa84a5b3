#pragma once
// The one exception type strato code throws for expected failures (bad input, missing files,
// refused ioctls). The message is written for a user: it names the thing and says why.

#include <stdexcept>
#include <string>

namespace strato {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// A mistake in how a command was invoked (unknown flag, missing argument): exit code 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Throws Error("<what>: <strerror(errno)>"); for failed system calls.
[[noreturn]] void ThrowErrno(const std::string& what);
[[noreturn]] void ThrowErrno(const std::string& what, int err);

}  // namespace strato
