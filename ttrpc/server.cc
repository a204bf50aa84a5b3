#include "ttrpc/server.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <list>
#include <mutex>
#include <set>
#include <thread>

#include "common/error.h"
#include "proto/ttrpc/ttrpc.pb.h"
#include "ttrpc/frame.h"
#include "ttrpc/status.h"
#include "ttrpc/unix_socket.h"

namespace strato::ttrpc {

namespace {
constexpr size_t kReadChunk = size_t{64} * 1024;
}

struct Connection {
  explicit Connection(UniqueFd f) : fd(std::move(f)) {}
  UniqueFd fd;
  std::mutex write_mu;
  std::atomic<size_t> in_flight{0};  // requests of this connection being handled

  void Respond(uint32_t stream_id, Code code, const std::string& message,
               const std::string& payload) {
    ::ttrpc::Response response;
    auto* status = response.mutable_status();  // always present; OK encodes as 0a 00
    status->set_code(static_cast<int32_t>(code));
    status->set_message(message);
    response.set_payload(payload);
    std::string bytes = response.SerializeAsString();
    if (bytes.size() > kMaxMessageLength) {
      response.clear_payload();
      status->set_code(static_cast<int32_t>(Code::kResourceExhausted));
      status->set_message("response of " + std::to_string(bytes.size()) +
                          " bytes exceeds the 4 MiB limit");
      bytes = response.SerializeAsString();
    }
    std::string frame = EncodeFrame(stream_id, FrameType::kResponse, 0, bytes);
    std::lock_guard lock(write_mu);
    SendAll(fd.get(), frame);  // a vanished peer is not an error for the server
  }
};

struct Server::State {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::pair<std::string, std::string>, Handler> handlers;
  std::set<std::string> services;
  std::set<std::shared_ptr<Connection>> connections;
  size_t active_readers = 0;   // one thread per connection
  size_t active_handlers = 0;  // one thread per request in flight
  bool shutting_down = false;
  std::atomic<size_t> max_in_flight{Server::kDefaultMaxInFlight};
  int wake_pipe[2] = {-1, -1};

  ~State() {
    for (int fd : wake_pipe)
      if (fd >= 0) ::close(fd);
  }

  // Runs fn on a detached thread counted in *counter; Shutdown waits for the counts to drop
  // to zero. Returns false when shutting down.
  template <class Fn>
  bool Spawn(const std::shared_ptr<State>& self, size_t State::*counter, Fn fn) {
    {
      std::lock_guard lock(mu);
      if (shutting_down) return false;
      ++(this->*counter);
    }
    std::thread([self, counter, fn = std::move(fn)]() mutable {
      fn();
      std::lock_guard lock(self->mu);
      --((*self).*counter);
      self->cv.notify_all();
    }).detach();
    return true;
  }

  void Dispatch(const std::shared_ptr<State>& self, const std::shared_ptr<Connection>& conn,
                const Frame& frame) {
    const uint32_t stream_id = frame.header.stream_id;
    if (frame.oversized) {
      conn->Respond(stream_id, Code::kResourceExhausted,
                    "message length " + std::to_string(frame.header.length) +
                        " exceeds maximum message size " + std::to_string(kMaxMessageLength),
                    "");
      return;
    }
    if (frame.header.type != static_cast<uint8_t>(FrameType::kRequest)) return;
    if (stream_id % 2 == 0) {
      conn->Respond(stream_id, Code::kInvalidArgument,
                    "StreamID must be odd for client initiated streams", "");
      return;
    }
    ::ttrpc::Request request;
    if (!request.ParseFromString(frame.payload)) {
      conn->Respond(stream_id, Code::kInvalidArgument, "unmarshal request error", "");
      return;
    }
    CallContext ctx;
    ctx.service = request.service();
    ctx.method = request.method();
    ctx.stream_id = stream_id;
    for (const auto& kv : request.metadata()) ctx.metadata[kv.key()] = kv.value();
    if (request.timeout_nano() > 0) ctx.timeout = std::chrono::nanoseconds(request.timeout_nano());

    Handler handler;
    {
      std::lock_guard lock(mu);
      auto it = handlers.find({ctx.service, ctx.method});
      if (it != handlers.end()) {
        handler = it->second;
      } else if (services.count(ctx.service) == 0) {
        conn->Respond(stream_id, Code::kUnimplemented, "service " + ctx.service, "");
        return;
      } else {
        conn->Respond(stream_id, Code::kUnimplemented, "method " + ctx.method, "");
        return;
      }
    }
    // One thread per request: bound them per connection so a peer cannot exhaust the shim.
    const size_t limit = max_in_flight.load();
    if (conn->in_flight.fetch_add(1) >= limit) {
      conn->in_flight.fetch_sub(1);
      conn->Respond(
          stream_id, Code::kResourceExhausted,
          "too many requests in flight on this connection (limit " + std::to_string(limit) + ")",
          "");
      return;
    }
    std::string payload = std::move(*request.mutable_payload());
    auto run = [conn, handler = std::move(handler), ctx = std::move(ctx),
                payload = std::move(payload)] {
      Code code = Code::kOk;
      std::string message;
      std::string out;
      try {
        out = handler(ctx, payload);
      } catch (const RpcError& e) {
        code = e.code();
        message = e.what();
      } catch (const std::exception& e) {
        code = Code::kUnknown;
        message = e.what();
      }
      // The slot is free before the answer goes out: a client that got it may call again.
      conn->in_flight.fetch_sub(1);
      conn->Respond(ctx.stream_id, code, message, out);
    };
    // Handlers run concurrently; the reader goes straight back to the socket.
    if (!Spawn(self, &State::active_handlers, std::move(run))) {
      conn->in_flight.fetch_sub(1);
      conn->Respond(stream_id, Code::kUnavailable, "ttrpc: server shutting down", "");
    }
  }

  void ReadLoop(const std::shared_ptr<State>& self, const std::shared_ptr<Connection>& conn) {
    FrameDecoder decoder;
    std::string buf(kReadChunk, '\0');
    for (;;) {
      ssize_t n = ::recv(conn->fd.get(), buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // peer closed, or Shutdown() shut the socket down
      decoder.Feed(std::string_view(buf.data(), static_cast<size_t>(n)));
      while (auto frame = decoder.Next()) Dispatch(self, conn, *frame);
    }
    if (decoder.pending_bytes() > 0) {
      spdlog::debug("ttrpc: peer closed with {} bytes of a partial frame", decoder.pending_bytes());
    }
    std::lock_guard lock(mu);
    connections.erase(conn);
  }
};

Server::Server() : state_(std::make_shared<State>()) {
  if (::pipe2(state_->wake_pipe, O_CLOEXEC) != 0) ThrowErrno("pipe for the ttrpc server");
}

Server::~Server() {
  Shutdown();
}

void Server::Register(const std::string& service, const std::string& method, Handler handler) {
  std::lock_guard lock(state_->mu);
  state_->services.insert(service);
  state_->handlers[{service, method}] = std::move(handler);
}

void Server::set_max_in_flight(size_t limit) {
  state_->max_in_flight = limit;
}

void Server::ServeConnection(UniqueFd fd) {
  if (require_same_user_ && !PeerIsSameUser(fd.get())) {
    spdlog::warn("ttrpc: refused a connection from uid {} (not our uid {})", PeerUid(fd.get()),
                 ::geteuid());
    return;
  }
  auto conn = std::make_shared<Connection>(std::move(fd));
  {
    std::lock_guard lock(state_->mu);
    if (state_->shutting_down) return;
    state_->connections.insert(conn);
  }
  auto self = state_;
  if (!state_->Spawn(self, &State::active_readers, [self, conn] { self->ReadLoop(self, conn); })) {
    std::lock_guard lock(state_->mu);
    state_->connections.erase(conn);
  }
}

void Server::Serve(UniqueFd listener) {
  pollfd fds[2] = {{listener.get(), POLLIN, 0}, {state_->wake_pipe[0], POLLIN, 0}};
  for (;;) {
    {
      std::lock_guard lock(state_->mu);
      if (state_->shutting_down) return;
    }
    int rc = ::poll(fds, 2, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("poll on the ttrpc listener");
    }
    if (fds[1].revents != 0) return;  // Shutdown()
    if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
      throw Error("ttrpc listener socket failed");
    }
    if (fds[0].revents & POLLIN) {
      int c = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
        ThrowErrno("accept on the ttrpc listener");
      }
      ServeConnection(UniqueFd(c));
    }
  }
}

void Server::Shutdown() {
  std::unique_lock lock(state_->mu);
  if (!state_->shutting_down) {
    state_->shutting_down = true;
    char byte = 0;
    [[maybe_unused]] ssize_t ignored = ::write(state_->wake_pipe[1], &byte, 1);
  }
  // Graceful: requests in flight finish and their responses go out (new ones get
  // UNAVAILABLE); then every connection is closed and its reader ends.
  state_->cv.wait(lock, [&] { return state_->active_handlers == 0; });
  for (const auto& conn : state_->connections) ::shutdown(conn->fd.get(), SHUT_RDWR);
  state_->cv.wait(lock, [&] { return state_->active_readers == 0; });
}

size_t Server::connection_count() const {
  std::lock_guard lock(state_->mu);
  return state_->connections.size();
}

}  // namespace strato::ttrpc
