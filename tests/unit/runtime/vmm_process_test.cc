// VmmProcess with ordinary programs in place of strato-vmm: output to the log, exit codes, the
// pid file, its own process group, SIGKILL; LogTail.
#include "runtime/vmm_process.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "tests/unit/initramfs/cpio_test_support.h"

namespace strato::runtime {
namespace {

using initramfs::test::TempDir;
using namespace std::chrono_literals;

TEST_CASE("a spawned process logs stdout and stderr, writes its pid file and exits") {
  TempDir dir;
  VmmProcess process("/bin/sh", {"-c", "echo out; echo err >&2; read x || echo stdin-eof; exit 3"},
                     dir / "console.log", dir / "vmm.pid");
  CHECK(ReadFile(dir / "vmm.pid") == std::to_string(process.pid()) + "\n");
  CHECK(process.Wait() == 3);
  CHECK(process.Poll() == 3);
  CHECK(ReadFile(dir / "console.log") == "out\nerr\nstdin-eof\n");
}

TEST_CASE("the process runs in its own process group and dies by Kill") {
  TempDir dir;
  VmmProcess process("/bin/sleep", {"100"}, dir / "log", dir / "pid");
  CHECK(::getpgid(process.pid()) == process.pid());
  CHECK_FALSE(process.WaitFor(20ms).has_value());
  process.Kill();
  CHECK(process.Poll() == 128 + 9);
  process.Kill();  // idempotent
  CHECK(process.Wait() == 137);
}

TEST_CASE("a thread blocked in Wait does not hold up Poll and Kill on other threads") {
  TempDir dir;
  VmmProcess process("/bin/sleep", {"100"}, dir / "log", dir / "pid");
  std::atomic<int> waited{-1};
  std::thread watcher([&] { waited = process.Wait(); });  // the shim's VMM watcher does this
  std::this_thread::sleep_for(50ms);                      // let it block in the wait
  auto poll = std::async(std::launch::async, [&] { return process.Poll(); });
  const bool answered = poll.wait_for(5s) == std::future_status::ready;  // it deadlocked before
  if (!answered) ::kill(process.pid(), SIGKILL);  // unblock everything so the test fails, not hangs
  REQUIRE(answered);
  CHECK_FALSE(poll.get().has_value());
  process.Kill();
  watcher.join();
  CHECK(waited == 137);
  CHECK(process.Poll() == 137);
}

TEST_CASE("a missing binary is an error naming it") {
  TempDir dir;
  CHECK_THROWS_WITH(VmmProcess("/nonexistent/strato-vmm", {}, dir / "log", dir / "pid"),
                    "start /nonexistent/strato-vmm: No such file or directory");
}

TEST_CASE("LogTail returns the last lines without carriage returns") {
  TempDir dir;
  WriteFileAtomic(dir / "log", "one\r\ntwo\r\nthree\r\nfour\r\n\r\n");
  CHECK(LogTail(dir / "log", 2) == "three\nfour");
  CHECK(LogTail(dir / "log", 10) == "one\ntwo\nthree\nfour");
  CHECK(LogTail(dir / "missing") == "");
}

}  // namespace
}  // namespace strato::runtime
