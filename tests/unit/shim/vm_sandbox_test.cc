// VmSandbox over a fake GuestVm: what Create hands the VM (layers, serials, state directory),
// stdio through the agent's streams, exits, a crashing VMM, shutdown, and the honest refusals.

#include "shim/backend/vm_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rootfs/layer_cache.h"
#include "shim/backend/vm_state_dir.h"
#include "shim/task/task_service.h"
#include "tests/unit/shim/fake_guest_vm.h"
#include "tests/unit/shim/recording_publisher.h"
#include "tests/unit/shim/test_bundle.h"
#include "ttrpc/status.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using strato::UniqueFd;
using strato::shim::GuestVmLaunch;
using strato::shim::ProcessStdio;
using strato::shim::SandboxFailure;
using strato::shim::VmSandbox;
using strato::shim::testing::FakeGuestVm;
using strato::shim::testing::GuestBehavior;
using strato::shim::testing::TempBundle;

namespace {

constexpr const char* kConfig =
    R"({"ociVersion":"1.0.2","process":{"args":["/bin/sh"],"cwd":"/","user":{"uid":0,"gid":0}},
  "root":{"path":"rootfs"},"hostname":"box"})";

struct Pipe {
  UniqueFd read_end, write_end;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
};

// The shim's side of a process's stdio: we write its stdin and read its stdout/stderr.
struct ShimStdio {
  Pipe in, out, err;
  ProcessStdio Backend(bool terminal = false) {
    ProcessStdio s;
    s.stdin_fd = std::move(in.read_end);
    s.stdout_fd = std::move(out.write_end);
    s.stderr_fd = std::move(err.write_end);
    s.terminal = terminal;
    return s;
  }
};

std::string ReadToEof(int fd, std::chrono::milliseconds timeout = 5000ms) {
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return data + "<timeout>";
    }
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return data;
    data.append(buf, static_cast<size_t>(n));
  }
}

// A bundle with a rootfs directory, a private layer cache and state root, and a VmSandbox
// whose booter makes a FakeGuestVm.
struct Fixture {
  TempBundle bundle{kConfig};
  TempBundle work;
  std::map<std::string, GuestBehavior> behaviors;
  std::optional<GuestVmLaunch> launch;
  FakeGuestVm* vm = nullptr;  // owned by the sandbox
  std::string boot_error;
  std::function<void(const GuestVmLaunch&)> boot_hook;  // runs inside the boot
  std::unique_ptr<VmSandbox> sandbox;

  explicit Fixture(std::chrono::milliseconds shutdown_grace = 2000ms) {
    fs::create_directories(bundle.file("rootfs/bin"));
    std::ofstream(bundle.file("rootfs/bin/tool")) << "#!/bin/sh\n";
    ::setenv(strato::shim::kVmStateRootEnv, work.file("run").c_str(), 1);
    strato::shim::VmSandboxOptions o;
    o.ns = "testns";
    o.layer_cache_dir = work.file("layers");
    o.shutdown_grace = shutdown_grace;
    o.drain_timeout = 1000ms;
    o.booter = [this](const GuestVmLaunch& l) -> std::unique_ptr<strato::shim::GuestVm> {
      launch = l;
      if (boot_hook) boot_hook(l);
      if (!boot_error.empty()) throw strato::Error(boot_error);
      auto fake = std::make_unique<FakeGuestVm>(l.state_dir, behaviors);
      vm = fake.get();
      return fake;
    };
    sandbox = std::make_unique<VmSandbox>(std::move(o));
  }
  ~Fixture() {
    sandbox->Shutdown();
    ::unsetenv(strato::shim::kVmStateRootEnv);
  }
  strato::shim::ContainerConfig Config() {
    strato::shim::ContainerConfig c;
    c.id = "c1";
    c.bundle = bundle.path();
    return c;
  }
};

}  // namespace

TEST_CASE("VmSandbox Create boots the VM with the rootfs as a layer and records its state dir") {
  Fixture f;
  ShimStdio io;
  uint32_t pid = f.sandbox->Create(f.Config(), io.Backend());
  CHECK(pid == 4242);  // the VMM's host pid
  REQUIRE(f.launch.has_value());
  CHECK(f.launch->id == "c1");
  REQUIRE(f.launch->layer_images.size() == 1);
  CHECK(strato::rootfs::HasErofsMagic(f.launch->layer_images[0]));
  CHECK(f.launch->layer_images[0].rfind(f.work.file("layers") + "/", 0) == 0);
  REQUIRE(f.launch->config.layers.size() == 1);
  const auto& disk = f.launch->config.layers[0];
  CHECK(disk.serial == "strato-L0-" + disk.digest.substr(7, 8));
  CHECK(f.launch->config.EffectiveHostname() == "box");
  CHECK(f.launch->state_dir == strato::shim::VmStateDirFor("testns", "c1"));
  CHECK(f.launch->state_dir.rfind(f.work.file("run") + "/", 0) == 0);
  CHECK(strato::shim::ReadRecordedVmStateDir(f.bundle.path()) == f.launch->state_dir);
  CHECK(f.vm->calls() == std::vector<std::string>{"create -"});
  f.vm->WithProc("", [](FakeGuestVm::Proc& p) {
    CHECK(p.process_json.empty());
    CHECK(p.want_stdin);
    CHECK(p.want_stdout);
    CHECK(p.want_stderr);
    CHECK_FALSE(p.terminal);
    return 0;
  });

  // One container per VM.
  ShimStdio io2;
  auto second = f.Config();
  second.id = "c2";
  CHECK_THROWS_WITH(f.sandbox->Create(second, io2.Backend()),
                    Catch::StartsWith("this shim already runs container c1; strato runs one "
                                      "container per VM"));

  // Shutdown powers the guest off, removes the state dir and the record.
  const std::string state_dir = f.launch->state_dir;
  f.sandbox->Shutdown();
  CHECK_FALSE(fs::exists(state_dir));
  CHECK_FALSE(fs::exists(f.bundle.file(strato::shim::kVmStateRecordFile)));
}

TEST_CASE("VmSandbox pumps stdin to the guest and output back, Wait returns the exit") {
  Fixture f;
  GuestBehavior echo;
  echo.echo_stdin = true;
  echo.error_output = "warn\n";
  echo.exit_code = 3;
  f.behaviors[""] = echo;
  ShimStdio io;
  f.sandbox->Create(f.Config(), io.Backend());
  CHECK(f.sandbox->Start("c1", "") == 4242);
  const std::string input = "hello\nworld\n";
  REQUIRE(::write(io.in.write_end.get(), input.data(), input.size()) ==
          static_cast<ssize_t>(input.size()));
  io.in.write_end.reset();  // EOF: the pump half-closes the guest's stdin stream
  CHECK(ReadToEof(io.out.read_end.get()) == input);
  CHECK(ReadToEof(io.err.read_end.get()) == "warn\n");
  auto exit = f.sandbox->Wait("c1", "");
  CHECK(exit.status == 3);
  // Kill after the exit is containerd's "already finished".
  CHECK_THROWS_WITH(f.sandbox->Kill("c1", "", SIGTERM, false),
                    "process already finished: not found");
  f.sandbox->Delete("c1", "");
  CHECK(f.vm->calls() == std::vector<std::string>{"create -", "start -", "delete -"});
}

TEST_CASE("VmSandbox exec with a terminal, kill, resize, pids, stats, refusals") {
  Fixture f;
  f.behaviors[""] = GuestBehavior{};  // runs until signalled
  GuestBehavior tty;
  tty.output = "tty output\r\n";
  f.behaviors["e1"] = tty;
  ShimStdio io;
  f.sandbox->Create(f.Config(), io.Backend());
  f.sandbox->Start("c1", "");

  ShimStdio eio;
  f.sandbox->Exec("c1", "e1", R"({"args":["/bin/sh"],"cwd":"/","terminal":true})",
                  eio.Backend(/*terminal=*/true));
  f.vm->WithProc("e1", [](FakeGuestVm::Proc& p) {
    CHECK(p.terminal);
    CHECK(p.want_stdout);
    CHECK_FALSE(p.want_stderr);  // a terminal has one output stream
    CHECK(p.process_json == R"({"args":["/bin/sh"],"cwd":"/","terminal":true})");
    return 0;
  });
  f.sandbox->Start("c1", "e1");
  f.sandbox->ResizePty("c1", "e1", 120, 40);
  CHECK(f.sandbox->Pids("c1").size() == 2);
  const std::string expected = "tty output\r\n";
  std::string got(expected.size(), '\0');
  size_t have = 0;
  while (have < got.size()) {
    ssize_t n = ::read(eio.out.read_end.get(), got.data() + have, got.size() - have);
    REQUIRE(n > 0);
    have += static_cast<size_t>(n);
  }
  CHECK(got == expected);
  f.sandbox->Kill("c1", "e1", SIGKILL, false);
  CHECK(f.sandbox->Wait("c1", "e1").status == 128 + SIGKILL);
  CHECK(ReadToEof(eio.out.read_end.get()).empty());  // EOF after the exit
  f.sandbox->Delete("c1", "e1");
  CHECK(f.sandbox->Pids("c1").size() == 1);

  auto stats = f.sandbox->Stats("c1");
  CHECK(stats.type_url == "io.containerd.cgroups.v2.Metrics");
  CHECK_FALSE(stats.value.empty());
  f.sandbox->Pause("c1");
  f.sandbox->Resume("c1");
  CHECK_THROWS_WITH(f.sandbox->Pause("other"), "container other: not found");
  CHECK_THROWS_WITH(f.sandbox->Update("c1", "{}"),
                    Catch::StartsWith("updating the resources of a running strato container"));
  CHECK_THROWS_WITH(f.sandbox->Pids("other"), "container other: not found");

  f.sandbox->Kill("c1", "", SIGTERM, true);
  CHECK(f.sandbox->Wait("c1", "").status == 128 + SIGTERM);
  CHECK(f.vm->calls() == std::vector<std::string>{"create -", "start -", "create e1", "start e1",
                                                  "resize e1 120x40", "signal e1 9", "delete e1",
                                                  "pause", "resume", "signal - 15 all"});
}

TEST_CASE("VmSandbox: a VMM that dies fails every pending Wait with the console tail") {
  Fixture f;
  ShimStdio io;
  f.sandbox->Create(f.Config(), io.Backend());
  f.sandbox->Start("c1", "");
  ShimStdio eio;
  f.sandbox->Exec("c1", "e1", R"({"args":["/bin/true"],"cwd":"/"})",
                  eio.Backend());  // created only

  std::string init_error, exec_error;
  std::thread w1([&] {
    try {
      f.sandbox->Wait("c1", "");
    } catch (const SandboxFailure& e) {
      init_error = e.what();
    }
  });
  std::thread w2([&] {
    try {
      f.sandbox->Wait("c1", "e1");
    } catch (const SandboxFailure& e) {
      exec_error = e.what();
    }
  });
  std::this_thread::sleep_for(100ms);
  f.vm->Crash(139);
  w1.join();
  w2.join();
  CHECK_THAT(init_error,
             Catch::StartsWith("the VM of container c1 stopped (strato-vmm pid 4242 exited with "
                               "code 139); console log tail:\n[    0.000000] Linux version 6.1"));
  CHECK(exec_error == init_error);
  CHECK(ReadToEof(io.out.read_end.get()).empty());  // the streams closed with the VM
  // Deleting after the crash works without the agent.
  f.sandbox->Delete("c1", "e1");
  f.sandbox->Delete("c1", "");
}

TEST_CASE("VmSandbox Shutdown kills a VMM that does not power off, and releases waiters") {
  Fixture f(200ms);
  ShimStdio io;
  f.sandbox->Create(f.Config(), io.Backend());
  f.sandbox->Start("c1", "");
  f.vm->IgnoreShutdown();
  auto calls_before = f.vm->calls();
  std::string error;
  std::thread waiter([&] {
    try {
      f.sandbox->Wait("c1", "");
    } catch (const SandboxFailure& e) {
      error = e.what();
    }
  });
  auto started = std::chrono::steady_clock::now();
  f.sandbox->Shutdown();  // destroys the fake VM
  waiter.join();
  CHECK(std::chrono::steady_clock::now() - started >= 200ms);  // the grace, then the kill
  CHECK_THAT(error, Catch::Contains("exited with code 137"));
  CHECK(calls_before == std::vector<std::string>{"create -", "start -"});
}

TEST_CASE("VmSandbox: a failed boot removes the record and reports the error") {
  Fixture f;
  f.boot_error = "strato-vmm exited during boot: Kernel panic";
  ShimStdio io;
  CHECK_THROWS_WITH(f.sandbox->Create(f.Config(), io.Backend()),
                    "strato-vmm exited during boot: Kernel panic");
  CHECK_FALSE(fs::exists(f.bundle.file(strato::shim::kVmStateRecordFile)));
  CHECK_THROWS_WITH(f.sandbox->Start("c1", ""), "container c1: not found");
}

TEST_CASE("VmSandbox: Shutdown during the boot cancels it or stops the VM it produced") {
  SECTION("the boot checks for cancellation") {
    Fixture f;
    f.boot_hook = [&](const GuestVmLaunch& l) {
      f.sandbox->Shutdown();  // as the daemon's signal thread would, concurrently
      l.check_cancel();
    };
    ShimStdio io;
    CHECK_THROWS_WITH(f.sandbox->Create(f.Config(), io.Backend()),
                      "shim is shutting down: unavailable");
    CHECK(f.vm == nullptr);
  }
  SECTION("the boot finishes anyway") {
    Fixture f;
    f.boot_hook = [&](const GuestVmLaunch&) { f.sandbox->Shutdown(); };
    ShimStdio io;
    CHECK_THROWS_WITH(f.sandbox->Create(f.Config(), io.Backend()),
                      "shim is shutting down: unavailable");
    REQUIRE(f.launch.has_value());
    CHECK_FALSE(fs::exists(f.launch->state_dir));  // the fake VM was destroyed
    CHECK_FALSE(fs::exists(f.bundle.file(strato::shim::kVmStateRecordFile)));
  }
}

TEST_CASE("Task service over VmSandbox: a crashed VM is a TaskExit with status 255") {
  TempBundle bundle{kConfig};
  TempBundle work;
  fs::create_directories(bundle.file("rootfs"));
  ::setenv(strato::shim::kVmStateRootEnv, work.file("run").c_str(), 1);
  FakeGuestVm* vm = nullptr;
  strato::shim::VmSandboxOptions o;
  o.layer_cache_dir = work.file("layers");
  o.booter = [&](const GuestVmLaunch& l) -> std::unique_ptr<strato::shim::GuestVm> {
    auto fake = std::make_unique<FakeGuestVm>(l.state_dir, std::map<std::string, GuestBehavior>{});
    vm = fake.get();
    return fake;
  };
  auto events = std::make_shared<strato::shim::testing::RecordingPublisher>();
  strato::shim::TaskService service(std::make_unique<VmSandbox>(std::move(o)), events, {});
  containerd::task::v2::CreateTaskRequest create;
  create.set_id("c1");
  create.set_bundle(bundle.path());
  service.Create(create);
  containerd::task::v2::StartRequest start;
  start.set_id("c1");
  service.Start(start);
  vm->Crash(1);
  containerd::task::v2::WaitRequest wait;
  wait.set_id("c1");
  CHECK(service.Wait(wait).exit_status() == 255);
  REQUIRE(events->WaitFor(3));
  CHECK(events->topics() ==
        std::vector<std::string>{"/tasks/create", "/tasks/start", "/tasks/exit"});
  service.Stop();
  ::unsetenv(strato::shim::kVmStateRootEnv);
}

TEST_CASE("Task service over VmSandbox: the Shutdown RPC stops the VM before it answers") {
  TempBundle bundle{kConfig};
  TempBundle work;
  fs::create_directories(bundle.file("rootfs"));
  ::setenv(strato::shim::kVmStateRootEnv, work.file("run").c_str(), 1);
  std::map<std::string, GuestBehavior> behaviors;
  behaviors[""].exit_code = 0;
  std::string state_dir;
  strato::shim::VmSandboxOptions o;
  o.layer_cache_dir = work.file("layers");
  o.booter = [&](const GuestVmLaunch& l) -> std::unique_ptr<strato::shim::GuestVm> {
    state_dir = l.state_dir;
    return std::make_unique<FakeGuestVm>(l.state_dir, behaviors);
  };
  int on_shutdown_calls = 0;
  strato::shim::TaskServiceOptions so;
  so.on_shutdown = [&] { ++on_shutdown_calls; };
  strato::shim::TaskService service(std::make_unique<VmSandbox>(std::move(o)),
                                    std::make_shared<strato::shim::testing::RecordingPublisher>(),
                                    so);
  containerd::task::v2::CreateTaskRequest create;
  create.set_id("c1");
  create.set_bundle(bundle.path());
  service.Create(create);
  containerd::task::v2::StartRequest start;
  start.set_id("c1");
  service.Start(start);
  containerd::task::v2::WaitRequest wait;
  wait.set_id("c1");
  CHECK(service.Wait(wait).exit_status() == 0);
  containerd::task::v2::DeleteRequest del;
  del.set_id("c1");
  service.Delete(del);
  REQUIRE(fs::exists(state_dir));

  service.Shutdown(containerd::task::v2::ShutdownRequest());
  // containerd runs `delete` as soon as this returns: nothing may be left for it.
  CHECK_FALSE(fs::exists(state_dir));
  CHECK_FALSE(fs::exists(bundle.file(strato::shim::kVmStateRecordFile)));
  CHECK(on_shutdown_calls == 1);
  service.Stop();
  ::unsetenv(strato::shim::kVmStateRootEnv);
}
