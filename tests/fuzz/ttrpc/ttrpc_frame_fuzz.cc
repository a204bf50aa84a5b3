// Fuzzes the ttrpc frame decoder (the first thing that touches bytes from a peer) and the
// request/response decoding behind it. The first input byte picks the chunk size the bytes
// arrive in. Invariants: every decoded frame re-encodes to exactly the bytes it came from,
// nothing is lost or invented, and no payload exceeds the 4 MiB limit.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/containerd/shim_task.pb.h"
#include "proto/ttrpc/ttrpc.pb.h"
#include "ttrpc/frame.h"

using namespace strato::ttrpc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  FrameDecoder decoder;
  std::string reencoded;
  bool saw_oversized = false;
  for (size_t off = 0; off < input.size(); off += chunk) {
    decoder.Feed(input.substr(off, chunk));
    while (auto frame = decoder.Next()) {
      if (frame->oversized) {
        if (frame->header.length <= kMaxMessageLength || !frame->payload.empty()) __builtin_trap();
        saw_oversized = true;
        continue;
      }
      if (frame->payload.size() != frame->header.length) __builtin_trap();
      if (!saw_oversized) {
        reencoded +=
            EncodeFrame(frame->header.stream_id, static_cast<FrameType>(frame->header.type),
                        frame->header.flags, frame->payload);
      }
      ::ttrpc::Request request;
      if (request.ParseFromString(frame->payload)) {
        containerd::task::v2::CreateTaskRequest create;
        (void)create.ParseFromString(request.payload());
      }
      ::ttrpc::Response response;
      (void)response.ParseFromString(frame->payload);
    }
  }
  if (!saw_oversized) {
    if (input.substr(0, reencoded.size()) != reencoded) __builtin_trap();
    if (decoder.pending_bytes() != input.size() - reencoded.size()) __builtin_trap();
  }
  return 0;
}
