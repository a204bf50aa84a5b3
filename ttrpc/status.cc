#include "ttrpc/status.h"

#include <array>

namespace strato::ttrpc {

std::string CodeName(Code code) {
  static constexpr std::array<const char*, 15> kNames = {"OK",
                                                         "CANCELED",
                                                         "UNKNOWN",
                                                         "INVALID_ARGUMENT",
                                                         "DEADLINE_EXCEEDED",
                                                         "NOT_FOUND",
                                                         "ALREADY_EXISTS",
                                                         "PERMISSION_DENIED",
                                                         "RESOURCE_EXHAUSTED",
                                                         "FAILED_PRECONDITION",
                                                         "ABORTED",
                                                         "OUT_OF_RANGE",
                                                         "UNIMPLEMENTED",
                                                         "INTERNAL",
                                                         "UNAVAILABLE"};
  auto n = static_cast<int32_t>(code);
  if (n >= 0 && static_cast<size_t>(n) < kNames.size()) return kNames[static_cast<size_t>(n)];
  return "CODE(" + std::to_string(n) + ")";
}

RpcError NotFound(const std::string& what) {
  return {Code::kNotFound, what + ": not found"};
}
RpcError AlreadyExists(const std::string& what) {
  return {Code::kAlreadyExists, what + ": already exists"};
}
RpcError FailedPrecondition(const std::string& what) {
  return {Code::kFailedPrecondition, what + ": failed precondition"};
}
RpcError InvalidArgument(const std::string& what) {
  return {Code::kInvalidArgument, what + ": invalid argument"};
}
RpcError NotImplemented(const std::string& what) {
  return {Code::kUnimplemented, what + ": not implemented"};
}
RpcError Unavailable(const std::string& what) {
  return {Code::kUnavailable, what + ": unavailable"};
}

}  // namespace strato::ttrpc
