#pragma once
// The byte pumps between a process's pipes (or pty master) and the host's stream connections.
// Each runs on its own thread and blocks: a full stream socket stops it reading the pipe
// (back-pressure reaches the process as a full pipe), and nothing is buffered beyond one chunk.

#include "common/file_util.h"

namespace strato::agent {

// Copies `source` (a pipe read end or a pty master) to `sink` until the source reaches end of
// file (EIO on a pty master whose slaves are all closed counts as end of file), then closes the
// sink so the host sees EOF. If the sink fails (the host went away) or is invalid, the rest is
// read and discarded so the process never blocks on a full pipe.
void PumpOutput(UniqueFd source, UniqueFd sink);

// Copies the host's stream `source` (a socket) to the process's stdin `sink` until the source
// ends (EOF or error), the process stops reading (EPIPE), or `stop` (an eventfd) is signalled:
// then the bytes that already arrived are still forwarded (CloseStdin after the last write
// loses nothing that reached the guest). Does not close any fd: the caller owns them.
void PumpInput(int source, int sink, int stop);

}  // namespace strato::agent
