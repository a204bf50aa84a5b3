// Locating strato-init / strato-vmm: the environment variable first, then the build tree beside
// the running executable (this test binary lives in <build>/tests/unit/runtime).
#include "runtime/helper_binaries.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "common/error.h"

namespace strato::runtime {
namespace {

// Sets an environment variable for the scope of one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_CASE("the environment variable wins and must name an executable") {
  ScopedEnv env("STRATO_VMM", "/bin/true");
  CHECK(FindVmmBinary() == "/bin/true");
  ScopedEnv bad("STRATO_VMM", "/usr/share/common-licenses/GPL-3");
  CHECK_THROWS_WITH(
      FindVmmBinary(),
      "$STRATO_VMM names /usr/share/common-licenses/GPL-3, which is not an executable file");
}

TEST_CASE("without it the build tree's binaries are found from the test's own directory") {
  ScopedEnv env("STRATO_INIT", nullptr);
  CHECK(FindInitBinary() == std::string(STRATO_BINARY_DIR) + "/guest/strato-init");
}

TEST_CASE("nothing found: the error says where to put it") {
  ScopedEnv env("STRATO_NONE_TEST", nullptr);
  CHECK_THROWS_WITH(
      FindHelperBinary("STRATO_NONE_TEST", "no-such-helper", "nowhere", "/nonexistent"),
      Catch::StartsWith("no-such-helper not found: set $STRATO_NONE_TEST, or install "
                        "it as /nonexistent/no-such-helper (also looked beside "));
}

}  // namespace
}  // namespace strato::runtime
