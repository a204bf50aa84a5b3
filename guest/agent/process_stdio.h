#pragma once
// The stdio of one agent process: pipes, or a pty for a terminal process. The child ends go to
// LaunchProcess (ChildStdio); the agent ends are handed to the stream pumps when the host binds
// a stream (port 1025). A stream the host did not ask for is /dev/null in the child. With a
// terminal, stdin, stdout and stderr are all the pty slave and the output comes from the master.

#include <cstdint>
#include <optional>

#include "common/file_util.h"
#include "guest/init/process_launch.h"
#include "oci/runtime_spec.h"

namespace strato::agent {

struct ProcessStdio {
  bool terminal = false;
  bool want_stdin = false;
  bool want_stdout = false;
  bool want_stderr = false;

  // Child ends; the agent closes them once the process started.
  UniqueFd child_in;
  UniqueFd child_out;
  UniqueFd child_err;

  // Agent ends, moved into the pumps when the streams are bound.
  UniqueFd stdin_writer;   // pipe write end, or a dup of the pty master
  UniqueFd stdout_reader;  // pipe read end, or a dup of the pty master
  UniqueFd stderr_reader;  // pipe read end (never with a terminal)
  UniqueFd pty_master;     // terminal only: window size and end-of-file on CloseStdin

  guest::ChildStdio ChildFds() const;
  void CloseChildEnds();
};

// Opens the pipes or the pty (from /dev/ptmx of the current root: the container's in the VM).
// Every fd is close-on-exec. `console_size` (process.consoleSize) sets the initial window size.
ProcessStdio OpenProcessStdio(bool terminal, bool want_stdin, bool want_stdout, bool want_stderr,
                              const std::optional<oci::ConsoleSize>& console_size);

// TIOCSWINSZ on a pty master.
void SetWindowSize(int pty_master, uint32_t columns, uint32_t rows);

// Makes the terminal's line discipline report end of file to the reader (the VEOF character at
// the start of a line), which is what closing stdin means for a terminal process.
void SendTerminalEof(int pty_master);

}  // namespace strato::agent
