#include "guest/agent/stdio_handshake.h"

#include <catch2/catch.hpp>

using namespace strato::agent;

namespace {
std::optional<StreamRequest> Parse(std::string_view line, std::string* error) {
  return ParseStreamRequest(line, error);
}
}  // namespace

TEST_CASE("stream requests format and parse back") {
  CHECK(FormatStreamRequest("exec-1", StdioStream::kStdout) == "exec-1 stdout\n");
  CHECK(FormatStreamRequest("", StdioStream::kStdin) == "- stdin\n");
  CHECK(FormatStreamRequest("x", StdioStream::kStderr) == "x stderr\n");
  std::string error;
  auto r = Parse("exec-1 stdout", &error);
  REQUIRE(r);
  CHECK(r->id == "exec-1");
  CHECK(r->stream == StdioStream::kStdout);
  r = Parse("- stdin", &error);
  REQUIRE(r);
  CHECK(r->id.empty());
  CHECK(r->stream == StdioStream::kStdin);
  r = Parse("a stderr", &error);
  REQUIRE(r);
  CHECK(r->stream == StdioStream::kStderr);
}

TEST_CASE("malformed stream requests are refused with a reason") {
  std::string error;
  CHECK_FALSE(Parse("", &error));
  CHECK(error == "malformed stream request: expected '<process-id> <stdin|stdout|stderr>'");
  CHECK_FALSE(Parse("garbage", &error));
  CHECK_THAT(error, Catch::StartsWith("malformed stream request"));
  CHECK_FALSE(Parse(" stdout", &error));
  CHECK_THAT(error, Catch::StartsWith("malformed stream request"));
  CHECK_FALSE(Parse("id stdfoo", &error));
  CHECK(error == "unknown stream name (want stdin, stdout or stderr)");
  CHECK_FALSE(Parse("id stdout ", &error));
  CHECK(error == "unknown stream name (want stdin, stdout or stderr)");
  CHECK_FALSE(Parse("id  stdout", &error));
  CHECK_FALSE(Parse(std::string("i\x01") + " stdout", &error));
  CHECK_THAT(error, Catch::Contains("printable ASCII"));
  CHECK_FALSE(Parse(std::string(200, 'a') + " stdout", &error));
  CHECK_THAT(error, Catch::Contains("longer than 128"));
}

TEST_CASE("process ids: empty, printable without spaces, not the '-' token") {
  CHECK_FALSE(ValidateProcessId(""));
  CHECK_FALSE(ValidateProcessId("exec-42_a.b"));
  CHECK(ValidateProcessId("-"));
  CHECK(ValidateProcessId("a b"));
  CHECK(ValidateProcessId("a\nb"));
  CHECK(ValidateProcessId(std::string(129, 'x')));
  CHECK_FALSE(ValidateProcessId(std::string(128, 'x')));
}
