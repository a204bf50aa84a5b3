#include "vmm/devices/vsock/muxer.h"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace strato::vmm::vsock {

namespace {

constexpr int kListenBacklog = 64;
constexpr int kMaxEventsPerWait = 64;
// Bounds the work of one HandleSocketEvents call (the event loop comes back while more is ready).
constexpr int kMaxWaitRounds = 16;
constexpr int kMaxAcceptsPerEvent = 16;
constexpr uint64_t kListenerTag = ~0ull;

bool FillSocketAddress(const std::string& path, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

std::optional<uint32_t> ParseConnectLine(const std::string& line) {
  static constexpr std::string_view kPrefix = "CONNECT ";
  static constexpr size_t kMaxDigits = 10;  // 4294967295
  if (line.size() <= kPrefix.size() || line.compare(0, kPrefix.size(), kPrefix) != 0) {
    return std::nullopt;
  }
  const std::string digits = line.substr(kPrefix.size());
  if (digits.size() > kMaxDigits) return std::nullopt;
  uint64_t port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<uint64_t>(c - '0');
  }
  if (port > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(port);
}

Muxer::Muxer(std::string socket_path, uint64_t guest_cid)
    : path_(std::move(socket_path)), guest_cid_(guest_cid) {
  sockaddr_un addr;
  // Room for the "_<port>" suffix of guest-initiated connections too.
  if (!FillSocketAddress(path_ + "_4294967295", addr)) {
    throw Error("vsock socket path \"" + path_ + "\" is empty or too long for a unix socket");
  }
  FillSocketAddress(path_, addr);
  epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) ThrowErrno("epoll_create1");
  listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener_.valid()) ThrowErrno("socket");
  // A stale socket from an earlier run would make bind fail; anything else there is kept.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path_.c_str());
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ThrowErrno("bind vsock socket " + path_);
  }
  if (::listen(listener_.get(), kListenBacklog) != 0) ThrowErrno("listen on " + path_);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &ev) != 0) {
    ThrowErrno("epoll_ctl vsock listener");
  }
}

Muxer::~Muxer() {
  ::unlink(path_.c_str());
  const auto deadline = std::chrono::steady_clock::now() + kExitDrainTimeout;
  for (auto& [key, e] : connections_) e.conn->DrainBeforeExit(deadline);
}

const Connection* Muxer::FindConnection(uint32_t host_port, uint32_t guest_port) const {
  auto it = connections_.find(MakeKey(host_port, guest_port));
  return it == connections_.end() ? nullptr : it->second.conn.get();
}

void Muxer::HandleSocketEvents() {
  epoll_event events[kMaxEventsPerWait];
  for (int round = 0; round < kMaxWaitRounds; ++round) {
    const int n = ::epoll_wait(epoll_.get(), events, kMaxEventsPerWait, 0);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kListenerTag) {
        AcceptClients();
        continue;
      }
      const int fd = static_cast<int>(tag);
      if (handshakes_.count(fd)) {
        ReadConnectLine(fd);
      } else if (auto it = fd_to_connection_.find(fd); it != fd_to_connection_.end()) {
        const Key key = it->second;
        connections_.at(key).conn->OnSocketEvents(events[i].events);
        Sync(key);
      }
    }
    if (n < kMaxEventsPerWait) return;
  }
}

void Muxer::AcceptClients() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client.valid()) return;  // EAGAIN, or an error the next event retries
    if (OpenStreams() >= kMaxConnections) {
      spdlog::warn("vsock: {} connections open, refusing a host client", OpenStreams());
      continue;  // closed: the client sees EOF
    }
    const int fd = client.get();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(fd);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;
    handshakes_[fd] = Handshake{std::move(client), {}};
  }
}

void Muxer::CloseHandshake(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  handshakes_.erase(fd);
}

void Muxer::ReadConnectLine(int fd) {
  Handshake& h = handshakes_.at(fd);
  // Peek, then consume only through the newline: bytes after it belong to the connection.
  char buf[kMaxConnectLine];
  const size_t want = kMaxConnectLine - h.line.size();
  const ssize_t n = ::recv(fd, buf, want, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    CloseHandshake(fd);  // EOF or error before a whole line
    return;
  }
  const char* newline = static_cast<const char*>(std::memchr(buf, '\n', static_cast<size_t>(n)));
  const size_t take =
      newline != nullptr ? static_cast<size_t>(newline - buf) + 1 : static_cast<size_t>(n);
  if (::recv(fd, buf, take, MSG_DONTWAIT) != static_cast<ssize_t>(take)) {
    CloseHandshake(fd);
    return;
  }
  h.line.append(buf, newline != nullptr ? take - 1 : take);
  if (newline == nullptr) {
    if (h.line.size() >= kMaxConnectLine) CloseHandshake(fd);  // no newline in sight: garbage
    return;
  }
  const std::optional<uint32_t> port = ParseConnectLine(h.line);
  if (!port) {
    spdlog::debug("vsock: bad handshake line from a host client, closing it");
    CloseHandshake(fd);
    return;
  }
  UniqueFd stream = std::move(h.fd);
  CloseHandshake(fd);
  AddConnection(
      Connection::HostInitiated(std::move(stream), AllocateLocalPort(), *port, guest_cid_));
}

uint32_t Muxer::AllocateLocalPort() {
  // Host-initiated connections are few (kMaxConnections): a free port is found quickly.
  for (;;) {
    const uint32_t port = next_local_port_;
    next_local_port_ = next_local_port_ == UINT32_MAX ? kFirstLocalPort : next_local_port_ + 1;
    auto it = connections_.lower_bound(MakeKey(port, 0));
    if (it == connections_.end() || (it->first >> 32) != port) return port;
  }
}

void Muxer::AddConnection(std::unique_ptr<Connection> conn) {
  const Key key = MakeKey(conn->host_port(), conn->guest_port());
  connections_[key].conn = std::move(conn);
  Sync(key);
}

void Muxer::Sync(Key key) {
  auto it = connections_.find(key);
  if (it == connections_.end()) return;
  Entry& e = it->second;
  Connection& c = *e.conn;
  const std::optional<uint32_t> wanted = c.WantedEvents();
  const bool watch = !c.finished() && wanted.has_value();
  const uint32_t events = wanted.value_or(0);
  if (e.registered_fd >= 0 && (!watch || c.fd() != e.registered_fd)) {
    // The fd may already be closed (then epoll dropped it itself): EBADF is fine.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, e.registered_fd, nullptr);
    fd_to_connection_.erase(e.registered_fd);
    e.registered_fd = -1;
  }
  if (c.finished()) {
    connections_.erase(it);  // a stale rx_queue_ entry is skipped
    return;
  }
  if (watch) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = static_cast<uint64_t>(c.fd());
    if (e.registered_fd < 0) {
      if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd(), &ev) == 0) {
        e.registered_fd = c.fd();
        e.registered_events = events;
        fd_to_connection_[c.fd()] = key;
      } else {
        c.Reset(true);
        return Sync(key);
      }
    } else if (e.registered_events != events) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd(), &ev);
      e.registered_events = events;
    }
  }
  if (!e.in_rx_queue && c.HasRxWork()) {
    e.in_rx_queue = true;
    rx_queue_.push_back(key);
  }
}

void Muxer::QueueReset(const Header& to_answer) {
  if (to_answer.op == static_cast<uint16_t>(Op::kRst)) return;
  if (pending_resets_.size() >= kMaxPendingResets) return;  // the guest floods: drop
  Header h;
  h.src_cid = kHostCid;
  h.dst_cid = guest_cid_;
  h.src_port = to_answer.dst_port;
  h.dst_port = to_answer.src_port;
  h.type = kTypeStream;
  h.op = static_cast<uint16_t>(Op::kRst);
  pending_resets_.push_back(h);
}

void Muxer::ConnectToHost(const Header& request) {
  if (OpenStreams() >= kMaxConnections) {
    spdlog::warn("vsock: {} connections open, refusing guest port {}", OpenStreams(),
                 request.src_port);
    QueueReset(request);
    return;
  }
  const std::string target = path_ + "_" + std::to_string(request.dst_port);
  sockaddr_un addr;
  FillSocketAddress(target, addr);  // fits: checked against the longest port in the constructor
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  // A unix connect completes at once or fails (EAGAIN = the listener's backlog is full).
  if (!s.valid() || ::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    spdlog::debug("vsock: guest connect to {}: {}", target, std::strerror(errno));
    QueueReset(request);
    return;
  }
  AddConnection(Connection::GuestInitiated(std::move(s), request));
}

void Muxer::OnGuestPacket(const TxPacket& packet) {
  const Header& h = packet.header;
  if (packet.verdict == Verdict::kDrop) {
    spdlog::debug("vsock: dropped a guest packet: {}", packet.error);
    return;
  }
  const Key key = MakeKey(h.dst_port, h.src_port);
  auto it = connections_.find(key);
  if (packet.verdict == Verdict::kReset) {
    spdlog::debug("vsock: reset guest port {} -> {}: {}", h.src_port, h.dst_port, packet.error);
    if (it != connections_.end() && h.dst_cid == kHostCid) {
      it->second.conn->Reset(true);
      Sync(key);
    } else {
      QueueReset(h);
    }
    return;
  }
  if (it == connections_.end()) {
    if (h.op == static_cast<uint16_t>(Op::kRequest)) {
      ConnectToHost(h);
    } else {
      QueueReset(h);
    }
    return;
  }
  it->second.conn->OnGuestPacket(packet);
  Sync(key);
}

uint32_t Muxer::FillRx(const RxBuffer& rx) {
  if (!pending_resets_.empty()) {
    Header h = pending_resets_.front();
    pending_resets_.pop_front();
    return rx.Finish(h);
  }
  // Each queued connection gets one chance per call (one with nothing to send leaves the queue).
  for (size_t tries = rx_queue_.size(); tries > 0 && !rx_queue_.empty(); --tries) {
    const Key key = rx_queue_.front();
    rx_queue_.pop_front();
    auto it = connections_.find(key);
    if (it == connections_.end()) continue;
    it->second.in_rx_queue = false;
    const uint32_t used = it->second.conn->FillRx(rx);
    Sync(key);
    if (used > 0) return used;
  }
  return 0;
}

void Muxer::Reset() {
  rx_queue_.clear();
  pending_resets_.clear();
  for (auto it = connections_.begin(); it != connections_.end();) {
    Entry& e = it->second;
    e.in_rx_queue = false;
    // A host client whose OP_REQUEST was not sent yet loses nothing: it waits for the new driver
    // (Linux resets the device when its driver probes, often while clients already wait).
    if (e.conn->state() == Connection::State::kRequestPending) {
      e.in_rx_queue = true;
      rx_queue_.push_back(it->first);
      ++it;
      continue;
    }
    if (e.registered_fd >= 0) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, e.registered_fd, nullptr);
      fd_to_connection_.erase(e.registered_fd);
    }
    it = connections_.erase(it);
  }
}

}  // namespace strato::vmm::vsock
