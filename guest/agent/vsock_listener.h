#pragma once
// A listening AF_VSOCK stream socket on a guest port (any CID), close-on-exec.

#include <cstdint>

#include "common/file_util.h"

namespace strato::agent {

UniqueFd ListenVsock(uint32_t port);

}  // namespace strato::agent
