#pragma once
// ttrpc status codes (the gRPC code numbers) and the error type handlers throw to answer a call
// with a status. The helpers format messages the way containerd's errdefs does
// ("<message>: not found"), so containerd's FromGRPC maps them back to the same error class.

#include <cstdint>
#include <string>

#include "common/error.h"

namespace strato::ttrpc {

enum class Code : int32_t {
  kOk = 0,
  kCanceled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
};

// "NOT_FOUND", "UNAVAILABLE", ...; "CODE(<n>)" for numbers outside the table.
std::string CodeName(Code code);

class RpcError : public Error {
 public:
  RpcError(Code code, const std::string& message) : Error(message), code_(code) {}
  Code code() const { return code_; }

 private:
  Code code_;
};

// errdefs-style constructors: the message gets the class suffix containerd expects.
RpcError NotFound(const std::string& what);            // "<what>: not found"
RpcError AlreadyExists(const std::string& what);       // "<what>: already exists"
RpcError FailedPrecondition(const std::string& what);  // "<what>: failed precondition"
RpcError InvalidArgument(const std::string& what);     // "<what>: invalid argument"
RpcError NotImplemented(const std::string& what);      // "<what>: not implemented"
RpcError Unavailable(const std::string& what);         // "<what>: unavailable"

}  // namespace strato::ttrpc
