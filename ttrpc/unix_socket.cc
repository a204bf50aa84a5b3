#include "ttrpc/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace strato::ttrpc {

namespace {
constexpr std::string_view kUnixScheme = "unix://";
// Pending connections the kernel queues before accept (containerd dials one or two at a time).
constexpr int kListenBacklog = 16;

sockaddr_un AddressFor(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    throw Error("unix socket path '" + path + "': length must be 1.." +
                std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}
}  // namespace

UniqueFd ListenUnix(const std::string& path) {
  sockaddr_un addr = AddressFor(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) ThrowErrno("socket for " + path);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ThrowErrno("bind " + path);
  }
  if (::listen(fd.get(), kListenBacklog) != 0) ThrowErrno("listen " + path);
  return fd;
}

UniqueFd ConnectUnix(const std::string& address) {
  std::string path = address;
  if (path.starts_with(kUnixScheme)) path.erase(0, kUnixScheme.size());
  sockaddr_un addr = AddressFor(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) ThrowErrno("socket for " + path);
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) ThrowErrno("connect " + path);
  return fd;
}

uid_t PeerUid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) ThrowErrno("SO_PEERCRED");
  return cred.uid;
}

bool PeerIsSameUser(int fd) {
  return PeerUid(fd) == ::geteuid();
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace strato::ttrpc
