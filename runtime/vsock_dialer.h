#pragma once
// Host side of the VMM's hybrid vsock (docs/vsock.md, contract: Firecracker-style): connect to the
// VMM's unix socket, write "CONNECT <port>\n", read "OK <host port>\n". From then on the unix
// stream is the guest connection's byte stream, so the reply is read one byte at a time: nothing
// after the newline is consumed. While the guest boots nobody listens on the port: the VMM closes
// the connection (EOF before "OK"), or its socket does not exist yet; the dialer retries.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/file_util.h"

namespace strato::runtime {

using Deadline = std::chrono::steady_clock::time_point;

// The longest reply line accepted ("OK 4294967295\n" is 14 bytes).
inline constexpr size_t kMaxConnectReplyBytes = 32;
// Pause between attempts while the guest boots: starts at kDialRetryInterval and doubles up to
// kMaxDialRetryInterval. Each refused attempt costs the guest a vsock packet round (interrupt,
// RST), which nested KVM emulates slowly, so a booting guest is not polled at full rate.
inline constexpr std::chrono::milliseconds kDialRetryInterval{10};
inline constexpr std::chrono::milliseconds kMaxDialRetryInterval{100};
// How long one attempt waits for the reply to CONNECT before it closes and tries again. A guest
// answers within milliseconds once its agent listens; the bound keeps one lost REQUEST or RESPONSE
// (a guest driver reset mid-handshake, say) from using up the whole boot deadline, since a new
// connection starts a fresh handshake.
inline constexpr std::chrono::milliseconds kConnectReplyTimeout{3000};

// One attempt. nullopt when the port is not reachable yet (socket file missing, connection
// refused, EOF before the reply) or no reply came before `deadline`; throws strato::Error for a
// malformed reply.
std::optional<UniqueFd> TryDialVsock(const std::string& socket_path, uint32_t port,
                                     Deadline deadline);

// Attempts until one succeeds or `deadline` passes (strato::Error "... no answer ... within"),
// pausing `retry_interval`, doubled after each refusal up to kMaxDialRetryInterval (or
// `retry_interval` when that is larger).
// `check_alive` runs before every attempt and throws to give up early (e.g. the VMM exited).
// Each attempt waits at most `reply_timeout` for the reply.
UniqueFd DialVsock(const std::string& socket_path, uint32_t port, Deadline deadline,
                   const std::function<void()>& check_alive = {},
                   std::chrono::milliseconds retry_interval = kDialRetryInterval,
                   std::chrono::milliseconds reply_timeout = kConnectReplyTimeout);

// Parses "OK <n>" (without the newline); nullopt for anything else.
std::optional<uint32_t> ParseConnectReply(const std::string& line);

}  // namespace strato::runtime
