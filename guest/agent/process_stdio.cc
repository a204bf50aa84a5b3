#include "guest/agent/process_stdio.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/error.h"

namespace strato::agent {

namespace {

constexpr const char* kDevNull = "/dev/null";

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe OpenPipe(const char* what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) ThrowErrno(std::string("pipe for ") + what);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd OpenDevNull(int flags) {
  return OpenOrThrow(kDevNull, flags | O_CLOEXEC);
}

UniqueFd DupCloexec(int fd, const char* what) {
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy.valid()) ThrowErrno(std::string("dup ") + what);
  return copy;
}

void SetCloexec(int fd) {
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) ThrowErrno("fcntl FD_CLOEXEC on a pty");
}

}  // namespace

guest::ChildStdio ProcessStdio::ChildFds() const {
  guest::ChildStdio fds;
  fds.in = child_in.get();
  fds.out = child_out.get();
  fds.err = child_err.get();
  fds.controlling_terminal = terminal;
  return fds;
}

void ProcessStdio::CloseChildEnds() {
  child_in.reset();
  child_out.reset();
  child_err.reset();
}

ProcessStdio OpenProcessStdio(bool terminal, bool want_stdin, bool want_stdout, bool want_stderr,
                              const std::optional<oci::ConsoleSize>& console_size) {
  ProcessStdio stdio;
  stdio.terminal = terminal;
  stdio.want_stdin = want_stdin;
  stdio.want_stdout = want_stdout;
  stdio.want_stderr = want_stderr;
  if (terminal) {
    int master = -1;
    int slave = -1;
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
      ThrowErrno("openpty (/dev/ptmx) for a terminal process");
    }
    stdio.pty_master.reset(master);
    UniqueFd slave_fd(slave);
    SetCloexec(master);
    SetCloexec(slave);
    if (console_size) SetWindowSize(master, console_size->width, console_size->height);
    stdio.stdin_writer = DupCloexec(master, "pty master");
    stdio.stdout_reader = DupCloexec(master, "pty master");
    stdio.child_out = DupCloexec(slave, "pty slave");
    stdio.child_err = DupCloexec(slave, "pty slave");
    stdio.child_in = std::move(slave_fd);
    return stdio;
  }
  if (want_stdin) {
    Pipe p = OpenPipe("stdin");
    stdio.child_in = std::move(p.read_end);
    stdio.stdin_writer = std::move(p.write_end);
  } else {
    stdio.child_in = OpenDevNull(O_RDONLY);
  }
  if (want_stdout) {
    Pipe p = OpenPipe("stdout");
    stdio.child_out = std::move(p.write_end);
    stdio.stdout_reader = std::move(p.read_end);
  } else {
    stdio.child_out = OpenDevNull(O_WRONLY);
  }
  if (want_stderr) {
    Pipe p = OpenPipe("stderr");
    stdio.child_err = std::move(p.write_end);
    stdio.stderr_reader = std::move(p.read_end);
  } else {
    stdio.child_err = OpenDevNull(O_WRONLY);
  }
  return stdio;
}

void SetWindowSize(int pty_master, uint32_t columns, uint32_t rows) {
  winsize size{};
  size.ws_col = static_cast<unsigned short>(columns);
  size.ws_row = static_cast<unsigned short>(rows);
  if (::ioctl(pty_master, TIOCSWINSZ, &size) != 0) ThrowErrno("TIOCSWINSZ");
}

void SendTerminalEof(int pty_master) {
  termios attributes{};
  if (::tcgetattr(pty_master, &attributes) != 0) ThrowErrno("tcgetattr on a pty");
  char eof = static_cast<char>(attributes.c_cc[VEOF]);
  if (::write(pty_master, &eof, 1) != 1) ThrowErrno("write end-of-file to a pty");
}

}  // namespace strato::agent
