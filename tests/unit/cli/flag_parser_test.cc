#include "cli/flag_parser.h"

#include <catch2/catch.hpp>

#include "common/error.h"

using strato::cli::FlagParser;

namespace {
FlagParser MakeParser() {
  return FlagParser({{"cpus", true, false, "N", "vCPUs"},
                     {"disk", true, true, "FILE", "disk"},
                     {"tty", false, false, "", "terminal"},
                     {"help", false, false, "", "help"}});
}
}  // namespace

TEST_CASE("FlagParser parses values, repeats, booleans, positionals and --") {
  auto f = MakeParser().Parse(
      {"--cpus", "2", "--disk=a.img", "image", "--disk", "b.img,ro", "--tty", "--", "sh", "-c"});
  CHECK(f.Get("cpus") == "2");
  CHECK(f.GetAll("disk") == std::vector<std::string>{"a.img", "b.img,ro"});
  CHECK(f.Has("tty"));
  CHECK(f.positionals() == std::vector<std::string>{"image"});
  CHECK(f.rest() == std::vector<std::string>{"sh", "-c"});
  CHECK(f.GetUint("cpus", 1, 64) == 2u);
  CHECK(MakeParser().Parse({"-h"}).Has("help"));
}

TEST_CASE("FlagParser errors name the flag") {
  auto p = MakeParser();
  CHECK_THROWS_AS(p.Parse({"--bogus"}), strato::UsageError);
  CHECK_THROWS_WITH(p.Parse({"--bogus"}), "unknown flag --bogus");
  CHECK_THROWS_WITH(p.Parse({"--cpus"}), "--cpus: expects a value");
  CHECK_THROWS_WITH(p.Parse({"--tty=yes"}), "--tty: takes no value");
  CHECK_THROWS_WITH(p.Parse({"--cpus", "1", "--cpus", "2"}), "--cpus: given more than once");
  CHECK_THROWS_WITH(p.Parse({"-x"}), "unknown flag -x (flags start with --)");
  CHECK_THROWS_WITH(p.Parse({"--cpus", "two"}).GetUint("cpus", 1, 64),
                    "--cpus: \"two\" is not a non-negative integer");
  CHECK_THROWS_WITH(p.Parse({"--cpus", "0"}).GetUint("cpus", 1, 64),
                    "--cpus: 0 is out of range [1, 64]");
  CHECK_THROWS_WITH(p.Parse({"--cpus", "-1"}).GetUint("cpus", 1, 64),
                    "--cpus: \"-1\" is not a non-negative integer");
}
