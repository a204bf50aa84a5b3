// Golden bytes for the ttrpc frame header and the reference's worked Connect example, and the
// decoder's handling of split, oversized and truncated input.

#include "ttrpc/frame.h"

#include <catch2/catch.hpp>

#include "proto/containerd/shim_task.pb.h"
#include "proto/ttrpc/ttrpc.pb.h"

using namespace strato::ttrpc;

namespace {
std::string Bytes(std::initializer_list<uint8_t> b) {
  return std::string(b.begin(), b.end());
}
}  // namespace

TEST_CASE("header encodes big-endian length and stream id, then type and flags") {
  auto h = EncodeHeader(FrameHeader{0x50, 1, 0x01, 0x00});
  CHECK(std::string(h.begin(), h.end()) == Bytes({0, 0, 0, 0x50, 0, 0, 0, 1, 1, 0}));
  auto h2 = EncodeHeader(FrameHeader{0x01020304, 0xA0B0C0D1, 0x02, 0x05});
  CHECK(std::string(h2.begin(), h2.end()) == Bytes({1, 2, 3, 4, 0xA0, 0xB0, 0xC0, 0xD1, 2, 5}));
  FrameHeader back = DecodeHeader(h2.data());
  CHECK(back.length == 0x01020304);
  CHECK(back.stream_id == 0xA0B0C0D1);
  CHECK(back.type == 2);
  CHECK(back.flags == 5);
}

TEST_CASE("the reference's Connect{id:abc} request in namespace default is 80 bytes") {
  containerd::task::v2::ConnectRequest connect;
  connect.set_id("abc");
  CHECK(connect.SerializeAsString() == Bytes({0x0a, 0x03, 'a', 'b', 'c'}));

  ::ttrpc::Request request;
  request.set_service("containerd.task.v2.Task");
  request.set_method("Connect");
  request.set_payload(connect.SerializeAsString());
  auto* md = request.add_metadata();
  md->set_key("containerd-namespace-ttrpc");
  md->set_value("default");
  std::string expected = Bytes({0x0a, 0x17}) + "containerd.task.v2.Task" + Bytes({0x12, 0x07}) +
                         "Connect" + Bytes({0x1a, 0x05, 0x0a, 0x03}) + "abc" +
                         Bytes({0x2a, 0x25, 0x0a, 0x1a}) + "containerd-namespace-ttrpc" +
                         Bytes({0x12, 0x07}) + "default";
  REQUIRE(expected.size() == 80);
  std::string body = request.SerializeAsString();
  CHECK(body == expected);
  std::string frame = EncodeFrame(1, FrameType::kRequest, 0, body);
  CHECK(frame.substr(0, 10) == Bytes({0, 0, 0, 0x50, 0, 0, 0, 1, 1, 0}));
  CHECK(frame.substr(10) == expected);
}

TEST_CASE("an OK response always carries the status field, encoded 0a 00") {
  ::ttrpc::Response response;
  response.mutable_status();
  CHECK(response.SerializeAsString() == Bytes({0x0a, 0x00}));
}

TEST_CASE("decoder reassembles frames split at every byte boundary") {
  std::string stream = EncodeFrame(1, FrameType::kRequest, 0, "hello") +
                       EncodeFrame(3, FrameType::kRequest, 0, "") +
                       EncodeFrame(5, FrameType::kData, 4, "xyz");
  FrameDecoder decoder;
  std::vector<Frame> frames;
  for (char c : stream) {
    decoder.Feed(std::string_view(&c, 1));
    while (auto f = decoder.Next()) frames.push_back(*f);
  }
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].header.stream_id == 1);
  CHECK(frames[0].payload == "hello");
  CHECK(frames[1].header.stream_id == 3);
  CHECK(frames[1].payload.empty());
  CHECK(frames[2].header.type == 3);
  CHECK(frames[2].header.flags == 4);
  CHECK(frames[2].payload == "xyz");
  CHECK(decoder.pending_bytes() == 0);
}

TEST_CASE("decoder reports an oversized frame once, skips its bytes, and carries on") {
  const uint32_t big = kMaxMessageLength + 1;
  auto h = EncodeHeader(FrameHeader{big, 7, 1, 0});
  FrameDecoder decoder;
  decoder.Feed(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
  auto f = decoder.Next();
  REQUIRE(f);
  CHECK(f->oversized);
  CHECK(f->header.stream_id == 7);
  CHECK(f->header.length == big);
  CHECK(f->payload.empty());
  // Feed the discarded payload in chunks, then a normal frame right after it.
  std::string chunk(1 << 20, 'x');
  size_t left = big;
  while (left > 0) {
    size_t n = std::min(left, chunk.size());
    decoder.Feed(std::string_view(chunk.data(), n));
    CHECK_FALSE(decoder.Next());
    left -= n;
  }
  decoder.Feed(EncodeFrame(9, FrameType::kRequest, 0, "ok"));
  auto g = decoder.Next();
  REQUIRE(g);
  CHECK_FALSE(g->oversized);
  CHECK(g->header.stream_id == 9);
  CHECK(g->payload == "ok");
}

TEST_CASE("a frame of exactly 4 MiB is accepted - EncodeFrame refuses one byte more") {
  std::string payload(kMaxMessageLength, 'a');
  FrameDecoder decoder;
  decoder.Feed(EncodeFrame(1, FrameType::kRequest, 0, payload));
  auto f = decoder.Next();
  REQUIRE(f);
  CHECK_FALSE(f->oversized);
  CHECK(f->payload.size() == kMaxMessageLength);
  payload.push_back('b');
  CHECK_THROWS_WITH(EncodeFrame(1, FrameType::kRequest, 0, payload),
                    "ttrpc: message of 4194305 bytes exceeds the 4 MiB limit");
}

TEST_CASE("a truncated frame stays pending") {
  std::string frame = EncodeFrame(1, FrameType::kRequest, 0, "abcdef");
  FrameDecoder decoder;
  decoder.Feed(std::string_view(frame).substr(0, 12));
  CHECK_FALSE(decoder.Next());
  CHECK(decoder.pending_bytes() == 12);
}
