#include "common/logging.h"

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>

#include "common/error.h"

TEST_CASE("SetLogLevel accepts spdlog level names and rejects others") {
  CHECK(strato::SetLogLevel("debug"));
  CHECK(spdlog::get_level() == spdlog::level::debug);
  CHECK(strato::SetLogLevel("error"));
  CHECK(spdlog::get_level() == spdlog::level::err);
  CHECK(strato::SetLogLevel("off"));
  CHECK(spdlog::get_level() == spdlog::level::off);
  CHECK_FALSE(strato::SetLogLevel("loud"));
  CHECK(spdlog::get_level() == spdlog::level::off);
  strato::SetLogLevel("info");
}
