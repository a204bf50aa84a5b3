// stdio strings and the FIFO / file / binary plumbing between the client and the backend.

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "shim/stdio/process_io.h"
#include "shim/stdio/stdio_uri.h"
#include "tests/unit/shim/test_bundle.h"

using namespace strato::shim;
using strato::UniqueFd;
using namespace std::chrono_literals;

namespace {

std::string MakeFifo(const testing::TempBundle& dir, const std::string& name) {
  std::string path = dir.file(name);
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  return path;
}

// Reads until EOF or timeout.
std::string ReadUntilEof(int fd, std::chrono::milliseconds timeout = 5000ms, bool* eof = nullptr) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) {
      if (eof) *eof = true;
      return out;
    }
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  if (eof) *eof = false;
  return out;
}

void WriteAll(int fd, const std::string& s) {
  REQUIRE(::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
}

}  // namespace

TEST_CASE("stdio strings parse into FIFO, file and binary forms") {
  CHECK(ParseStdioUri("").kind == StdioUri::Kind::kNone);
  auto fifo = ParseStdioUri("/run/containerd/fifo/123/c1-stdout");
  CHECK(fifo.kind == StdioUri::Kind::kFifo);
  CHECK(fifo.path == "/run/containerd/fifo/123/c1-stdout");
  CHECK(ParseStdioUri("fifo:///tmp/a%20b").path == "/tmp/a b");
  auto file = ParseStdioUri("file:///var/log/c1.log");
  CHECK(file.kind == StdioUri::Kind::kFile);
  CHECK(file.path == "/var/log/c1.log");
  auto bin = ParseStdioUri("binary:///usr/bin/logger?id=abc&level=info+x&flag");
  CHECK(bin.kind == StdioUri::Kind::kBinary);
  CHECK(bin.path == "/usr/bin/logger");
  CHECK(bin.args == std::vector<std::string>{"id", "abc", "level", "info x", "flag"});
  CHECK_THROWS_WITH(ParseStdioUri("http:///x"),
                    "stdio 'http:///x': unsupported scheme 'http' (expected a FIFO path, fifo://, "
                    "file:// or binary://)");
  CHECK_THROWS_WITH(ParseStdioUri("file://host/x"),
                    "stdio 'file://host/x': expected file:///absolute/path");
  CHECK_THROWS_WITH(ParseStdioUri("relative/fifo"), "stdio 'relative/fifo': path must be absolute");
  CHECK_THROWS_WITH(ParseStdioUri("file:///x%zz"), "stdio 'file:///x%zz': bad percent-encoding");
  CHECK_THROWS_WITH(ParseStdioUri("file:///x%4"), "stdio 'file:///x%4': bad percent-encoding");
}

TEST_CASE("FIFO stdout: output reaches the client, then EOF when the process closes it") {
  testing::TempBundle dir;
  std::string out = MakeFifo(dir, "stdout");
  UniqueFd client = strato::OpenOrThrow(out, O_RDONLY | O_NONBLOCK);
  auto io = ProcessIo::Open({"", out, "", false}, "c1", "default", false);
  ProcessStdio backend = io->TakeBackendStdio();
  REQUIRE(backend.stdout_fd.valid());
  CHECK_FALSE(backend.stdin_fd.valid());
  CHECK_FALSE(backend.stderr_fd.valid());
  WriteAll(backend.stdout_fd.get(), "hello\n");
  backend.stdout_fd.reset();
  bool eof = false;
  CHECK(ReadUntilEof(client.get(), 5000ms, &eof) == "hello\n");
  CHECK(eof);
  CHECK(io->WaitOutputDrained(1000ms));
}

TEST_CASE("FIFO stdout: a detached client neither blocks the process nor the shutdown") {
  testing::TempBundle dir;
  std::string out = MakeFifo(dir, "stdout");
  auto io = ProcessIo::Open({"", out, "", false}, "c1", "default", false);
  ProcessStdio backend = io->TakeBackendStdio();
  // Nobody reads the FIFO: fill the FIFO and the pipe without blocking.
  int flags = ::fcntl(backend.stdout_fd.get(), F_GETFL);
  ::fcntl(backend.stdout_fd.get(), F_SETFL, flags | O_NONBLOCK);
  std::string chunk(64 * 1024, 'x');
  size_t written = 0;
  for (int i = 0; i < 8; ++i) {
    ssize_t n = ::write(backend.stdout_fd.get(), chunk.data(), chunk.size());
    if (n > 0) written += static_cast<size_t>(n);
    std::this_thread::sleep_for(10ms);
  }
  CHECK(written >= 64 * 1024);
  CHECK_FALSE(io->WaitOutputDrained(50ms));
  auto start = std::chrono::steady_clock::now();
  io->Close();
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("FIFO stdin of an init process: kept open across client detach until CloseIO") {
  testing::TempBundle dir;
  std::string in = MakeFifo(dir, "stdin");
  auto io = ProcessIo::Open({in, "", "", false}, "c1", "default", /*keep_stdin_open=*/true);
  ProcessStdio backend = io->TakeBackendStdio();
  REQUIRE(backend.stdin_fd.valid());
  io->ConnectStdin();
  {
    UniqueFd client = strato::OpenOrThrow(in, O_WRONLY);
    WriteAll(client.get(), "abc");
  }  // the client detaches
  bool eof = true;
  CHECK(ReadUntilEof(backend.stdin_fd.get(), 300ms, &eof) == "abc");
  CHECK_FALSE(eof);  // the keep-alive writer holds it open
  io->CloseStdin();
  CHECK(ReadUntilEof(backend.stdin_fd.get(), 5000ms, &eof).empty());
  CHECK(eof);
}

TEST_CASE("FIFO stdin of an exec process: EOF as soon as the client closes") {
  testing::TempBundle dir;
  std::string in = MakeFifo(dir, "stdin");
  auto io = ProcessIo::Open({in, "", "", false}, "c1", "default", false);
  ProcessStdio backend = io->TakeBackendStdio();
  io->ConnectStdin();
  // No writer yet: no EOF either (the pump waits for the client).
  bool eof = true;
  CHECK(ReadUntilEof(backend.stdin_fd.get(), 200ms, &eof).empty());
  CHECK_FALSE(eof);
  {
    UniqueFd client = strato::OpenOrThrow(in, O_WRONLY);
    WriteAll(client.get(), "line\n");
  }
  CHECK(ReadUntilEof(backend.stdin_fd.get(), 5000ms, &eof) == "line\n");
  CHECK(eof);
}

TEST_CASE("FIFO stdin is not read before ConnectStdin (the client's CloseIO hook is armed)") {
  testing::TempBundle dir;
  std::string in = MakeFifo(dir, "stdin");
  auto io = ProcessIo::Open({in, "", "", false}, "c1", "default", false);
  ProcessStdio backend = io->TakeBackendStdio();
  // Nobody reads the FIFO yet: a client's non-blocking writer cannot even open it.
  CHECK(::open(in.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC) == -1);
  CHECK(errno == ENXIO);
  io->ConnectStdin();
  {
    UniqueFd client = strato::OpenOrThrow(in, O_WRONLY | O_NONBLOCK);
    WriteAll(client.get(), "late\n");
  }
  bool eof = false;
  CHECK(ReadUntilEof(backend.stdin_fd.get(), 5000ms, &eof) == "late\n");
  CHECK(eof);
}

TEST_CASE("terminal mode opens no stderr") {
  testing::TempBundle dir;
  std::string out = MakeFifo(dir, "stdout");
  std::string err = MakeFifo(dir, "stderr");
  UniqueFd client = strato::OpenOrThrow(out, O_RDONLY | O_NONBLOCK);
  auto io = ProcessIo::Open({"", out, err, true}, "c1", "default", false);
  ProcessStdio backend = io->TakeBackendStdio();
  CHECK(backend.terminal);
  CHECK(backend.stdout_fd.valid());
  CHECK_FALSE(backend.stderr_fd.valid());
}

TEST_CASE("file:// appends stdout and stderr to one file, creating its directory") {
  testing::TempBundle dir;
  std::string log = dir.file("logs/c1.log");
  {
    std::filesystem::create_directories(dir.file("logs"));
    std::ofstream(log) << "before\n";
  }
  auto io = ProcessIo::Open({"", "file://" + log, "file://" + log, false}, "c1", "default", false);
  ProcessStdio backend = io->TakeBackendStdio();
  WriteAll(backend.stdout_fd.get(), "out\n");
  WriteAll(backend.stderr_fd.get(), "err\n");
  CHECK(strato::ReadFile(log) == "before\nout\nerr\n");
  std::string nested = dir.file("new/dir/c2.log");
  auto io2 = ProcessIo::Open({"", "file://" + nested, "", false}, "c2", "default", false);
  WriteAll(io2->TakeBackendStdio().stdout_fd.get(), "x");
  CHECK(strato::ReadFile(nested) == "x");
}

TEST_CASE("binary:// runs the logging binary with fds 3/4, the query as args, and its env") {
  testing::TempBundle dir;
  std::string script = dir.file("logger.sh");
  std::string result = dir.file("result");
  {
    std::ofstream s(script);
    s << "#!/bin/sh\n"
         "echo \"$# $1 $2 $CONTAINER_ID $CONTAINER_NAMESPACE\" > \"$2.args\"\n"
         "exec 5>&-\n"
         "/bin/cat <&3 > \"$2.out\"\n"
         "/bin/cat <&4 > \"$2.err\"\n";
  }
  REQUIRE(::chmod(script.c_str(), 0755) == 0);
  std::string uri = "binary://" + script + "?out=" + result;
  auto io = ProcessIo::Open({"", uri, uri, false}, "c9", "k8s.io", false);
  ProcessStdio backend = io->TakeBackendStdio();
  WriteAll(backend.stdout_fd.get(), "to stdout");
  WriteAll(backend.stderr_fd.get(), "to stderr");
  backend.stdout_fd.reset();
  backend.stderr_fd.reset();
  io->Close();  // waits for the binary to finish
  CHECK(strato::ReadFile(result + ".args") == "2 out " + result + " c9 k8s.io\n");
  CHECK(strato::ReadFile(result + ".out") == "to stdout");
  CHECK(strato::ReadFile(result + ".err") == "to stderr");
}

TEST_CASE("stdio errors name the path") {
  testing::TempBundle dir;
  std::string plain = dir.file("config.json");
  CHECK_THROWS_WITH(ProcessIo::Open({"", plain, "", false}, "c1", "default", false),
                    "stdio " + plain + ": not a FIFO");
  CHECK_THROWS_WITH(ProcessIo::Open({dir.file("nope"), "", "", false}, "c1", "default", false),
                    "stdio " + dir.file("nope") + ": No such file or directory");
  CHECK_THROWS_WITH(ProcessIo::Open({"file:///tmp/x", "", "", false}, "c1", "default", false),
                    "stdio: stdin 'file:///tmp/x' must be a FIFO");
  CHECK_THROWS_WITH(
      ProcessIo::Open({"", "binary:///nonexistent/logger", "", false}, "c1", "default", false),
      "stdio binary:///nonexistent/logger: start: No such file or directory");
}
