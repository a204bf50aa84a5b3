#pragma once
// The stdio strings containerd passes in CreateTaskRequest / ExecProcessRequest:
//   ""                      no stream
//   /path or fifo:///path   a FIFO the client created (ctr, CRI)
//   file:///path            append the output to a file (stdout and stderr share it)
//   binary:///path?k=v&x    run a logging binary: argv = path k v x, stdout on fd 3,
//                           stderr on fd 4, and fd 5 closed by the binary once it is ready
// (containerd pkg/process/io.go). Anything else is rejected with a clear error.

#include <string>
#include <vector>

namespace strato::shim {

struct StdioUri {
  enum class Kind { kNone, kFifo, kFile, kBinary };
  Kind kind = Kind::kNone;
  std::string path;               // FIFO, file or binary path (percent-decoded)
  std::vector<std::string> args;  // binary:// only, from the query, in order
};

// Throws strato::Error naming the string for an unknown scheme, a relative path, or bad
// percent-encoding.
StdioUri ParseStdioUri(const std::string& text);

}  // namespace strato::shim
