#pragma once
// The shim side of one process's stdio, like the runc shim's (pkg/process/io.go):
//  - FIFO outputs are opened with a keep-alive reader of our own first, so opening the writer
//    never blocks and writes never fail when the client detaches; the process's output is
//    copied from a pipe (the backend's end) into the FIFO.
//  - FIFO stdin is read without blocking and copied into a pipe the backend reads; when every
//    writer of the FIFO is gone, the pipe is closed (the process sees EOF). The init process
//    also holds a writer on its stdin FIFO so a client that detaches and reattaches does not
//    end the process's input; CloseIO drops that writer. The FIFO is opened only by
//    ConnectStdin, once the process exists (as runc's shim does at the end of Create): a client
//    like `ctr run` arms its "stdin reached EOF -> CloseIO" hook only when Create has returned,
//    and a VM boot makes Create long, so reading its input earlier would lose that CloseIO.
//  - file:// appends stdout and stderr to one file; binary:// hands them to a logging binary.
//  - With a terminal there is one output stream (stdout); stderr is not opened.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/file_util.h"
#include "shim/sandbox.h"
#include "shim/stdio/fd_pump.h"

namespace strato::shim {

struct StdioPaths {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
};

class ProcessIo {
 public:
  // Opens the client's streams. Throws strato::Error naming the path that failed.
  static std::unique_ptr<ProcessIo> Open(const StdioPaths& paths, const std::string& container_id,
                                         const std::string& ns, bool keep_stdin_open);
  ~ProcessIo();  // Close()

  // The backend's ends, handed over once (later calls return invalid fds).
  ProcessStdio TakeBackendStdio();

  // Opens the stdin FIFO and starts copying it (no-op without stdin, or when done already).
  // Throws strato::Error naming the FIFO.
  void ConnectStdin();

  // CloseIO{stdin}: drop our keep-alive writer so the process sees EOF once the client's
  // writer is closed too.
  void CloseStdin();

  // Waits until the outputs are drained (the backend closed its ends and everything was
  // written to the client). False on timeout.
  bool WaitOutputDrained(std::chrono::milliseconds timeout);

  // Stops all copying and closes every fd; reaps a logging binary.
  void Close();

 private:
  ProcessIo() = default;
  void OpenStdin(const std::string& path, bool keep_open);
  void OpenFifoOutput(const std::string& path, const std::string& name, UniqueFd* backend_end,
                      std::unique_ptr<FdPump>* pump, UniqueFd* keep_alive_reader);
  void OpenFileOutput(const std::string& path);
  void OpenBinaryOutput(const std::string& path, const std::vector<std::string>& args,
                        const std::string& container_id, const std::string& ns);

  std::string id_;
  std::mutex mu_;
  ProcessStdio backend_;
  std::string stdin_fifo_;  // opened by ConnectStdin
  bool keep_stdin_open_ = false;
  UniqueFd stdin_pipe_writer_;  // the pump's end until ConnectStdin
  UniqueFd stdin_keep_alive_writer_;
  UniqueFd stdout_keep_alive_reader_;
  UniqueFd stderr_keep_alive_reader_;
  std::unique_ptr<FdPump> stdin_pump_;
  std::unique_ptr<FdPump> stdout_pump_;
  std::unique_ptr<FdPump> stderr_pump_;
  pid_t logging_binary_ = -1;
};

}  // namespace strato::shim
