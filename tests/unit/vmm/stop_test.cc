#include <unistd.h>

#include <catch2/catch.hpp>

#include "vmm/guest_console.h"
#include "vmm/stop_controller.h"

using namespace strato::vmm;

TEST_CASE("stop reasons: names and exit codes of the contract") {
  CHECK(StopReason{StopKind::kReboot, 0, {}}.Describe() == "reboot");
  CHECK(StopReason{StopKind::kPowerOff, 0, {}}.Describe() == "poweroff");
  CHECK(StopReason{StopKind::kTripleFault, 0, {}}.Describe() == "triple-fault");
  CHECK(StopReason{StopKind::kPanic, 0, {}}.Describe() == "panic");
  CHECK(StopReason{StopKind::kTestPassed, 0, {}}.Describe() == "test-passed");
  CHECK(StopReason{StopKind::kTestFailed, 42, {}}.Describe() == "test-failed 42");
  CHECK(StopReason{StopKind::kError, 0, "x"}.Describe() == "error");
  CHECK(StopReason{StopKind::kReboot, 0, {}}.ExitCode() == 0);
  CHECK(StopReason{StopKind::kPowerOff, 0, {}}.ExitCode() == 0);
  CHECK(StopReason{StopKind::kTestPassed, 0, {}}.ExitCode() == 0);
  CHECK(StopReason{StopKind::kTestFailed, 1, {}}.ExitCode() == 1);
  CHECK(StopReason{StopKind::kTripleFault, 0, {}}.ExitCode() == 3);
  CHECK(StopReason{StopKind::kPanic, 0, {}}.ExitCode() == 4);
  CHECK(StopReason{StopKind::kError, 0, {}}.ExitCode() == 5);
}

TEST_CASE("a reset is classified by what the kernel printed before it") {
  using R = ResetSource;
  CHECK(StopController::ClassifyReset(R::kKeyboardController, false, false, false) ==
        StopKind::kReboot);
  CHECK(StopController::ClassifyReset(R::kTripleFault, false, false, false) ==
        StopKind::kTripleFault);
  CHECK(StopController::ClassifyReset(R::kTripleFault, false, false, true) == StopKind::kReboot);
  CHECK(StopController::ClassifyReset(R::kTripleFault, false, true, true) == StopKind::kPanic);
  // Power down wins: after it, init's exit panics and panic=-1 resets.
  CHECK(StopController::ClassifyReset(R::kKeyboardController, true, true, false) ==
        StopKind::kPowerOff);
  CHECK(StopController::ClassifyReset(R::kSystemEvent, false, false, false) == StopKind::kReboot);
}

TEST_CASE("the first stop request wins and notifies once") {
  StopController stop;
  int notified = 0;
  stop.SetOnStop([&] { ++notified; });
  CHECK_FALSE(stop.stopping());
  stop.Request({StopKind::kTestFailed, 9, {}});
  stop.RequestReset(ResetSource::kTripleFault);
  CHECK(stop.stopping());
  CHECK(notified == 1);
  CHECK(stop.reason().Describe() == "test-failed 9");
}

TEST_CASE("guest console passes bytes through and notes the kernel's shutdown lines") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  StopController stop;
  int power_down_callbacks = 0;
  GuestConsole console(fds[1], stop, [&] { ++power_down_callbacks; });
  std::string text = "[    3.1] reboot: Power dow";  // not a full line yet
  for (char c : text) console.Put(static_cast<uint8_t>(c));
  CHECK_FALSE(stop.power_down_seen());
  console.Put('n');
  console.Put('\n');
  CHECK(stop.power_down_seen());
  CHECK(power_down_callbacks == 1);
  char buf[64] = {};
  ssize_t n = ::read(fds[0], buf, sizeof buf);
  CHECK(std::string(buf, static_cast<size_t>(n)) == "[    3.1] reboot: Power down\n");
  ::close(fds[0]);
  ::close(fds[1]);
  stop.RequestReset(ResetSource::kKeyboardController);
  CHECK(stop.reason().Describe() == "poweroff");
}

TEST_CASE(
    "guest console: a very long line cannot grow without bound, and still matches later lines") {
  StopController stop;
  GuestConsole console(-1, stop, nullptr);
  for (int i = 0; i < 100000; ++i) console.Put('x');
  console.Put('\n');
  for (char c : std::string("Kernel panic - not syncing: VFS\n"))
    console.Put(static_cast<uint8_t>(c));
  stop.RequestReset(ResetSource::kKeyboardController);
  CHECK(stop.reason().Describe() == "panic");
}

TEST_CASE("guest console: the halt line of poweroff -f without ACPI counts as power-down") {
  StopController stop;
  int callbacks = 0;
  GuestConsole console(-1, stop, [&] { ++callbacks; });
  for (char c : std::string("[  379.569303] reboot: System halted\n"))
    console.Put(static_cast<uint8_t>(c));
  CHECK(stop.power_down_seen());
  CHECK(callbacks == 1);
}
