#pragma once
// ErrorOf(fn): runs fn and returns the ttrpc status it failed with, as {code, message};
// {kOk, "OK"} if it did not throw. Lets tests compare a whole error in one CHECK.

#include <string>
#include <utility>

#include "ttrpc/status.h"

namespace strato::ttrpc::testing {

template <class Fn>
std::pair<Code, std::string> ErrorOf(Fn fn) {
  try {
    fn();
  } catch (const RpcError& e) {
    return {e.code(), e.what()};
  }
  return {Code::kOk, "OK"};
}

}  // namespace strato::ttrpc::testing
