#include "shim/stdio/process_io.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "common/error.h"
#include "shim/argv.h"
#include "shim/stdio/stdio_uri.h"

extern char** environ;

namespace strato::shim {

namespace {

// The logging binary's descriptors (containerd NewBinaryIO: ExtraFiles out, err, ready).
constexpr int kBinaryStdoutFd = 3;
constexpr int kBinaryStderrFd = 4;
constexpr int kBinaryReadyFd = 5;
// Descriptors handed to posix_spawn's dup2 are first moved at or above this number, so a
// source fd can never equal its target (dup2 onto itself would keep O_CLOEXEC).
constexpr int kSpawnFdFloor = 10;
constexpr std::chrono::seconds kBinaryReadyTimeout{10};
constexpr std::chrono::seconds kBinaryExitGrace{2};

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe MakePipe(const std::string& what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("pipe for " + what);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd OpenFifo(const std::string& path, int flags) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) ThrowErrno("stdio " + path);
  if (!S_ISFIFO(st.st_mode)) throw Error("stdio " + path + ": not a FIFO");
  return OpenOrThrow(path, flags);
}

UniqueFd DupAbove(int fd, int floor) {
  int d = ::fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (d < 0) ThrowErrno("dup");
  return UniqueFd(d);
}

}  // namespace

std::unique_ptr<ProcessIo> ProcessIo::Open(const StdioPaths& paths, const std::string& container_id,
                                           const std::string& ns, bool keep_stdin_open) {
  std::unique_ptr<ProcessIo> io(new ProcessIo());
  io->id_ = container_id;
  io->backend_.terminal = paths.terminal;
  io->OpenStdin(paths.stdin_path, keep_stdin_open);

  StdioUri out = ParseStdioUri(paths.stdout_path);
  StdioUri err = paths.terminal ? StdioUri{} : ParseStdioUri(paths.stderr_path);
  if (out.kind == StdioUri::Kind::kFile || out.kind == StdioUri::Kind::kBinary) {
    // containerd uses one URI for both streams with these schemes.
    if (out.kind == StdioUri::Kind::kFile) {
      io->OpenFileOutput(out.path);
    } else {
      io->OpenBinaryOutput(out.path, out.args, container_id, ns);
    }
    if (paths.terminal) io->backend_.stderr_fd.reset();
    return io;
  }
  if (err.kind == StdioUri::Kind::kFile || err.kind == StdioUri::Kind::kBinary) {
    throw Error("stdio: stderr '" + paths.stderr_path + "' uses " +
                (err.kind == StdioUri::Kind::kFile ? "file://" : "binary://") +
                " but stdout is not the same kind");
  }
  if (out.kind == StdioUri::Kind::kFifo) {
    io->OpenFifoOutput(out.path, container_id + " stdout", &io->backend_.stdout_fd,
                       &io->stdout_pump_, &io->stdout_keep_alive_reader_);
  }
  if (err.kind == StdioUri::Kind::kFifo) {
    io->OpenFifoOutput(err.path, container_id + " stderr", &io->backend_.stderr_fd,
                       &io->stderr_pump_, &io->stderr_keep_alive_reader_);
  }
  return io;
}

ProcessIo::~ProcessIo() {
  Close();
}

void ProcessIo::OpenStdin(const std::string& path, bool keep_open) {
  StdioUri uri = ParseStdioUri(path);
  if (uri.kind == StdioUri::Kind::kNone) return;
  if (uri.kind != StdioUri::Kind::kFifo) {
    throw Error("stdio: stdin '" + path + "' must be a FIFO");
  }
  struct stat st {};
  if (::stat(uri.path.c_str(), &st) != 0) ThrowErrno("stdio " + uri.path);
  if (!S_ISFIFO(st.st_mode)) throw Error("stdio " + uri.path + ": not a FIFO");
  Pipe pipe = MakePipe(id_ + " stdin");
  backend_.stdin_fd = std::move(pipe.read_end);
  stdin_pipe_writer_ = std::move(pipe.write_end);
  stdin_fifo_ = uri.path;
  keep_stdin_open_ = keep_open;
}

void ProcessIo::ConnectStdin() {
  std::lock_guard lock(mu_);
  if (stdin_fifo_.empty() || stdin_pump_ || !stdin_pipe_writer_.valid()) return;
  // Non-blocking: there may be no writer yet. poll() reports no hang-up until a writer has
  // come and gone, so the pump waits for the client.
  UniqueFd reader = OpenFifo(stdin_fifo_, O_RDONLY | O_NONBLOCK);
  if (keep_stdin_open_) stdin_keep_alive_writer_ = OpenFifo(stdin_fifo_, O_WRONLY | O_NONBLOCK);
  stdin_pump_ =
      std::make_unique<FdPump>(id_ + " stdin", std::move(reader), std::move(stdin_pipe_writer_));
}

void ProcessIo::OpenFifoOutput(const std::string& path, const std::string& name,
                               UniqueFd* backend_end, std::unique_ptr<FdPump>* pump,
                               UniqueFd* keep_alive_reader) {
  // Our own reader first: the writer open then succeeds at once, and a detached client never
  // turns our writes into EPIPE.
  *keep_alive_reader = OpenFifo(path, O_RDONLY | O_NONBLOCK);
  UniqueFd writer = OpenFifo(path, O_WRONLY | O_NONBLOCK);
  Pipe pipe = MakePipe(name);
  *backend_end = std::move(pipe.write_end);
  *pump = std::make_unique<FdPump>(name, std::move(pipe.read_end), std::move(writer));
}

void ProcessIo::OpenFileOutput(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) throw Error("stdio file://" + path + ": create directory: " + ec.message());
  backend_.stdout_fd = OpenOrThrow(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  backend_.stderr_fd = DupAbove(backend_.stdout_fd.get(), 0);
}

void ProcessIo::OpenBinaryOutput(const std::string& path, const std::vector<std::string>& args,
                                 const std::string& container_id, const std::string& ns) {
  Pipe out = MakePipe("logging binary stdout");
  Pipe err = MakePipe("logging binary stderr");
  Pipe ready = MakePipe("logging binary ready");
  UniqueFd out_r = DupAbove(out.read_end.get(), kSpawnFdFloor);
  UniqueFd err_r = DupAbove(err.read_end.get(), kSpawnFdFloor);
  UniqueFd ready_w = DupAbove(ready.write_end.get(), kSpawnFdFloor);
  out.read_end.reset();
  err.read_end.reset();
  ready.write_end.reset();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_r.get(), kBinaryStdoutFd);
  posix_spawn_file_actions_adddup2(&actions, err_r.get(), kBinaryStderrFd);
  posix_spawn_file_actions_adddup2(&actions, ready_w.get(), kBinaryReadyFd);
  std::vector<std::string> argv_store = {path};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv = ArgvOf(argv_store);
  // Like containerd: the binary's environment is exactly these two variables.
  std::string env_id = "CONTAINER_ID=" + container_id;
  std::string env_ns = "CONTAINER_NAMESPACE=" + ns;
  char* envp[] = {env_id.data(), env_ns.data(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) ThrowErrno("stdio binary://" + path + ": start", rc);
  logging_binary_ = pid;
  out_r.reset();
  err_r.reset();
  ready_w.reset();
  // Wait for the binary to close (or write to) its ready fd.
  pollfd p{ready.read_end.get(), POLLIN, 0};
  int prc;
  do {
    prc = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kBinaryReadyTimeout).count()));
  } while (prc < 0 && errno == EINTR);
  if (prc == 0) {
    throw Error("stdio binary://" + path + ": not ready after " +
                std::to_string(kBinaryReadyTimeout.count()) + " s");
  }
  backend_.stdout_fd = std::move(out.write_end);
  backend_.stderr_fd = std::move(err.write_end);
}

ProcessStdio ProcessIo::TakeBackendStdio() {
  std::lock_guard lock(mu_);
  ProcessStdio out;
  out.stdin_fd = std::move(backend_.stdin_fd);
  out.stdout_fd = std::move(backend_.stdout_fd);
  out.stderr_fd = std::move(backend_.stderr_fd);
  out.terminal = backend_.terminal;
  return out;
}

void ProcessIo::CloseStdin() {
  std::lock_guard lock(mu_);
  stdin_keep_alive_writer_.reset();
}

bool ProcessIo::WaitOutputDrained(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (FdPump* pump : {stdout_pump_.get(), stderr_pump_.get()}) {
    if (!pump) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0 || !pump->WaitDone(left)) return false;
  }
  return true;
}

void ProcessIo::Close() {
  std::lock_guard lock(mu_);
  for (auto* pump : {&stdin_pump_, &stdout_pump_, &stderr_pump_}) pump->reset();
  stdin_pipe_writer_.reset();
  backend_.stdin_fd.reset();
  backend_.stdout_fd.reset();
  backend_.stderr_fd.reset();
  stdin_keep_alive_writer_.reset();
  stdout_keep_alive_reader_.reset();
  stderr_keep_alive_reader_.reset();
  if (logging_binary_ > 0) {
    // Its inputs are closed now; give it a moment to flush, then make sure it is gone.
    auto deadline = std::chrono::steady_clock::now() + kBinaryExitGrace;
    while (::waitpid(logging_binary_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(logging_binary_, SIGKILL);
        ::waitpid(logging_binary_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    logging_binary_ = -1;
  }
}

}  // namespace strato::shim
