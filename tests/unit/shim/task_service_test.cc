// The Task service against the fake sandbox: lifecycle, state machine errors, the races
// containerd produces (Wait before Start, Kill after exit, Delete before Start, exit during
// Start, VM crash), and the events in order.

#include "shim/task/task_service.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>

#include "proto/containerd/events.pb.h"
#include "tests/unit/shim/service_harness.h"
#include "tests/unit/ttrpc/rpc_error_of.h"
#include "ttrpc/status.h"

using namespace strato::shim;
using namespace strato::shim::testing;
using namespace std::chrono_literals;
using strato::ttrpc::Code;
using strato::ttrpc::RpcError;
using strato::ttrpc::testing::ErrorOf;

namespace {

constexpr const char* kExecSpec = R"({"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"})";

struct Harness : ServiceHarness {
  uint32_t Create(const std::string& id = "c1") {
    taskapi::CreateTaskRequest r;
    r.set_id(id);
    r.set_bundle(bundle.path());
    return service->Create(r).pid();
  }
  uint32_t Start(const std::string& id = "c1", const std::string& exec = "") {
    taskapi::StartRequest r;
    r.set_id(id);
    r.set_exec_id(exec);
    return service->Start(r).pid();
  }
  void Exec(const std::string& exec, const std::string& id = "c1") {
    taskapi::ExecProcessRequest r;
    r.set_id(id);
    r.set_exec_id(exec);
    r.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
    r.mutable_spec()->set_value(kExecSpec);
    service->Exec(r);
  }
  void Kill(uint32_t sig, const std::string& id = "c1", const std::string& exec = "") {
    taskapi::KillRequest r;
    r.set_id(id);
    r.set_exec_id(exec);
    r.set_signal(sig);
    service->Kill(r);
  }
  taskapi::WaitResponse Wait(const std::string& id = "c1", const std::string& exec = "") {
    taskapi::WaitRequest r;
    r.set_id(id);
    r.set_exec_id(exec);
    return service->Wait(r);
  }
  taskapi::StateResponse State(const std::string& id = "c1", const std::string& exec = "") {
    taskapi::StateRequest r;
    r.set_id(id);
    r.set_exec_id(exec);
    return service->State(r);
  }
  taskapi::DeleteResponse Delete(const std::string& id = "c1", const std::string& exec = "") {
    taskapi::DeleteRequest r;
    r.set_id(id);
    r.set_exec_id(exec);
    return service->Delete(r);
  }
};

}  // namespace

TEST_CASE("init lifecycle: create, wait before start, start, kill, wait, delete") {
  Harness h;
  uint32_t pid = h.Create();
  CHECK(pid == 1000);
  CHECK(h.State().status() == containerd::v1::types::CREATED);
  CHECK(h.State().bundle() == h.bundle.path());

  auto waiting = std::async(std::launch::async, [&] { return h.Wait(); });
  CHECK(waiting.wait_for(100ms) == std::future_status::timeout);  // blocks before Start

  CHECK(h.Start() == pid);
  CHECK(h.State().status() == containerd::v1::types::RUNNING);
  CHECK(waiting.wait_for(50ms) == std::future_status::timeout);

  h.Kill(SIGTERM);
  auto w = waiting.get();
  CHECK(w.exit_status() == 128 + SIGTERM);
  CHECK(w.exited_at().seconds() > 0);
  auto st = h.State();
  CHECK(st.status() == containerd::v1::types::STOPPED);
  CHECK(st.exit_status() == 143);

  CHECK(ErrorOf([&] { h.Kill(SIGKILL); }) ==
        std::pair{Code::kNotFound, std::string("process already finished: not found")});

  auto d = h.Delete();
  CHECK(d.pid() == pid);
  CHECK(d.exit_status() == 143);
  CHECK(ErrorOf([&] { h.State(); }) ==
        std::pair{Code::kNotFound, std::string("container c1: not found")});

  REQUIRE(h.events->WaitFor(4));
  CHECK(h.events->topics() ==
        std::vector<std::string>{"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"});
  auto ev = h.events->events();
  CHECK(ev[0].type_name == "containerd.events.TaskCreate");
  CHECK(ev[0].As<containerd::events::TaskCreate>().pid() == pid);
  CHECK(ev[0].As<containerd::events::TaskCreate>().bundle() == h.bundle.path());
  auto exit = ev[2].As<containerd::events::TaskExit>();
  CHECK(exit.container_id() == "c1");
  CHECK(exit.id() == "c1");
  CHECK(exit.pid() == pid);
  CHECK(exit.exit_status() == 143);
  auto del = ev[3].As<containerd::events::TaskDelete>();
  CHECK(del.exit_status() == 143);
  CHECK(del.pid() == pid);
  CHECK(h.sandbox->calls() ==
        std::vector<std::string>{"Create c1", "Start c1", "Kill c1 15", "Delete c1"});
}

TEST_CASE("a process that exits by itself reports its exit code") {
  Harness h;
  Plan plan;
  plan.exit_code = 3;
  plan.run_for = 20ms;
  h.sandbox->SetPlan("c1", "", plan);
  h.Create();
  h.Start();
  CHECK(h.Wait().exit_status() == 3);
  CHECK(h.Delete().exit_status() == 3);
}

TEST_CASE("delete before start: create then delete events, pending Wait gets 137") {
  Harness h;
  h.Create();
  auto waiting = std::async(std::launch::async, [&] { return h.Wait(); });
  CHECK(waiting.wait_for(50ms) == std::future_status::timeout);
  auto d = h.Delete();
  CHECK(d.exit_status() == 128 + SIGKILL);
  CHECK(waiting.get().exit_status() == 137);
  REQUIRE(h.events->WaitFor(2));
  std::this_thread::sleep_for(50ms);  // no late TaskExit may follow
  CHECK(h.events->topics() == std::vector<std::string>{"/tasks/create", "/tasks/delete"});
}

TEST_CASE("kill before start ends the created process without a TaskExit") {
  Harness h;
  h.Create();
  h.Kill(SIGKILL);
  CHECK(h.Wait().exit_status() == 137);
  CHECK(h.State().status() == containerd::v1::types::STOPPED);
  CHECK(ErrorOf([&] { h.Start(); }).first == Code::kFailedPrecondition);
  h.Delete();
  CHECK(h.events->topics() == std::vector<std::string>{"/tasks/create", "/tasks/delete"});
}

TEST_CASE("an exit during Start is published after TaskStart") {
  Harness h;
  Plan plan;
  plan.exit_code = 7;
  plan.exit_during_start = true;
  h.sandbox->SetPlan("c1", "", plan);
  h.Create();
  h.Start();
  CHECK(h.Wait().exit_status() == 7);
  REQUIRE(h.events->WaitFor(3));
  CHECK(h.events->topics() ==
        std::vector<std::string>{"/tasks/create", "/tasks/start", "/tasks/exit"});
}

TEST_CASE("a failed start leaves the process created and publishes nothing") {
  Harness h;
  Plan plan;
  plan.fail_start = "guest agent refused";
  h.sandbox->SetPlan("c1", "", plan);
  h.Create();
  auto [code, msg] = ErrorOf([&] {
    try {
      h.Start();
    } catch (const strato::Error& e) {
      throw RpcError(Code::kUnknown, e.what());
    }
  });
  CHECK(code == Code::kUnknown);
  CHECK(msg == "guest agent refused");
  CHECK(h.State().status() == containerd::v1::types::CREATED);
  CHECK(h.events->topics() == std::vector<std::string>{"/tasks/create"});
}

TEST_CASE("the VM dying reports every started process as exited with 255") {
  Harness h;
  h.Create();
  h.Start();
  auto waiting = std::async(std::launch::async, [&] { return h.Wait(); });
  h.sandbox->Crash();
  CHECK(waiting.get().exit_status() == 255);
  REQUIRE(h.events->WaitFor(3));
  auto ev = h.events->events();
  CHECK(ev[2].topic == "/tasks/exit");
  CHECK(ev[2].As<containerd::events::TaskExit>().exit_status() == 255);
}

TEST_CASE("exec processes: added, started, exited, deleted - ids are unique") {
  Harness h;
  h.Create();
  h.Start();
  Plan plan;
  plan.exit_code = 0;
  plan.run_for = 10ms;
  h.sandbox->SetPlan("c1", "e1", plan);
  h.Exec("e1");
  CHECK(h.State("c1", "e1").status() == containerd::v1::types::CREATED);
  CHECK(h.State("c1", "e1").exec_id() == "e1");
  CHECK(ErrorOf([&] { h.Exec("e1"); }) ==
        std::pair{Code::kAlreadyExists, std::string("id e1: already exists")});
  uint32_t pid = h.Start("c1", "e1");
  CHECK(h.Wait("c1", "e1").exit_status() == 0);
  auto d = h.Delete("c1", "e1");
  CHECK(d.pid() == pid);
  CHECK(ErrorOf([&] { h.State("c1", "e1"); }) ==
        std::pair{Code::kNotFound, std::string("process e1: not found")});
  REQUIRE(h.events->WaitFor(5));
  CHECK(h.events->topics() == std::vector<std::string>{"/tasks/create", "/tasks/start",
                                                       "/tasks/exec-added", "/tasks/exec-started",
                                                       "/tasks/exit"});
  auto ev = h.events->events();
  CHECK(ev[3].As<containerd::events::TaskExecStarted>().pid() == pid);
  CHECK(ev[4].As<containerd::events::TaskExit>().id() == "e1");
  CHECK(ev[4].As<containerd::events::TaskExit>().container_id() == "c1");
  auto calls = h.sandbox->calls();
  CHECK(std::find(calls.begin(), calls.end(), std::string("Exec c1 e1 ") + kExecSpec) !=
        calls.end());
}

TEST_CASE("exec errors: unknown container, unknown exec, bad spec, stopped container") {
  Harness h;
  CHECK(ErrorOf([&] { h.Exec("e1", "nope"); }).first == Code::kNotFound);
  h.Create();
  taskapi::ExecProcessRequest bad;
  bad.set_id("c1");
  bad.set_exec_id("bad");
  bad.mutable_spec()->set_value(R"({"user":{"uid":0,"gid":0},"args":[],"cwd":"/"})");
  auto [code, message] = ErrorOf([&] { h.service->Exec(bad); });
  CHECK(code == Code::kInvalidArgument);
  CHECK_THAT(message, Catch::StartsWith("exec bad spec: ") && Catch::Contains("args"));
  h.Exec("bad");  // the id was not taken by the failed attempt
  CHECK(ErrorOf([&] { h.Start("c1", "missing"); }) ==
        std::pair{Code::kNotFound, std::string("process missing: not found")});
  h.Start();
  h.Kill(SIGKILL);
  h.Wait();
  CHECK(ErrorOf([&] { h.Exec("e2"); }) ==
        std::pair{Code::kFailedPrecondition,
                  std::string("container c1 is stopped: failed precondition")});
}

TEST_CASE("create errors: duplicate id, empty id, broken bundle, checkpoint, backend failure") {
  Harness h;
  h.Create();
  CHECK(ErrorOf([&] { h.Create(); }) ==
        std::pair{Code::kAlreadyExists, std::string("container c1: already exists")});
  CHECK(ErrorOf([&] { h.Create(""); }).first == Code::kInvalidArgument);
  taskapi::CreateTaskRequest r;
  r.set_id("c2");
  r.set_bundle(h.bundle.path() + "/missing");
  CHECK_THROWS_WITH(h.service->Create(r), Catch::Contains("missing/config.json"));
  TempBundle invalid(R"({"annotations":{}})");
  r.set_bundle(invalid.path());
  CHECK_THROWS_WITH(h.service->Create(r), Catch::Contains(invalid.path() + "/config.json") &&
                                              Catch::Contains("ociVersion"));
  r.set_bundle(h.bundle.path());
  r.set_checkpoint("/some/checkpoint");
  CHECK(ErrorOf([&] { h.service->Create(r); }).first == Code::kUnimplemented);
  r.clear_checkpoint();
  h.sandbox->FailCreate("no VM backend");
  CHECK_THROWS_WITH(h.service->Create(r), "no VM backend");
  // The failed id is free again.
  h.sandbox->FailCreate("");
  CHECK(h.Create("c2") > 0);
}

TEST_CASE("delete of a running task is refused") {
  Harness h;
  h.Create();
  h.Start();
  CHECK(ErrorOf([&] { h.Delete(); }) ==
        std::pair{Code::kFailedPrecondition,
                  std::string("cannot delete a running process c1: failed precondition")});
}

TEST_CASE("an OOM kill reported by the sandbox is published as TaskOOM") {
  Harness h;
  h.Create();
  h.Start();
  h.sandbox->TriggerOom("c1");
  REQUIRE(h.events->WaitFor(3));
  auto ev = h.events->events();
  CHECK(ev[2].topic == "/tasks/oom");
  CHECK(ev[2].type_name == "containerd.events.TaskOOM");
  CHECK(ev[2].As<containerd::events::TaskOOM>().container_id() == "c1");
}

TEST_CASE("pause and resume follow the state machine and publish events") {
  Harness h;
  h.Create();
  taskapi::PauseRequest p;
  p.set_id("c1");
  taskapi::ResumeRequest r;
  r.set_id("c1");
  CHECK(ErrorOf([&] { h.service->Pause(p); }).first == Code::kFailedPrecondition);
  h.Start();
  CHECK(ErrorOf([&] { h.service->Resume(r); }).first == Code::kFailedPrecondition);
  h.service->Pause(p);
  CHECK(h.State().status() == containerd::v1::types::PAUSED);
  CHECK(ErrorOf([&] { h.service->Pause(p); }).first == Code::kFailedPrecondition);
  h.service->Resume(r);
  CHECK(h.State().status() == containerd::v1::types::RUNNING);
  CHECK(h.events->topics() == std::vector<std::string>{"/tasks/create", "/tasks/start",
                                                       "/tasks/paused", "/tasks/resumed"});
}

TEST_CASE("pids, stats, update, resize, closeio and checkpoint reach the backend correctly") {
  Harness h;
  h.Create();
  h.Start();
  taskapi::PidsRequest pr;
  pr.set_id("c1");
  auto pids = h.service->Pids(pr);
  REQUIRE(pids.processes_size() == 1);
  CHECK(pids.processes(0).pid() == 1000);
  taskapi::StatsRequest sr;
  sr.set_id("c1");
  auto stats = h.service->Stats(sr);
  CHECK(stats.stats().type_url() == "fake.Stats");
  CHECK(stats.stats().value() == "stats of c1");
  taskapi::UpdateTaskRequest ur;
  ur.set_id("c1");
  ur.mutable_resources()->set_value(R"({"cpu":{"shares":512}})");
  h.service->Update(ur);
  taskapi::ResizePtyRequest rr;
  rr.set_id("c1");
  rr.set_width(80);
  rr.set_height(24);
  h.service->ResizePty(rr);  // not a terminal: not forwarded
  taskapi::CloseIORequest cr;
  cr.set_id("c1");
  cr.set_stdin(true);
  h.service->CloseIO(cr);
  taskapi::CheckpointTaskRequest ck;
  ck.set_id("c1");
  CHECK(ErrorOf([&] { h.service->Checkpoint(ck); }) ==
        std::pair{Code::kUnimplemented, std::string("checkpointing a VM task: not implemented")});
  CHECK(h.sandbox->calls() == std::vector<std::string>{"Create c1", "Start c1",
                                                       R"(Update c1 {"cpu":{"shares":512}})",
                                                       "CloseIO c1"});
}

TEST_CASE("resize reaches the backend for a terminal process") {
  Harness h;
  taskapi::CreateTaskRequest r;
  r.set_id("c1");
  r.set_bundle(h.bundle.path());
  r.set_terminal(true);
  h.service->Create(r);
  taskapi::ResizePtyRequest rr;
  rr.set_id("c1");
  rr.set_width(132);
  rr.set_height(43);
  h.service->ResizePty(rr);
  CHECK(h.sandbox->calls().back() == "ResizePty c1 132x43");
  CHECK(h.State().terminal());
}

TEST_CASE("connect and shutdown") {
  Harness h;
  uint32_t pid = h.Create();
  taskapi::ConnectRequest c;
  c.set_id("c1");
  auto cr = h.service->Connect(c);
  CHECK(cr.shim_pid() == static_cast<uint32_t>(::getpid()));
  CHECK(cr.task_pid() == pid);
  CHECK(cr.version() == "strato-test");
  taskapi::ShutdownRequest s;
  s.set_id("c1");
  h.service->Shutdown(s);
  CHECK(h.shutdowns == 0);  // a task remains
  CHECK_FALSE(h.service->idle());
  h.Delete();
  CHECK(h.service->idle());
  h.service->Shutdown(s);
  CHECK(h.shutdowns == 1);
  h.service->Shutdown(s);
  CHECK(h.shutdowns == 1);  // once
}

TEST_CASE("shutdown now exits even with tasks - Stop fails pending waits with UNAVAILABLE") {
  Harness h;
  h.Create();
  h.Start();
  taskapi::ShutdownRequest s;
  s.set_now(true);
  h.service->Shutdown(s);
  CHECK(h.shutdowns == 1);
  auto waiting = std::async(std::launch::async, [&] { return ErrorOf([&] { h.Wait(); }); });
  CHECK(waiting.wait_for(50ms) == std::future_status::timeout);
  h.service->Stop();
  auto [code, msg] = waiting.get();
  // Either the fake's shutdown kill landed first (OK) or the stop did (UNAVAILABLE).
  CHECK((code == Code::kUnavailable || code == Code::kOk));
}
