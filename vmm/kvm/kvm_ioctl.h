#pragma once
// One place that issues KVM ioctls: EINTR is retried where that is safe, and every failure
// becomes a strato::Error naming the ioctl and the object ("KVM_SET_USER_MEMORY_REGION on VM:
// Invalid argument").

#include <sys/ioctl.h>

#include <cerrno>
#include <string>

#include "common/error.h"

namespace strato::vmm {

template <typename Arg>
int KvmIoctl(int fd, unsigned long request, const char* request_name, Arg arg,
             const std::string& object) {
  int r;
  do {
    r = ::ioctl(fd, request, arg);
  } while (r < 0 && errno == EINTR);
  if (r < 0) ThrowErrno(std::string(request_name) + " on " + object);
  return r;
}

// Expands to the request number and its name, so error messages match the code.
#define STRATO_KVM(request) request, #request

}  // namespace strato::vmm
