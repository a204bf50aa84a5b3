// The image config -> runtime spec mapping of `strato run` (docker run's rules) and the user
// parser; PrepareImageLaunch on an image built in the test.
#include "runtime/image_launch.h"

#include <catch2/catch.hpp>

#include "common/error.h"
#include "guest/config/guest_config.h"

namespace strato::runtime {
namespace {

using nlohmann::json;

oci::ImageConfig BusyboxLikeConfig() {
  oci::ImageConfig config;
  config.entrypoint = {"/bin/sh", "-c"};
  config.cmd = {"echo from-image"};
  config.env = {"PATH=/bin", "GREETING=hello"};
  config.working_dir = "/srv";
  config.user = "1000:100";
  return config;
}

ImageRunOptions Options() {
  ImageRunOptions options;
  options.image = "/images/busybox";
  return options;
}

TEST_CASE("the image's Entrypoint Cmd Env WorkingDir and User make the process") {
  json spec = RuntimeSpecForImage(BusyboxLikeConfig(), Options());
  CHECK(spec["process"]["args"] == json({"/bin/sh", "-c", "echo from-image"}));
  CHECK(spec["process"]["env"] == json({"PATH=/bin", "GREETING=hello"}));
  CHECK(spec["process"]["cwd"] == "/srv");
  CHECK(spec["process"]["user"] == json({{"uid", 1000}, {"gid", 100}}));
  CHECK(spec["process"]["terminal"] == false);
  CHECK(spec["hostname"] == "strato");
  std::vector<std::string> destinations;
  for (const json& mount : spec["mounts"]) destinations.push_back(mount["destination"]);
  CHECK(destinations == std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                 "/dev/mqueue", "/sys", "/sys/fs/cgroup"});
  CHECK(spec["mounts"][6]["type"] == "cgroup2");
  // The guest init accepts it.
  guest::GuestConfig config = guest::MakeGuestConfig(spec.dump());
  CHECK(config.spec.process->args.size() == 3);
}

TEST_CASE("a command after -- replaces Cmd and keeps the Entrypoint, overrides win") {
  ImageRunOptions options = Options();
  options.command = {"exit 42"};
  options.env = {"GREETING=bye", "EXTRA=1"};
  options.workdir = "/tmp";
  options.user = "0";
  options.tty = true;
  json spec = RuntimeSpecForImage(BusyboxLikeConfig(), options);
  CHECK(spec["process"]["args"] == json({"/bin/sh", "-c", "exit 42"}));
  CHECK(spec["process"]["env"] == json({"PATH=/bin", "GREETING=bye", "TERM=xterm", "EXTRA=1"}));
  CHECK(spec["process"]["cwd"] == "/tmp");
  CHECK(spec["process"]["user"] == json({{"uid", 0}, {"gid", 0}}));
  CHECK(spec["process"]["terminal"] == true);
}

TEST_CASE("defaults: PATH added, cwd /, root user") {
  oci::ImageConfig image;
  image.cmd = {"/bin/true"};
  json spec = RuntimeSpecForImage(image, Options());
  CHECK(spec["process"]["env"] ==
        json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
  CHECK(spec["process"]["cwd"] == "/");
  CHECK(spec["process"]["user"] == json({{"uid", 0}, {"gid", 0}}));
}

TEST_CASE("image and override mistakes are clear errors") {
  oci::ImageConfig empty;
  CHECK_THROWS_WITH(
      RuntimeSpecForImage(empty, Options()),
      "image /images/busybox has no Entrypoint or Cmd: give the command after \"--\"");
  ImageRunOptions options = Options();
  options.workdir = "srv";
  CHECK_THROWS_WITH(RuntimeSpecForImage(BusyboxLikeConfig(), options),
                    "working directory \"srv\" is not absolute");
  options = Options();
  options.env = {"NOVALUE"};
  CHECK_THROWS_WITH(RuntimeSpecForImage(BusyboxLikeConfig(), options),
                    "--env \"NOVALUE\": expected KEY=VALUE");
  options.env = {"=x"};
  CHECK_THROWS_WITH(RuntimeSpecForImage(BusyboxLikeConfig(), options),
                    "--env \"=x\": expected KEY=VALUE");
}

TEST_CASE("users are numeric UID or UID:GID") {
  CHECK(ParseNumericUser("0") == std::pair<uint32_t, uint32_t>{0, 0});
  CHECK(ParseNumericUser("1000") == std::pair<uint32_t, uint32_t>{1000, 1000});
  CHECK(ParseNumericUser("1000:5") == std::pair<uint32_t, uint32_t>{1000, 5});
  for (const char* bad : {"nobody", "1000:", ":5", "1000:staff", "-1", "4294967296", ""}) {
    INFO(bad);
    CHECK_THROWS_WITH(ParseNumericUser(bad),
                      "user \"" + std::string(bad) +
                          "\": only a numeric UID or UID:GID is supported (user names would need "
                          "the image's /etc/passwd)");
  }
}

}  // namespace
}  // namespace strato::runtime
