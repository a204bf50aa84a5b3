#pragma once
// One vsock stream connection between a guest port and a host unix-socket stream: the state
// machine of virtio 1.2, 5.10.6.6 (REQUEST / RESPONSE / RW / SHUTDOWN / RST, CREDIT_UPDATE /
// CREDIT_REQUEST) with credit flow control both ways.
//
// Guest -> host: payload is copied into a ring of kHostBufAlloc bytes and written to the unix
// socket as it accepts it. We advertise buf_alloc = kHostBufAlloc and fwd_cnt = bytes written to
// the socket, so a guest that respects its credit can never overflow the ring; one that does not
// is reset. Host -> guest: the socket is read straight into the guest's rx buffer, never more than
// the guest's credit (its buf_alloc - (bytes we sent - its fwd_cnt)); without credit the socket
// is left unread (back-pressure reaches the host writer).
//
// Closing: the guest's SHUTDOWN(SEND) becomes shutdown(SHUT_WR) on the socket once the ring is
// drained; SHUTDOWN(RECEIVE|SEND) (what Linux sends on close) is answered with RST once drained and
// the socket is closed. Socket EOF becomes SHUTDOWN(SEND); a socket the host closed completely
// (EPOLLHUP) becomes SHUTDOWN(RECEIVE|SEND) after every byte it left was delivered, and the
// connection is forgotten (Linux answers with RST, which then matches nothing and is ignored).
// Any protocol violation, socket error or write to a closed socket resets the connection.
//
// Nothing here blocks: the muxer (muxer.h) owns epoll and asks WantedEvents() after every call.

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/file_util.h"
#include "vmm/devices/vsock/packet.h"

namespace strato::vmm::vsock {

// Our receive buffer per connection, i.e. the credit the guest gets (Linux's default is the same).
inline constexpr uint32_t kHostBufAlloc = 256 * 1024;
// Send CREDIT_UPDATE once the guest's view of our free space drops below this while we have
// forwarded more (one maximum-size packet: below it the guest may stall).
inline constexpr uint32_t kCreditUpdateThreshold = kMaxPayload;

class Connection {
 public:
  enum class State {
    kRequestPending,   // host-initiated: OP_REQUEST still to be sent
    kRequestSent,      // host-initiated: waiting for OP_RESPONSE or OP_RST
    kResponsePending,  // guest-initiated and connected on the host: OP_RESPONSE to be sent
    kEstablished,
    kClosed,  // the socket is closed; at most an OP_RST remains to be sent
  };

  // `stream` wrote "CONNECT guest_port"; host_port is the port allocated for it.
  static std::unique_ptr<Connection> HostInitiated(UniqueFd stream, uint32_t host_port,
                                                   uint32_t guest_port, uint64_t guest_cid);
  // The guest's OP_REQUEST `request` was connected to `stream`.
  static std::unique_ptr<Connection> GuestInitiated(UniqueFd stream, const Header& request);

  uint32_t host_port() const { return host_port_; }
  uint32_t guest_port() const { return guest_port_; }
  State state() const { return state_; }
  int fd() const { return stream_.get(); }

  // An OP from the guest on this connection (an accepted packet).
  void OnGuestPacket(const TxPacket& packet);
  // The muxer's epoll reported `events` on fd().
  void OnSocketEvents(uint32_t events);
  // Resets the connection: the socket is closed, OP_RST goes to the guest if `tell_guest`.
  void Reset(bool tell_guest);

  // The VMM is exiting: writes what the guest sent and the socket has not taken yet, waiting for
  // the socket until `deadline` (output written just before a guest powers off is not lost).
  void DrainBeforeExit(std::chrono::steady_clock::time_point deadline);

  // Writes the next packet for the guest into `rx`; returns its used length, 0 if none is ready.
  uint32_t FillRx(const RxBuffer& rx);
  bool HasRxWork() const;
  // epoll interest for fd(); nullopt when the fd must not be watched (closed, or hung up: epoll
  // would report EPOLLHUP forever, so reads are driven by rx buffers and credit instead).
  std::optional<uint32_t> WantedEvents() const;
  // Nothing left to do: the muxer forgets it.
  bool finished() const { return finished_; }

  // Bytes of guest data waiting for the unix socket (tests, limits).
  uint32_t tx_pending() const { return ring_len_; }
  // The guest's free receive space as we account it.
  uint32_t PeerCredit() const;

 private:
  Connection(UniqueFd stream, uint32_t host_port, uint32_t guest_port, uint64_t guest_cid,
             State state);
  bool CanSendData() const;
  void Flush();
  void AppendPayload(const TxPacket& packet);
  Header ReplyHeader(Op op) const;

  UniqueFd stream_;
  uint32_t host_port_;
  uint32_t guest_port_;
  uint64_t guest_cid_;
  State state_;
  bool finished_ = false;
  bool rst_pending_ = false;
  // Host socket.
  bool hung_up_ = false;     // EPOLLHUP/EPOLLERR seen: the host closed it (or it failed)
  bool data_ready_ = false;  // EPOLLIN seen and not yet read to EAGAIN
  bool read_eof_ = false;
  bool wrote_shut_wr_ = false;
  // Guest side.
  bool guest_shut_receive_ = false;
  bool guest_shut_send_ = false;
  uint32_t shutdown_to_send_ = 0;  // kShutdown* flags still to be sent
  bool credit_update_pending_ = false;
  uint32_t peer_buf_alloc_ = 0;
  uint32_t peer_fwd_cnt_ = 0;
  uint32_t rx_cnt_ = 0;  // payload bytes sent to the guest (wraps, like the guest's counters)
  // Guest -> host ring.
  std::vector<uint8_t> ring_;  // allocated at the first payload
  uint32_t ring_head_ = 0;
  uint32_t ring_len_ = 0;
  uint32_t fwd_cnt_ = 0;            // bytes written to the socket
  uint32_t tx_cnt_ = 0;             // bytes received from the guest
  uint32_t last_sent_fwd_cnt_ = 0;  // fwd_cnt the guest last heard of
};

}  // namespace strato::vmm::vsock
