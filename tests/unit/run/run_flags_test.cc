// `strato run` flag parsing: what goes into ImageRunOptions, and the usage errors.
#include "cli/commands/run_flags.h"

#include <catch2/catch.hpp>

#include "common/error.h"

namespace strato::cli {
namespace {

TEST_CASE("strato run flags fill the image run options") {
  RunCommandOptions o = ParseRunFlags({"--cpus",
                                       "2",
                                       "--memory",
                                       "512",
                                       "--tty",
                                       "--env",
                                       "A=1",
                                       "--env=B=two words",
                                       "--workdir",
                                       "/srv",
                                       "--user",
                                       "1000:100",
                                       "--layer-cache",
                                       "/cache",
                                       "--boot-timeout",
                                       "60",
                                       "img",
                                       "--",
                                       "sh",
                                       "-c",
                                       "exit 3"});
  CHECK_FALSE(o.help);
  CHECK(o.run.image == "img");
  CHECK(o.run.command == std::vector<std::string>{"sh", "-c", "exit 3"});
  CHECK(o.run.resources.cpus == 2);
  CHECK(o.run.resources.memory_mib == 512);
  CHECK(o.run.tty);
  CHECK(o.run.env == std::vector<std::string>{"A=1", "B=two words"});
  CHECK(o.run.workdir == "/srv");
  CHECK(o.run.user == "1000:100");
  CHECK(o.run.layer_cache_dir == "/cache");
  CHECK(o.boot_timeout == std::chrono::seconds(60));
}

TEST_CASE("strato run defaults") {
  RunCommandOptions o = ParseRunFlags({"img"});
  CHECK(o.run.command.empty());
  CHECK(o.run.resources.cpus == 1);
  CHECK(o.run.resources.memory_mib == 256);
  CHECK_FALSE(o.run.tty);
  CHECK_FALSE(o.run.workdir.has_value());
  CHECK_FALSE(o.run.user.has_value());
  CHECK(o.run.layer_cache_dir.empty());
  CHECK(o.boot_timeout == kDefaultBootTimeout);
}

TEST_CASE("strato run usage errors") {
  CHECK_THROWS_AS(ParseRunFlags({}), UsageError);
  CHECK_THROWS_WITH(ParseRunFlags({}), "missing IMAGE");
  CHECK_THROWS_WITH(ParseRunFlags({"img", "echo"}),
                    "unexpected argument \"echo\" (the command goes after \"--\")");
  CHECK_THROWS_WITH(ParseRunFlags({"--env", "NOEQUALS", "img"}),
                    "--env: expected KEY=VALUE, got \"NOEQUALS\"");
  CHECK_THROWS_AS(ParseRunFlags({"--cpus", "0", "img"}), Error);
  CHECK_THROWS_AS(ParseRunFlags({"--bogus", "img"}), Error);
}

TEST_CASE("strato run --help") {
  RunCommandOptions o = ParseRunFlags({"--help"});
  CHECK(o.help);
  CHECK_THAT(o.help_text, Catch::StartsWith("usage: strato run [flags] IMAGE [-- CMD ARGS...]\n"));
  CHECK_THAT(o.help_text, Catch::Contains("--tty"));
}

}  // namespace
}  // namespace strato::cli
