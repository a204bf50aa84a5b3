#pragma once
// A ttrpc server over unix sockets. Every request on a connection runs on its own thread, so a
// call that blocks for a long time (Task.Wait) never holds up others on the same connection
// (State, Kill...), as containerd expects. Handlers answer with a payload or throw RpcError
// (status code + message); any other exception becomes UNKNOWN.
//
// Malformed input never takes the server down: an even stream id gets INVALID_ARGUMENT, a
// frame over 4 MiB gets RESOURCE_EXHAUSTED, a request that is not a valid ttrpc.Request gets
// INVALID_ARGUMENT, other frame types are ignored, and a peer that closes is simply dropped.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/file_util.h"

namespace strato::ttrpc {

struct CallContext {
  std::string service;
  std::string method;
  uint32_t stream_id = 0;
  std::map<std::string, std::string> metadata;
  std::optional<std::chrono::nanoseconds> timeout;
};

// Returns the marshalled response message.
using Handler = std::function<std::string(const CallContext&, const std::string& payload)>;

class Server {
 public:
  Server();
  ~Server();  // Shutdown()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers service/method (e.g. "containerd.task.v2.Task", "State"). Call before serving.
  void Register(const std::string& service, const std::string& method, Handler handler);

  // Peers with another uid are refused (default on; tests may turn it off).
  void set_require_same_user(bool on) { require_same_user_ = on; }

  // Requests handled at once per connection (each has its own thread); more are answered
  // RESOURCE_EXHAUSTED. containerd keeps a handful in flight (Wait per process + one call).
  static constexpr size_t kDefaultMaxInFlight = 256;
  void set_max_in_flight(size_t limit);

  // Accepts and serves connections until Shutdown(). Blocks.
  void Serve(UniqueFd listener);

  // Serves one already connected socket in the background (a socketpair end in tests).
  void ServeConnection(UniqueFd conn);

  // Stops accepting, waits until running handlers return and their responses are sent (the
  // services must unblock long calls such as Wait first), then closes every connection.
  // Idempotent.
  void Shutdown();

  // Number of open connections (for tests and the shim's idle check).
  size_t connection_count() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  bool require_same_user_ = true;
};

}  // namespace strato::ttrpc
