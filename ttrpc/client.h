#pragma once
// A ttrpc client over a unix socket. Calls may be made from several threads at once: each gets
// its own odd stream id and a reader thread routes responses back, so one blocked call (Wait)
// does not hold up others. A non-OK status is thrown as RpcError; a closed connection fails
// every pending call with UNAVAILABLE.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/file_util.h"
#include "ttrpc/status.h"

namespace strato::ttrpc {

class Client {
 public:
  // Connects to a unix socket path ("unix://" prefix allowed) and checks the peer's uid.
  static std::unique_ptr<Client> Dial(const std::string& address, bool require_same_user = true);

  explicit Client(UniqueFd connected);
  ~Client();  // Close()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One unary call. `timeout` zero means none; otherwise it is sent as timeout_nano and the
  // call fails with DEADLINE_EXCEEDED when it passes. Returns the response payload.
  std::string Call(const std::string& service, const std::string& method,
                   const std::string& payload,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(0),
                   const std::map<std::string, std::string>& metadata = {});

  // Typed convenience: marshals `request`, parses the response into `response`.
  template <class Req, class Resp>
  void Call(const std::string& service, const std::string& method, const Req& request,
            Resp* response, std::chrono::milliseconds timeout = std::chrono::milliseconds(0),
            const std::map<std::string, std::string>& metadata = {}) {
    std::string out = Call(service, method, request.SerializeAsString(), timeout, metadata);
    if (!response->ParseFromString(out)) {
      throw RpcError(Code::kInternal, "ttrpc: cannot decode the " + method + " response");
    }
  }

  void Close();
  bool closed() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace strato::ttrpc
