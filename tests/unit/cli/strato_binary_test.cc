// Runs the built `strato` binary: exit codes and messages as a user sees them.

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/file_util.h"

namespace {

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

Result RunStrato(const std::string& args) {
  std::string cmd = std::string(STRATO_BINARY_DIR) + "/cli/strato " + args + " 2>&1";
  Result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

TEST_CASE("strato --help lists the commands and exits 0") {
  Result r = RunStrato("--help");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::StartsWith("usage: strato [--log-level LEVEL] <command>"));
  CHECK_THAT(r.output, Catch::Contains("  doctor ") && Catch::Contains("  inspect "));
}

TEST_CASE("strato with an unknown command or flag exits 2 naming it") {
  Result r = RunStrato("frobnicate");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::StartsWith("strato: unknown command \"frobnicate\"\n"));
  r = RunStrato("--log-level loud doctor");
  CHECK(r.exit_code == 2);
  CHECK(r.output == "strato: --log-level: unknown log level \"loud\"\n");
  r = RunStrato("inspect --bogus x");
  CHECK(r.exit_code == 2);
  CHECK(r.output == "strato inspect: unknown flag --bogus\n");
  r = RunStrato("");
  CHECK(r.exit_code == 2);
}

TEST_CASE("strato inspect validates a bundle and reports errors with exit 1") {
  char tmpl[] = "/tmp/strato-cli-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::filesystem::copy_file(std::string(STRATO_FIXTURES_DIR) + "/oci/runtime/ctr-run.json",
                             dir + "/config.json");
  Result r = RunStrato("inspect --bundle " + dir);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("\"ociVersion\": \"1.0.2-dev\""));
  CHECK_THAT(r.output, Catch::Contains("\"cwd\": \"/\""));
  strato::WriteFileAtomic(dir + "/config.json",
                          R"({"ociVersion": "1.0.2", "process": {"cwd": "x"}})");
  r = RunStrato("inspect --bundle " + dir);
  CHECK(r.exit_code == 1);
  CHECK(r.output ==
        "strato inspect: " + dir + "/config.json: process.user: required field missing\n");
  r = RunStrato("inspect " + dir);
  CHECK(r.exit_code == 1);
  CHECK(r.output == "strato inspect: image layout " + dir +
                        ": neither index.json (OCI layout) nor manifest.json (docker archive) "
                        "found\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("strato doctor --help and bad arguments") {
  Result r = RunStrato("doctor --help");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::StartsWith("usage: strato doctor"));
  r = RunStrato("doctor extra");
  CHECK(r.exit_code == 2);
  CHECK(r.output == "strato doctor: unexpected argument \"extra\"\n");
}
