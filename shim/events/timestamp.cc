#include "shim/events/timestamp.h"

namespace strato::shim {

namespace {
constexpr int64_t kNanosPerSecond = 1'000'000'000;
}

void SetTimestamp(google::protobuf::Timestamp* out, std::chrono::system_clock::time_point t) {
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  int64_t seconds = ns / kNanosPerSecond;
  int64_t nanos = ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(nanos));
}

google::protobuf::Timestamp MakeTimestamp(std::chrono::system_clock::time_point t) {
  google::protobuf::Timestamp ts;
  SetTimestamp(&ts, t);
  return ts;
}

bool TimestampIsSet(const google::protobuf::Timestamp& t) {
  return t.seconds() > 0;
}

}  // namespace strato::shim
