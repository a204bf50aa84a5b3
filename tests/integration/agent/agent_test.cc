// The guest agent end to end on the host: real processes started through AgentClient, their
// stdio over stream connections, exit statuses, signals, ptys, listing, stats, and the errors
// the host acts on. See agent_harness.h.

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "guest/agent/stdio_handshake.h"
#include "tests/integration/agent/agent_harness.h"
#include "ttrpc/status.h"
#include "ttrpc/unix_socket.h"

using strato::UniqueFd;
using strato::agent::test::AgentUnderTest;
using strato::agent::test::ProcessJson;
using strato::agent::test::ReadAll;
using strato::agent::test::ReadLine;
using strato::agent::test::SkipReason;
using strato::runtime::StdioStream;
using strato::ttrpc::Code;
using strato::ttrpc::RpcError;

namespace {

constexpr auto kAgentExitTimeout = std::chrono::seconds(10);

#define SKIP_UNLESS_POSSIBLE()         \
  do {                                 \
    std::string reason = SkipReason(); \
    if (!reason.empty()) {             \
      WARN("SKIP: " << reason);        \
      return;                          \
    }                                  \
  } while (0)

Code CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const RpcError& e) {
    return e.code();
  }
  return Code::kOk;
}

std::string MessageOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the container process: stdout, exit status, then the agent's work is done") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent({"sh", "-c", "echo hi; echo oops >&2; exit 3"});
  auto& client = agent.client();
  client.CreateProcess("", "", false, false, true, true);
  UniqueFd out = agent.OpenStream("", StdioStream::kStdout);
  UniqueFd err = agent.OpenStream("", StdioStream::kStderr);
  uint32_t pid = client.StartProcess("");
  CHECK(pid > 0);
  CHECK(ReadAll(out.get()) == "hi\n");
  CHECK(ReadAll(err.get()) == "oops\n");
  auto before = std::chrono::system_clock::now();
  strato::runtime::ProcessExit exit = client.WaitProcess("");
  CHECK(exit.exit_status == 3);
  CHECK(exit.exited_at <= before + std::chrono::seconds(1));
  CHECK(exit.exited_at > before - std::chrono::seconds(60));
  // The power-off rule: the container process exited and its status was returned.
  CHECK(agent.WaitAgentExit(kAgentExitTimeout) == 100 + 3);
}

TEST_CASE("SIGKILL to an exec gives 137") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  client.CreateProcess("sleeper", ProcessJson({"sleep", "100"}), false, false, false, false);
  client.StartProcess("sleeper");
  client.SignalProcess("sleeper", SIGKILL, false);
  CHECK(client.WaitProcess("sleeper").exit_status == 137);
  // Exited: signalling it again is NotFound, deleting it works, then it is gone.
  CHECK(CodeOf([&] { client.SignalProcess("sleeper", SIGTERM, false); }) == Code::kNotFound);
  client.DeleteProcess("sleeper");
  CHECK(CodeOf([&] { client.WaitProcess("sleeper"); }) == Code::kNotFound);
}

TEST_CASE("64 KiB through stdin with cat come back byte-exact") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  client.CreateProcess("cat", ProcessJson({"cat"}), false, true, true, false);
  UniqueFd in = agent.OpenStream("cat", StdioStream::kStdin);
  UniqueFd out = agent.OpenStream("cat", StdioStream::kStdout);
  client.StartProcess("cat");
  std::string input(64 * 1024, '\0');
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  std::thread writer([&] {
    strato::ttrpc::SendAll(in.get(), input);
    ::shutdown(in.get(), SHUT_WR);  // end of input after the last byte
  });
  std::string output = ReadAll(out.get());
  writer.join();
  CHECK(output.size() == input.size());
  CHECK(output == input);
  CHECK(client.WaitProcess("cat").exit_status == 0);
}

TEST_CASE("1 MiB of stdout arrives complete before WaitProcess returns") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  client.CreateProcess("big", ProcessJson({"sh", "-c", "yes abcdefghijklmno | head -c 1048576"}),
                       false, false, true, false);
  UniqueFd out = agent.OpenStream("big", StdioStream::kStdout);
  client.StartProcess("big");
  auto waiter = agent.Connect();
  auto wait = std::async(std::launch::async, [&] { return waiter.WaitProcess("big"); });
  // Nobody reads: back-pressure holds the process (and so its exit) back.
  CHECK(wait.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout);
  std::string output = ReadAll(out.get());
  CHECK(wait.get().exit_status == 0);
  std::string expected;
  for (int i = 0; i < 65536; ++i) expected += "abcdefghijklmno\n";
  CHECK(output.size() == 1048576);
  CHECK(output == expected);
}

TEST_CASE("WaitProcess answers only after the output was drained to the stream") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  // The process exits at once; its 256 KiB sit in the pipe and socket until the host reads.
  client.CreateProcess("burst", ProcessJson({"head", "-c", "262144", "/dev/zero"}), false, false,
                       true, false);
  UniqueFd out = agent.OpenStream("burst", StdioStream::kStdout);
  client.StartProcess("burst");
  auto waiter = agent.Connect();
  auto wait = std::async(std::launch::async, [&] { return waiter.WaitProcess("burst"); });
  CHECK(wait.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout);
  CHECK(ReadAll(out.get()) == std::string(262144, '\0'));
  CHECK(wait.get().exit_status == 0);
}

TEST_CASE("CloseStdin gives the process end of file") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  client.CreateProcess("cat", ProcessJson({"cat"}), false, true, true, false);
  UniqueFd in = agent.OpenStream("cat", StdioStream::kStdin);
  UniqueFd out = agent.OpenStream("cat", StdioStream::kStdout);
  client.StartProcess("cat");
  REQUIRE(strato::ttrpc::SendAll(in.get(), "abc"));
  // The stream stays open: only CloseStdin ends the input, after what already arrived.
  client.CloseStdin("cat");
  CHECK(ReadAll(out.get()) == "abc");
  CHECK(client.WaitProcess("cat").exit_status == 0);
}

TEST_CASE("CloseStdin without a stdin stream, and for a process that never asked for stdin") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  client.CreateProcess("cat", ProcessJson({"cat"}), false, true, true, false);
  UniqueFd out = agent.OpenStream("cat", StdioStream::kStdout);
  client.StartProcess("cat");
  client.CloseStdin("cat");
  CHECK(ReadAll(out.get()).empty());
  CHECK(client.WaitProcess("cat").exit_status == 0);
  // Without stdin the process reads /dev/null.
  client.CreateProcess("nul", ProcessJson({"cat"}), false, false, true, false);
  UniqueFd out2 = agent.OpenStream("nul", StdioStream::kStdout);
  client.StartProcess("nul");
  CHECK(ReadAll(out2.get()).empty());
  CHECK(client.WaitProcess("nul").exit_status == 0);
}

TEST_CASE("a terminal process gets a pty that ResizePty resizes") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  client.CreateProcess("tty",
                       ProcessJson({"sh", "-c", "read go; stty size; tty -s && echo is-a-tty"}),
                       true, true, true, false);
  // A terminal has no stderr stream.
  CHECK(CodeOf([&] {
          client.CreateProcess("tty2", ProcessJson({"true"}), true, true, true, true);
        }) == Code::kInvalidArgument);
  UniqueFd in = agent.OpenStream("tty", StdioStream::kStdin);
  UniqueFd out = agent.OpenStream("tty", StdioStream::kStdout);
  CHECK_THROWS_WITH(agent.OpenStream("tty", StdioStream::kStderr),
                    Catch::Contains("a terminal process has no stderr stream"));
  client.StartProcess("tty");
  client.ResizePty("tty", 123, 45);
  REQUIRE(strato::ttrpc::SendAll(in.get(), "go\n"));
  std::string output = ReadAll(out.get());
  CHECK_THAT(output, Catch::Contains("45 123\r\n"));
  CHECK_THAT(output, Catch::Contains("is-a-tty\r\n"));
  CHECK(client.WaitProcess("tty").exit_status == 0);
  // Only terminals resize.
  client.CreateProcess("plain", ProcessJson({"true"}), false, false, false, false);
  CHECK(CodeOf([&] { client.ResizePty("plain", 80, 24); }) == Code::kFailedPrecondition);
}

TEST_CASE("ListProcesses attributes every process to its agent process, SignalProcess all") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  client.CreateProcess("one", ProcessJson({"sleep", "100"}), false, false, false, false);
  client.CreateProcess("two", ProcessJson({"sh", "-c", "sleep 100 & sleep 100 & wait"}), false,
                       false, false, false);
  uint32_t one = client.StartProcess("one");
  uint32_t two = client.StartProcess("two");
  // Give sh its two children.
  std::vector<strato::runtime::GuestProcess> listed;
  for (int attempt = 0; attempt < 100; ++attempt) {
    listed = client.ListProcesses();
    if (listed.size() >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(listed.size() == 4);
  int of_one = 0, of_two = 0;
  bool saw_one = false, saw_two = false;
  for (const auto& p : listed) {
    if (p.id == "one") ++of_one;
    if (p.id == "two") ++of_two;
    saw_one |= p.pid == one && p.id == "one";
    saw_two |= p.pid == two && p.id == "two";
  }
  CHECK(of_one == 1);
  CHECK(of_two == 3);
  CHECK(saw_one);
  CHECK(saw_two);
  strato::runtime::GuestStats stats = client.Stats();
  CHECK(stats.memory_usage_bytes > 0);
  CHECK(stats.memory_limit_bytes >= stats.memory_usage_bytes);
  CHECK(stats.cpu_usage_usec > 0);
  CHECK(stats.pids_current >= 4);
  client.SignalProcess("one", SIGKILL, true);
  CHECK(client.WaitProcess("one").exit_status == 137);
  CHECK(client.WaitProcess("two").exit_status == 137);
  for (int attempt = 0; attempt < 100 && !client.ListProcesses().empty(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(client.ListProcesses().empty());
}

TEST_CASE("malformed exec process JSON is InvalidArgument naming the field") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  auto create = [&](const std::string& json) {
    return [&client, json] { client.CreateProcess("bad", json, false, false, false, false); };
  };
  const std::string user = R"("user": {"uid": 0, "gid": 0})";
  CHECK(CodeOf(create(R"({"args": "sh", "cwd": "/", )" + user + "}")) == Code::kInvalidArgument);
  CHECK_THAT(MessageOf(create(R"({"args": "sh", "cwd": "/", )" + user + "}")),
             Catch::Contains("process.args"));
  CHECK_THAT(MessageOf(create(R"({"args": [], "cwd": "/", )" + user + "}")),
             Catch::Contains("process.args"));
  CHECK_THAT(MessageOf(create(R"({"args": ["true"], "cwd": "/"})")),
             Catch::Contains("process.user"));
  CHECK(CodeOf(create("{not json")) == Code::kInvalidArgument);
  CHECK(CodeOf(create("")) == Code::kInvalidArgument);
  // Ids: "-" is the stream token of "", spaces would break the handshake line.
  CHECK(CodeOf([&] {
          client.CreateProcess("-", ProcessJson({"true"}), false, false, false, false);
        }) == Code::kInvalidArgument);
  CHECK(CodeOf([&] {
          client.CreateProcess("a b", ProcessJson({"true"}), false, false, false, false);
        }) == Code::kInvalidArgument);
  // No container process in this agent's spec.
  CHECK(CodeOf([&] { client.CreateProcess("", "", false, false, false, false); }) ==
        Code::kFailedPrecondition);
  client.CreateProcess("dup", ProcessJson({"true"}), false, false, false, false);
  CHECK(CodeOf([&] {
          client.CreateProcess("dup", ProcessJson({"true"}), false, false, false, false);
        }) == Code::kAlreadyExists);
}

TEST_CASE("stream handshake errors answer ERR and close") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  agent.client().CreateProcess("p", ProcessJson({"true"}), false, false, true, false);
  auto answer = [&](const std::string& request) {
    UniqueFd conn = agent.ConnectStdioPort();
    strato::ttrpc::SendAll(conn.get(), request);
    std::string line = ReadLine(conn.get());
    if (line != "OK\n") CHECK(ReadAll(conn.get()).empty());  // an ERR closes the connection
    return line;
  };
  CHECK(answer("nope stdout\n") == "ERR process 'nope': not found\n");
  CHECK(answer("p stdfoo\n") == "ERR unknown stream name (want stdin, stdout or stderr)\n");
  CHECK_THAT(answer("garbage\n"), Catch::StartsWith("ERR malformed stream request"));
  CHECK_THAT(answer(std::string(600, 'x')), Catch::StartsWith("ERR stream request line longer"));
  CHECK_THAT(answer("p stdin\n"), Catch::StartsWith("ERR stdin of process 'p' was not requested"));
  CHECK(answer("p stdout\n") == "OK\n");
  CHECK_THAT(answer("p stdout\n"), Catch::StartsWith("ERR stdout of process 'p': already exists"));
  CHECK_THAT(answer("- stdout\n"), Catch::StartsWith("ERR process '': not found"));
  // The client turns ERR into an error naming the stream.
  CHECK_THROWS_WITH(agent.OpenStream("nope", StdioStream::kStdout),
                    Catch::Contains("process 'nope': not found"));
}

TEST_CASE("state errors: unknown ids, deleting a running process, starting twice") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  CHECK(CodeOf([&] { client.WaitProcess("ghost"); }) == Code::kNotFound);
  CHECK(CodeOf([&] { client.StartProcess("ghost"); }) == Code::kNotFound);
  CHECK(CodeOf([&] { client.SignalProcess("ghost", SIGTERM, false); }) == Code::kNotFound);
  CHECK(CodeOf([&] { client.DeleteProcess("ghost"); }) == Code::kNotFound);
  client.CreateProcess("s", ProcessJson({"sleep", "100"}), false, false, false, false);
  CHECK(CodeOf([&] { client.SignalProcess("s", SIGTERM, false); }) == Code::kFailedPrecondition);
  client.StartProcess("s");
  CHECK(CodeOf([&] { client.StartProcess("s"); }) == Code::kFailedPrecondition);
  CHECK(CodeOf([&] { client.DeleteProcess("s"); }) == Code::kFailedPrecondition);
  client.SignalProcess("s", SIGTERM, false);
  CHECK(client.WaitProcess("s").exit_status == 128 + SIGTERM);
  client.DeleteProcess("s");
  // A created-only process can be deleted.
  client.CreateProcess("c", ProcessJson({"true"}), false, false, true, false);
  client.DeleteProcess("c");
  // A missing binary is 127, as in the init's own launch path.
  client.CreateProcess("missing", ProcessJson({"/no/such/binary"}), false, false, false, true);
  UniqueFd err = agent.OpenStream("missing", StdioStream::kStderr);
  client.StartProcess("missing");
  CHECK_THAT(ReadAll(err.get()), Catch::Contains("/no/such/binary"));
  CHECK(client.WaitProcess("missing").exit_status == 127);
}

TEST_CASE("Shutdown kills what runs, answers blocked waits, and ends the agent") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent;
  auto& client = agent.client();
  client.CreateProcess("s", ProcessJson({"sleep", "100"}), false, false, false, false);
  client.StartProcess("s");
  auto waiter = agent.Connect();
  auto wait = std::async(std::launch::async, [&] { return waiter.WaitProcess("s"); });
  client.Shutdown();
  CHECK(wait.get().exit_status == 137);
  CHECK(agent.WaitAgentExit(kAgentExitTimeout) == 0);
}

TEST_CASE("the power-off rule waits for started execs, and ends waits that cannot finish") {
  SKIP_UNLESS_POSSIBLE();
  AgentUnderTest agent({"true"});
  auto& client = agent.client();
  client.CreateProcess("", "", false, false, false, false);
  client.CreateProcess("exec", ProcessJson({"sleep", "100"}), false, false, false, false);
  client.CreateProcess("never", ProcessJson({"true"}), false, false, false, false);
  auto never_waiter = agent.Connect();
  auto never = std::async(std::launch::async,
                          [&] { return CodeOf([&] { never_waiter.WaitProcess("never"); }); });
  client.StartProcess("exec");
  client.StartProcess("");
  CHECK(client.WaitProcess("").exit_status == 0);
  // The exec still runs: the agent's work is not done.
  CHECK_FALSE(agent.WaitAgentExit(std::chrono::milliseconds(300)));
  client.SignalProcess("exec", SIGTERM, false);
  CHECK(client.WaitProcess("exec").exit_status == 128 + SIGTERM);
  // Every started process exited and was reported; "never" was only created.
  CHECK(agent.WaitAgentExit(kAgentExitTimeout) == 100);
  CHECK(never.get() == Code::kUnavailable);
}
