// TtrpcEventPublisher against a ttrpc server standing in for containerd's events service:
// order, envelope contents, namespace metadata, retry when containerd is not there yet.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "proto/containerd/events.pb.h"
#include "proto/containerd/events_service.pb.h"
#include "shim/events/publisher.h"
#include "tests/unit/shim/test_bundle.h"
#include "ttrpc/server.h"
#include "ttrpc/unix_socket.h"

using namespace strato::shim;
using namespace std::chrono_literals;
namespace evsvc = containerd::services::events::ttrpc::v1;

namespace {

// A fake containerd events service on a unix socket.
class FakeEventsService {
 public:
  explicit FakeEventsService(const std::string& path) : path_(path) {
    server_.Register("containerd.services.events.ttrpc.v1.Events", "Forward",
                     [this](const strato::ttrpc::CallContext& ctx, const std::string& payload) {
                       evsvc::ForwardRequest r;
                       REQUIRE(r.ParseFromString(payload));
                       std::lock_guard l(mu_);
                       envelopes_.push_back(r.envelope());
                       namespaces_.push_back(ctx.metadata.count("containerd-namespace-ttrpc")
                                                 ? ctx.metadata.at("containerd-namespace-ttrpc")
                                                 : "");
                       return std::string();  // google.protobuf.Empty
                     });
    thread_ = std::thread([this] { server_.Serve(strato::ttrpc::ListenUnix(path_)); });
  }
  ~FakeEventsService() {
    server_.Shutdown();
    thread_.join();
    ::unlink(path_.c_str());
  }
  std::vector<evsvc::Envelope> envelopes() {
    std::lock_guard l(mu_);
    return envelopes_;
  }
  std::vector<std::string> namespaces() {
    std::lock_guard l(mu_);
    return namespaces_;
  }

 private:
  std::string path_;
  strato::ttrpc::Server server_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<evsvc::Envelope> envelopes_;
  std::vector<std::string> namespaces_;
};

}  // namespace

TEST_CASE("events are forwarded in order with bare type urls, namespace and timestamp") {
  testing::TempBundle dir;
  std::string sock = dir.file("events.sock");
  FakeEventsService containerd(sock);
  {
    TtrpcEventPublisher publisher("unix://" + sock, "testns");
    containerd::events::TaskCreate create;
    create.set_container_id("c1");
    create.set_pid(42);
    publisher.Publish(topics::kTaskCreate, create);
    containerd::events::TaskStart start;
    start.set_container_id("c1");
    publisher.Publish(topics::kTaskStart, start);
    containerd::events::TaskExit exit;
    exit.set_container_id("c1");
    exit.set_exit_status(3);
    publisher.Publish(topics::kTaskExit, exit);
    containerd::events::TaskDelete del;
    del.set_container_id("c1");
    publisher.Publish(topics::kTaskDelete, del);
    publisher.Close(5000ms);
  }
  auto env = containerd.envelopes();
  REQUIRE(env.size() == 4);
  CHECK(env[0].topic() == "/tasks/create");
  CHECK(env[0].event().type_url() == "containerd.events.TaskCreate");
  containerd::events::TaskCreate create;
  REQUIRE(create.ParseFromString(env[0].event().value()));
  CHECK(create.pid() == 42);
  CHECK(env[1].topic() == "/tasks/start");
  CHECK(env[2].topic() == "/tasks/exit");
  CHECK(env[2].event().type_url() == "containerd.events.TaskExit");
  CHECK(env[3].topic() == "/tasks/delete");
  for (const auto& e : env) {
    CHECK(e.namespace_() == "testns");
    CHECK(e.timestamp().seconds() > 1'600'000'000);
  }
  CHECK(containerd.namespaces() == std::vector<std::string>(4, "testns"));
}

TEST_CASE("events published before containerd listens are retried and delivered") {
  testing::TempBundle dir;
  std::string sock = dir.file("events.sock");
  TtrpcEventPublisher publisher(sock, "default");
  containerd::events::TaskOOM oom;
  oom.set_container_id("c1");
  publisher.Publish(topics::kTaskOOM, oom);
  std::this_thread::sleep_for(150ms);  // first attempts fail: no socket yet
  FakeEventsService containerd(sock);
  publisher.Close(5000ms);
  auto env = containerd.envelopes();
  REQUIRE(env.size() == 1);
  CHECK(env[0].topic() == "/tasks/oom");
}

TEST_CASE("MakeEnvelope packs the event under its full name") {
  containerd::events::TaskPaused paused;
  paused.set_container_id("c9");
  auto env = MakeEnvelope("ns", topics::kTaskPaused, paused);
  CHECK(env.topic() == "/tasks/paused");
  CHECK(env.event().type_url() == "containerd.events.TaskPaused");
  CHECK(env.event().value() == paused.SerializeAsString());
}
