#include "guest/agent/vsock_listener.h"

#include <sys/socket.h>
// clang-format off: sys/socket.h first (linux/vm_sockets.h needs sa_family_t)
#include <linux/vm_sockets.h>
// clang-format on

#include <string>

#include "common/error.h"

namespace strato::agent {

namespace {
// Host connections queued before accept (the host dials the agent and a few streams at once).
constexpr int kListenBacklog = 16;
}  // namespace

UniqueFd ListenVsock(uint32_t port) {
  const std::string what = "vsock port " + std::to_string(port);
  UniqueFd fd(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) ThrowErrno("socket AF_VSOCK for " + what);
  sockaddr_vm addr{};
  addr.svm_family = AF_VSOCK;
  addr.svm_cid = VMADDR_CID_ANY;
  addr.svm_port = port;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ThrowErrno("bind " + what);
  }
  if (::listen(fd.get(), kListenBacklog) != 0) ThrowErrno("listen on " + what);
  return fd;
}

}  // namespace strato::agent
