#pragma once
// google.protobuf.Timestamp <-> std::chrono. containerd 1.6 always sends timestamps; a zero Go
// time arrives as seconds = -62135596800, so anything at or before the epoch counts as unset.

#include <google/protobuf/timestamp.pb.h>

#include <chrono>

namespace strato::shim {

void SetTimestamp(google::protobuf::Timestamp* out, std::chrono::system_clock::time_point t);
google::protobuf::Timestamp MakeTimestamp(std::chrono::system_clock::time_point t);
bool TimestampIsSet(const google::protobuf::Timestamp& t);

}  // namespace strato::shim
