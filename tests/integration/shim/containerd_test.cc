// Debian's containerd 1.6 driving our shim: a private containerd (own root, state, sockets
// under a temp dir, our shim first on its PATH) runs `ctr run --runtime io.containerd.strato.v2`
// with a rootfs that cannot be used (a regular file; without the VM backend, any): Create must
// fail with our message, containerd must clean up (Delete, Shutdown, `delete` binary, bundle
// removed), and no shim may be left. It also checks that containerd accepts the events our
// publisher forwards (bare type urls). The VM scenarios are in containerd_vm_test.cc.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "proto/containerd/events.pb.h"
#include "shim/backend/unavailable_sandbox.h"
#include "shim/events/publisher.h"
#include "tests/integration/shim/private_containerd.h"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using namespace strato::shim::testing;

TEST_CASE("ctr run with io.containerd.strato.v2 reaches our Create and is cleaned up") {
  if (!ContainerdUsable()) return;
  PrivateContainerd containerd;
  REQUIRE(containerd.ready());
  const std::string not_a_dir = containerd.dir() + "/rootfs-file";
  std::ofstream(not_a_dir) << "not a directory";
  auto [code, output] =
      containerd.Ctr({"run", "--rm", "--rootfs", "--runtime", "io.containerd.strato.v2", not_a_dir,
                      "strato-it-1", "/bin/true"});
  INFO("ctr output: " << output);
  CHECK(code == 1);
#ifdef STRATO_SHIM_HAS_RUNTIME
  CHECK_THAT(output, Catch::Contains("converting rootfs layer " + not_a_dir + ": "));
#else
  CHECK_THAT(output, Catch::Contains(strato::shim::kNoBackendMessage));
#endif

  // containerd cleaned up: no task, no container, no bundle, no shim socket, no shim process.
  auto bundles = containerd.dir() + "/state/io.containerd.runtime.v2.task/default";
  CHECK(WaitUntil([&] { return !fs::exists(bundles + "/strato-it-1"); }, 10s));
  CHECK(WaitUntil([&] { return fs::is_empty(containerd.dir() + "/s"); }, 10s));
  auto [tcode, tasks] = containerd.Ctr({"tasks", "ls", "-q"});
  CHECK(tcode == 0);
  CHECK(tasks.empty());
  auto [ccode, containers] = containerd.Ctr({"containers", "ls", "-q"});
  CHECK(ccode == 0);
  CHECK(containers.empty());
  CHECK(WaitUntil([&] { return containerd.ShimPids("strato-it-1").empty(); }, 10s));
  // The shim's log reached containerd's log through the bundle's log FIFO.
  std::string log = containerd.LogText();
  INFO("containerd log tail: " << log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  CHECK_THAT(log, Catch::Contains("shim daemon for strato-it-1 (namespace default) starting"));
  CHECK_THAT(log, Catch::Contains("cleaning up dead shim"));
  CHECK_THAT(log, !Catch::Contains("failed to clean up after shim disconnected"));
}

TEST_CASE("containerd accepts the events our publisher forwards") {
  if (!ContainerdUsable()) return;
  PrivateContainerd containerd;
  REQUIRE(containerd.ready());
  const std::string events_log = containerd.dir() + "/events.out";
  Spawned watcher = Spawn({"ctr", "--address", containerd.socket(), "events"}, events_log, {});
  std::this_thread::sleep_for(500ms);  // let the subscription start
  {
    strato::shim::TtrpcEventPublisher publisher(containerd.ttrpc_socket(), "default");
    containerd::events::TaskExit exit;
    exit.set_container_id("ghost");
    exit.set_id("ghost");
    exit.set_pid(4242);
    exit.set_exit_status(42);
    publisher.Publish(strato::shim::topics::kTaskExit, exit);
    publisher.Close(5000ms);
  }
  bool seen = WaitUntil(
      [&] { return strato::ReadFile(events_log).find("/tasks/exit") != std::string::npos; }, 10s);
  ::kill(watcher.pid, SIGTERM);
  ::waitpid(watcher.pid, nullptr, 0);
  std::string text = strato::ReadFile(events_log);
  INFO("ctr events: " << text);
  CHECK(seen);
  // ctr decoded the Any: the fields show up as JSON.
  CHECK_THAT(text, Catch::Contains("\"container_id\":\"ghost\""));
  CHECK_THAT(text, Catch::Contains("\"exit_status\":42"));
}
