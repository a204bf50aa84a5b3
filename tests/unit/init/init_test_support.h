#pragma once
// Shared by the strato-init unit tests: a minimal valid OCI spec and guest config.

#include <string>

#include "guest/config/guest_config.h"

namespace strato::guest::test {

inline std::string MinimalSpecJson(const std::string& process_extra = "") {
  return R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"hostname":"spec-host",)"
         R"("process":{"user":{"uid":0,"gid":0},"args":["/bin/sh","-c","echo hi"],)"
         R"("env":["PATH=/bin"],"cwd":"/")" +
         process_extra + "}}";
}

inline GuestConfig MinimalConfig() {
  GuestConfig c = MakeGuestConfig(MinimalSpecJson());
  c.layers = {{"strato-L0-00000000", "sha256:00000000aa"}, {"strato-L1-11111111", ""}};
  return c;
}

}  // namespace strato::guest::test
