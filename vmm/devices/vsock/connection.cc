#include "vmm/devices/vsock/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace strato::vmm::vsock {

namespace {
constexpr uint16_t U16(Op op) {
  return static_cast<uint16_t>(op);
}
}  // namespace

Connection::Connection(UniqueFd stream, uint32_t host_port, uint32_t guest_port, uint64_t guest_cid,
                       State state)
    : stream_(std::move(stream)),
      host_port_(host_port),
      guest_port_(guest_port),
      guest_cid_(guest_cid),
      state_(state) {}

std::unique_ptr<Connection> Connection::HostInitiated(UniqueFd stream, uint32_t host_port,
                                                      uint32_t guest_port, uint64_t guest_cid) {
  return std::unique_ptr<Connection>(
      new Connection(std::move(stream), host_port, guest_port, guest_cid, State::kRequestPending));
}

std::unique_ptr<Connection> Connection::GuestInitiated(UniqueFd stream, const Header& request) {
  auto c = std::unique_ptr<Connection>(new Connection(std::move(stream), request.dst_port,
                                                      request.src_port, request.src_cid,
                                                      State::kResponsePending));
  c->peer_buf_alloc_ = request.buf_alloc;
  c->peer_fwd_cnt_ = request.fwd_cnt;
  return c;
}

uint32_t Connection::PeerCredit() const {
  const uint32_t in_flight = rx_cnt_ - peer_fwd_cnt_;  // modular, as the counters wrap
  return in_flight >= peer_buf_alloc_ ? 0 : peer_buf_alloc_ - in_flight;
}

bool Connection::CanSendData() const {
  return state_ == State::kEstablished && stream_.valid() && data_ready_ && !read_eof_ &&
         !guest_shut_receive_ && PeerCredit() > 0;
}

bool Connection::HasRxWork() const {
  if (finished_) return false;
  return rst_pending_ || state_ == State::kRequestPending || state_ == State::kResponsePending ||
         shutdown_to_send_ != 0 || credit_update_pending_ || CanSendData();
}

std::optional<uint32_t> Connection::WantedEvents() const {
  if (!stream_.valid() || hung_up_) return std::nullopt;
  uint32_t events = 0;
  if (state_ == State::kEstablished && !data_ready_ && !read_eof_ && !guest_shut_receive_) {
    events |= EPOLLIN;
  }
  if (ring_len_ > 0) events |= EPOLLOUT;
  return events;  // 0 still reports EPOLLHUP: a host that goes away is noticed
}

void Connection::Reset(bool tell_guest) {
  stream_.reset();
  state_ = State::kClosed;
  ring_.clear();
  ring_.shrink_to_fit();
  ring_len_ = 0;
  shutdown_to_send_ = 0;
  credit_update_pending_ = false;
  rst_pending_ = tell_guest;
  finished_ = !tell_guest;
}

void Connection::OnSocketEvents(uint32_t events) {
  if (!stream_.valid()) return;
  if (events & (EPOLLHUP | EPOLLERR)) {
    hung_up_ = true;
    data_ready_ = true;  // what is left is read without blocking, then EOF
    if (state_ == State::kRequestPending) {
      Reset(false);  // the guest never heard of it
      return;
    }
    if (state_ == State::kRequestSent) {
      Reset(true);
      return;
    }
    // The guest will not read what is left: nothing more to deliver, tell it we are gone.
    if (guest_shut_receive_ && state_ == State::kEstablished) {
      shutdown_to_send_ |= kShutdownSend | kShutdownReceive;
    }
  }
  if (events & EPOLLIN) data_ready_ = true;
  if (ring_len_ > 0 && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) Flush();
}

void Connection::Flush() {
  const uint32_t before = fwd_cnt_;
  while (ring_len_ > 0 && stream_.valid()) {
    const uint32_t first = std::min<uint32_t>(ring_len_, kHostBufAlloc - ring_head_);
    iovec iov[2] = {{ring_.data() + ring_head_, first}, {ring_.data(), ring_len_ - first}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = ring_len_ > first ? 2 : 1;
    const ssize_t n = ::sendmsg(stream_.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Reset(true);  // EPIPE (the host closed its end) or another error
      return;
    }
    ring_head_ = (ring_head_ + static_cast<uint32_t>(n)) % kHostBufAlloc;
    ring_len_ -= static_cast<uint32_t>(n);
    fwd_cnt_ += static_cast<uint32_t>(n);
  }
  if (fwd_cnt_ != before) {
    const uint32_t guest_view_free = kHostBufAlloc - (tx_cnt_ - last_sent_fwd_cnt_);
    if (guest_view_free < kCreditUpdateThreshold) credit_update_pending_ = true;
  }
  if (ring_len_ == 0 && guest_shut_send_ && stream_.valid()) {
    if (!wrote_shut_wr_) ::shutdown(stream_.get(), SHUT_WR);
    wrote_shut_wr_ = true;
    if (guest_shut_receive_) Reset(true);  // the guest closed: RST completes its close
  }
}

void Connection::DrainBeforeExit(std::chrono::steady_clock::time_point deadline) {
  while (ring_len_ > 0 && stream_.valid()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{stream_.get(), POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    Flush();
  }
}

void Connection::AppendPayload(const TxPacket& packet) {
  const uint32_t len = packet.header.len;
  if (len > kHostBufAlloc - ring_len_) {
    Reset(true);  // the guest ignored the credit we gave it
    return;
  }
  if (ring_.empty()) ring_.resize(kHostBufAlloc);
  uint32_t tail = (ring_head_ + ring_len_) % kHostBufAlloc;
  for (std::span<const uint8_t> piece : packet.payload) {
    while (!piece.empty()) {
      const size_t n = std::min<size_t>(piece.size(), kHostBufAlloc - tail);
      std::memcpy(ring_.data() + tail, piece.data(), n);
      tail = static_cast<uint32_t>((tail + n) % kHostBufAlloc);
      piece = piece.subspan(n);
    }
  }
  ring_len_ += len;
  tx_cnt_ += len;
}

void Connection::OnGuestPacket(const TxPacket& packet) {
  const Header& h = packet.header;
  if (state_ == State::kClosed) {
    if (h.op == U16(Op::kRst)) finished_ = true;  // no RST owed to a guest that reset
    return;
  }
  peer_buf_alloc_ = h.buf_alloc;
  peer_fwd_cnt_ = h.fwd_cnt;
  switch (static_cast<Op>(h.op)) {
    case Op::kResponse: {
      if (state_ != State::kRequestSent) {
        Reset(true);
        return;
      }
      state_ = State::kEstablished;
      // The hybrid-vsock handshake: the host client learns the port and owns the stream.
      const std::string ok = "OK " + std::to_string(host_port_) + "\n";
      if (::send(stream_.get(), ok.data(), ok.size(), MSG_DONTWAIT | MSG_NOSIGNAL) !=
          static_cast<ssize_t>(ok.size())) {
        Reset(true);
      }
      return;
    }
    case Op::kRst:
      Flush();  // best effort: what the socket takes now
      Reset(false);
      return;
    case Op::kShutdown:
      if (state_ != State::kEstablished) {
        Reset(true);
        return;
      }
      guest_shut_receive_ = guest_shut_receive_ || (h.flags & kShutdownReceive) != 0;
      guest_shut_send_ = guest_shut_send_ || (h.flags & kShutdownSend) != 0;
      Flush();
      return;
    case Op::kRw:
      if (state_ != State::kEstablished || guest_shut_send_) {
        Reset(true);
        return;
      }
      AppendPayload(packet);
      if (stream_.valid()) Flush();
      return;
    case Op::kCreditUpdate:
      return;  // the credit fields above are the update
    case Op::kCreditRequest:
      credit_update_pending_ = true;
      return;
    case Op::kRequest:  // a second REQUEST on a live connection
    default:
      Reset(true);
      return;
  }
}

Header Connection::ReplyHeader(Op op) const {
  Header h;
  h.src_cid = kHostCid;
  h.dst_cid = guest_cid_;
  h.src_port = host_port_;
  h.dst_port = guest_port_;
  h.type = kTypeStream;
  h.op = U16(op);
  h.buf_alloc = kHostBufAlloc;
  h.fwd_cnt = fwd_cnt_;
  return h;
}

uint32_t Connection::FillRx(const RxBuffer& rx) {
  if (finished_) return 0;
  std::optional<Header> out;
  if (rst_pending_) {
    out = ReplyHeader(Op::kRst);
    rst_pending_ = false;
    finished_ = true;
  } else if (state_ == State::kRequestPending) {
    out = ReplyHeader(Op::kRequest);
    state_ = State::kRequestSent;
  } else if (state_ == State::kResponsePending) {
    out = ReplyHeader(Op::kResponse);
    state_ = State::kEstablished;
  } else if (CanSendData() && rx.payload_room() > 0) {
    const uint64_t max = std::min<uint64_t>({rx.payload_room(), kMaxPayload, PeerCredit()});
    std::vector<iovec> iov = rx.PayloadIovecs(max);
    ssize_t n;
    do {
      n = ::readv(stream_.get(), iov.data(), static_cast<int>(iov.size()));
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      out = ReplyHeader(Op::kRw);
      out->len = static_cast<uint32_t>(n);
      rx_cnt_ += static_cast<uint32_t>(n);
    } else if (n == 0) {
      read_eof_ = true;
      // A socket closed for good: the host will not read either.
      shutdown_to_send_ |= kShutdownSend | (hung_up_ ? kShutdownReceive : 0);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      data_ready_ = false;
    } else {
      Reset(true);
    }
    if (!out) return FillRx(rx);  // the state changed: the next packet, if any
  } else if (shutdown_to_send_ != 0) {
    out = ReplyHeader(Op::kShutdown);
    out->flags = shutdown_to_send_;
    shutdown_to_send_ = 0;
    if (out->flags == (kShutdownSend | kShutdownReceive)) {
      stream_.reset();
      state_ = State::kClosed;
      finished_ = true;
    }
  } else if (credit_update_pending_) {
    out = ReplyHeader(Op::kCreditUpdate);
  }
  if (!out) return 0;
  last_sent_fwd_cnt_ = fwd_cnt_;
  credit_update_pending_ = false;
  return rx.Finish(*out);
}

}  // namespace strato::vmm::vsock
