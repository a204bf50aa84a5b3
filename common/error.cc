#include "common/error.h"

#include <cerrno>
#include <cstring>

namespace strato {

void ThrowErrno(const std::string& what, int err) {
  throw Error(what + ": " + std::strerror(err));
}

void ThrowErrno(const std::string& what) {
  ThrowErrno(what, errno);
}

}  // namespace strato
