#include "ttrpc/client.h"

#include <sys/socket.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "common/error.h"
#include "proto/ttrpc/ttrpc.pb.h"
#include "ttrpc/frame.h"
#include "ttrpc/unix_socket.h"

namespace strato::ttrpc {

namespace {
constexpr size_t kReadChunk = size_t{64} * 1024;
// Client-initiated streams are odd: 1, 3, 5, ...
constexpr uint32_t kFirstStreamId = 1;
constexpr uint32_t kStreamIdStep = 2;
}  // namespace

struct Client::State {
  UniqueFd fd;
  std::mutex mu;
  std::condition_variable cv;
  std::mutex write_mu;
  uint32_t next_stream_id = kFirstStreamId;
  // stream id -> response frame payload (nullopt while waiting).
  std::map<uint32_t, std::optional<Frame>> pending;
  bool closed = false;
  std::thread reader;

  void ReadLoop() {
    FrameDecoder decoder;
    std::string buf(kReadChunk, '\0');
    for (;;) {
      ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      decoder.Feed(std::string_view(buf.data(), static_cast<size_t>(n)));
      while (auto frame = decoder.Next()) {
        if (frame->header.type != static_cast<uint8_t>(FrameType::kResponse)) continue;
        std::lock_guard lock(mu);
        auto it = pending.find(frame->header.stream_id);
        if (it == pending.end()) continue;  // timed out or unknown: drop
        it->second = std::move(*frame);
        cv.notify_all();
      }
    }
    std::lock_guard lock(mu);
    closed = true;
    cv.notify_all();
  }
};

std::unique_ptr<Client> Client::Dial(const std::string& address, bool require_same_user) {
  UniqueFd fd = ConnectUnix(address);
  if (require_same_user && !PeerIsSameUser(fd.get())) {
    throw Error("ttrpc: " + address + " is served by uid " + std::to_string(PeerUid(fd.get())) +
                ", not ours");
  }
  return std::make_unique<Client>(std::move(fd));
}

Client::Client(UniqueFd connected) : state_(std::make_shared<State>()) {
  state_->fd = std::move(connected);
  state_->reader = std::thread([s = state_.get()] { s->ReadLoop(); });
}

Client::~Client() {
  Close();
}

void Client::Close() {
  if (!state_->reader.joinable()) return;
  ::shutdown(state_->fd.get(), SHUT_RDWR);
  state_->reader.join();
}

bool Client::closed() const {
  std::lock_guard lock(state_->mu);
  return state_->closed;
}

std::string Client::Call(const std::string& service, const std::string& method,
                         const std::string& payload, std::chrono::milliseconds timeout,
                         const std::map<std::string, std::string>& metadata) {
  ::ttrpc::Request request;
  request.set_service(service);
  request.set_method(method);
  request.set_payload(payload);
  if (timeout.count() > 0) {
    request.set_timeout_nano(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count());
  }
  for (const auto& [k, v] : metadata) {
    auto* kv = request.add_metadata();
    kv->set_key(k);
    kv->set_value(v);
  }
  std::string body = request.SerializeAsString();
  if (body.size() > kMaxMessageLength) {
    throw RpcError(Code::kResourceExhausted, "ttrpc: " + method + " request of " +
                                                 std::to_string(body.size()) +
                                                 " bytes exceeds the 4 MiB limit");
  }
  uint32_t stream_id;
  {
    std::lock_guard lock(state_->mu);
    if (state_->closed) throw RpcError(Code::kUnavailable, "ttrpc: closed");
    stream_id = state_->next_stream_id;
    state_->next_stream_id += kStreamIdStep;
    state_->pending[stream_id] = std::nullopt;
  }
  std::string frame = EncodeFrame(stream_id, FrameType::kRequest, 0, body);
  bool sent;
  {
    std::lock_guard lock(state_->write_mu);
    sent = SendAll(state_->fd.get(), frame);
  }
  std::unique_lock lock(state_->mu);
  if (!sent) {
    state_->pending.erase(stream_id);
    throw RpcError(Code::kUnavailable, "ttrpc: closed");
  }
  auto ready = [&] { return state_->pending[stream_id].has_value() || state_->closed; };
  if (timeout.count() > 0) {
    if (!state_->cv.wait_for(lock, timeout, ready)) {
      state_->pending.erase(stream_id);
      throw RpcError(Code::kDeadlineExceeded, "ttrpc: " + method + " timed out");
    }
  } else {
    state_->cv.wait(lock, ready);
  }
  std::optional<Frame> response_frame = std::move(state_->pending[stream_id]);
  state_->pending.erase(stream_id);
  lock.unlock();
  if (!response_frame) throw RpcError(Code::kUnavailable, "ttrpc: closed");
  if (response_frame->oversized) {
    throw RpcError(Code::kResourceExhausted, "ttrpc: response exceeds the 4 MiB limit");
  }
  ::ttrpc::Response response;
  if (!response.ParseFromString(response_frame->payload)) {
    throw RpcError(Code::kInternal, "ttrpc: cannot decode the response frame");
  }
  if (response.has_status() && response.status().code() != 0) {
    throw RpcError(static_cast<Code>(response.status().code()), response.status().message());
  }
  return response.payload();
}

}  // namespace strato::ttrpc
