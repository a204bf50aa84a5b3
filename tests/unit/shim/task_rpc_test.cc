// The Task service over ttrpc, the way containerd 1.6 drives it for `ctr run`: Create,
// Connect, Wait (blocking, before Start), Start, State while Wait is pending, Kill, Delete,
// Shutdown - all on one connection - plus the stdio FIFOs reaching the process.

#include "shim/task/task_rpc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>

#include "common/file_util.h"
#include "tests/unit/shim/service_harness.h"
#include "tests/unit/ttrpc/rpc_error_of.h"
#include "ttrpc/client.h"

using namespace strato::shim;
using namespace strato::shim::testing;
using namespace std::chrono_literals;
using strato::ttrpc::Code;
using strato::ttrpc::RpcError;
using strato::ttrpc::testing::ErrorOf;

namespace {

struct RpcHarness : ServiceHarness {
  strato::ttrpc::Server server;
  std::unique_ptr<strato::ttrpc::Client> client;

  RpcHarness() {
    RegisterTaskService(server, *service);
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    server.ServeConnection(strato::UniqueFd(sv[1]));
    client = std::make_unique<strato::ttrpc::Client>(strato::UniqueFd(sv[0]));
  }
  ~RpcHarness() {
    service->Stop();  // unblocks Waits so the server's handlers can finish
    server.Shutdown();
  }
  template <class Resp, class Req>
  Resp Call(const std::string& method, const Req& req) {
    Resp resp;
    client->Call(kTaskServiceName, method, req, &resp, 5000ms,
                 {{"containerd-namespace-ttrpc", "default"}});
    return resp;
  }
};

}  // namespace

TEST_CASE("ctr run sequence over one ttrpc connection - Wait blocks while others answer") {
  RpcHarness h;
  taskapi::CreateTaskRequest create;
  create.set_id("c1");
  create.set_bundle(h.bundle.path());
  auto created = h.Call<taskapi::CreateTaskResponse>("Create", create);
  CHECK(created.pid() == 1000);

  taskapi::ConnectRequest connect;
  connect.set_id("c1");
  CHECK(h.Call<taskapi::ConnectResponse>("Connect", connect).task_pid() == 1000);

  taskapi::WaitRequest wait;
  wait.set_id("c1");
  auto waiting = std::async(std::launch::async, [&] {
    taskapi::WaitResponse w;
    h.client->Call(kTaskServiceName, "Wait", wait, &w);  // no deadline, like containerd
    return w;
  });
  CHECK(waiting.wait_for(100ms) == std::future_status::timeout);

  taskapi::StartRequest start;
  start.set_id("c1");
  CHECK(h.Call<taskapi::StartResponse>("Start", start).pid() == 1000);
  taskapi::StateRequest state;
  state.set_id("c1");
  for (int i = 0; i < 3; ++i) {
    CHECK(h.Call<taskapi::StateResponse>("State", state).status() ==
          containerd::v1::types::RUNNING);
  }
  CHECK(waiting.wait_for(0ms) == std::future_status::timeout);

  taskapi::KillRequest kill;
  kill.set_id("c1");
  kill.set_signal(SIGKILL);
  h.Call<google::protobuf::Empty>("Kill", kill);
  auto w = waiting.get();
  CHECK(w.exit_status() == 137);

  CHECK(ErrorOf([&] { h.Call<google::protobuf::Empty>("Kill", kill); }) ==
        std::pair{Code::kNotFound, std::string("process already finished: not found")});
  taskapi::DeleteRequest del;
  del.set_id("c1");
  CHECK(h.Call<taskapi::DeleteResponse>("Delete", del).exit_status() == 137);
  taskapi::ShutdownRequest shutdown;
  shutdown.set_id("c1");
  h.Call<google::protobuf::Empty>("Shutdown", shutdown);
  REQUIRE(h.events->WaitFor(4));
  CHECK(h.events->topics() ==
        std::vector<std::string>{"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"});
}

TEST_CASE("Task RPC errors: garbage payload, unknown id, checkpoint, unknown method") {
  RpcHarness h;
  CHECK(ErrorOf([&] {
          h.client->Call(kTaskServiceName, "Create", std::string("\x0a\xff\xff", 3));
        }) == std::pair{Code::kInvalidArgument,
                        std::string("cannot decode the Create request: invalid argument")});
  taskapi::StateRequest state;
  state.set_id("ghost");
  CHECK(ErrorOf([&] { h.Call<taskapi::StateResponse>("State", state); }).first == Code::kNotFound);
  taskapi::CheckpointTaskRequest ck;
  CHECK(ErrorOf([&] { h.Call<google::protobuf::Empty>("Checkpoint", ck); }).first ==
        Code::kUnimplemented);
  CHECK(ErrorOf([&] { h.client->Call(kTaskServiceName, "Frobnicate", ""); }) ==
        std::pair{Code::kUnimplemented, std::string("method Frobnicate")});
}

TEST_CASE("stdio FIFOs given to Create reach the process: output, stdin echo, CloseIO EOF") {
  RpcHarness h;
  const std::string in = h.bundle.file("c1-stdin");
  const std::string out = h.bundle.file("c1-stdout");
  const std::string err = h.bundle.file("c1-stderr");
  for (const auto& p : {in, out, err}) REQUIRE(::mkfifo(p.c_str(), 0600) == 0);
  // The client (ctr) opens its ends first.
  strato::UniqueFd out_reader = strato::OpenOrThrow(out, O_RDONLY | O_NONBLOCK);
  strato::UniqueFd err_reader = strato::OpenOrThrow(err, O_RDONLY | O_NONBLOCK);
  Plan plan;
  plan.output = "hello from the fake\n";
  plan.echo_stdin = true;
  plan.exit_code = 0;  // once stdin reaches EOF
  h.sandbox->SetPlan("c1", "", plan);

  taskapi::CreateTaskRequest create;
  create.set_id("c1");
  create.set_bundle(h.bundle.path());
  create.set_stdin(in);
  create.set_stdout(out);
  create.set_stderr(err);
  h.Call<taskapi::CreateTaskResponse>("Create", create);
  taskapi::StartRequest start;
  start.set_id("c1");
  h.Call<taskapi::StartResponse>("Start", start);
  // The shim reads the stdin FIFO from Start on (ctr's blocked open completes then).
  strato::UniqueFd in_writer = strato::OpenOrThrow(in, O_WRONLY);
  const char ping[] = "ping\n";
  REQUIRE(::write(in_writer.get(), ping, sizeof ping - 1) == 5);
  in_writer.reset();  // ctr closes stdin, then sends CloseIO
  taskapi::CloseIORequest close_io;
  close_io.set_id("c1");
  close_io.set_stdin(true);
  h.Call<google::protobuf::Empty>("CloseIO", close_io);

  taskapi::WaitRequest wait;
  wait.set_id("c1");
  CHECK(h.Call<taskapi::WaitResponse>("Wait", wait).exit_status() == 0);
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  char buf[256];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_reader.get(), POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::read(out_reader.get(), buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  CHECK(got == "hello from the fake\nping\n");
  taskapi::DeleteRequest del;
  del.set_id("c1");
  CHECK(h.Call<taskapi::DeleteResponse>("Delete", del).exit_status() == 0);
}
