#pragma once
// The stdio stream handshake on port 1025, shared by the agent and the host client: the host
// writes "<process-id> <stdin|stdout|stderr>\n" (the container's own process, id "", is written
// "-"), the agent answers "OK\n" once the stream is bound, or "ERR <message>\n" and closes.
// Parsing is pure so both ends and the unit tests use the same code.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace strato::agent {

enum class StdioStream { kStdin, kStdout, kStderr };

// "stdin", "stdout", "stderr".
const char* StdioStreamName(StdioStream stream);

// The longest request line the agent reads (id + stream name + separators); longer is garbage.
inline constexpr size_t kMaxHandshakeLine = 512;
// How the empty id (the container's own process) is written on the wire.
inline constexpr std::string_view kContainerProcessToken = "-";

inline constexpr std::string_view kHandshakeOk = "OK\n";
inline constexpr std::string_view kHandshakeErrPrefix = "ERR ";

// Process ids the agent accepts: "" or 1..128 printable ASCII characters without spaces, and not
// "-" (the wire token of ""). Returns an error message, or nullopt when valid.
std::optional<std::string> ValidateProcessId(std::string_view id);

struct StreamRequest {
  std::string id;
  StdioStream stream = StdioStream::kStdin;
};

// "<id> <stream>\n" for the host to send.
std::string FormatStreamRequest(const std::string& id, StdioStream stream);

// Parses one request line (without its "\n"). Returns the request, or sets *error to a message
// for the ERR reply.
std::optional<StreamRequest> ParseStreamRequest(std::string_view line, std::string* error);

}  // namespace strato::agent
