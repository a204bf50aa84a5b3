#pragma once
// The host side of the hybrid vsock (Firecracker-style): a unix listening socket at PATH, the
// per-connection unix streams, and the routing of guest packets to connections.
//
// Host-initiated: a client connects to PATH and writes "CONNECT <port>\n" (at most
// kMaxConnectLine bytes, decimal port 0..4294967295); the muxer allocates a host port (from
// kFirstLocalPort up), sends OP_REQUEST to the guest and, on OP_RESPONSE, writes
// "OK <host port>\n"; from then on the stream carries the connection's bytes. A garbage line, an
// early EOF, or the guest's OP_RST closes the client's stream.
// Guest-initiated: OP_REQUEST to host port P connects to the unix socket "PATH_P"; nothing
// listening (or its backlog full) -> OP_RST.
// Packets for no connection get OP_RST (unless they are one). At most kMaxConnections streams
// (handshakes included) are open at once: beyond that a new client is closed at once and a guest
// OP_REQUEST is reset, so a guest cannot exhaust the VMM's descriptors. Resets owed to the guest
// for unknown connections queue up to kMaxPendingResets; more are dropped.
//
// All sockets are non-blocking and watched by the muxer's own epoll (poll_fd()), which the VMM's
// event loop watches in turn; HandleSocketEvents() then does the work. The class is used under
// the virtio transport's lock (single-threaded).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/file_util.h"
#include "vmm/devices/vsock/connection.h"
#include "vmm/devices/vsock/packet.h"

namespace strato::vmm::vsock {

inline constexpr size_t kMaxConnections = 256;
inline constexpr size_t kMaxPendingResets = 256;
inline constexpr size_t kMaxConnectLine = 32;          // "CONNECT 4294967295\n" is 19 bytes
inline constexpr uint32_t kFirstLocalPort = 1u << 30;  // host ports given to host-initiated links
// At exit, guest data still waiting for slow host readers gets this long in total.
inline constexpr std::chrono::milliseconds kExitDrainTimeout{2000};

// "CONNECT <port>" (without the newline) -> port; nullopt for anything else.
std::optional<uint32_t> ParseConnectLine(const std::string& line);

class Muxer {
 public:
  // Listens on `socket_path` (a stale socket file there is removed first); throws strato::Error.
  Muxer(std::string socket_path, uint64_t guest_cid);
  // Writes guest data the host sockets have not taken yet (kExitDrainTimeout at most), closes
  // everything and removes the socket file.
  ~Muxer();
  Muxer(const Muxer&) = delete;
  Muxer& operator=(const Muxer&) = delete;

  int poll_fd() const { return epoll_.get(); }
  // Handles every ready socket without blocking.
  void HandleSocketEvents();
  // A packet from the guest's tx queue.
  void OnGuestPacket(const TxPacket& packet);
  bool HasRxWork() const { return !pending_resets_.empty() || !rx_queue_.empty(); }
  // Writes the next packet for the guest into `rx`; its used length, or 0 if none is ready.
  uint32_t FillRx(const RxBuffer& rx);
  // The driver reset the device: every connection the guest knew of is closed (it forgot them);
  // host clients still waiting for their OP_REQUEST to go out keep waiting.
  void Reset();

  size_t connection_count() const { return connections_.size(); }
  size_t handshake_count() const { return handshakes_.size(); }
  const Connection* FindConnection(uint32_t host_port, uint32_t guest_port) const;

 private:
  struct Entry {
    std::unique_ptr<Connection> conn;
    int registered_fd = -1;
    uint32_t registered_events = 0;
    bool in_rx_queue = false;
  };
  struct Handshake {
    UniqueFd fd;
    std::string line;
  };
  using Key = uint64_t;  // host_port << 32 | guest_port
  static Key MakeKey(uint32_t host_port, uint32_t guest_port) {
    return (uint64_t{host_port} << 32) | guest_port;
  }

  void AcceptClients();
  void ReadConnectLine(int fd);
  void CloseHandshake(int fd);
  void ConnectToHost(const Header& request);
  void QueueReset(const Header& to_answer);
  void AddConnection(std::unique_ptr<Connection> conn);
  // Brings epoll and the rx queue in line with the connection's state; forgets it when finished.
  void Sync(Key key);
  uint32_t AllocateLocalPort();
  size_t OpenStreams() const { return connections_.size() + handshakes_.size(); }

  std::string path_;
  uint64_t guest_cid_;
  UniqueFd epoll_;
  UniqueFd listener_;
  std::map<Key, Entry> connections_;
  std::unordered_map<int, Key> fd_to_connection_;
  std::unordered_map<int, Handshake> handshakes_;
  std::deque<Key> rx_queue_;
  std::deque<Header> pending_resets_;
  uint32_t next_local_port_ = kFirstLocalPort;
};

}  // namespace strato::vmm::vsock
