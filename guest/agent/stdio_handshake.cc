#include "guest/agent/stdio_handshake.h"

namespace strato::agent {

namespace {
constexpr size_t kMaxProcessIdLength = 128;
// Printable ASCII without the space (which separates the id from the stream name).
constexpr char kFirstIdChar = '!';
constexpr char kLastIdChar = '~';
}  // namespace

const char* StdioStreamName(StdioStream stream) {
  switch (stream) {
    case StdioStream::kStdin:
      return "stdin";
    case StdioStream::kStdout:
      return "stdout";
    case StdioStream::kStderr:
      return "stderr";
  }
  return "?";
}

std::optional<std::string> ValidateProcessId(std::string_view id) {
  if (id.empty()) return std::nullopt;
  if (id == kContainerProcessToken) {
    return "process id '-' is reserved (it stands for the container process on stdio streams)";
  }
  if (id.size() > kMaxProcessIdLength) {
    return "process id is longer than " + std::to_string(kMaxProcessIdLength) + " bytes";
  }
  for (char c : id) {
    if (c < kFirstIdChar || c > kLastIdChar) {
      return "process id may only hold printable ASCII characters without spaces";
    }
  }
  return std::nullopt;
}

std::string FormatStreamRequest(const std::string& id, StdioStream stream) {
  std::string line = id.empty() ? std::string(kContainerProcessToken) : id;
  line += ' ';
  line += StdioStreamName(stream);
  line += '\n';
  return line;
}

std::optional<StreamRequest> ParseStreamRequest(std::string_view line, std::string* error) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0) {
    *error = "malformed stream request: expected '<process-id> <stdin|stdout|stderr>'";
    return std::nullopt;
  }
  std::string_view id = line.substr(0, space);
  std::string_view name = line.substr(space + 1);
  StreamRequest request;
  if (name == "stdin") {
    request.stream = StdioStream::kStdin;
  } else if (name == "stdout") {
    request.stream = StdioStream::kStdout;
  } else if (name == "stderr") {
    request.stream = StdioStream::kStderr;
  } else {
    *error = "unknown stream name (want stdin, stdout or stderr)";
    return std::nullopt;
  }
  if (id != kContainerProcessToken) {
    if (auto problem = ValidateProcessId(id)) {
      *error = *problem;
      return std::nullopt;
    }
    request.id = std::string(id);
  }
  return request;
}

}  // namespace strato::agent
