#pragma once
// Unix stream sockets for ttrpc: listen, connect, and the SO_PEERCRED same-user check both ends
// of a ttrpc connection make (containerd/ttrpc UnixSocketRequireSameUser).

#include <sys/types.h>

#include <string>

#include "common/file_util.h"

namespace strato::ttrpc {

// Binds and listens on `path` (which must not exist). Throws strato::Error naming the path,
// also when it is longer than sun_path allows.
UniqueFd ListenUnix(const std::string& path);

// Connects to `path`; a leading "unix://" is stripped. Throws strato::Error naming the path.
UniqueFd ConnectUnix(const std::string& path);

// The peer's uid (SO_PEERCRED). Throws strato::Error on failure.
uid_t PeerUid(int fd);

// True if the peer runs as our effective uid (or as root talking to root).
bool PeerIsSameUser(int fd);

// Writes all of `data` with send(MSG_NOSIGNAL) so a closed peer is an error, not SIGPIPE.
// Returns false if the peer is gone.
bool SendAll(int fd, std::string_view data);

}  // namespace strato::ttrpc
